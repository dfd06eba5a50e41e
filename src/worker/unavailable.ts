/**
 * The answer when a Worker's services could not be built: the same as the app's own onError would
 * give, so a database that is down is a 503 to retry and a bad configuration a 500 that names
 * nothing (the log line does), never the runtime's own error page. A database that could not be
 * migrated is a 503 too: nothing the client did, and the next request tries the migration again.
 */
import { Hono, type Context } from 'hono';
import { MigrationFailed } from '../db/migrate.ts';
import { describeError, onAppError, RETRY_AFTER_SECONDS } from '../http/errors.ts';
import { problem } from '../http/problem.ts';

export function unavailable(err: unknown): Hono {
  return new Hono()
    .all('*', () => {
      throw err;
    })
    .onError((e, c) => (e instanceof MigrationFailed ? notMigrated(e, c) : onAppError(e, c, (line) => console.error(line))));
}

function notMigrated(err: MigrationFailed, c: Context): Response {
  console.error(`[http] ${c.req.method} ${new URL(c.req.url).pathname}: database not migrated: ${describeError(err, { stacks: false })}`);
  c.header('retry-after', String(RETRY_AFTER_SECONDS));
  return problem(c, 'unavailable');
}
