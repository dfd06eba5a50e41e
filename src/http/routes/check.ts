/** POST /api/v1/orders/{orderNo}/check: the buyer's check (verdict, action, explanation, keys). */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { customerCheck, revealKeys } from '../../engine/customer-check.ts';
import type { AppEnv } from '../env.ts';
import { apiBodyLimit, jsonOnly } from '../body.ts';
import { problem, problemSchema } from '../problem.ts';
import { checkBody, checkResponse, orderNoParam } from '../schemas.ts';
import { clientIp } from '../client-ip.ts';
import { lineLogger } from '../../observability/logger.ts';

const problemContent = { 'application/problem+json': { schema: problemSchema } };

const route = createRoute({
  method: 'post',
  path: '/api/v1/orders/{orderNo}/check',
  tags: ['buyer'],
  summary: "Check my order: verify the query secret, diagnose, and fix what can be fixed",
  middleware: [apiBodyLimit, jsonOnly],
  request: { params: orderNoParam, body: { content: { 'application/json': { schema: checkBody } }, required: true } },
  responses: {
    200: { description: 'The verdict, what was done, and the keys the order holds', content: { 'application/json': { schema: checkResponse } } },
    400: { description: 'Bad input', content: problemContent },
    404: { description: 'Unknown order or wrong secret (the same answer for both, and for a try the limits refused)', content: problemContent },
    413: { description: 'The body is over the limit (a few KB)', content: problemContent },
    415: { description: 'The body is not JSON', content: problemContent },
    429: {
      description: 'Too many lookups or failures from this address: try again after Retry-After seconds',
      headers: z.object({ 'retry-after': z.string().openapi({ description: 'seconds' }) }),
      content: problemContent,
    },
  },
});

export function mountCheck(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const svc = c.get('svc');
    const limits = c.get('limits');
    const { orderNo } = c.req.valid('param');
    const { secret } = c.req.valid('json');
    const ip = clientIp(c);
    const wait = await limits.lookup(ip);
    if (wait) {
      c.header('retry-after', String(wait));
      return problem(c, 'rate_limited', `try again in ${wait} s`, { retryAfter: wait }) as never;
    }
    const out = await customerCheck(svc, { orderNo, secret, ip, guard: limits.verification(ip), via: 'api', log: lineLogger(svc.logger, { ...c.get('logContext'), event: 'verification_failed' }), logContext: c.get('logContext') });
    if (!out.ok) return problem(c, 'verification_failed', undefined, { error: 'verification_failed' }) as never;
    const r = out.result;
    const keys = r.keysHeld > 0 ? await revealKeys(svc, { lookup: out.lookup, ip, diagnosisId: r.id, via: 'api' }) : undefined;
    c.header('cache-control', 'no-store');
    return c.json(
      {
        orderNo: r.orderNo, verdict: r.verdict, action: r.action, explanation: r.explanation,
        ...(keys?.length ? { keys } : {}),
        ...(r.ticket ? { ticket: { number: r.ticket.number, dueAt: r.ticket.dueAt, status: r.ticket.status, openedAt: r.ticket.openedAt } } : {}),
        ...(r.nextCheckAt ? { nextCheckAt: r.nextCheckAt } : {}),
        diagnosisId: r.id,
      },
      200,
    );
  });
}
