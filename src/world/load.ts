/**
 * Loads a scenario world (../shared/spec/scenarios.md) into the database: the demo data, the
 * scenario runner's fresh worlds and `serve --world` all come through here. Card secrets are
 * encrypted on the way in; the sandbox answers are stored so every process plays the same world.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import {
  issuedKeys, legacyOrders, migrationLedger, orders, products, sandboxAnswers, settings, stockKeys,
} from '../db/schema.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { World } from './schema.ts';

export class WorldNotEmptyError extends Error {}

export interface LoadOptions {
  /** added to every time in the world (serve --world makes the world's `now` the server's start) */
  shiftMs?: number;
  /** refuse to load into a database that already holds orders */
  requireEmpty?: boolean;
}

export async function loadWorld(
  deps: { database: Database; box: SecretBox },
  world: World,
  opts: LoadOptions = {},
): Promise<void> {
  const shift = opts.shiftMs ?? 0;
  const at = (iso: string) => new Date(Date.parse(iso) + shift);
  const atOpt = (iso?: string | null) => (iso ? at(iso) : null);
  const shiftIso = (iso?: string) => (iso ? at(iso).toISOString() : undefined);
  const { box } = deps;
  const enc = async (secret: string) => ({ secretEnc: await box.encrypt(secret), secretHash: await box.keyHash(secret) });

  await deps.database.db.transaction(async (tx) => {
    if (opts.requireEmpty) {
      const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(orders);
      if (Number(row?.n) > 0) throw new WorldNotEmptyError('the database already holds orders: serve --world needs an empty database');
    }
    if (world.products.length) {
      await tx.insert(products).values(world.products.map((p) => ({
        sku: p.sku, title: p.title, priceCents: p.priceCents, fulfilment: p.fulfilment,
        deliveryWindowMinutes: p.deliveryWindowMinutes,
      })));
    }
    const now = at(world.now);
    for (const s of world.stock) {
      const rows = [];
      for (const secret of s.keys) rows.push({ sku: s.sku, ...(await enc(secret)), addedAt: now });
      if (rows.length) await tx.insert(stockKeys).values(rows);
    }
    for (const o of world.orders) {
      const answer = world.gateway[o.orderNo];
      // the shop only knows the gateway's number if the payment callback reached it
      const knowsTrade = o.status === 'paid' || o.status === 'delivered' || o.status === 'refunded';
      const [row] = await tx.insert(orders).values({
        orderNo: o.orderNo, sku: o.sku, quantity: o.quantity, amountCents: o.amountCents, channel: o.channel,
        status: o.status, createdAt: at(o.createdAt), paidAt: atOpt(o.paidAt),
        tradeNo: knowsTrade ? (answer?.tradeNo ?? null) : null,
        querySecretHash: await box.querySecretHash(o.orderNo, o.querySecret), contact: o.contact ?? null,
      }).returning({ id: orders.id });
      const keyRows = [];
      const delivered = o.keys.filter((k) => k.status === 'delivered');
      const voided = o.keys.filter((k) => k.status === 'voided');
      let slot = 0;
      for (const k of delivered) keyRows.push({ k, slot: ++slot });
      // a voided key sat in a slot that is now empty (or was refilled by a later replacement)
      const emptySlots = Math.max(1, o.quantity - delivered.length);
      voided.forEach((k, i) => keyRows.push({ k, slot: Math.min(o.quantity, delivered.length + 1 + (i % emptySlots)) }));
      for (const { k, slot: s } of keyRows) {
        await tx.insert(issuedKeys).values({
          orderId: row!.id, orderQuantity: o.quantity, slot: s, status: k.status, replacement: k.replacement,
          source: 'initial', issuedAt: atOpt(o.paidAt) ?? at(o.createdAt), voidedAt: k.status === 'voided' ? now : null,
          ...(await enc(k.secret)),
        });
      }
      if (answer) {
        await tx.insert(sandboxAnswers).values({
          orderNo: o.orderNo, kind: 'gateway', tradeNo: answer.tradeNo ?? null,
          answer: { ...answer, paidAt: shiftIso(answer.paidAt), refundedAt: shiftIso(answer.refundedAt) },
        });
      }
      if (o.supplier) {
        await tx.insert(sandboxAnswers).values({
          orderNo: o.orderNo, kind: 'supplier', answer: { ...o.supplier, since: shiftIso(o.supplier.since) },
        });
      }
    }
    for (const l of world.legacy.orders) {
      await tx.insert(legacyOrders).values({
        orderNo: l.orderNo, sku: l.sku, quantity: l.quantity, amountCents: l.amountCents, status: l.status,
        paidAt: atOpt(l.paidAt), querySecretHash: await box.querySecretHash(l.orderNo, l.querySecret),
        keysEnc: await box.encrypt(JSON.stringify(l.keys)), keyCount: l.keys.length,
      });
    }
    for (const [legacyOrderNo, m] of Object.entries(world.legacy.migration)) {
      await tx.insert(migrationLedger).values({
        legacyOrderNo, state: m.state, batch: m.batch ?? null, eta: atOpt(m.eta), newOrderNo: m.newOrderNo ?? null,
      });
    }
    await tx.insert(settings).values({ key: 'world', value: { loadedAt: new Date().toISOString(), shiftMs: shift } })
      .onConflictDoUpdate({ target: settings.key, set: { value: sql`excluded.value` } });
  });
}
