/**
 * Prometheus metrics, one prom-client Registry per Services (never the library's global registry:
 * two Services in one process, as in the tests, keep their own counts).
 *
 * Series (GET /metrics, text format 0.0.4):
 * - http_requests_total{route,method,status}, http_request_duration_seconds{route}: `route` is the
 *   matched route's pattern (`/api/v1/orders/:orderNo/check`), never the path, so no order number
 *   (and no unbounded set of values) becomes a label; no route matched is `unmatched`.
 * - upstream_request_duration_seconds{upstream,outcome}: one observation per call of the HTTP
 *   client as its caller waited for it (retries included); outcome is the answer's status class
 *   (`2xx`, `4xx`, `5xx`, ...) or why there was none (`timeout`, `network`, `circuit_open`, `aborted`).
 * - diagnoses_total{verdict,action,actor}: every diagnosis, by who asked (customer, agent, sweep, cli).
 * - circuit_breaker_open{upstream}: 1 while the upstream's breaker fails calls fast (open, or
 *   half-open with its one probe), else 0.
 * - sweep_queue_depth{state}: open queue rows `due` now, `leased` by a sweeper, `scheduled` for
 *   later, `waiting_stock` (out of stock until a restock); sweep_lag_seconds: how long the oldest
 *   due row has been waiting for a sweeper (0: none waits).
 * - mail_outbox_depth{status}: buyer emails not sent, by status (pending, sending, failed, unknown).
 * - webhook_outbox_depth{status}: shop webhooks not delivered, by status (pending, sending, failed).
 * - metrics_database_ok: whether this scrape could read the queues. They are read from the
 *   database on each scrape under a deadline (1 s): a database that hangs or fails leaves
 *   sweep_lag_seconds at -1, the depths absent and this at 0, and the scrape still answers.
 * - with `processMetrics` (serve): prom-client's process and Node.js defaults.
 *
 * With `perProcess: false` (Workers) only the database's series are served (the queues, the
 * outboxes, metrics_database_ok): a Worker's isolate counts one request at most before it is gone,
 * so its counters, histograms and breaker states would be near-zero numbers that look like a quiet
 * shop. Request counts and latency on Workers come from Workers Analytics and Workers Logs.
 */
import { sql } from 'drizzle-orm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/client.ts';

export interface MetricsOptions {
  database: Database;
  now: () => Date;
  /** prom-client's process_* and nodejs_* series (serve only: they start timers of their own) */
  processMetrics?: boolean;
  /** how long a scrape waits for the database (default 1000 ms) */
  scrapeTimeoutMs?: number;
  /** false: no per-process series (requests, upstreams, diagnoses, breakers), only the database's (Workers) */
  perProcess?: boolean;
}

export interface Metrics {
  registry: Registry;
  /** the Content-Type of `text()` */
  contentType: string;
  request(r: { route: string; method: string; status: number; seconds: number }): void;
  upstream(u: { upstream: string; outcome: string; seconds: number }): void;
  diagnosis(d: { verdict: string; action: string; actor: string }): void;
  /** where the scrape reads the circuit breakers' states */
  watchBreakers(read: () => Array<{ upstream: string; state: 'closed' | 'open' | 'half_open' }>): void;
  /** refreshes what is read on scrape (the breakers, the queues), then renders every series */
  text(): Promise<string>;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const QUEUE_STATES = ['due', 'leased', 'scheduled', 'waiting_stock'] as const;
const WEBHOOK_STATUSES = ['pending', 'sending', 'failed'] as const;
const OUTBOX_STATUSES = ['pending', 'sending', 'failed', 'unknown'] as const;

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = new Registry();
  const scrapeTimeoutMs = opts.scrapeTimeoutMs ?? 1000;
  if (opts.processMetrics) collectDefaultMetrics({ register: registry });
  const perProcess = opts.perProcess !== false;
  // the per-process series, registered only where a process lives long enough to count
  const own = perProcess ? [registry] : [];

  const requests = new Counter({
    name: 'http_requests_total', help: 'HTTP requests answered, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const, registers: own,
  });
  const requestSeconds = new Histogram({
    name: 'http_request_duration_seconds', help: 'Time to answer an HTTP request, by route pattern',
    labelNames: ['route'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: own,
  });
  const upstreamSeconds = new Histogram({
    name: 'upstream_request_duration_seconds', help: 'Calls to gateways and the supplier as the caller waited for them (retries included), by upstream and outcome',
    labelNames: ['upstream', 'outcome'] as const, buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20], registers: own,
  });
  const diagnoses = new Counter({
    name: 'diagnoses_total', help: 'Diagnoses, by verdict, action taken (or suggested to an agent) and who asked',
    labelNames: ['verdict', 'action', 'actor'] as const, registers: own,
  });
  const breakerOpen = new Gauge({
    name: 'circuit_breaker_open', help: '1 while an upstream\'s circuit breaker fails calls fast (open or half-open), else 0',
    labelNames: ['upstream'] as const, registers: own,
  });
  const queueDepth = new Gauge({
    name: 'sweep_queue_depth', help: 'Open sweep queue rows: due now, leased by a sweeper, scheduled for later, waiting for stock',
    labelNames: ['state'] as const, registers: [registry],
  });
  const sweepLag = new Gauge({
    name: 'sweep_lag_seconds', help: 'How long the oldest due sweep queue row has waited for a sweeper (0: none; -1: the database did not answer)',
    registers: [registry],
  });
  const outboxDepth = new Gauge({
    name: 'mail_outbox_depth', help: 'Buyer emails not sent, by outbox status',
    labelNames: ['status'] as const, registers: [registry],
  });
  const webhookDepth = new Gauge({
    name: 'webhook_outbox_depth', help: 'Shop webhooks not delivered, by outbox status',
    labelNames: ['status'] as const, registers: [registry],
  });
  const databaseOk = new Gauge({
    name: 'metrics_database_ok', help: '1 when this scrape read the queues from the database within its deadline, else 0',
    registers: [registry],
  });

  let breakers: () => Array<{ upstream: string; state: 'closed' | 'open' | 'half_open' }> = () => [];
  // one read at a time: scrapes of a hanging database must not pile queries up behind it
  let reading: Promise<QueueFacts> | null = null;

  async function refreshQueues(): Promise<void> {
    reading ??= readQueues(opts.database, opts.now()).finally(() => { reading = null; });
    const facts = await withDeadline(reading, scrapeTimeoutMs);
    queueDepth.reset();
    outboxDepth.reset();
    webhookDepth.reset();
    if (!facts) {
      sweepLag.set(-1);
      databaseOk.set(0);
      return;
    }
    for (const s of QUEUE_STATES) queueDepth.set({ state: s }, facts.queue[s]);
    sweepLag.set(facts.lagSeconds);
    for (const s of OUTBOX_STATUSES) outboxDepth.set({ status: s }, facts.outbox[s] ?? 0);
    for (const s of WEBHOOK_STATUSES) webhookDepth.set({ status: s }, facts.webhooks[s] ?? 0);
    databaseOk.set(1);
  }

  function refreshBreakers(): void {
    breakerOpen.reset();
    const open = new Map<string, number>();
    for (const b of breakers()) open.set(b.upstream, Math.max(open.get(b.upstream) ?? 0, b.state === 'closed' ? 0 : 1));
    for (const [upstream, v] of open) breakerOpen.set({ upstream }, v);
  }

  // Each series' child, found once: prom-client validates, sorts and hashes the labels on every
  // inc/observe given as an object (five per check). The label values are bounded sets (route
  // patterns, statuses, verdicts), and these series are never reset.
  const children = new Map<string, { inc(): void } | { observe(v: number): void }>();
  const child = <T extends { inc(): void } | { observe(v: number): void }>(key: string, make: () => T): T => {
    let c = children.get(key) as T | undefined;
    if (!c) children.set(key, (c = make()));
    return c;
  };

  return {
    registry,
    contentType: registry.contentType,
    request(r) {
      const method = METHODS.has(r.method) ? r.method : 'other';
      const status = String(r.status);
      child(`req\0${r.route}\0${method}\0${status}`, () => requests.labels({ route: r.route, method, status })).inc();
      child(`sec\0${r.route}`, () => requestSeconds.labels({ route: r.route })).observe(r.seconds);
    },
    upstream(u) {
      child(`up\0${u.upstream}\0${u.outcome}`, () => upstreamSeconds.labels({ upstream: u.upstream, outcome: u.outcome })).observe(u.seconds);
    },
    diagnosis(d) {
      child(`dx\0${d.verdict}\0${d.action}\0${d.actor}`, () => diagnoses.labels({ verdict: d.verdict, action: d.action, actor: d.actor })).inc();
    },
    watchBreakers(read) {
      breakers = read;
    },
    async text() {
      if (perProcess) refreshBreakers();
      await refreshQueues();
      return registry.metrics();
    },
  };
}

interface QueueFacts {
  queue: Record<(typeof QUEUE_STATES)[number], number>;
  lagSeconds: number;
  outbox: Partial<Record<string, number>>;
  webhooks: Partial<Record<string, number>>;
}

/** The sweep queue's and the outbox's state at `now`: two statements over the open rows only. */
async function readQueues(database: Database, now: Date): Promise<QueueFacts> {
  const at = now.toISOString();
  const free = sql`(lease_until is null or lease_until < ${at}::timestamptz)`;
  const waiting = sql`${free} and next_at <= ${at}::timestamptz and reason <> 'out_of_stock'`;
  const [queue, outbox, webhooks] = await Promise.all([
    database.rows<Record<string, string | number | null>>(sql`
      select count(*) filter (where ${waiting}) as due,
             count(*) filter (where not ${free}) as leased,
             count(*) filter (where ${free} and next_at > ${at}::timestamptz and reason <> 'out_of_stock') as scheduled,
             count(*) filter (where ${free} and reason = 'out_of_stock') as waiting_stock,
             extract(epoch from (${at}::timestamptz - min(next_at) filter (where ${waiting}))) as lag
        from sweep_queue where done_at is null`),
    database.rows<{ status: string; n: string | number }>(sql`
      select status, count(*) as n from mail_outbox where status <> 'sent' group by status`),
    database.rows<{ status: string; n: string | number }>(sql`
      select status, count(*) as n from webhook_outbox where status <> 'delivered' group by status`),
  ]);
  const q = queue[0] ?? {};
  return {
    queue: { due: Number(q.due ?? 0), leased: Number(q.leased ?? 0), scheduled: Number(q.scheduled ?? 0), waiting_stock: Number(q.waiting_stock ?? 0) },
    lagSeconds: q.lag === null || q.lag === undefined ? 0 : Math.max(0, Number(q.lag)),
    outbox: Object.fromEntries(outbox.map((r) => [r.status, Number(r.n)])),
    webhooks: Object.fromEntries(webhooks.map((r) => [r.status, Number(r.n)])),
  };
}

/** The value, or null when it fails or is not there within `ms` (a late answer is dropped). */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), ms); });
  try {
    return await Promise.race([work.catch(() => null), late]);
  } finally {
    clearTimeout(timer);
  }
}
