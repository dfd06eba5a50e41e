/** POST /api/v1/agent/orders/{orderNo}/diagnose: one-click diagnosis for agents (bearer token). */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { diagnose } from '../../engine/diagnose.ts';
import { resolveOrder } from '../../engine/resolve.ts';
import { authenticateAgent } from '../../engine/agents.ts';
import type { AppEnv } from '../env.ts';
import { problem, problemSchema } from '../problem.ts';
import { diagnoseBody, diagnoseResponse, orderNoParam } from '../schemas.ts';

const route = createRoute({
  method: 'post',
  path: '/api/v1/agent/orders/{orderNo}/diagnose',
  tags: ['agent'],
  summary: 'Diagnose an order with every checker\'s evidence; apply the suggested action with apply: true',
  security: [{ agentToken: [] }],
  request: { params: orderNoParam, body: { content: { 'application/json': { schema: diagnoseBody } }, required: false } },
  responses: {
    200: { description: 'The diagnosis', content: { 'application/json': { schema: diagnoseResponse } } },
    400: { description: 'Bad input', content: { 'application/problem+json': { schema: problemSchema } } },
    401: { description: 'Missing or invalid token', content: { 'application/problem+json': { schema: problemSchema } } },
  },
});

export function mountDiagnose(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const svc = c.get('svc');
    const token = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim() ?? '';
    const agent = token ? await authenticateAgent(svc, token) : null;
    if (!agent) return problem(c, 'unauthorized') as never;
    const { orderNo } = c.req.valid('param');
    const body = (c.req.valid('json') as { apply?: boolean } | undefined) ?? {};
    const lookup = await resolveOrder(svc, orderNo);
    const r = await diagnose(svc, { orderNo, lookup, actor: { kind: 'agent', id: `${agent.id}:${agent.name}` }, apply: body.apply === true });
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
