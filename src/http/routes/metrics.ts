/**
 * GET /metrics: the Prometheus text format (observability/metrics.ts names the series).
 *
 * Who may read it: a client on this machine (the socket's address is loopback and the request
 * came through no proxy: sandbox/app.ts fromLoopback, whatever TRUST_PROXY says), or anyone with an
 * agent's bearer token (a scraper elsewhere: `authorization: Bearer od_...`). Anyone else gets 401
 * with `WWW-Authenticate`, as the agent API does. The series hold no order number, key or address,
 * but their counts say how the shop is doing: not for the public.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { fromLoopback } from '../../sandbox/app.ts';
import { agentAuth, type AgentEnv } from '../agent-auth.ts';
import type { AppEnv } from '../env.ts';
import { problemSchema } from '../problem.ts';

/** Loopback clients pass; everyone else needs an agent token. */
export const metricsAccess: MiddlewareHandler<AgentEnv> = async (c, next) => {
  if (fromLoopback(c)) return next();
  return agentAuth(c, next);
};

const route = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['ops'],
  summary: 'Prometheus metrics (loopback clients, or an agent token)',
  security: [{}, { agentToken: [] }],
  middleware: [metricsAccess] as const,
  responses: {
    200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: z.string() } } },
    401: {
      description: 'Not from this machine, and no valid agent token',
      headers: z.object({ 'www-authenticate': z.string() }),
      content: { 'application/problem+json': { schema: problemSchema } },
    },
  },
});

export function mountMetrics(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const metrics = c.get('svc').metrics;
    const text = await metrics.text();
    return c.body(text, 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }) as never;
  });
}
