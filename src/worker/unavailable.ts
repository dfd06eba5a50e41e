/**
 * The answer when a Worker's services could not be built: the same as the app's own onError would
 * give, so a database that is down is a 503 to retry and a bad configuration a 500 that names
 * nothing (the log line does), never the runtime's own error page.
 */
import { Hono } from 'hono';
import { onAppError } from '../http/errors.ts';

export function unavailable(err: unknown): Hono {
  return new Hono()
    .all('*', () => {
      throw err;
    })
    .onError((e, c) => onAppError(e, c, (line) => console.error(line)));
}
