/**
 * A delivery into acg-faka spans two databases: the shop's MySQL commit, then order-doctor's own.
 * A real process is killed by SIGKILL at each point in between (the dujiaoka suite's crash child,
 * which is shop-agnostic: configured by the environment, here SHOP=acg-faka), and recovery
 * (engine/recover.ts) must leave nothing lost, nothing twice:
 * - A, the journal entry committed and the shop's transaction not: the shop rolls back (no card
 *   sold, the order as it was), recovery marks the entry rolled back, the next check delivers once;
 * - B, the shop committed and our record not: `landed` finds the journal's cards sold to the order,
 *   recovery writes the record (audit, diagnosis, email) once, and a later check finds it delivered.
 * Each kill runs for both stuck shapes (unpaid with a lost notification; the shortage). Needs the
 * real MariaDB and a real Postgres (DATABASE_URL): the child shares order-doctor's database.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import type { Env } from '../../../src/config.ts';
import { auditLog, diagnoses, mailOutbox, shopDeliveries } from '../../../src/db/schema.ts';
import { diagnose } from '../../../src/engine/diagnose.ts';
import { recoverDeliveries } from '../../../src/engine/recover.ts';
import type { Services } from '../../../src/services.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../../support/db.ts';
import { requires } from '../../support/requires.ts';
import { movableClock } from '../../jobs/support.ts';
import {
  cards, harness, insertCards, insertCommodity, insertOrder, insertPays, local, MARIADB, orderRow, PAY, resetShop, shopEnv, type Harness,
} from './support.ts';

const PG = await requires('postgres');

const RUN_TS = fileURLToPath(new URL('../../../bin/run-ts.js', import.meta.url));
const CHILD = fileURLToPath(new URL('../dujiaoka/crash-child.ts', import.meta.url));

const START = new Date('2026-11-22T10:00:00+08:00');
const clock = movableClock(START);
const ago = (min: number) => new Date(START.getTime() - min * 60_000);
const ORDER = '777261122093000042';
const SECRET = 'pw-8462';
const APOLOGY = '很抱歉，有人在你付款之前抢走了商品，请联系客服。';
const KEYS = ['CRASH-KEY-1', 'CRASH-KEY-2'];
type Shape = 'unpaid' | 'shortage';
const SHAPES: Shape[] = ['unpaid', 'shortage'];

describe.skipIf(!MARIADB || !PG)('acg-faka: a crash between the shop\'s commit and ours', () => {
  let tdb: TestDatabase;
  let h: Harness;
  let svc: Services | undefined;
  let env: Env;
  let orderId = 0;

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 10);
    h = await harness(tdb.database, clock.now);
    // one configuration for this process and the child: the same shop, gateways and card-key secret
    env = {
      ...shopEnv(h.shop, h.sandbox.baseUrl), CHECKER_TIMEOUT_MS: '15000',
      SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'shop@example.com', PUBLIC_URL: 'https://shop.example.com/check',
    };
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await tdb?.drop();
  });

  async function stuckOrder(shape: Shape): Promise<Services> {
    clock.set(START);
    await svc?.close();
    await resetShop(h.shop);
    await insertPays(h.shop);
    h.book.clear();
    await insertCommodity(h.shop, { id: 7, name: 'Steam 钱包充值卡 100元', priceCents: 10000 });
    await insertCards(h.shop, 7, KEYS);
    orderId = await insertOrder(h.shop, {
      tradeNo: ORDER, commodityId: 7, priceCents: 10000, payId: PAY.epayAlipay, password: SECRET, contact: 'buyer@example.com', createdAt: ago(30),
      ...(shape === 'shortage' ? { status: 1, deliveryStatus: 1, secret: APOLOGY, paidAt: ago(28) } : { status: 0 }),
    });
    h.book.set(ORDER, 'epay', 10000, { state: 'paid', amountCents: 10000, paidAt: ago(29).toISOString(), tradeNo: '2026112209300000042' });
    svc = await h.services(env); // empties order-doctor's database
    return svc;
  }

  /** The child at `at`: its output, its exit, and a wait for a line it prints. */
  function child(at: 'prepared' | 'shop_committed' | 'hold') {
    const proc = spawn(process.execPath, [RUN_TS, CHILD], {
      env: { PATH: process.env.PATH, ...env, DATABASE_URL: tdb.url, CRASH_AT: at, CRASH_NOW: clock.now().toISOString(), CRASH_ORDER: ORDER, CRASH_ACTOR: 'sweep' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => { out += String(d); });
    proc.stderr.on('data', (d) => { out += String(d); });
    const exited = new Promise<NodeJS.Signals | number | null>((r) => proc.on('exit', (code, signal) => r(signal ?? code)));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 600 && !re.test(out); i++) {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`child exited before ${re}: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      if (!re.test(out)) throw new Error(`no ${re} in 30 s: ${out}`);
    };
    return { proc, exited, output: () => out, waitFor };
  }

  async function killedAt(at: 'prepared' | 'shop_committed'): Promise<void> {
    const c = child(at);
    c.proc.stdin.end();
    expect(await c.exited, c.output()).toBe('SIGKILL');
  }

  const shopRows = async () => {
    const o = await orderRow(h.shop, ORDER);
    const c = await cards(h.shop);
    return { status: o.status, deliveryStatus: o.delivery_status, secret: o.secret, payTime: o.pay_time, sold: Object.keys(c).filter((k) => c[k]!.status === 1 && c[k]!.order_id === orderId) };
  };
  const untouched = (shape: Shape) => shape === 'shortage'
    ? { status: 1, deliveryStatus: 1, secret: APOLOGY, payTime: local(ago(28)), sold: [] }
    : { status: 0, deliveryStatus: 0, secret: null, payTime: null, sold: [] };
  const deliveredOnce = (shape: Shape) => ({ status: 1, deliveryStatus: 1, secret: KEYS[0], payTime: local(shape === 'shortage' ? ago(28) : ago(29)), sold: [KEYS[0]] });
  const journal = () => svc!.database.db.select().from(shopDeliveries).orderBy(asc(shopDeliveries.preparedAt), asc(shopDeliveries.id));
  const audits = (action: string) => svc!.database.db.select().from(auditLog).where(eq(auditLog.action, action)).orderBy(asc(auditLog.id));
  const mail = () => svc!.database.db.select().from(mailOutbox);
  const recover = (s: Services) => recoverDeliveries(s, { graceMs: 0, log: () => {} });

  it.each(SHAPES)('kill point A (%s): the journal entry committed, the shop\'s transaction not: rolled back, recorded as such, then delivered once', async (shape) => {
    const s = await stuckOrder(shape);
    await killedAt('prepared');
    expect(await shopRows()).toEqual(untouched(shape));
    const [entry, ...more] = await journal();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ orderNo: ORDER, state: 'prepared' });

    clock.advance(60_000);
    expect(await recover(s)).toEqual({ recovered: 0, rolledBack: 1, failed: 0 });
    expect(await audits('delivery_rolled_back')).toMatchObject([{ orderNo: ORDER, detail: { journal: entry!.id, shop: 'acg-faka' } }]);
    expect(await audits('keys_issued')).toEqual([]);
    expect(await shopRows()).toEqual(untouched(shape));
    expect(await recover(s)).toEqual({ recovered: 0, rolledBack: 0, failed: 0 });

    const out = await diagnose(s, { orderNo: ORDER, actor: { kind: 'sweep', id: 'test' }, apply: true });
    expect({ verdict: out.verdict, action: out.action, keysIssued: out.keysIssued }).toEqual({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued', keysIssued: 1 });
    expect(await shopRows()).toEqual(deliveredOnce(shape));
    expect((await journal()).map((e) => e.state)).toEqual(['rolled_back', 'committed']);
    expect(await audits('keys_issued')).toHaveLength(1);
    expect(await mail()).toHaveLength(1);
    expect(await recover(s)).toEqual({ recovered: 0, rolledBack: 0, failed: 0 });
  });

  it.each(SHAPES)('kill point B (%s): the shop committed, our record not: recovery records it once (audit, diagnosis, email), then DELIVERED', async (shape) => {
    const s = await stuckOrder(shape);
    await killedAt('shop_committed');
    expect(await shopRows()).toEqual(deliveredOnce(shape));
    const [entry, ...more] = await journal();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ orderNo: ORDER, state: 'prepared', detail: { count: 1, cardIds: [1], orderRef: orderId } });
    expect(await audits('keys_issued')).toEqual([]);

    clock.advance(60_000);
    expect(await recover(s)).toEqual({ recovered: 1, rolledBack: 0, failed: 0 });
    expect(await journal()).toMatchObject([{ id: entry!.id, state: 'committed' }]);
    const issued = await audits('keys_issued');
    expect(issued).toMatchObject([{ orderNo: ORDER, diagnosisId: entry!.diagnosisId, detail: { recovered: true, shop: 'acg-faka', count: 1 } }]);
    expect(JSON.stringify(issued)).not.toContain('CRASH-KEY');
    const recorded = (await s.database.db.select().from(diagnoses).where(eq(diagnoses.orderNo, ORDER))).filter((d) => d.id === entry!.diagnosisId);
    expect(recorded).toMatchObject([{ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' }]);
    expect(await mail()).toMatchObject([{ deliveryKey: entry!.id, orderNo: ORDER, toAddress: 'buyer@example.com' }]);
    expect(await recover(s)).toEqual({ recovered: 0, rolledBack: 0, failed: 0 });

    const out = await diagnose(s, { orderNo: ORDER, actor: { kind: 'sweep', id: 'test' }, apply: true });
    expect({ verdict: out.verdict, action: out.action, keysHeld: out.keysHeld }).toEqual({ verdict: 'DELIVERED', action: 'none', keysHeld: 1 });
    expect(await audits('keys_issued')).toHaveLength(1);
    expect(await journal()).toHaveLength(1);
    expect(await shopRows()).toEqual(deliveredOnce(shape));
  });

  describe('recovery meeting a delivery still in flight (the shop\'s transaction open, its entry prepared)', () => {
    /** Starts recovery against the held delivery and shows it waits on the shop's order row lock (landed). */
    async function recoveryWaits(s: Services) {
      clock.advance(60_000);
      let settled = false;
      const recovery = recover(s).finally(() => { settled = true; });
      await new Promise((r) => setTimeout(r, 700));
      expect(settled).toBe(false);
      expect((await journal()).map((e) => e.state)).toEqual(['prepared']);
      return { recovery };
    }

    it('waits for the shop\'s commit, then the delivery is recorded once', async () => {
      const s = await stuckOrder('shortage');
      const c = child('hold');
      await c.waitFor(/^prepared /m);
      const { recovery } = await recoveryWaits(s);
      c.proc.stdin.end('go\n');
      expect(await c.exited, c.output()).toBe(0);
      expect(c.output()).toContain('done PAID_NOT_DELIVERED reissued');
      const summary = await recovery;
      expect({ rolledBack: summary.rolledBack, failed: summary.failed }).toEqual({ rolledBack: 0, failed: 0 });
      expect((await journal()).map((e) => e.state)).toEqual(['committed']);
      expect(await audits('keys_issued')).toHaveLength(1);
      expect(await audits('delivery_rolled_back')).toEqual([]);
      expect(await mail()).toHaveLength(1);
      expect(await shopRows()).toEqual(deliveredOnce('shortage'));
    });

    it('waits, and when the delivering process dies instead, finds it rolled back', async () => {
      const s = await stuckOrder('unpaid');
      const c = child('hold');
      await c.waitFor(/^prepared /m);
      const { recovery } = await recoveryWaits(s);
      c.proc.kill('SIGKILL');
      expect(await c.exited).toBe('SIGKILL');
      expect(await recovery).toEqual({ recovered: 0, rolledBack: 1, failed: 0 });
      expect(await shopRows()).toEqual(untouched('unpaid'));
      expect(await audits('keys_issued')).toEqual([]);
      expect(await audits('delivery_rolled_back')).toHaveLength(1);
    });
  });
});
