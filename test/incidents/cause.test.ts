/**
 * Incidents' cause (issue 11 item 4): each verdict kind splits by the fact that tells outbreaks
 * apart (channel, product, migration batch, payment method, the part upstream that is down), and
 * groups show from the threshold. Pure: diagnosis-shaped rows in, groups out.
 */
import { describe, expect, it } from 'vitest';
import { causeOf, describeCause } from '../../src/incidents/cause.ts';
import { groupByCause, INCIDENT_THRESHOLD, type IncidentTicket } from '../../src/incidents/group.ts';

const order = (sku: string, channel: string) => ({ order: { sku, channel } });
const d = (verdict: string, facts: object = {}, findings: object = order('STEAM-100', 'alipay')) => ({ verdict, facts, findings });

describe('incident causes', () => {
  it('a gateway down: UPSTREAM_UNAVAILABLE per channel; a supplier or the migration ledger down are their own causes', () => {
    expect(causeOf(d('UPSTREAM_UNAVAILABLE', { upstreamProblem: 'payment: timeout', channel: 'wechat' }))).toMatchObject({ key: 'UPSTREAM_UNAVAILABLE.channel.wechat', fact: 'channel', value: 'wechat' });
    // the channel from the order when the decision did not name it
    expect(causeOf(d('UPSTREAM_UNAVAILABLE', { upstreamProblem: 'payment: http 502' })).key).toBe('UPSTREAM_UNAVAILABLE.channel.alipay');
    expect(causeOf(d('UPSTREAM_UNAVAILABLE', { upstreamProblem: 'issuance: timeout' })).key).toBe('UPSTREAM_UNAVAILABLE.supplier.STEAM-100');
    expect(causeOf(d('UPSTREAM_UNAVAILABLE', { upstreamProblem: 'migration: timeout' }, {})).key).toBe('UPSTREAM_UNAVAILABLE.ledger.legacy');
    expect(describeCause(causeOf(d('UPSTREAM_UNAVAILABLE', { channel: 'wechat' })))).toBe('Gateway wechat is not answering (payments cannot be checked)');
  });

  it('one product out of stock: per sku; one migration batch: per batch', () => {
    expect(causeOf(d('OUT_OF_STOCK', { missing: 1 }, order('QB-50', 'wechat'))).key).toBe('OUT_OF_STOCK.sku.QB-50');
    expect(describeCause(causeOf(d('OUT_OF_STOCK', {}, order('QB-50', 'wechat'))))).toBe('QB-50 is out of stock');
    for (const v of ['MIGRATION_PENDING', 'MIGRATION_INCOMPLETE', 'MIGRATION_CONFLICT']) {
      expect(causeOf(d(v, { batch: 'B7', legacyOrderNo: 'L1' }, {})).key).toBe(`${v}.batch.B7`);
    }
    expect(causeOf(d('MIGRATION_CONFLICT', { reason: 'migration_record_lost' }, {})).key).toBe('MIGRATION_CONFLICT.batch.unknown');
  });

  it('the other verdicts: per channel (payments), per product (deliveries, keys), per method (unverifiable); not found alone', () => {
    expect(causeOf(d('PAID_NOT_DELIVERED', { channel: 'epay' })).key).toBe('PAID_NOT_DELIVERED.channel.epay');
    expect(causeOf(d('AMOUNT_MISMATCH', { channel: 'alipay' })).key).toBe('AMOUNT_MISMATCH.channel.alipay');
    expect(causeOf(d('KEY_VOIDED')).key).toBe('KEY_VOIDED.sku.STEAM-100');
    expect(causeOf(d('DELIVERY_DELAYED')).key).toBe('DELIVERY_DELAYED.sku.STEAM-100');
    expect(causeOf(d('PAYMENT_UNVERIFIABLE', { paymentMethod: 'PayPal' })).key).toBe('PAYMENT_UNVERIFIABLE.method.PayPal');
    expect(causeOf(d('ORDER_NOT_FOUND', {}, {}))).toEqual({ key: 'ORDER_NOT_FOUND', verdict: 'ORDER_NOT_FOUND', fact: null, value: null });
  });

  it(`groups by cause from ${INCIDENT_THRESHOLD} tickets, largest first, with the oldest opened and the soonest due`, () => {
    let n = 0;
    const t = (latest: ReturnType<typeof d> | null, reason = 'OUT_OF_STOCK', opened = 0, due = 60) => ({
      ticket: { number: `T${++n}`, orderNo: `K${n}`, reason, openedAt: new Date(opened * 60_000), dueAt: new Date(due * 60_000) },
      latest,
    }) as unknown as IncidentTicket;
    const rows = [
      t(d('UPSTREAM_UNAVAILABLE', { channel: 'wechat' }), 'UPSTREAM_UNAVAILABLE', 5, 30),
      t(d('UPSTREAM_UNAVAILABLE', { channel: 'wechat' }), 'UPSTREAM_UNAVAILABLE', 1, 90),
      t(d('UPSTREAM_UNAVAILABLE', { channel: 'wechat' }), 'UPSTREAM_UNAVAILABLE', 3, 20),
      t(d('UPSTREAM_UNAVAILABLE', { channel: 'alipay' })), // alone on its channel
      t(d('OUT_OF_STOCK', {}, order('QB-50', 'alipay'))),
      t(d('OUT_OF_STOCK', {}, order('QB-50', 'wechat'))), // another channel, the same product
      t(d('OUT_OF_STOCK', {}, order('STEAM-50', 'wechat'))),
    ];
    const groups = groupByCause(rows);
    expect(groups.map((g) => [g.cause.key, g.items.length])).toEqual([['UPSTREAM_UNAVAILABLE.channel.wechat', 3], ['OUT_OF_STOCK.sku.QB-50', 2]]);
    expect(groups[0]!.oldestOpenedAt).toEqual(new Date(60_000));
    expect(groups[0]!.soonestDueAt).toEqual(new Date(20 * 60_000));
    expect(groupByCause(rows, 4)).toEqual([]);
    expect(groupByCause(rows, 1)).toHaveLength(4);
  });
});
