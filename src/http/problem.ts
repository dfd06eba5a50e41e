/**
 * One error catalogue: stable codes, one status each, RFC 9457 problem+json bodies. A 500 never
 * echoes internals.
 */
import type { Context } from 'hono';
import { z } from '@hono/zod-openapi';

export const PROBLEM_CODES = {
  invalid_request: 400,
  invalid_order_no: 400,
  unauthorized: 401,
  signature_invalid: 401,
  forbidden: 403,
  verification_failed: 404,
  not_found: 404,
  method_not_allowed: 405,
  replayed: 409,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;
export type ProblemCode = keyof typeof PROBLEM_CODES;

const TITLES: Record<ProblemCode, string> = {
  invalid_request: 'The request is not valid',
  invalid_order_no: 'That is not an order number',
  unauthorized: 'A valid agent token is required',
  signature_invalid: 'The request is not signed, or not signed right',
  forbidden: 'Not allowed',
  verification_failed: 'Order number and query secret do not match any order',
  not_found: 'Not found',
  method_not_allowed: 'This method is not allowed here',
  replayed: 'This signed request was already received: sign a retry again, with the current time',
  conflict: 'The request contradicts what is already recorded',
  payload_too_large: 'The request body is too large',
  unsupported_media_type: 'The request body must be JSON',
  unprocessable: 'The request cannot be processed',
  rate_limited: 'Too many requests',
  internal: 'Something went wrong on our side',
  unavailable: 'The service is temporarily unavailable',
};

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(Object.keys(PROBLEM_CODES) as [ProblemCode, ...ProblemCode[]]),
    detail: z.string().optional(),
    error: z.string().optional(),
  })
  .openapi('Problem');

export function problem(c: Context, code: ProblemCode, detail?: string, extra: Record<string, unknown> = {}) {
  const status = PROBLEM_CODES[code];
  return c.body(
    JSON.stringify({ type: `https://order-doctor.dev/problems/${code}`, title: TITLES[code], status, code, ...(detail ? { detail } : {}), ...extra }),
    status,
    { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
  );
}
