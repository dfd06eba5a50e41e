/**
 * POST /api/v1/shop/stock/{sku}: a shop with no connector adds card keys to the built-in store's
 * stock. The same import as `order-doctor stock import` (actions/stock-import.ts): one transaction,
 * keys already held anywhere skipped and reported, one audit row, the product's orders waiting for
 * stock made due. Sending the same keys again adds nothing: a retry is harmless.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.ts';
import { problem, problemSchema } from '../problem.ts';
import { importStock, parseKeyLines, UnknownSkuError } from '../../actions/stock-import.ts';
import { upsertProduct } from '../../push/product.ts';
import { signedPush } from './shop-push-auth.ts';
import { cardKeySchema, skuSchema } from './shop-orders.ts';

/** about 5,000 keys of a usual length */
export const STOCK_PUSH_LIMIT = 512 * 1024;
export const STOCK_PUSH_MAX_KEYS = 5000;

const problemContent = { 'application/problem+json': { schema: problemSchema } };

const stockBody = z.object({
  // the CLI's file skips lines starting with #: refused here rather than silently dropped
  keys: z.array(cardKeySchema.regex(/^\s*[^#\s]/, 'a key may not start with # (a comment in the 卡密 format)'))
    .min(1).max(STOCK_PUSH_MAX_KEYS).openapi({ description: 'the keys, one string each, trimmed' }),
  product: z.object({
    title: z.string().min(1).max(200),
    deliveryWindowMinutes: z.int().min(0).max(10_080).optional(),
  }).optional().openapi({ description: 'creates the product when it is new (else only renames it)' }),
}).strict().openapi('PushedStock');

const positions = z.array(z.int()).openapi({ description: 'positions in `keys`, from 0' });
const stockResult = z.object({
  sku: z.string(), received: z.int(), added: z.int(),
  alreadyPresent: positions, duplicatesInBody: positions, wokenOrders: z.int(),
}).openapi('PushedStockResult');

const route = createRoute({
  method: 'post',
  path: '/api/v1/shop/stock/{sku}',
  tags: ['shop push'],
  summary: 'Add card keys to a product (signed); keys already held are skipped and reported',
  middleware: signedPush(STOCK_PUSH_LIMIT),
  request: {
    params: z.object({ sku: skuSchema.openapi({ param: { name: 'sku', in: 'path' }, example: 'STEAM-100' }) }),
    body: { content: { 'application/json': { schema: stockBody } }, required: true },
  },
  responses: {
    200: { description: 'What was added and what was skipped', content: { 'application/json': { schema: stockResult } } },
    400: { description: 'Bad input', content: problemContent },
    401: { description: 'Unsigned, badly signed, or outside the 5-minute window', content: problemContent },
    404: { description: 'No such product (send `product` to create it)', content: problemContent },
    409: { description: 'A replayed request', content: problemContent },
    413: { description: 'The body is over the limit', content: problemContent },
    415: { description: 'The body is not JSON', content: problemContent },
  },
});

export function mountShopStock(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const svc = c.get('svc');
    const { sku } = c.req.valid('param');
    const body = c.req.valid('json');
    if (body.product) await upsertProduct(svc.database.db, { sku, ...body.product }, 0);
    // one key per line is the import's own format: the array becomes its lines, positions its line numbers
    const parsed = parseKeyLines(body.keys.join('\n'));
    try {
      const r = await importStock(svc, { sku, parsed, dryRun: false, actor: { kind: 'system', id: 'shop-push' } });
      const at = (lines: number[]) => lines.map((l) => l - 1);
      return c.json({
        sku, received: body.keys.length, added: r.added, alreadyPresent: at(r.alreadyPresent),
        duplicatesInBody: at(r.duplicatesInFile), wokenOrders: r.wokenOrders,
      }, 200);
    } catch (err) {
      if (err instanceof UnknownSkuError) return problem(c, 'not_found', `no product ${sku}: send "product": {"title": ...} to create it`) as never;
      throw err;
    }
  });
}
