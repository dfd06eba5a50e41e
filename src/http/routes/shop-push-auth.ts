/**
 * What every push route runs before its schema sees the body: the size limit (a declared
 * Content-Length over it is refused unread, a chunked body is cut off at it), JSON only, then the
 * signature over the raw bytes (push/signature.ts), then replay protection (push/replay.ts). Only a
 * request that passed all of them is parsed, so an unsigned sender can make us read at most
 * `maxBytes` and never reach a verb or the database (the replay check is the first write).
 *
 * @example
 * createRoute({ ..., middleware: [...signedPush(16 * 1024)] })
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../env.ts';
import { jsonOnly } from '../body.ts';
import { problem } from '../problem.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, VERIFY_FAILURE_DETAIL, verify } from '../../push/signature.ts';
import { firstSighting } from '../../push/replay.ts';

export function signedPush(maxBytes: number): MiddlewareHandler<AppEnv>[] {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: (c) => problem(c, 'payload_too_large', `a request body may be at most ${maxBytes} bytes`),
  });
  const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
    const svc = c.get('svc');
    const push = svc.config.push;
    // the routes are mounted only with a secret; this is the belt to that brace
    if (!push) return problem(c, 'not_found');
    const body = new Uint8Array(await c.req.arrayBuffer());
    const checked = verify(push.secret, {
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      body,
      timestampHeader: c.req.header(TIMESTAMP_HEADER),
      signatureHeader: c.req.header(SIGNATURE_HEADER),
    }, svc.now().getTime());
    if (!checked.ok) return problem(c, 'signature_invalid', VERIFY_FAILURE_DETAIL[checked.reason]);
    if (!(await firstSighting(svc.database, checked.signature, checked.timestamp, svc.now()))) {
      return problem(c, 'replayed', 'this exact request (same timestamp and signature) was received before; nothing was done this time');
    }
    await next();
  };
  return [limit, jsonOnly, authenticate];
}
