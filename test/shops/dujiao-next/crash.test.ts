/**
 * A delivery into dujiao-next spans two databases: the shop's Postgres commit, then order-doctor's
 * own. A real process (the shop-independent test/shops/dujiaoka/crash-child.ts, configured for
 * dujiao-next) is killed by SIGKILL at each point in between, and recovery (engine/recover.ts,
 * asking this adapter's `landed`) must leave nothing lost, nothing twice:
 * - A, the journal entry committed and the shop's transaction not: the shop rolls back, recovery
 *   marks the entry rolled back, and the next check delivers once;
 * - B, the shop committed and our record not: recovery writes the record (audit, diagnosis, email)
 *   once, and a later check finds the order delivered;
 * - a recovery meeting a delivery in flight waits for the shop's row lock, whichever way it ends.
 * The order is a split one (two children), so a partial landing would show.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import type { Env } from '../../../src/config.ts';
import { auditLog, diagnoses, mailOutbox, shopDeliveries } from '../../../src/db/schema.ts';
import { diagnose } from '../../../src/engine/diagnose.ts';
import { recoverDeliveries } from '../../../src/engine/recover.ts';
import { runSweep } from '../../../src/jobs/sweep.ts';
import type { Services } from '../../../src/services.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../../support/db.ts';
import { movableClock } from '../../jobs/support.ts';
import { emptyShop, harness, insertOrder, insertSecrets, PG, rows, type Harness } from './support.ts';

const RUN_TS = fileURLToPath(new URL('../../../bin/run-ts.js', import.meta.url));
const CHILD = fileURLToPath(new URL('../dujiaoka/crash-child.ts', import.meta.url));

const START = new Date('2026-11-22T10:00:00+08:00');
const clock = movableClock(START);
const ago = (min: number) => new Date(START.getTime() - min * 60_000);
const ORDER = 'DNCRASH000001';
const GW = 'DNPCRASH000001';
const SECRET = '8462';
const TRADE = '2026112222001400000042';

type Kill = 'prepared' | 'shop_committed' | 'hold';

describe.skipIf(!PG)('dujiao-next: a crash between the shop\'s commit and ours', () => {
  let tdb: TestDatabase;
  let h: Harness;
  let svc: Services | undefined;
  let env: Env;

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 10);
    h = await harness(tdb.database, clock.now);
    env = h.env({ CHECKER_TIMEOUT_MS: '15000', SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'shop@example.com', PUBLIC_URL: 'https://shop.example.com/check' });
  }, 60_000);
  afterAll(async () => {
    await svc?.close();
    await h?.close();
    await tdb?.drop();
  });

  /** A paid split order whose fulfilment failed (or a lost callback: pending), keys for it; our database empty. */
  async function stuckOrder(status: 'paid' | 'pending_payment'): Promise<Services> {
    clock.set(START);
    await svc?.close();
    await emptyShop(h);
    await insertSecrets(h.shop, 7, ['CRASH-KEY-7']);
    await insertSecrets(h.shop, 9, ['CRASH-KEY-9']);
    await insertOrder(h.shop, {
      orderNo: ORDER, status, guestPassword: SECRET, createdAt: ago(30), paidAt: status === 'paid' ? ago(29) : null,
      parts: [{ productId: 7, priceCents: 10000 }, { productId: 9, priceCents: 5000 }],
      payments: [{ channel: 'alipay', status: status === 'paid' ? 'success' : 'pending', gatewayOrderNo: GW, providerRef: status === 'paid' ? TRADE : '' }],
    });
    h.book.set(GW, 'alipay', 15000, { state: 'paid', amountCents: 15000, paidAt: ago(29).toISOString(), tradeNo: TRADE });
    svc = await h.services(env); // empties order-doctor's database
    return svc;
  }

  function child(at: Kill, opts: { actor?: 'sweep' | 'customer' } = {}) {
    const proc = spawn(process.execPath, [RUN_TS, CHILD], {
      env: {
        PATH: process.env.PATH, ...env, DATABASE_URL: tdb.url, CRASH_AT: at, CRASH_NOW: clock.now().toISOString(),
        CRASH_ORDER: ORDER, CRASH_ACTOR: opts.actor ?? 'sweep', CRASH_SECRET: SECRET,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => { out += String(d); });
    proc.stderr.on('data', (d) => { out += String(d); });
    const exited = new Promise<NodeJS.Signals | number | null>((r) => proc.on('exit', (code, signal) => r(signal ?? code)));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 300 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      if (!re.test(out)) throw new Error(`child never printed ${re}: ${out}`);
    };
    return { proc, exited, output: () => out, waitFor };
  }

  async function killedAt(at: 'prepared' | 'shop_committed', opts: { actor?: 'sweep' | 'customer' } = {}): Promise<void> {
    const c = child(at, opts);
    c.proc.stdin.end();
    expect(await c.exited, c.output()).toBe('SIGKILL');
  }

  const shopRows = async () => ({
    orders: await rows(h.shop, 'select order_no, status from orders order by id'),
    fulfillments: await rows(h.shop, 'select o.order_no, f.payload from fulfillments f join orders o on o.id = f.order_id order by o.id'),
    used: (await rows<{ secret: string }>(h.shop, "select secret from card_secrets where status = 'used' order by id")).map((r) => r.secret),
    payment: await rows(h.shop, 'select status, provider_ref from payments'),
  });
  const untouched = (status: 'paid' | 'pending_payment') => ({
    orders: [{ order_no: ORDER, status }, { order_no: `${ORDER}-01`, status }, { order_no: `${ORDER}-02`, status }],
    fulfillments: [], used: [],
    payment: [{ status: status === 'paid' ? 'success' : 'pending', provider_ref: status === 'paid' ? TRADE : '' }],
  });
  const deliveredOnce = {
    orders: [{ order_no: ORDER, status: 'completed' }, { order_no: `${ORDER}-01`, status: 'completed' }, { order_no: `${ORDER}-02`, status: 'completed' }],
    fulfillments: [{ order_no: `${ORDER}-01`, payload: 'CRASH-KEY-7' }, { order_no: `${ORDER}-02`, payload: 'CRASH-KEY-9' }],
    used: ['CRASH-KEY-7', 'CRASH-KEY-9'],
    payment: [{ status: 'success', provider_ref: TRADE }],
  };
  const journal = () => svc!.database.db.select().from(shopDeliveries).orderBy(asc(shopDeliveries.preparedAt), asc(shopDeliveries.id));
  const audits = (action: string) => svc!.database.db.select().from(auditLog).where(eq(auditLog.action, action)).orderBy(asc(auditLog.id));
  const diagnosisRows = () => svc!.database.db.select().from(diagnoses).where(eq(diagnoses.orderNo, ORDER));
  const mail = () => svc!.database.db.select().from(mailOutbox);
  const recover = (s: Services) => recoverDeliveries(s, { graceMs: 0, log: () => {} });

  it.each([['paid', 'sweep'], ['pending_payment', 'customer']] as const)(
    'kill point A (%s, %s): the shop rolled back, recovery records it rolled back, the next check delivers once',
    async (status, actor) => {
      const s = await stuckOrder(status);
      await killedAt('prepared', { actor });
      expect(await shopRows()).toEqual(untouched(status));
      const [entry, ...more] = await journal();
      expect(more).toEqual([]);
      expect(entry).toMatchObject({ orderNo: ORDER, state: 'prepared' });
      expect(await audits('keys_issued')).toEqual([]);

      clock.advance(60_000);
      expect(await recover(s)).toEqual({ recovered: 0, rolledBack: 1, failed: 0 });
      expect(await audits('delivery_rolled_back')).toMatchObject([{ orderNo: ORDER, detail: { journal: entry!.id, shop: 'dujiao-next' } }]);
      expect(await recover(s)).toEqual({ recovered: 0, rolledBack: 0, failed: 0 });
      expect(await shopRows()).toEqual(untouched(status));

      const out = await diagnose(s, { orderNo: ORDER, actor: { kind: 'sweep', id: 'test' }, apply: true });
      expect({ verdict: out.verdict, action: out.action, keysIssued: out.keysIssued }).toEqual({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued', keysIssued: 2 });
      expect(await shopRows()).toEqual(deliveredOnce);
      expect((await journal()).map((e) => e.state)).toEqual(['rolled_back', 'committed']);
      expect(await audits('keys_issued')).toHaveLength(1);
      expect(await mail()).toHaveLength(1);
    },
  );

  it.each([['paid', false], ['pending_payment', true]] as const)(
    'kill point B (%s; by a sweep run: %s): the shop committed, recovery records it once, then DELIVERED',
    async (status, bySweep) => {
      const s = await stuckOrder(status);
      await killedAt('shop_committed');
      expect(await shopRows()).toEqual(deliveredOnce);
      const [entry] = await journal();
      expect(entry).toMatchObject({ orderNo: ORDER, state: 'prepared', detail: { count: 2 } });
      expect(await audits('keys_issued')).toEqual([]);
      expect(await diagnosisRows()).toEqual([]);

      clock.advance(60_000);
      if (bySweep) {
        clock.advance(5 * 60_000);
        await runSweep(s, { sweeperId: 'after-crash', log: () => {} });
      } else {
        expect(await recover(s)).toEqual({ recovered: 1, rolledBack: 0, failed: 0 });
      }
      expect(await journal()).toMatchObject([{ id: entry!.id, state: 'committed' }]);
      const issued = await audits('keys_issued');
      expect(issued).toMatchObject([{ orderNo: ORDER, diagnosisId: entry!.diagnosisId, detail: { recovered: true, shop: 'dujiao-next', count: 2 } }]);
      expect(JSON.stringify(issued)).not.toContain('CRASH-KEY');
      expect(await mail()).toMatchObject([{ deliveryKey: entry!.id, orderNo: ORDER, toAddress: 'buyer@example.com' }]);
      expect(await recover(s)).toEqual({ recovered: 0, rolledBack: 0, failed: 0 });

      const out = await diagnose(s, { orderNo: ORDER, actor: { kind: 'sweep', id: 'test' }, apply: true });
      expect({ verdict: out.verdict, action: out.action, keysHeld: out.keysHeld }).toEqual({ verdict: 'DELIVERED', action: 'none', keysHeld: 2 });
      expect(await audits('keys_issued')).toHaveLength(1);
      expect(await shopRows()).toEqual(deliveredOnce);
    },
  );

  it('recovery meeting a delivery in flight waits for the shop\'s lock; the delivering process dies: rolled back', async () => {
    const s = await stuckOrder('paid');
    const c = child('hold');
    await c.waitFor(/^prepared /m);
    clock.advance(60_000);
    let settled = false;
    const recovery = recover(s).finally(() => { settled = true; });
    await new Promise((r) => setTimeout(r, 700));
    expect(settled).toBe(false);
    c.proc.kill('SIGKILL');
    expect(await c.exited).toBe('SIGKILL');
    expect(await recovery).toEqual({ recovered: 0, rolledBack: 1, failed: 0 });
    expect(await shopRows()).toEqual(untouched('paid'));
    expect(await audits('keys_issued')).toEqual([]);
  });

  it('recovery meeting a delivery in flight waits; the delivery commits: recorded once', async () => {
    const s = await stuckOrder('paid');
    const c = child('hold');
    await c.waitFor(/^prepared /m);
    clock.advance(60_000);
    const recovery = recover(s);
    await new Promise((r) => setTimeout(r, 700));
    c.proc.stdin.end('go\n');
    expect(await c.exited, c.output()).toBe(0);
    expect(c.output()).toContain('done PAID_NOT_DELIVERED reissued');
    expect((await recovery).rolledBack).toBe(0);
    expect((await journal()).map((e) => e.state)).toEqual(['committed']);
    expect(await audits('keys_issued')).toHaveLength(1);
    expect(await shopRows()).toEqual(deliveredOnce);
  });
});
