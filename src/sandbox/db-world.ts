/**
 * The sandbox upstreams' view of the world: what each order's gateway and supplier will answer,
 * read from the database so every process on that database (serve, sweep, diagnose) plays the
 * same world.
 */
import { and, eq, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { orders, products, sandboxAnswers } from '../db/schema.ts';
import type { Channel } from '../domain/verdicts.ts';
import type { TradeRef } from '../domain/payment.ts';
import type { GatewayAnswer, SandboxTrade, SandboxWorld, SupplierAnswer } from './types.ts';

export function createDbSandboxWorld(db: Db): SandboxWorld {
  // built once: the sandbox answers every gateway request with one of these
  const key = sql.placeholder('key');
  // a gateway knows a payment by the number the shop sent it: the order's gateway number when it
  // has one (a pushing shop's payment attempt), else its order number; and echoes that number back
  const paymentNo = sql<string>`coalesce(${orders.gatewayOrderNo}, ${orders.orderNo})`;
  const knownAs = or(and(isNull(orders.gatewayOrderNo), eq(orders.orderNo, key)), eq(orders.gatewayOrderNo, key))!;
  const orderColumns = { orderNo: paymentNo, channel: orders.channel, amountCents: orders.amountCents, createdAt: orders.createdAt, title: products.title };
  const gatewayAnswer = (match: SQL) => db
    .select({ answer: sandboxAnswers.answer, ...orderColumns })
    .from(sandboxAnswers)
    .innerJoin(orders, eq(orders.orderNo, sandboxAnswers.orderNo))
    .innerJoin(products, eq(products.sku, orders.sku))
    .where(and(match, eq(sandboxAnswers.kind, 'gateway')))
    .limit(1);
  const byOrderNo = gatewayAnswer(knownAs).prepare('sandbox_by_order_no');
  const byTradeNo = gatewayAnswer(eq(sandboxAnswers.tradeNo, key)).prepare('sandbox_by_trade_no');
  const orderOnly = db.select(orderColumns).from(orders).innerJoin(products, eq(products.sku, orders.sku))
    .where(knownAs).limit(1).prepare('sandbox_order');
  const trade = (o: { orderNo: string; channel: string | null; amountCents: number; createdAt: Date; title: string }, channel: Channel, answer: GatewayAnswer): SandboxTrade =>
    ({ orderNo: o.orderNo, channel, subject: o.title, totalCents: o.amountCents, createdAt: o.createdAt.toISOString(), answer });

  return {
    async findTrade(channel: Channel, ref: TradeRef): Promise<SandboxTrade | null> {
      const [row] = 'orderNo' in ref ? await byOrderNo.execute({ key: ref.orderNo }) : await byTradeNo.execute({ key: ref.tradeNo });
      if (row && row.channel === channel) return trade(row, channel, row.answer as GatewayAnswer);
      if (row || !('orderNo' in ref)) return null;
      // an order with no entry answers not_found (scenarios.md), if the order is on this channel
      const [order] = await orderOnly.execute({ key: ref.orderNo });
      if (!order || order.channel !== channel) return null;
      return trade(order, channel, { state: 'not_found' });
    },
    async findSupplierOrder(orderNo: string) {
      const [row] = await db
        .select({ answer: sandboxAnswers.answer, sku: orders.sku, quantity: orders.quantity })
        .from(sandboxAnswers)
        .innerJoin(orders, eq(orders.orderNo, sandboxAnswers.orderNo))
        .where(and(eq(sandboxAnswers.orderNo, orderNo), eq(sandboxAnswers.kind, 'supplier')))
        .limit(1);
      return row ? { sku: row.sku, quantity: row.quantity, answer: row.answer as SupplierAnswer } : null;
    },
  };
}
