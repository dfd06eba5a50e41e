import { answerAfterLatency } from './latency.ts';
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { encryptCardField } from '../suppliers/fulu/cards.ts';
import {
  FULU_CODE_OK,
  FULU_ERROR_APP_KEY,
  FULU_ERROR_METHOD,
  FULU_ERROR_ORDER_NOT_FOUND,
  FULU_ERROR_PARAMS,
  FULU_ERROR_SIGN,
  FULU_MESSAGE_OK,
  FULU_METHOD_ORDER_INFO,
  toBeijingWallClock,
} from '../suppliers/fulu/protocol.ts';
import { signResult, verifyRequestSign } from '../suppliers/fulu/sign.ts';
import type { SandboxContext, SupplierAnswer } from './types.ts';

/**
 * A Fulu-protocol card supplier playing the world's `orders[].supplier` answers, mounted at
 * `/sandbox/supplier` (so the gateway is `/sandbox/supplier/api/getway`, Fulu's spelling).
 *
 * Choices where Fulu documents nothing (the adapter reads them the same way):
 * - unknown order: `code 5000, message 订单不存在`;
 * - a failed order's reason travels in the envelope's `message` (Fulu's order has no reason field);
 * - every answer, errors included, is signed over its `result` string ("" when absent).
 */
export function supplierSandbox(ctx: SandboxContext, creds: { appKey: string; appSecret: string }): Hono {
  const app = new Hono();
  app.use('*', answerAfterLatency(ctx));
  const answer = (code: number, message: string, result: Record<string, unknown> | null) => {
    const text = result ? JSON.stringify(result) : null;
    return { code, message, result: text, sign: signResult(text, creds.appSecret) };
  };
  const refuse = (e: { code: number; message: string }) => answer(e.code, e.message, null);

  app.post('/api/getway', async (c) => {
    let req: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(await c.req.text());
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      req = parsed as Record<string, unknown>;
    } catch {
      return c.json(refuse(FULU_ERROR_PARAMS));
    }
    if (req.app_key !== creds.appKey) return c.json(refuse(FULU_ERROR_APP_KEY));
    if (!verifyRequestSign(req, creds.appSecret)) return c.json(refuse(FULU_ERROR_SIGN));
    if (req.method !== FULU_METHOD_ORDER_INFO) return c.json(refuse(FULU_ERROR_METHOD));
    const orderNo = customerOrderNo(req.biz_content);
    if (!orderNo) return c.json(refuse(FULU_ERROR_PARAMS));

    const found = await ctx.world.findSupplierOrder(orderNo);
    if (!found) return c.json(refuse(FULU_ERROR_ORDER_NOT_FOUND));
    const message = found.answer.state === 'failed' ? (found.answer.reason ?? '供货失败') : FULU_MESSAGE_OK;
    return c.json(answer(FULU_CODE_OK, message, renderOrder(orderNo, found, creds.appSecret)));
  });
  return app;
}

function customerOrderNo(bizContent: unknown): string | null {
  if (typeof bizContent !== 'string') return null;
  try {
    const biz = JSON.parse(bizContent) as { customer_order_no?: unknown };
    return typeof biz.customer_order_no === 'string' && biz.customer_order_no ? biz.customer_order_no : null;
  } catch {
    return null;
  }
}

/** The order in Fulu's `result` shape; cards only on success, encrypted with the AppSecret. */
function renderOrder(
  orderNo: string,
  found: { sku: string; quantity: number; answer: SupplierAnswer },
  appSecret: string,
): Record<string, unknown> {
  const { answer } = found;
  // The world knows only when the current state began, so it stands for both creation and finish.
  const at = toBeijingWallClock(new Date(answer.since));
  const done = answer.state !== 'processing';
  return {
    area: null,
    buy_num: found.quantity,
    cards:
      answer.state === 'success'
        ? (answer.keys ?? []).map((key) => ({
            card_number: '',
            card_pwd: encryptCardField(key, appSecret),
            card_type: 0,
            card_deadline: '',
          }))
        : null,
    charge_account: null,
    create_time: at,
    customer_order_no: orderNo,
    finish_time: done ? at : '',
    operator_serial_number: '',
    order_id: digitsOf(`order:${orderNo}`, 20),
    order_price: null,
    order_state: answer.state,
    order_type: 3, // 卡密
    product_id: Number(digitsOf(`sku:${found.sku}`, 8)),
    product_name: found.sku,
    server: null,
    type: null,
  };
}

/** Stable fake ids: the same order always gets the same supplier order number. */
function digitsOf(seed: string, n: number): string {
  const hex = createHash('md5').update(seed).digest('hex');
  const digits = BigInt(`0x${hex}`).toString().slice(0, n).padStart(n, '0');
  return digits.startsWith('0') ? `1${digits.slice(1)}` : digits;
}
