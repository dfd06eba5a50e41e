/**
 * What the JSON API accepts as a body, checked before a byte of it is parsed: at most
 * API_BODY_LIMIT bytes (a declared Content-Length over it is refused without reading; a chunked
 * body is cut off as soon as it passes it) and JSON only. Both answer problem+json themselves
 * (413, 415) rather than throwing, so the answer does not depend on the app's error handler.
 *
 * @example
 * createRoute({ ..., middleware: [apiBodyLimit, jsonOnly] })
 */
import type { Readable } from 'node:stream';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './env.ts';
import { problem } from './problem.ts';

/** The API's bodies are a secret or a flag: a few KB is plenty. */
export const API_BODY_LIMIT = 4 * 1024;

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

const tooLarge = (c: Context<AppEnv>) => problem(c, 'payload_too_large', `a request body may be at most ${API_BODY_LIMIT} bytes`);
const honoBodyLimit: MiddlewareHandler<AppEnv> = bodyLimit({ maxSize: API_BODY_LIMIT, onError: tooLarge });

export const apiBodyLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const incoming = untouchedIncoming(c);
  const declared = c.req.header('content-length');
  if (!incoming || declared === undefined || c.req.header('transfer-encoding') !== undefined) return honoBodyLimit(c, next);
  if (parseInt(declared, 10) > API_BODY_LIMIT) return tooLarge(c);
  // On Node a declared length within the limit is read straight from the socket's message, and
  // only when the route asks for the body (after its authentication): the web Request, its
  // ReadableStream and abort signal that c.req.raw.body would build cost ~0.1 ms of a 3 ms check
  // (profile of `npm run bench:load`). Node's parser delivers exactly the declared bytes, so the
  // limit holds; a chunked body, and every other runtime, go through hono's bodyLimit.
  let text: Promise<string> | undefined;
  Object.defineProperty(c.req.bodyCache, 'text', { enumerable: true, configurable: true, get: () => (text ??= readText(incoming)) });
  await next();
};

/** The Node request message behind this request (@hono/node-server's binding), if nobody has started reading it. */
function untouchedIncoming(c: Context<AppEnv>): Readable | undefined {
  const incoming = (c.env as { incoming?: Readable } | undefined)?.incoming;
  if (!incoming || typeof incoming.on !== 'function' || !('rawHeaders' in incoming)) return undefined;
  return incoming.readableFlowing === null && !incoming.readableDidRead ? incoming : undefined;
}

/** The whole message as text, decoded as Request.text() does (UTF-8, a leading BOM dropped). */
function readText(incoming: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.once('end', () => {
      ended = true;
      // Buffer's UTF-8 decoding replaces bad sequences as TextDecoder does, without building a decoder per body
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    });
    incoming.once('error', reject);
    // 'close' follows every message: before 'end' the client went away mid-body (an Error, with its
    // stack, only then: made for every request it was a fifth of this file's cost in the profile)
    incoming.once('close', () => {
      if (!ended) reject(new Error('the request ended before its body'));
    });
  });
}

/** A body, if there is one, must say it is JSON (415 otherwise); judged from the headers alone. */
export const jsonOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = c.req.header('content-type');
  const hasBody = c.req.header('transfer-encoding') !== undefined || Number(c.req.header('content-length') ?? 0) > 0;
  if (type ? !JSON_TYPE.test(type) : hasBody) return problem(c, 'unsupported_media_type', 'expected content-type: application/json');
  await next();
};
