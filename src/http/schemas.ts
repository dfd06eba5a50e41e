/** Request and response schemas of the JSON API (they also make /api/openapi.json). */
import { z } from '@hono/zod-openapi';
import { ACTIONS, VERDICTS } from '../domain/verdicts.ts';
import { ORDER_NO_PATTERN, ORDER_NO_RULE } from '../domain/order-number.ts';

export const orderNoParam = z.object({
  orderNo: z
    .string()
    .regex(ORDER_NO_PATTERN, ORDER_NO_RULE)
    .openapi({ param: { name: 'orderNo', in: 'path' }, example: 'K2026112200001', description: 'our order number, a legacy order number, or the gateway transaction number' }),
});

export const explanationSchema = z.object({ 'zh-CN': z.string(), en: z.string() }).openapi('Explanation');

export const ticketSchema = z
  .object({ number: z.string(), dueAt: z.string(), status: z.enum(['open', 'resolved']), openedAt: z.string() })
  .openapi('Ticket');

/** A query secret, on the API and the page alike: 1-128 characters, no control characters. */
export const QUERY_SECRET_MAX = 128;
const QUERY_SECRET_CHARS = /^[^\p{Cc}]*$/u;

export function isQuerySecret(s: string): boolean {
  return s.length >= 1 && s.length <= QUERY_SECRET_MAX && QUERY_SECRET_CHARS.test(s);
}

export const checkBody = z
  .object({
    secret: z.string().min(1).max(QUERY_SECRET_MAX).regex(QUERY_SECRET_CHARS, 'no control characters').openapi({ example: '8462' }),
  })
  .strict();

export const checkResponse = z
  .object({
    orderNo: z.string(),
    verdict: z.enum(VERDICTS),
    action: z.enum(ACTIONS),
    explanation: explanationSchema,
    keys: z.array(z.object({ slot: z.number().int(), secret: z.string(), issuedAt: z.string(), replacement: z.boolean() })).optional(),
    ticket: ticketSchema.optional(),
    nextCheckAt: z.string().optional(),
    diagnosisId: z.string(),
  })
  .openapi('CheckResult');

export const diagnoseBody = z.object({ apply: z.boolean().optional() }).strict();

const checkerView = z.object({
  ok: z.boolean(),
  ms: z.number(),
  skipped: z.boolean().optional(),
  error: z.string().optional(),
  data: z.unknown().optional(),
  evidence: z.unknown().optional(),
});

export const diagnoseResponse = z
  .object({
    id: z.string(),
    orderNo: z.string(),
    verdict: z.enum(VERDICTS),
    action: z.enum(ACTIONS),
    suggested: z.enum(ACTIONS).optional(),
    explanation: explanationSchema,
    facts: z.record(z.string(), z.unknown()),
    ticket: ticketSchema.optional(),
    keysHeld: z.number().int(),
    nextCheckAt: z.string().optional(),
    findings: z.object({
      order: z.object({}).passthrough().optional(),
      migration: checkerView,
      issuance: checkerView.optional(),
      payment: checkerView.optional(),
    }),
    startedAt: z.string(),
    durationMs: z.number(),
  })
  .openapi('Diagnosis');
