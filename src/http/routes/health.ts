/**
 * GET /healthz: is the service up and can it reach its database (and a connected shop's own
 * database, which every check reads), answered within a second even when either refuses or hangs
 * (a load balancer's probe must not time out instead of hearing 503).
 *
 * Anyone gets `{"status":"ok"}` or `{"status":"degraded"}` (503) and nothing else: no host, no
 * error text, no sweep state. An agent (bearer token) also gets the details: the database's kind
 * and round trip, and the extras the server adds (the sweep's runs). Checking a token needs the
 * database, so while it is unreachable everyone gets the public answer.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { authenticateAgent } from '../../engine/agents.ts';
import type { AppEnv } from '../env.ts';

/** Everything /healthz waits for (the database, the token, the extras) fits in this. */
export const HEALTH_BUDGET_MS = 800;

const route = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['ops'],
  summary: 'Liveness and database reachability (details for agents)',
  security: [{}, { agentToken: [] }],
  responses: {
    200: {
      description: 'Healthy. With an agent token: the database and the sweep too.',
      content: {
        'application/json': {
          schema: z.object({
            status: z.literal('ok'),
            database: z.object({ ok: z.boolean(), kind: z.string(), ms: z.number() }).optional(),
            shop: z.object({ ok: z.boolean(), kind: z.string(), ms: z.number() }).optional(),
          }).passthrough(),
        },
      },
    },
    503: {
      description: 'The database, or a connected shop\'s own database, did not answer within the budget (an agent also sees which)',
      content: { 'application/json': { schema: z.object({ status: z.literal('degraded') }).passthrough() } },
    },
  },
});

type Outcome<T> = { ok: true; value: T } | { ok: false; timedOut: boolean };

/** Waits for `work` until `deadline` (performance.now() time); a late rejection is absorbed. */
async function until<T>(work: () => Promise<T>, deadline: number): Promise<Outcome<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, timedOut: true }), Math.max(0, deadline - performance.now()));
  });
  const done = Promise.resolve()
    .then(work)
    .then((value): Outcome<T> => ({ ok: true, value }), (): Outcome<T> => ({ ok: false, timedOut: false }));
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function mountHealth(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const svc = c.get('svc');
    const started = performance.now();
    const deadline = started + HEALTH_BUDGET_MS;
    c.header('cache-control', 'no-store');
    // ours and, for a connected shop, the shop's own database: a check needs both
    const timed = <T>(o: Outcome<T>) => ({ ...o, ms: Math.round(performance.now() - started) });
    const [probe, shopProbe] = await Promise.all([
      until(() => svc.database.db.execute(sql`select 1`), deadline).then(timed),
      svc.shop.separate ? until(() => svc.shop.ping(), deadline).then(timed) : null,
    ]);
    if (!probe.ok) return c.json({ status: 'degraded' as const }, 503);
    const database = { ok: true, kind: svc.database.kind, ms: probe.ms };
    const shop = shopProbe && {
      ok: shopProbe.ok, kind: svc.shop.kind,
      ...(shopProbe.ok ? { ms: shopProbe.ms } : { error: shopProbe.timedOut ? 'timed out' : 'failed' }),
    };
    const status = shop && !shop.ok ? ('degraded' as const) : ('ok' as const);

    const token = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
    const agent = token ? await until(() => authenticateAgent(svc, token), deadline) : null;
    if (!agent?.ok || !agent.value) return status === 'ok' ? c.json({ status }, 200) : c.json({ status }, 503);
    if (status === 'degraded') return c.json({ status, database, shop }, 503);

    const extrasOf = c.get('healthExtras');
    const extras = extrasOf ? await until(extrasOf, deadline) : null;
    const more = extras === null ? {} : extras.ok ? extras.value : { extras: extras.timedOut ? 'timed out' : 'failed' };
    return c.json({ status, database, ...(shop ? { shop } : {}), ...more }, 200);
  });
}
