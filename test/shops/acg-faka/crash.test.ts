/**
 * A delivery into acg-faka spans two databases: the shop's MySQL commit, then order-doctor's own.
 * A real process is killed by SIGKILL at each point in between (every shop's crash child,
 * ../support/crash-child.ts: configured by the environment, here SHOP=acg-faka), and recovery
 * (engine/recover.ts) must leave nothing lost, nothing twice:
 * - A, the journal entry committed and the shop's transaction not: the shop rolls back (no card
 *   sold, the order as it was), recovery marks the entry rolled back, the next check delivers once;
 * - B, the shop committed and our record not: `landed` finds the journal's cards sold to the order,
 *   recovery writes the record (audit, diagnosis, email) once, and a later check finds it delivered.
 * Each kill runs for both stuck shapes (unpaid with a lost notification; the shortage). Needs the
 * real MariaDB and a real Postgres (DATABASE_URL): the child shares order-doctor's database.
 */
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/engine/diagnose.ts';
import type { Services } from '../../../src/services.ts';
import { requires } from '../../support/requires.ts';
import { movableClock } from '../../jobs/support.ts';
import { crashChild, crashSuite, killedAt as childKilledAt, ourRows, recoverNow as recover, recoveryWaits as waits, type Kill } from '../support/crash.ts';
import { cards, emptyShop, harness, insertCards, insertCommodity, insertOrder, local, MARIADB, orderRow, PAY } from './support.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';

const PG = await requires('postgres');

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
  const suite = crashSuite((database) => harness(database, clock.now));
  let svc: Services | undefined;
  let orderId = 0;

  async function stuckOrder(shape: Shape): Promise<Services> {
    const { h } = suite;
    clock.set(START);
    await svc?.close();
    await emptyShop(h);
    await insertCommodity(h.shop, { id: 7, name: 'Steam 钱包充值卡 100元', priceCents: 10000 });
    await insertCards(h.shop, 7, KEYS);
    orderId = await insertOrder(h.shop, {
      tradeNo: ORDER, commodityId: 7, priceCents: 10000, payId: PAY.epayAlipay, password: SECRET, contact: 'buyer@example.com', createdAt: ago(30),
      ...(shape === 'shortage' ? { status: 1, deliveryStatus: 1, secret: APOLOGY, paidAt: ago(28) } : { status: 0 }),
    });
    h.book.set(ORDER, 'epay', 10000, { state: 'paid', amountCents: 10000, paidAt: ago(29).toISOString(), tradeNo: '2026112209300000042' });
    svc = await h.services(suite.env); // empties order-doctor's database
    return svc;
  }

  /** As the sweep would; acg-faka's buyers open an order with its password, which no crash here needs. */
  const run = () => suite.run(ORDER, clock.now());
  const child = (at: Kill) => crashChild(at, run());
  const killedAt = (at: 'prepared' | 'shop_committed') => childKilledAt(at, run());

  const shopRows = async () => {
    const o = await orderRow(suite.h.shop, ORDER);
    const c = await cards(suite.h.shop);
    return { status: o.status, deliveryStatus: o.delivery_status, secret: o.secret, payTime: o.pay_time, sold: Object.keys(c).filter((k) => c[k]!.status === 1 && c[k]!.order_id === orderId) };
  };
  const untouched = (shape: Shape) => shape === 'shortage'
    ? { status: 1, deliveryStatus: 1, secret: APOLOGY, payTime: local(ago(28)), sold: [] }
    : { status: 0, deliveryStatus: 0, secret: null, payTime: null, sold: [] };
  const deliveredOnce = (shape: Shape) => ({ status: 1, deliveryStatus: 1, secret: KEYS[0], payTime: local(shape === 'shortage' ? ago(28) : ago(29)), sold: [KEYS[0]] });
  const { journal, audits, diagnosisRows, mail } = ourRows(() => svc!, ORDER);

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

    const out = await diagnose(s, { orderNo: ORDER, actor: { kind: 'sweep', id: 'test' }, apply: true, logContext: NO_LOG_CONTEXT });
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
    const recorded = (await diagnosisRows()).filter((d) => d.id === entry!.diagnosisId);
    expect(recorded).toMatchObject([{ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' }]);
    expect(await mail()).toMatchObject([{ deliveryKey: entry!.id, orderNo: ORDER, toAddress: 'buyer@example.com' }]);
    expect(await recover(s)).toEqual({ recovered: 0, rolledBack: 0, failed: 0 });

    const out = await diagnose(s, { orderNo: ORDER, actor: { kind: 'sweep', id: 'test' }, apply: true, logContext: NO_LOG_CONTEXT });
    expect({ verdict: out.verdict, action: out.action, keysHeld: out.keysHeld }).toEqual({ verdict: 'DELIVERED', action: 'none', keysHeld: 1 });
    expect(await audits('keys_issued')).toHaveLength(1);
    expect(await journal()).toHaveLength(1);
    expect(await shopRows()).toEqual(deliveredOnce(shape));
  });

  describe('recovery meeting a delivery still in flight (the shop\'s transaction open, its entry prepared)', () => {
    /** recovery waits on the shop's order row lock (landed) */
    const recoveryWaits = (s: Services) => waits(s, clock, journal);

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
