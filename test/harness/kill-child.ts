/**
 * The process kill.pg.test.ts kills. Configured by the environment like order-doctor itself (the
 * built-in store, or SHOP=dujiaoka | dujiao-next | acg-faka), it does what a server does after a start: recovery of half-
 * recorded shop deliveries first (engine/recover.ts, as `serve` does), then buyers' checks of the
 * orders it is given (reissues, restores; every order twice, shuffled, three at a time, so that two
 * checks of one order often race)
 * side by side with sweep runs, until nothing is left; then it prints `done` and exits 0.
 *
 * It may be killed (SIGKILL, no cleanup) by the test at a random moment, or by itself at a named
 * point: HARNESS_KILL=`<phase>:<point>@<n>` dies the n-th time that point is reached, after writing
 * `killed <phase>:<point> <n>` (pipes are synchronous on Linux: the line arrives). Phases: `recovery`
 * (the start's recovery), `check` (a buyer's check), `sweep` (a sweep run, its own recovery included).
 * Points, all seams around the services (no production code knows of them):
 *   stock-claimed   the stock claim just returned, its transaction open: built-in, the claim
 *                   statement inside the diagnosis' transaction; a shop in its own database, its
 *                   keys claimed and marked sold in the shop's open transaction, before the journal
 *                   entry (every such shop journals last before its commit)
 *   journal-prepared  a shop in its own database: the journal entry committed, the shop's transaction not
 *   delivered       the shop port's deliver returned `issued` (restore-delivered for a restore):
 *                   built-in, our transaction still open; a shop in its own database, the shop
 *                   committed, ours not begun
 *   before-commit   any transaction of ours (diagnosis, recovery): its work done, COMMIT not sent
 *   after-commit    that transaction committed, its caller not told (the sweep has not released its claim)
 *   leased          the sweep's claim of a batch (leases taken), nothing diagnosed
 *   landed          recovery (a shop in its own database): the shop answered whether an entry landed, nothing recorded
 *
 * Env: HARNESS_OFFSET_MS (the clock runs that far ahead of the real one: a restart is "later", past
 * the leases and the recovery grace), HARNESS_ORDERS (JSON [[orderNo, secret], ...] to check),
 * HARNESS_SEED (the order of the checks), HARNESS_KILL (optional).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { loadConfig } from '../../src/config.ts';
import { createServices } from '../../src/services.ts';
import { customerCheck } from '../../src/engine/customer-check.ts';
import { recoverDeliveries } from '../../src/engine/recover.ts';
import { runSweep } from '../../src/jobs/sweep.ts';
import type { Db, Tx } from '../../src/db/client.ts';
import type { DeliveryJournal, ShopPort } from '../../src/shops/port.ts';
import { rng, shuffle } from './random.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

type Phase = 'recovery' | 'check' | 'sweep';

const offset = Number(process.env.HARNESS_OFFSET_MS ?? 0);
const orders = JSON.parse(process.env.HARNESS_ORDERS ?? '[]') as [string, string][];
const random = rng(Number(process.env.HARNESS_SEED ?? 1));
const kill = parseKill(process.env.HARNESS_KILL);

function parseKill(spec: string | undefined): { point: string; nth: number } | null {
  if (!spec) return null;
  const m = /^(\w+:[\w-]+)@(\d+)$/.exec(spec);
  if (!m) throw new Error(`HARNESS_KILL: expected <phase>:<point>@<n>, got ${spec}`);
  return { point: m[1]!, nth: Number(m[2]) };
}

const phase = new AsyncLocalStorage<Phase>();
const reached = new Map<string, number>();

/** A kill point: counts the visit, and dies by SIGKILL if this is the one HARNESS_KILL names. */
async function point(name: string): Promise<void> {
  const full = `${phase.getStore() ?? 'other'}:${name}`;
  const n = (reached.get(full) ?? 0) + 1;
  reached.set(full, n);
  if (kill && kill.point === full && kill.nth === n) {
    process.stdout.write(`killed ${full} ${n}\n`);
    process.kill(process.pid, 'SIGKILL');
    await new Promise<never>(() => {});
  }
}

const svc = await createServices(loadConfig(process.env), { now: () => new Date(Date.now() + offset), migrated: true });

// --- seams -------------------------------------------------------------------------------------

/** Every transaction of ours (the diagnosis' record, recovery's): a point before COMMIT and after it. */
const db: Db = svc.database.db;
const seamDb = Object.create(db) as Db;
seamDb.transaction = (async (fn: (tx: Tx) => Promise<unknown>, config?: unknown) => {
  const out = await db.transaction(async (tx) => {
    const r = await fn(tx);
    await point('before-commit');
    return r;
  }, config as never);
  await point('after-commit');
  return out;
}) as Db['transaction'];
svc.database.db = seamDb;

/** The sweep's claim (its leases taken): claims go through `rows`, recognised by their statement. */
const rows = svc.database.rows.bind(svc.database);
const dialect = (db as unknown as { dialect: { sqlToQuery(q: unknown): { sql: string } } }).dialect;
svc.database.rows = (async (query, on) => {
  const out = await rows(query, on);
  if (/set lease_until = .*leased_by/s.test(dialect.sqlToQuery(query).sql) && out.length > 0) await point('leased');
  return out;
}) as typeof svc.database.rows;

/** The built-in store's transaction as its delivery sees it: the one raw statement it runs is the stock claim. */
function claimSeam(tx: Tx): Tx {
  const seen = Object.create(tx) as Tx;
  seen.execute = (async (query: Parameters<Tx['execute']>[0]) => {
    const out = await tx.execute(query);
    await point('stock-claimed');
    return out;
  }) as Tx['execute'];
  return seen;
}

/** A shop in its own database: the journal entry is written inside the shop's transaction, after the claim and its writes. */
function journalSeam(journal: DeliveryJournal): DeliveryJournal {
  return {
    async prepare(entry) {
      await point('stock-claimed');
      await journal.prepare(entry);
      await point('journal-prepared');
    },
  };
}

const shop: ShopPort = svc.shop;
svc.shop = {
  ...shop,
  async deliver(req, dc) {
    const out = shop.separate
      ? await shop.deliver(req, { ...dc, journal: journalSeam(dc.journal) })
      : await shop.deliver(req, { ...dc, tx: dc.tx ? claimSeam(dc.tx) : undefined });
    if (out.kind === 'issued') await point(req.mode === 'restore' ? 'restore-delivered' : 'delivered');
    return out;
  },
  async landed(entry) {
    const out = await shop.landed(entry);
    await point('landed');
    return out;
  },
};

// --- the work ----------------------------------------------------------------------------------

const log = (line: string) => process.stderr.write(`${line}\n`);
process.stdout.write('ready\n');

if (shop.separate) await phase.run('recovery', () => recoverDeliveries(svc, { log }));

/** Every order twice, shuffled, three at a time: racing checks of one order meet at its row lock. */
async function checks(): Promise<Record<string, number>> {
  const todo = shuffle(random, [...orders, ...orders]);
  const outcomes: Record<string, number> = {};
  const worker = async () => {
    for (let next = todo.pop(); next; next = todo.pop()) {
      const [orderNo, secret] = next;
      const out = await customerCheck(svc, { orderNo, secret, ip: `10.0.0.${1 + Math.floor(random() * 200)}`, logContext: NO_LOG_CONTEXT });
      const key = out.ok ? `${out.result.verdict}/${out.result.action}` : out.error;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return outcomes;
}

/** Sweep runs until one finds nothing to do (at most five). */
async function sweeps(): Promise<number> {
  let picked = 0;
  for (let i = 0; i < 5; i++) {
    const run = await runSweep(svc, { sweeperId: `harness-${process.pid}`, log });
    picked += run.picked;
    if (run.picked === 0) break;
  }
  return picked;
}

const [outcomes, picked] = await Promise.all([phase.run('check', checks), phase.run('sweep', sweeps)]);
process.stdout.write(`done ${JSON.stringify({ outcomes, picked, reached: Object.fromEntries(reached) })}\n`);
await svc.close();
process.exit(0);
