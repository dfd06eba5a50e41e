/**
 * A delivery into dujiao-next spans two databases: the shop's Postgres commit, then order-doctor's
 * own. A real process (the shop-independent ../support/crash-child.ts, configured for
 * dujiao-next) is killed by SIGKILL at each point in between, and recovery (engine/recover.ts,
 * asking this adapter's `landed`) must leave nothing lost, nothing twice:
 * - A, the journal entry committed and the shop's transaction not: the shop rolls back, recovery
 *   marks the entry rolled back, and the next check delivers once;
 * - B, the shop committed and our record not: recovery writes the record (audit, diagnosis, email)
 *   once, and a later check finds the order delivered;
 * - a recovery meeting a delivery in flight waits for the shop's row lock, whichever way it ends.
 * The order is a split one (two children), so a partial landing would show.
 */
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/engine/diagnose.ts';
import { runSweep } from '../../../src/jobs/sweep.ts';
import type { Services } from '../../../src/services.ts';
import { movableClock } from '../../jobs/support.ts';
import { crashChild, crashSuite, killedAt as childKilledAt, ourRows, recoverNow as recover, recoveryWaits as waits, type Kill } from '../support/crash.ts';
import { emptyShop, harness, insertOrder, insertSecrets, PG, rows } from './support.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';

const START = new Date('2026-11-22T10:00:00+08:00');
const clock = movableClock(START);
const ago = (min: number) => new Date(START.getTime() - min * 60_000);
const ORDER = 'DNCRASH000001';
const GW = 'DNPCRASH000001';
const SECRET = '8462';
const TRADE = '2026112222001400000042';

describe.skipIf(!PG)('dujiao-next: a crash between the shop\'s commit and ours', () => {
  const suite = crashSuite((database) => harness(database, clock.now));
  let svc: Services | undefined;

  /** A paid split order whose fulfilment failed (or a lost callback: pending), keys for it; our database empty. */
  async function stuckOrder(status: 'paid' | 'pending_payment'): Promise<Services> {
    const { h } = suite;
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
    svc = await h.services(suite.env); // empties order-doctor's database
    return svc;
  }

  const run = (opts: { actor?: 'sweep' | 'customer' } = {}) => suite.run(ORDER, clock.now(), { actor: opts.actor, secret: SECRET });
  const child = (at: Kill) => crashChild(at, run());
  const killedAt = (at: 'prepared' | 'shop_committed', opts: { actor?: 'sweep' | 'customer' } = {}) => childKilledAt(at, run(opts));

  const shopRows = async () => ({
    orders: await rows(suite.h.shop, 'select order_no, status from orders order by id'),
    fulfillments: await rows(suite.h.shop, 'select o.order_no, f.payload from fulfillments f join orders o on o.id = f.order_id order by o.id'),
    used: (await rows<{ secret: string }>(suite.h.shop, "select secret from card_secrets where status = 'used' order by id")).map((r) => r.secret),
    payment: await rows(suite.h.shop, 'select status, provider_ref from payments'),
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
  const { journal, audits, diagnosisRows, mail } = ourRows(() => svc!, ORDER);

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

      const out = await diagnose(s, { orderNo: ORDER, actor: { kind: 'sweep', id: 'test' }, apply: true, logContext: NO_LOG_CONTEXT });
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

      const out = await diagnose(s, { orderNo: ORDER, actor: { kind: 'sweep', id: 'test' }, apply: true, logContext: NO_LOG_CONTEXT });
      expect({ verdict: out.verdict, action: out.action, keysHeld: out.keysHeld }).toEqual({ verdict: 'DELIVERED', action: 'none', keysHeld: 2 });
      expect(await audits('keys_issued')).toHaveLength(1);
      expect(await shopRows()).toEqual(deliveredOnce);
    },
  );

  it('recovery meeting a delivery in flight waits for the shop\'s lock; the delivering process dies: rolled back', async () => {
    const s = await stuckOrder('paid');
    const c = child('hold');
    await c.waitFor(/^prepared /m);
    const { recovery } = await waits(s, clock, journal);
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
    const { recovery } = await waits(s, clock, journal);
    c.proc.stdin.end('go\n');
    expect(await c.exited, c.output()).toBe(0);
    expect(c.output()).toContain('done PAID_NOT_DELIVERED reissued');
    expect((await recovery).rolledBack).toBe(0);
    expect((await journal()).map((e) => e.state)).toEqual(['committed']);
    expect(await audits('keys_issued')).toHaveLength(1);
    expect(await shopRows()).toEqual(deliveredOnce);
  });
});
