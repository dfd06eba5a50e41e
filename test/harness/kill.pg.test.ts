/**
 * The kill harness (issue 10, item 10). A real order-doctor process (kill-child.ts) does what a
 * server does, recovery at its start, buyers' checks racing each other and sweep runs, on reissues,
 * restores and out-of-stock orders, and is SIGKILLed: at named points (between the stock claim and
 * the commit, before and after our commit, with the shop committed and our record not, in the
 * middle of recovery, with the sweep's leases taken...) and at seeded random moments. Each round
 * adds a fresh batch of stuck orders, kills, and checks the invariants on the real databases; the
 * next round's process restarts on what the killed one left (its clock a minute on: past the sweep
 * leases and the recovery grace). After the last round one process runs undisturbed, and then every
 * order of every batch must have ended as it should, with every record in place:
 * - every key held by at most one order, no order above its quantity, no stock key lost;
 * - every issued key has its audit row, every delivery is audited once (and emailed once when the
 *   buyer was not watching);
 * - every diagnosis that claims an action has its effect (keys, ticket, queue row), and every effect
 *   has the diagnosis that claims it;
 * - the shops in their own databases (shops/: dujiaoka and acg-faka on the real MariaDB,
 *   dujiao-next on Postgres): what the shop shows each buyer (dujiaoka's orders.info, dujiao-next's
 *   fulfillments, acg-faka's sold cards and order secret) agrees with our journal
 *   (`shop_deliveries`) and audit rows, no key sold twice or lost, no order above its quantity, no
 *   journal entry left prepared, counters (dujiaoka's sales_volume) counted once.
 *
 * HARNESS_SEED=<n> replays the plan of a run, also of one suite run alone (`-t acg-faka`; the seed
 * is printed; the interleaving of the racing checks is the machine's). Kills per run: one per named point plus the random ones, and a second
 * try of a named point the work ran out before: 16 for the built-in store, 20 for dujiaoka, 9 each
 * for dujiao-next and acg-faka (the two-commit points only, shops/kind.ts, and two random kills).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createSecretBox, newMasterKey, type SecretBox } from '../../src/crypto/secret-box.ts';
import { loadWorld } from '../../src/world/load.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { builtinBatch, SECRET, type Batch } from './batches.ts';
import { prepareChild, runChild, type ChildEnd, type Kill } from './child.ts';
import { builtinSettled, builtinViolations, shopViolations } from './invariants.ts';
import { rng } from './random.ts';
import type { KillShop, OpenShop } from './shops/kind.ts';
import { dujiaoka } from './shops/dujiaoka.ts';
import { dujiaoNext } from './shops/dujiao-next.ts';
import { acgFaka } from './shops/acg-faka.ts';

const PG = await requires('postgres');
const MARIADB = await requires('mariadb');

/** Random kills for the built-in store, on top of one kill at each named point (each other shop says its own). */
const RANDOM_KILLS = 6;
/** A random kill lands this long (at most) after the child is up: within its recovery, checks and sweeps. */
const RANDOM_WINDOW_MS = 1500;
/** Each restart is this much later on the children's clock: past the sweep leases (20 s) and the recovery grace (30 s). */
const STEP_MS = 61_000;

let cleanUp = () => {};
beforeAll(async () => { cleanUp = await prepareChild(); });
afterAll(() => cleanUp());

const SEED = Number(process.env.HARNESS_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Each suite draws from its own sequence, so that one suite run alone (`-t dujiao-next`) replays what it did in the whole file. */
const suiteRandom = (suite: string) => rng(SEED ^ [...suite].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 0));
console.log(`kill harness: seed ${SEED} (HARNESS_SEED=${SEED} replays it)`);

/** Named points, in an order where each recovery point has a half-recorded delivery to meet. */
const BUILTIN_POINTS = [
  'check:stock-claimed', 'check:delivered', 'check:restore-delivered', 'check:before-commit', 'check:after-commit',
  'sweep:leased', 'sweep:stock-claimed', 'sweep:delivered', 'sweep:before-commit', 'sweep:after-commit',
];
/** The named kills (each at its 1st to 3rd visit) and the random ones, shuffled in among them. */
function plan(random: () => number, points: string[], randomKills: number): Exclude<Kill, null>[] {
  const named: Exclude<Kill, null>[] = points.map((p) => ({ at: `${p}@${p.startsWith('recovery:') ? 1 : 1 + Math.floor(random() * 3)}` }));
  for (let i = 0; i < randomKills; i++) {
    // never just before a recovery point: that one needs the half-recorded delivery the kill before it left
    let at = Math.floor(random() * (named.length + 1));
    const recovery = (k: Kill | undefined) => Boolean(k && 'at' in k && k.at.startsWith('recovery:'));
    while (recovery(named[at])) at++;
    named.splice(at, 0, { afterMs: Math.floor(random() * RANDOM_WINDOW_MS) });
  }
  return named;
}

const line = (round: number | string, end: ChildEnd, state: string) => `  round ${round}: ${end.how} (${end.ms} ms); ${state}`;

/** What our database holds now, for the round's line. */
async function state(database: TestDatabase['database'], shop: 'builtin' | 'separate'): Promise<string> {
  const [r] = await database.rows<Record<string, number>>(shop === 'builtin'
    ? sql`select (select count(*)::int from diagnoses) as diagnoses,
                 (select count(*)::int from audit_log where action in ('keys_issued', 'keys_restored')) as deliveries,
                 (select count(*)::int from issued_keys where source <> 'initial') as keys`
    : sql`select (select count(*)::int from diagnoses) as diagnoses,
                 (select count(*)::int from audit_log where action in ('keys_issued', 'keys_restored')) as deliveries,
                 (select count(*)::int from shop_deliveries where state = 'prepared') as prepared,
                 (select count(*)::int from shop_deliveries where state = 'committed') as committed,
                 (select count(*)::int from shop_deliveries where state = 'rolled_back') as "rolled back"`);
  return Object.entries(r!).map(([k, v]) => `${k} ${v}`).join(', ');
}

/** An order with an open ticket waits for a person (or its stock): checking it again only reuses the ticket. */
const notWaiting = (orderNo: ReturnType<typeof sql>) => sql`not exists (select 1 from tickets t where t.order_no = ${orderNo} and t.status = 'open')`;

/**
 * A named point the child finished without reaching (the racing checks and sweep took another way
 * through the work) is tried again in the next round, at its first visit, with a recovery point
 * that waited on it. Up to MAX_RETRIES times: the buyers' racing checks can take every order before
 * the sweep claims stock (seen once in CI, with one retry).
 */
const MAX_RETRIES = 4;

function retryMissed(kills: Exclude<Kill, null>[], kill: Exclude<Kill, null>, end: ChildEnd): void {
  if (!('at' in kill) || end.killed || (kill.retries ?? 0) >= MAX_RETRIES) return;
  kills.unshift({ at: kill.at.replace(/@\d+$/, '@1'), retries: (kill.retries ?? 0) + 1 });
}
/** The named points a run killed at. */
const landed = (ends: ChildEnd[]) => new Set(ends.flatMap((e) => /^killed at (\S+) /.exec(e.how)?.[1] ?? []));

describe.skipIf(!PG)('the kill harness: the built-in store', () => {
  const random = suiteRandom('builtin');
  let tdb: TestDatabase;
  let box: SecretBox;
  const secret = newMasterKey();
  let offset = 0;
  const batches: Batch[] = [];

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 5);
    box = await createSecretBox(secret);
  }, 60_000);
  afterAll(async () => {
    await tdb?.drop();
  });

  const childEnv = (open: string[]): Record<string, string> => ({
    DATABASE_URL: tdb.url!, CARD_KEY_SECRET: secret, SANDBOX: 'on', RATE_LIMITS: 'off',
    CHECKER_TIMEOUT_MS: '20000', SWEEP_INTERVAL: 'off', SWEEP_LEASE_SECONDS: '20', SWEEP_RATE_LIMIT: '1000', SWEEP_CONCURRENCY: '3',
    SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'shop@example.com', PUBLIC_URL: 'https://shop.example.com/check',
    HARNESS_OFFSET_MS: String(offset), HARNESS_SEED: String(Math.floor(random() * 2 ** 31)),
    HARNESS_ORDERS: JSON.stringify(open.map((o) => [o, SECRET])),
  });
  /** Orders that do not hold all their keys yet (but not those waiting for stock, their ticket open). */
  async function unfinished(): Promise<string[]> {
    const rows = await tdb.database.rows<{ order_no: string }>(sql`
      select o.order_no from orders o
       where (select count(*) from issued_keys k where k.order_id = o.id and k.status = 'delivered') < o.quantity
         and ${notWaiting(sql`o.order_no`)}`);
    return rows.map((r) => r.order_no);
  }

  it('keeps every key once, every order within its quantity, every record with its effect, through every kill', async () => {
    const kills = plan(random, BUILTIN_POINTS, RANDOM_KILLS);
    const ends: ChildEnd[] = [];
    const log: string[] = [];
    const context = (what: string) => `${what}, seed ${SEED}\n${log.join('\n')}`;
    for (let round = 1; kills.length; round++) {
      offset += STEP_MS;
      const { world, batch } = builtinBatch(round, new Date(Date.now() + offset));
      await loadWorld({ database: tdb.database, box }, world);
      batches.push(batch);
      const kill = kills.shift()!;
      const end = await runChild(childEnv(await unfinished()), kill);
      ends.push(end);
      retryMissed(kills, kill, end);
      log.push(line(round, end, await state(tdb.database, 'builtin')));
      expect(await builtinViolations(tdb.database), context(`after round ${round} (${end.how})`)).toEqual([]);
    }
    // the restart after the last kill, undisturbed: the sweep and the checks finish everything
    offset += STEP_MS;
    const last = await runChild(childEnv(await unfinished()), null);
    log.push(line('last', last, await state(tdb.database, 'builtin')));
    console.log(context('kill harness, built-in store'));
    expect(last.how, last.output).toBe('finished');
    expect(await builtinSettled(tdb.database, batches), context('in the end')).toEqual([]);
    expect([...landed(ends)].sort(), 'every named point was reached').toEqual([...BUILTIN_POINTS].sort());
  }, 300_000);
});

/**
 * In a round that kills at a sweep point, the buyers' checks leave every other order of the new
 * batch to the sweep: checking every order, they can deliver all of them before the sweep claims
 * any (acg-faka's sweep missed sweep:delivered five rounds running, on a quiet machine). The rest
 * of the batch is still raced for by checks and sweep alike.
 */
function leftToSweep(kill: Exclude<Kill, null>, batch: Batch): Set<string> {
  if (!('at' in kill) || !kill.at.startsWith('sweep:')) return new Set();
  return new Set(batch.orders.filter((_, i) => i % 2 === 0).map((o) => o.orderNo));
}

/** The shops in their own databases, each with its own named points and random kills (shops/*.ts). */
const SHOPS: KillShop[] = [dujiaoka, dujiaoNext, acgFaka];

for (const shop of SHOPS) {
  describe.skipIf(!PG || (shop.mariadb && !MARIADB))(`the kill harness: ${shop.kind}`, () => {
    const random = suiteRandom(shop.kind);
    let tdb: TestDatabase;
    let open: OpenShop;
    let offset = 0;
    const batches: Batch[] = [];

    beforeAll(async () => {
      tdb = await freshPostgres(POSTGRES_URL!, 5);
      // the sandbox (in this process) plays the gateways on the children's clock
      open = await shop.open(tdb.database, () => new Date(Date.now() + offset), {
        CHECKER_TIMEOUT_MS: '20000', RATE_LIMITS: 'off', SWEEP_INTERVAL: 'off', SWEEP_LEASE_SECONDS: '20', SWEEP_RATE_LIMIT: '1000',
        SWEEP_CONCURRENCY: '3', SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'shop@example.com', PUBLIC_URL: 'https://shop.example.com/check',
      });
    }, 60_000);
    afterAll(async () => {
      await open?.close();
      await tdb?.drop();
    });

    const childEnv = (orders: string[]): Record<string, string> => ({
      ...(open.env as Record<string, string>), DATABASE_URL: tdb.url!,
      HARNESS_OFFSET_MS: String(offset), HARNESS_SEED: String(Math.floor(random() * 2 ** 31)),
      HARNESS_ORDERS: JSON.stringify(orders.map((o) => [o, SECRET])),
    });
    /** Orders of the batches the shop does not show all keys of yet (but not those waiting for stock, their ticket open). */
    async function unfinished(): Promise<string[]> {
      const waiting = new Set((await tdb.database.rows<{ order_no: string }>(sql`
        select order_no from tickets where status = 'open'`)).map((r) => r.order_no));
      const ours = new Set(batches.flatMap((b) => b.orders.map((o) => o.orderNo).filter((o) => !waiting.has(o))));
      return (await open.view()).orders.filter((o) => ours.has(o.orderNo) && o.keys.length < o.quantity).map((o) => o.orderNo);
    }
    const violations = async (settled: boolean) => shopViolations(tdb.database, open.svc.box, await open.view(), batches, { settled });

    it('keeps the shop\'s keys (and counters) and our journal, audit and diagnoses in agreement, through every kill', async () => {
      const kills = plan(random, shop.points, shop.randomKills);
      const ends: ChildEnd[] = [];
      const log: string[] = [];
      const context = (what: string) => `${what}, seed ${SEED}\n${log.join('\n')}`;
      for (let round = 1; kills.length; round++) {
        offset += STEP_MS;
        const batch = await open.addBatch(round, new Date(Date.now() + offset));
        batches.push(batch);
        const kill = kills.shift()!;
        const end = await runChild(childEnv((await unfinished()).filter((o) => !leftToSweep(kill, batch).has(o))), kill);
        ends.push(end);
        retryMissed(kills, kill, end);
        log.push(line(round, end, await state(tdb.database, 'separate')));
        // killed between the two commits: the journal holds the delivery the shop may or may not have
        if (/^killed at (check|sweep):(journal-prepared|delivered) /.test(end.how)) {
          const [p] = await tdb.database.rows<{ n: number }>(sql`select count(*)::int as n from shop_deliveries where state = 'prepared'`);
          expect(p!.n, context(`round ${round}: ${end.how} left no prepared journal entry`)).toBeGreaterThan(0);
        }
        expect(await violations(false), context(`after round ${round} (${end.how})`)).toEqual([]);
      }
      offset += STEP_MS;
      const last = await runChild(childEnv(await unfinished()), null);
      log.push(line('last', last, await state(tdb.database, 'separate')));
      console.log(context(`kill harness, ${shop.kind}`));
      expect(last.how, last.output).toBe('finished');
      expect(await violations(true), context('in the end')).toEqual([]);
      expect([...landed(ends)].sort(), 'every named point was reached').toEqual([...shop.points].sort());
    }, 300_000);
  });
}
