/** POST /api/v1/agent/orders/{orderNo}/diagnose: one-click diagnosis for agents (bearer token). */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { diagnose } from '../../engine/diagnose.ts';
import { resolveOrder } from '../../engine/resolve.ts';
import type { AppEnv } from '../env.ts';
import { agentAuth } from '../agent-auth.ts';
import { apiBodyLimit, jsonOnly } from '../body.ts';
import { problemSchema } from '../problem.ts';
import { diagnoseBody, diagnoseResponse, orderNoParam } from '../schemas.ts';

const problemContent = { 'application/problem+json': { schema: problemSchema } };

// who first: a request without a valid token is answered before its body is read (a tuple, so
// the handler's context knows the agent)
const middleware: [typeof agentAuth, typeof apiBodyLimit, typeof jsonOnly] = [agentAuth, apiBodyLimit, jsonOnly];

const route = createRoute({
  method: 'post',
  path: '/api/v1/agent/orders/{orderNo}/diagnose',
  tags: ['agent'],
  summary: 'Diagnose an order with every checker\'s evidence; apply the suggested action with apply: true',
  security: [{ agentToken: [] }],
  middleware,
  request: { params: orderNoParam, body: { content: { 'application/json': { schema: diagnoseBody } }, required: false } },
  responses: {
    200: { description: 'The diagnosis', content: { 'application/json': { schema: diagnoseResponse } } },
    400: { description: 'Bad input', content: problemContent },
    401: {
      description: 'Missing or invalid token',
      headers: z.object({ 'www-authenticate': z.string().openapi({ example: 'Bearer realm="order-doctor", error="invalid_token"' }) }),
      content: problemContent,
    },
    413: { description: 'The body is over the limit (a few KB)', content: problemContent },
    415: { description: 'The body is not JSON', content: problemContent },
  },
});

export function mountDiagnose(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const svc = c.get('svc');
    const agent = c.get('agent');
    const { orderNo } = c.req.valid('param');
    const body = (c.req.valid('json') as { apply?: boolean } | undefined) ?? {};
    const logContext = c.get('logContext');
    const lookup = await resolveOrder(svc, orderNo, logContext);
    const r = await diagnose(svc, { orderNo, lookup, actor: { kind: 'agent', id: `${agent.id}:${agent.name}` }, apply: body.apply === true, logContext });
    c.header('cache-control', 'no-store');
    return c.json(
      {
        id: r.id, orderNo: r.orderNo, verdict: r.verdict, action: r.action, suggested: r.suggested,
        explanation: r.explanation, facts: r.facts as Record<string, unknown>,
        ...(r.ticket ? { ticket: { number: r.ticket.number, dueAt: r.ticket.dueAt, status: r.ticket.status, openedAt: r.ticket.openedAt } } : {}),
        keysHeld: r.keysHeld, nextCheckAt: r.nextCheckAt,
        findings: r.findings, startedAt: r.startedAt, durationMs: r.durationMs,
      },
      200,
    );
  });
}
