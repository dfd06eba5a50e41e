/**
 * A delivery into dujiaoka spans two databases: the shop's MySQL commit, then order-doctor's own.
 * A real process (../support/crash-child.ts) is killed by SIGKILL at each point in between, and recovery
 * (engine/recover.ts) must leave nothing lost, nothing twice, and the audit trail complete:
 * - A, the journal entry committed and the shop's transaction not: the shop rolls back, recovery
 *   marks the entry rolled back, and the next check delivers once;
 * - B, the shop committed and our record not: recovery writes the record (audit, diagnosis, email)
 *   once, and a later check finds the order delivered;
 * plus the orders of events that broke an earlier recovery (the buyer checking again before
 * recovery runs; two crashed attempts of one order) and a recovery meeting a delivery in flight.
 * Each kill runs three times. Needs the real MariaDB and a real Postgres (DATABASE_URL): the child
 * process shares order-doctor's database, which an in-memory PGlite cannot.
 */
import { describe, expect, it } from 'vitest';
import { auditLog } from '../../../src/db/schema.ts';
import { diagnose } from '../../../src/engine/diagnose.ts';
import { recoverDeliveries } from '../../../src/engine/recover.ts';
import { runSweep } from '../../../src/jobs/sweep.ts';
import type { Services } from '../../../src/services.ts';
import { requires } from '../../support/requires.ts';
import { movableClock } from '../../jobs/support.ts';
import { crashChild, crashSuite, killedAt as childKilledAt, ourRows, recoverNow as recover, recoveryWaits as waits, type Kill } from '../support/crash.ts';
import { emptyShop, harness, insertCarmis, insertGoods, insertOrder, MARIADB, orderRow, PAY, rows } from './support.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';

// the killed process and this one share a real Postgres
const PG = await requires('postgres');

const START = new Date('2026-11-22T10:00:00+08:00');
const clock = movableClock(START);
const ago = (min: number) => new Date(START.getTime() - min * 60_000);
const ORDER = 'CRASH00000000001';
const SECRET = '8462';
const TRADE = '2026112222001400000042';
const KEYS = ['CRASH-KEY-1', 'CRASH-KEY-2'];
const RUNS = [1, 2, 3];

describe.skipIf(!MARIADB || !PG)('dujiaoka: a crash between the shop\'s commit and ours', () => {
  const suite = crashSuite((database) => harness(database, clock.now));
  let svc: Services | undefined;

  /** One paid order the shop never delivered (abnormal 6: its sale counted; waiting 1: not yet), stock for it; our database empty. */
  async function stuckOrder(status: 1 | 6): Promise<Services> {
    const { h } = suite;
    clock.set(START);
    await svc?.close();
    await emptyShop(h);
    await insertGoods(h.shop, { id: 7, name: 'Steam 钱包充值卡 100元', priceCents: 10000, salesVolume: 10 });
    await insertCarmis(h.shop, 7, KEYS);
    await insertOrder(h.shop, {
      orderSn: ORDER, goodsId: 7, priceCents: 10000, payId: PAY.alipay, status, searchPwd: SECRET, email: 'buyer@example.com',
      info: status === 6 ? '库存不足' : null, tradeNo: status === 6 ? TRADE : '', createdAt: ago(30),
    });
    h.book.set(ORDER, 'alipay', 10000, { state: 'paid', amountCents: 10000, paidAt: ago(29).toISOString(), tradeNo: TRADE });
    svc = await h.services(suite.env); // empties order-doctor's database
    return svc;
  }

  const run = (opts: { actor?: 'sweep' | 'customer'; now?: Date } = {}) => suite.run(ORDER, opts.now ?? clock.now(), { actor: opts.actor, secret: SECRET });
  const child = (at: Kill) => crashChild(at, run());
  const killedAt = (at: 'prepared' | 'shop_committed', opts: { actor?: 'sweep' | 'customer'; now?: Date } = {}) => childKilledAt(at, run(opts));

  const shopRows = async () => {
    const o = await orderRow(suite.h.shop, ORDER);
    return {
      status: o.status, info: o.info, tradeNo: o.trade_no,
      sold: (await rows(suite.h.shop, 'select carmi from carmis where status = 2 order by id')).map((r) => r.carmi),
      sales: (await rows(suite.h.shop, 'select sales_volume from goods where id = 7'))[0]!.sales_volume,
    };
  };
  const { journal, audits, diagnosisRows, mail } = ourRows(() => svc!, ORDER);
  /** everything recovery could write, to show a second run changes none of it */
  const ours = async () => ({ journal: await journal(), audit: await svc!.database.db.select().from(auditLog), diagnoses: await diagnosisRows(), mail: await mail() });

  const untouched = (status: 1 | 6) => ({
    status, info: status === 6 ? '库存不足' : null, tradeNo: status === 6 ? TRADE : '', sold: [], sales: 10,
  });
  const deliveredOnce = (status: 1 | 6, key = KEYS[0]) => ({
    status: 4, info: key, tradeNo: TRADE, sold: [key],
    // dujiaoka counted an abnormal order's sale already; a waiting order's is counted by the delivery, once
    sales: status === 6 ? 10 : 11,
  });
  const hashes = (e: { detail: unknown }) => (e.detail as { keyHashes: string[] }).keyHashes;

  it.each(RUNS)('kill point A, run %i: the journal entry committed, the shop\'s transaction not: rolled back, recorded as such, then delivered once', async (run) => {
    const status = run === 2 ? 1 : 6;
    const s = await stuckOrder(status);
    await killedAt('prepared', { actor: run === 3 ? 'customer' : 'sweep' });

    // the shop rolled the whole delivery back when the connection dropped; our journal holds the entry
    expect(await shopRows()).toEqual(untouched(status));
    const [entry, ...more] = await journal();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ orderNo: ORDER, state: 'prepared', settledAt: null });
    expect(await audits('keys_issued')).toEqual([]);
    expect(await diagnosisRows()).toEqual([]);

    // ten seconds on, inside the grace period, recovery leaves it alone (its diagnosis might still be finishing)
    clock.advance(10_000);
    expect(await recoverDeliveries(s, { log: () => {} })).toEqual({ recovered: 0, rolledBack: 0, failed: 0 });
    expect((await journal()).map((e) => e.state)).toEqual(['prepared']);
    clock.advance(50_000);
    expect(await recover(s)).toEqual({ recovered: 0, rolledBack: 1, failed: 0 });
    expect(await journal()).toMatchObject([{ id: entry!.id, state: 'rolled_back', settledAt: clock.now() }]);
    const rolledBack = await audits('delivery_rolled_back');
    expect(rolledBack).toMatchObject([{ orderNo: ORDER, diagnosisId: entry!.diagnosisId, detail: { journal: entry!.id, shop: 'dujiaoka' } }]);
    expect(await audits('keys_issued')).toEqual([]);
    expect(await mail()).toEqual([]);
    expect(await shopRows()).toEqual(untouched(status));

    // again: nothing left to do
    const before = await ours();
    expect(await recover(s)).toEqual({ recovered: 0, rolledBack: 0, failed: 0 });
    expect(await ours()).toEqual(before);

    // the next check delivers, once
    const out = await diagnose(s, { orderNo: ORDER, actor: { kind: 'sweep', id: 'test' }, apply: true, logContext: NO_LOG_CONTEXT });
    expect({ verdict: out.verdict, action: out.action, keysIssued: out.keysIssued }).toEqual({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued', keysIssued: 1 });
    expect(await shopRows()).toEqual(deliveredOnce(status));
    expect((await journal()).map((e) => e.state)).toEqual(['rolled_back', 'committed']);
    expect(await audits('keys_issued')).toMatchObject([{ diagnosisId: out.id }]);
    expect(await mail()).toHaveLength(1);
    expect(await recover(s)).toEqual({ recovered: 0, rolledBack: 0, failed: 0 });
  });

  it.each(RUNS)('kill point B, run %i: the shop committed, our record not: recovery records it once (audit, diagnosis, email), then DELIVERED', async (run) => {
    const status = run === 2 ? 1 : 6;
    const s = await stuckOrder(status);
    await killedAt('shop_committed');

    // the shop holds the delivery; our side only the prepared entry
    expect(await shopRows()).toEqual(deliveredOnce(status));
    const [entry, ...more] = await journal();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ orderNo: ORDER, state: 'prepared', actorKind: 'sweep', detail: { count: 1, carmisIds: [1] } });
    expect(await audits('keys_issued')).toEqual([]);
    expect(await diagnosisRows()).toEqual([]);
    expect(await mail()).toEqual([]);

    clock.advance(60_000);
    if (run === 3) {
      // a real sweep run recovers first (its default grace long past), then finds nothing left to deliver
      clock.advance(5 * 60_000);
      await runSweep(s, { sweeperId: 'after-crash', log: () => {} });
    } else {
      expect(await recover(s)).toEqual({ recovered: 1, rolledBack: 0, failed: 0 });
    }
    expect(await journal()).toMatchObject([{ id: entry!.id, state: 'committed' }]);
    const issued = await audits('keys_issued');
    expect(issued).toMatchObject([{
      orderNo: ORDER, diagnosisId: entry!.diagnosisId, actorKind: 'sweep',
      detail: { recovered: true, shop: 'dujiaoka', count: 1, keyHashes: hashes(entry!) },
    }]);
    expect(JSON.stringify(issued)).not.toContain('CRASH-KEY');
    expect(await audits('delivery_rolled_back')).toEqual([]);
    const recorded = (await diagnosisRows()).filter((d) => d.id === entry!.diagnosisId);
    expect(recorded).toMatchObject([{ verdict: 'PAID_NOT_DELIVERED', action: 'reissued', actorKind: 'sweep', findings: { recovered: { journal: entry!.id } } }]);
    expect(await mail()).toMatchObject([{ deliveryKey: entry!.id, orderNo: ORDER, toAddress: 'buyer@example.com', status: 'pending' }]);

    // again: nothing changes
    const before = await ours();
    expect(await recover(s)).toEqual({ recovered: 0, rolledBack: 0, failed: 0 });
    expect(await ours()).toEqual(before);

    // a later check answers from the shop's rows: delivered, nothing issued again
    const out = await diagnose(s, { orderNo: ORDER, actor: { kind: 'sweep', id: 'test' }, apply: true, logContext: NO_LOG_CONTEXT });
    expect({ verdict: out.verdict, action: out.action, keysHeld: out.keysHeld }).toEqual({ verdict: 'DELIVERED', action: 'none', keysHeld: 1 });
    expect(await audits('keys_issued')).toHaveLength(1);
    expect(await mail()).toHaveLength(1);
    expect(await journal()).toHaveLength(1);
    expect(await shopRows()).toEqual(deliveredOnce(status)); // one key, one line, one carmi sold, the sale counted once
  });

  it('kill point B in the buyer\'s own check: the answer never reached them, so recovery emails them', async () => {
    const s = await stuckOrder(6);
    await killedAt('shop_committed', { actor: 'customer' });
    clock.advance(60_000);
    expect(await recover(s)).toEqual({ recovered: 1, rolledBack: 0, failed: 0 });
    const [entry] = await journal();
    expect(await audits('keys_issued')).toMatchObject([{ actorKind: 'customer', diagnosisId: entry!.diagnosisId, detail: { recovered: true } }]);
    expect(await mail()).toMatchObject([{ deliveryKey: entry!.id, toAddress: 'buyer@example.com' }]);
  });

  it('kill point A, then the buyer checks again before any recovery: the entry is still rolled back, the key recorded once', async () => {
    const s = await stuckOrder(6);
    await killedAt('prepared');
    const [crashed] = await journal();
    // seconds later (inside the grace period) the next check delivers: the same stock key, as the crashed attempt had claimed it
    clock.advance(5_000);
    const out = await diagnose(s, { orderNo: ORDER, actor: { kind: 'sweep', id: 'test' }, apply: true, logContext: NO_LOG_CONTEXT });
    expect(out.action).toBe('reissued');
    expect(await shopRows()).toEqual(deliveredOnce(6));
    const delivered = (await journal()).find((e) => e.id !== crashed!.id)!;
    expect(hashes(delivered)).toEqual(hashes(crashed!));

    // the crashed entry's keys are in the order now, but they are the later delivery's
    clock.advance(60_000);
    expect(await recover(s)).toEqual({ recovered: 0, rolledBack: 1, failed: 0 });
    expect(Object.fromEntries((await journal()).map((e) => [e.id, e.state]))).toEqual({ [crashed!.id]: 'rolled_back', [delivered.id]: 'committed' });
    expect(await audits('keys_issued')).toMatchObject([{ diagnosisId: out.id }]);
    expect(await audits('delivery_rolled_back')).toMatchObject([{ diagnosisId: crashed!.diagnosisId, detail: { journal: crashed!.id, supersededBy: delivered.id } }]);
    expect(await mail()).toHaveLength(1);
    expect((await diagnosisRows()).map((d) => d.id)).toEqual([out.id]);
  });

  it('killed at A, then a second attempt (started earlier, locked out until the first died) killed at B: recovery records the one that landed', async () => {
    const s = await stuckOrder(6);
    // the attempt that started later took the order's lock first; both claim the same key
    await killedAt('prepared', { now: new Date(START.getTime() + 2 * 60_000) });
    const [first] = await journal();
    await killedAt('shop_committed', { now: new Date(START.getTime() + 60_000) });
    const second = (await journal()).find((e) => e.id !== first!.id)!;
    expect(hashes(second)).toEqual(hashes(first!));
    expect(second.preparedAt.getTime()).toBeLessThan(first!.preparedAt.getTime()); // its diagnosis started first
    expect(await shopRows()).toEqual(deliveredOnce(6));

    clock.advance(5 * 60_000);
    expect(await recover(s)).toEqual({ recovered: 1, rolledBack: 1, failed: 0 });
    expect(Object.fromEntries((await journal()).map((e) => [e.id, e.state]))).toEqual({ [first!.id]: 'rolled_back', [second.id]: 'committed' });
    expect(await audits('keys_issued')).toMatchObject([{ diagnosisId: second.diagnosisId, detail: { recovered: true } }]);
    expect(await audits('delivery_rolled_back')).toMatchObject([{ diagnosisId: first!.diagnosisId }]);
    expect((await diagnosisRows()).map((d) => d.id)).toEqual([second.diagnosisId]);
    expect(await mail()).toMatchObject([{ deliveryKey: second.id }]);
  });

  describe('recovery meeting a delivery still in flight (the shop\'s transaction open, its entry prepared)', () => {
    const recoveryWaits = (s: Services) => waits(s, clock, journal);

    it('waits for the shop\'s commit, then the delivery is recorded once (by whichever settles first)', async () => {
      const s = await stuckOrder(6);
      const c = child('hold');
      await c.waitFor(/^prepared /m);
      const { recovery } = await recoveryWaits(s);
      c.proc.stdin.end('go\n');
      expect(await c.exited, c.output()).toBe(0);
      expect(c.output()).toContain('done PAID_NOT_DELIVERED reissued');
      const summary = await recovery;
      expect(summary.rolledBack).toBe(0);
      expect(summary.failed).toBe(0);
      const [entry] = await journal();
      expect(entry!.state).toBe('committed');
      expect(await audits('keys_issued')).toHaveLength(1);
      expect(await audits('delivery_rolled_back')).toEqual([]);
      expect(await diagnosisRows()).toHaveLength(1);
      expect(await mail()).toHaveLength(1);
      expect(await shopRows()).toEqual(deliveredOnce(6));
    });

    it('waits, and when the delivering process dies instead, finds it rolled back', async () => {
      const s = await stuckOrder(1);
      const c = child('hold');
      await c.waitFor(/^prepared /m);
      const { recovery } = await recoveryWaits(s);
      c.proc.kill('SIGKILL');
      expect(await c.exited).toBe('SIGKILL');
      expect(await recovery).toEqual({ recovered: 0, rolledBack: 1, failed: 0 });
      expect(await shopRows()).toEqual(untouched(1));
      expect(await audits('keys_issued')).toEqual([]);
      expect(await audits('delivery_rolled_back')).toHaveLength(1);
    });
  });
});
