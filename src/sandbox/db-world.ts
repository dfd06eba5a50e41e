/**
 * The sandbox upstreams' view of the world: what each order's gateway and supplier will answer,
 * read from the database so every process on that database (serve, sweep, diagnose) plays the
 * same world.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { orders, products, sandboxAnswers } from '../db/schema.ts';
import type { Channel } from '../domain/verdicts.ts';
import type { TradeRef } from '../gateways/types.ts';
import type { GatewayAnswer, SandboxTrade, SandboxWorld, SupplierAnswer } from './types.ts';

export function createDbSandboxWorld(db: Db): SandboxWorld {
  return {
    async findTrade(channel: Channel, ref: TradeRef): Promise<SandboxTrade | null> {
      const where =
        'orderNo' in ref
          ? and(eq(sandboxAnswers.orderNo, ref.orderNo), eq(sandboxAnswers.kind, 'gateway'))
          : and(eq(sandboxAnswers.tradeNo, ref.tradeNo), eq(sandboxAnswers.kind, 'gateway'));
      const [row] = await db
        .select({ answer: sandboxAnswers.answer, order: orders, title: products.title })
        .from(sandboxAnswers)
        .innerJoin(orders, eq(orders.orderNo, sandboxAnswers.orderNo))
        .innerJoin(products, eq(products.sku, orders.sku))
        .where(where)
        .limit(1);
      if (row && row.order.channel === channel) {
        return {
          orderNo: row.order.orderNo, channel, subject: row.title, totalCents: row.order.amountCents,
          createdAt: row.order.createdAt.toISOString(), answer: row.answer as GatewayAnswer,
        };
      }
      if (row || !('orderNo' in ref)) return null;
      // an order with no entry answers not_found (scenarios.md), if the order is on this channel
      const [order] = await db
        .select({ order: orders, title: products.title })
        .from(orders)
        .innerJoin(products, eq(products.sku, orders.sku))
        .where(eq(orders.orderNo, ref.orderNo))
        .limit(1);
      if (!order || order.order.channel !== channel) return null;
      return {
        orderNo: order.order.orderNo, channel, subject: order.title, totalCents: order.order.amountCents,
        createdAt: order.order.createdAt.toISOString(), answer: { state: 'not_found' },
      };
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
