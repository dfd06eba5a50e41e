/**
 * What the JSON API accepts as a body, checked before a byte of it is parsed: at most
 * API_BODY_LIMIT bytes (a declared Content-Length over it is refused without reading; a chunked
 * body is cut off as soon as it passes it) and JSON only. Both answer problem+json themselves
 * (413, 415) rather than throwing, so the answer does not depend on the app's error handler.
 *
 * @example
 * createRoute({ ..., middleware: [apiBodyLimit, jsonOnly] })
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './env.ts';
import { problem } from './problem.ts';

/** The API's bodies are a secret or a flag: a few KB is plenty. */
export const API_BODY_LIMIT = 4 * 1024;

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

export const apiBodyLimit: MiddlewareHandler<AppEnv> = bodyLimit({
  maxSize: API_BODY_LIMIT,
  onError: (c) => problem(c, 'payload_too_large', `a request body may be at most ${API_BODY_LIMIT} bytes`),
});

/** A body, if there is one, must say it is JSON (415 otherwise); judged from the headers alone. */
export const jsonOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = c.req.header('content-type');
  const hasBody = c.req.header('transfer-encoding') !== undefined || Number(c.req.header('content-length') ?? 0) > 0;
  if (type ? !JSON_TYPE.test(type) : hasBody) return problem(c, 'unsupported_media_type', 'expected content-type: application/json');
  await next();
};
