/**
 * Three `order-doctor serve` processes on one Postgres database, each with its sweep on, behind a
 * round-robin proxy, under a bounded load of buyer checks racing the sweeps: no order swept twice,
 * no key issued twice, the buyers' limits counted across the three (a source's failures, an order's
 * guard), and the gateway's rate limit shared by the three sweepers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { startCluster, type Cluster } from './cluster.ts';
import { roundRobin, type RoundRobin } from './round-robin.ts';

const PG = await requires('postgres');

/** the sweep's gateway limit, per channel, for the three processes together */
const GATEWAY_PER_SECOND = 10;
const SWEPT = Array.from({ length: 40 }, (_, i) => `K20261201${String(i + 1).padStart(5, '0')}`);
const CHECKED = Array.from({ length: 12 }, (_, i) => `K20261201${String(i + 101).padStart(5, '0')}`);
const GUARDED = 'K2026120100200';
const SECRET = '8462';
const KEY_PREFIX = 'S100-CLUSTER-';

/** Paid orders whose notify was lost (pending here, paid at alipay), one delivered order, stock for all. */
function world() {
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const lost = (orderNo: string) => ({
    orderNo, sku: 'STEAM-100', quantity: 1, amountCents: 10000, channel: 'alipay', status: 'pending', createdAt: at(30),
    querySecret: SECRET, keys: [], supplier: null,
  });
  const orders = [
    ...[...SWEPT, ...CHECKED].map(lost),
    { ...lost(GUARDED), status: 'delivered', paidAt: at(29), keys: [{ secret: `${KEY_PREFIX}GUARDED`, status: 'delivered', replacement: false }] },
  ];
  return {
    name: 'cluster', now: at(0),
    // a window longer than the orders' age: nothing is stuck until the test shortens it, once all three run
    products: [{ sku: 'STEAM-100', title: 'Steam 钱包充值卡 100元', priceCents: 10000, fulfilment: 'stock', deliveryWindowMinutes: 120 }],
    stock: [{ sku: 'STEAM-100', keys: Array.from({ length: 80 }, (_, i) => `${KEY_PREFIX}${String(i).padStart(4, '0')}`) }],
    orders,
    gateway: Object.fromEntries(orders.map((o, i) => [o.orderNo, {
      state: 'paid', amountCents: 10000, paidAt: at(29), tradeNo: `20261201220014${String(i).padStart(6, '0')}`,
    }])),
  };
}

describe.skipIf(!PG)('three serve processes on one Postgres', () => {
  let tdb: TestDatabase;
  let cluster: Cluster | undefined;
  let proxy: RoundRobin | undefined;
  const rows = <T,>(q: ReturnType<typeof sql>) => tdb.database.rows<T>(q);

  const check = async (orderNo: string, secret: string, ip: string) => {
    const res = await fetch(`${proxy!.url}/api/v1/orders/${orderNo}/check`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-client-ip': ip }, body: JSON.stringify({ secret }),
    });
    return { status: res.status, backend: res.headers.get('x-backend'), retryAfter: res.headers.get('retry-after'), body: await res.json() as Record<string, unknown> };
  };

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 4);
    cluster = await startCluster({
      databaseUrl: tdb.url!, world: world(), processes: 3,
      env: { TRUST_PROXY: 'on', SWEEP_INTERVAL: '1s', SWEEP_RATE_LIMIT: String(GATEWAY_PER_SECOND), SWEEP_CONCURRENCY: '8' },
    });
    proxy = await roundRobin(cluster.nodes.map((n) => n.port));
  }, 90_000);

  afterAll(async () => {
    await proxy?.close(); // when a test failed before closing it
    await cluster?.stop();
    await tdb?.drop();
  }, 60_000);

  it("a source's failures count whichever process answered: the 7th try is delayed by all three", async () => {
    // six unknown numbers at once from one address, two per process: six failures, one each
    const failed = await Promise.all(Array.from({ length: 6 }, (_, i) => check(`K2099010100${String(i).padStart(3, '0')}`, SECRET, '203.0.113.50')));
    expect(failed.map((f) => f.status)).toEqual([404, 404, 404, 404, 404, 404]);
    expect(new Set(failed.map((f) => f.backend)).size).toBe(3);
    const next = [];
    for (let i = 0; i < 3; i++) next.push(await check(`K2099010100${String(i + 6).padStart(3, '0')}`, SECRET, '203.0.113.50'));
    expect(next.map((n) => n.status)).toEqual([429, 429, 429]);
    expect(new Set(next.map((n) => n.backend)).size).toBe(3);
    expect(next.every((n) => Number(n.retryAfter) >= 1)).toBe(true);
  });

  it('an order is guarded after 20 failures spread over the three: a network that failed twice is refused by every process, its buyer still gets in', async () => {
    const wrong = await Promise.all(Array.from({ length: 20 }, (_, i) => check(GUARDED, `99${i}`, `10.${i}.0.1`)));
    expect(wrong.every((w) => w.status === 404)).toBe(true);
    expect(new Set(wrong.map((w) => w.backend)).size).toBe(3);
    expect((await check(GUARDED, '991', '10.0.0.2')).status).toBe(404); // the /24's second failure
    // the right secret from that network: refused, answered as a wrong secret, by each of the three
    const refused = await Promise.all([0, 1, 2].map(() => check(GUARDED, SECRET, '10.0.0.3')));
    expect(refused.map((r) => r.status)).toEqual([404, 404, 404]);
    expect(new Set(refused.map((r) => r.backend)).size).toBe(3);
    const buyer = await check(GUARDED, SECRET, '198.51.100.20');
    expect(buyer.status).toBe(200);
    const audited = await rows<{ refused: boolean; n: number }>(sql`
      select (detail->>'refused')::boolean as refused, count(*)::int as n from audit_log
       where action = 'verification_failed' and order_no = ${GUARDED} group by 1 order by 1`);
    expect(audited).toEqual([{ refused: false, n: 21 }, { refused: true, n: 3 }]);
  });

  it('the sweeps and the buyers race for the same orders: each swept once, each key issued once, the gateway limit shared', async () => {
    // now the orders are stuck: the three sweepers find them at once
    await rows(sql`update products set delivery_window_minutes = 10 where sku = 'STEAM-100'`);
    // a bounded load of buyer checks on the orders the sweeps are also after: 5 buyers each, 60 at once
    const checks = await Promise.all(CHECKED.flatMap((orderNo, o) => Array.from({ length: 5 }, (_, k) => check(orderNo, SECRET, `172.16.${o}.${k + 1}`))));
    expect(checks.filter((c) => c.status !== 200)).toEqual([]);
    expect(new Set(checks.map((c) => c.backend)).size).toBe(3);

    const all = [...SWEPT, ...CHECKED];
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [done] = await rows<{ n: number }>(sql`
        select count(distinct o.order_no)::int as n from orders o join issued_keys k on k.order_id = o.id and k.status = 'delivered'
         where o.order_no in (select jsonb_array_elements_text(${JSON.stringify(all)}::jsonb))`);
      if (done!.n === all.length || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }

    // a graceful shutdown of all three, as a deploy does: every run records what it picked, and exits 0
    await proxy!.close();
    proxy = undefined;
    await cluster!.stop();
    expect(await Promise.all(cluster!.nodes.map((n) => n.exited))).toEqual([0, 0, 0]);

    // no key issued twice: one valid key and one keys_issued row per order, no stock key held by two
    const keys = await rows<{ order_no: string; n: number }>(sql`
      select o.order_no, count(k.id)::int as n from orders o left join issued_keys k on k.order_id = o.id
       where o.order_no in (select jsonb_array_elements_text(${JSON.stringify(all)}::jsonb)) group by 1`);
    expect(keys.filter((k) => k.n !== 1)).toEqual([]);
    expect(keys).toHaveLength(all.length);
    const issued = await rows<{ order_no: string; n: number }>(sql`
      select order_no, count(*)::int as n from audit_log where action = 'keys_issued' group by 1`);
    expect(issued.filter((i) => i.n !== 1)).toEqual([]);
    expect(issued).toHaveLength(all.length);
    const [stock] = await rows<{ taken: number; distinct_keys: number }>(sql`
      select count(*)::int as taken, count(distinct stock_key_id)::int as distinct_keys from issued_keys where stock_key_id is not null`);
    expect(stock!.taken).toBe(stock!.distinct_keys);

    // no order swept twice: one sweep diagnosis per order at most, as many as the runs picked
    const swept = await rows<{ order_no: string; n: number }>(sql`
      select order_no, count(*)::int as n from diagnoses where actor_kind = 'sweep' group by 1`);
    expect(swept.filter((s) => s.n > 1)).toEqual([]);
    const [picked] = await rows<{ n: number }>(sql`select coalesce(sum(picked), 0)::int as n from sweep_runs where status = 'finished'`);
    const [unfinished] = await rows<{ n: number }>(sql`select count(*)::int as n from sweep_runs where status <> 'finished'`);
    expect(unfinished!.n).toBe(0);
    expect(picked!.n).toBe(swept.length);
    expect(swept.map((s) => s.order_no)).toEqual(expect.arrayContaining(SWEPT));

    // the gateway's limit held for the three together: the sweepers' keys came no faster than it allows
    const bySweep = await rows<{ at: Date | string; sweeper_id: string }>(sql`
      select a.at, r.sweeper_id from audit_log a join sweep_runs r on r.id = a.actor_id
       where a.action = 'keys_issued' and a.actor_kind = 'sweep' order by a.at`);
    const sweepers = new Set(bySweep.map((s) => s.sweeper_id));
    expect(sweepers.size).toBeGreaterThanOrEqual(2); // more than one process swept: the limit was shared, not just held by one
    const spanS = (Date.parse(String(bySweep.at(-1)!.at)) - Date.parse(String(bySweep[0]!.at))) / 1000;
    // n slots 1/rate apart (a burst of 1 at 10/s): (n - 1) / rate, less the jitter of the queries
    // answered in them (0.3 s allowed); three limits of their own would take a third of that
    expect(bySweep.length).toBeGreaterThanOrEqual(SWEPT.length);
    expect(spanS).toBeGreaterThanOrEqual((bySweep.length - 1) / GATEWAY_PER_SECOND - 0.3);
    const [shared] = await rows<{ n: number }>(sql`select count(*)::int as n from rate_limits where key like '%alipay%'`);
    expect(shared!.n).toBeGreaterThan(0);

    // the buyer limits are in the database, where all three see them
    const [limitRows] = await rows<{ n: number }>(sql`select count(*)::int as n from buyer_limits`);
    expect(limitRows!.n).toBeGreaterThan(60);
    // and no card key reached a log line
    for (const n of cluster!.nodes) expect(n.stdout() + n.stderr()).not.toContain(KEY_PREFIX);
  }, 60_000);
});
