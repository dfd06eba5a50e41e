/** PUT /api/v1/shop/orders/{orderNo}: a shop with no connector pushes one of its orders (push/order.ts). */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.ts';
import { problem, problemSchema } from '../problem.ts';
import { orderNoParam } from '../schemas.ts';
import { pushOrder, PushRefused } from '../../push/order.ts';
import { signedPush } from './shop-push-auth.ts';
import { MAX_KEY_CHARS } from '../../actions/stock-import.ts';

/** an order with its keys: a few KB; the limit leaves room for a large quantity's keys */
export const ORDER_PUSH_LIMIT = 64 * 1024;

const problemContent = { 'application/problem+json': { schema: problemSchema } };
export const skuSchema = z.string().regex(/^[\p{L}\p{N}_.:-]{1,64}$/u, 'expected 1-64 letters, digits, _ . : -');
/** one card key as the usual 卡密 line holds it: no line breaks or other control characters */
export const cardKeySchema = z.string().min(1).max(MAX_KEY_CHARS).regex(/^[^\p{Cc}\u2028\u2029\uFFFD]+$/u, 'a key is one line without control characters');
const instant = z.iso.datetime({ offset: true });

const pushedOrderBody = z.object({
  product: z.object({
    sku: skuSchema,
    title: z.string().min(1).max(200),
    deliveryWindowMinutes: z.int().min(0).max(10_080).optional().openapi({ description: 'minutes within which the shop normally delivers (default 5)' }),
  }),
  quantity: z.int().min(1).max(1000),
  amountFen: z.int().min(0).max(2_000_000_000).openapi({ description: 'what the buyer pays, in fen (分): 12.50 yuan is 1250' }),
  channel: z.enum(['alipay', 'wechat', 'epay', 'stripe', 'paypal', 'usdt'])
    .openapi({ description: 'alipay, wechat, epay: order-doctor asks the gateway; stripe, paypal, usdt: it cannot, and says so' }),
  status: z.enum(['pending', 'paid', 'delivered', 'closed', 'refunded']),
  createdAt: instant,
  paidAt: instant.nullable().optional(),
  tradeNo: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).nullable().optional().openapi({ description: "the gateway's transaction number" }),
  gatewayOrderNo: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/).nullable().optional()
    .openapi({ description: "the number the gateway knows the payment by (its out_trade_no), when the shop sent it another than the order number" }),
  contact: z.string().max(254).nullable().optional().openapi({ description: "the buyer's email (or phone, QQ); null clears it" }),
  querySecret: z.string().min(1).max(128).optional()
    .openapi({ description: 'the query secret (查询密码) the buyer checks the order with, as typed: stored only as our keyed hash. Required when the order is new' }),
  keys: z.array(cardKeySchema).max(1000).optional().openapi({ description: 'keys the shop delivered itself, recorded as held (encrypted)' }),
}).strict().openapi('PushedOrder');

const orderState = z.object({
  orderNo: z.string(), sku: z.string(), quantity: z.int(), amountFen: z.int(),
  channel: z.string(), status: z.string(), tradeNo: z.string().nullable(), gatewayOrderNo: z.string().nullable(), paidAt: z.string().nullable(), keysHeld: z.int(),
}).openapi('PushedOrderState');

const signatureHeaders = z.object({
  'order-doctor-timestamp': z.string().openapi({ description: 'unix seconds; within 300 s of our clock' }),
  'order-doctor-signature': z.string().openapi({ description: 'v1=<hex HMAC-SHA256 of the string to sign>' }),
});

const route = createRoute({
  method: 'put',
  path: '/api/v1/shop/orders/{orderNo}',
  tags: ['shop push'],
  summary: 'Create or update an order of the shop (signed); the same push again changes nothing',
  middleware: signedPush(ORDER_PUSH_LIMIT),
  request: { params: orderNoParam, headers: signatureHeaders, body: { content: { 'application/json': { schema: pushedOrderBody } }, required: true } },
  responses: {
    200: { description: 'The order as recorded now', content: { 'application/json': { schema: orderState } } },
    400: { description: 'Bad input', content: problemContent },
    401: { description: 'Unsigned, badly signed, or outside the 5-minute window', content: problemContent },
    409: { description: 'A replayed request, or a push that contradicts a fixed fact', content: problemContent },
    413: { description: 'The body is over the limit', content: problemContent },
    415: { description: 'The body is not JSON', content: problemContent },
    422: { description: 'The push cannot be applied as given', content: problemContent },
  },
});

export function mountShopOrders(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const svc = c.get('svc');
    const { orderNo } = c.req.valid('param');
    const b = c.req.valid('json');
    try {
      const state = await pushOrder(svc, {
        orderNo,
        order: {
          ...b,
          createdAt: new Date(b.createdAt),
          paidAt: b.paidAt ? new Date(b.paidAt) : null,
        },
        actor: { kind: 'system', id: 'shop-push' },
      });
      return c.json(state, 200);
    } catch (err) {
      if (err instanceof PushRefused) return problem(c, err.code, err.message) as never;
      throw err;
    }
  });
}
