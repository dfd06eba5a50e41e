/**
 * POST /api/v1/agent/orders/{orderNo}/override-limit: a supervisor's override of the replacement
 * limit over the bearer API, the console's override (agents/override.ts) by another door: the same
 * once-only confirmation of one REISSUE_LIMIT_REACHED diagnosis, a required reason, audited. An
 * agent who is no supervisor gets 403 and nothing is read or written.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { confirmApply } from '../../agents/apply.ts';
import { mayOverride, OVERRIDE_REASON_MAX, OVERRIDE_REASON_MIN, overrideReason } from '../../agents/override.ts';
import { ACTIONS, VERDICTS } from '../../domain/verdicts.ts';
import type { AppEnv } from '../env.ts';
import { agentAuth } from '../agent-auth.ts';
import { apiBodyLimit, jsonOnly } from '../body.ts';
import { problem, problemSchema } from '../problem.ts';
import { orderNoParam } from '../schemas.ts';

const problemContent = { 'application/problem+json': { schema: problemSchema } };
const middleware: [typeof agentAuth, typeof apiBodyLimit, typeof jsonOnly] = [agentAuth, apiBodyLimit, jsonOnly];

const overrideBody = z.object({
  diagnosisId: z.string().uuid().openapi({ description: 'the REISSUE_LIMIT_REACHED diagnosis being overridden' }),
  reason: z.string().min(OVERRIDE_REASON_MIN).max(OVERRIDE_REASON_MAX).openapi({ example: 'Buyer proved the second key was voided by the issuer; approved by ops' }),
}).strict();

const overrideResponse = z.object({
  /** applied: this call acted; stale: the order changed and was diagnosed again, nothing applied; used: an earlier call acted */
  outcome: z.enum(['applied', 'stale', 'used']),
  diagnosisId: z.string().nullable(),
  verdict: z.enum(VERDICTS).optional(),
  action: z.enum(ACTIONS).optional(),
  keysIssued: z.number().int().optional(),
}).openapi('OverrideResult');

const route = createRoute({
  method: 'post',
  path: '/api/v1/agent/orders/{orderNo}/override-limit',
  tags: ['agent'],
  summary: 'Supervisors: replace voided keys past the replacement limit, once, with a reason (payment still verified)',
  security: [{ agentToken: [] }],
  middleware,
  request: { params: orderNoParam, body: { content: { 'application/json': { schema: overrideBody } }, required: true } },
  responses: {
    200: { description: 'What the override did', content: { 'application/json': { schema: overrideResponse } } },
    400: { description: 'Bad input', content: problemContent },
    401: { description: 'Missing or invalid token', content: problemContent },
    403: { description: 'Not a supervisor', content: problemContent },
    404: { description: 'No such diagnosis of this order', content: problemContent },
    409: { description: 'The diagnosis did not stop at the replacement limit', content: problemContent },
    413: { description: 'The body is over the limit (a few KB)', content: problemContent },
    415: { description: 'The body is not JSON', content: problemContent },
  },
});

export function mountOverride(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const svc = c.get('svc');
    const agent = c.get('agent');
    c.header('cache-control', 'no-store');
    if (!mayOverride(agent)) return problem(c, 'forbidden', 'overriding the replacement limit is for supervisors') as never;
    const { orderNo } = c.req.valid('param');
    const body = c.req.valid('json');
    const reason = overrideReason(body.reason);
    if (!reason.ok) return problem(c, 'invalid_request', `reason: ${reason.error}`) as never;
    const out = await confirmApply(svc, { agent, orderNo, diagnosisId: body.diagnosisId, override: { reason: reason.reason }, logContext: c.get('logContext') });
    switch (out.kind) {
      case 'applied':
      case 'stale':
        return c.json({ outcome: out.kind, diagnosisId: out.result.id, verdict: out.result.verdict, action: out.result.action, keysIssued: out.result.keysIssued ?? 0 }, 200);
      case 'used':
        return c.json({ outcome: out.kind, diagnosisId: out.resultDiagnosisId }, 200);
      case 'nothing_to_apply':
        return problem(c, 'conflict', 'that diagnosis did not stop at the replacement limit: diagnose again') as never;
      case 'not_found':
        return problem(c, 'not_found', 'no such diagnosis of this order') as never;
      case 'forbidden':
        return problem(c, 'forbidden', 'overriding the replacement limit is for supervisors') as never;
    }
  });
}
