/** GET /healthz: liveness and database reachability (and, once the sweep lands, its last run). */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { AppEnv } from '../env.ts';

const route = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['ops'],
  summary: 'Liveness and database reachability',
  responses: {
    200: { description: 'Healthy', content: { 'application/json': { schema: z.object({ status: z.literal('ok'), database: z.object({ ok: z.boolean(), kind: z.string(), ms: z.number() }) }).passthrough() } } },
    503: { description: 'The database is unreachable', content: { 'application/json': { schema: z.object({ status: z.literal('degraded') }).passthrough() } } },
  },
});

export function mountHealth(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const svc = c.get('svc');
    const started = performance.now();
    let ok = true;
    try {
      await svc.database.db.execute(sql`select 1`);
    } catch {
      ok = false;
    }
    const database = { ok, kind: svc.database.kind, ms: Math.round(performance.now() - started) };
    const extra = (await c.get('healthExtras')?.()) ?? {};
    if (!ok) return c.json({ status: 'degraded' as const, database, ...extra }, 503);
    return c.json({ status: 'ok' as const, database, ...extra }, 200);
  });
}
