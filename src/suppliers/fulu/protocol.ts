import { z } from 'zod';
import { REDACTED } from '../../gateways/redact.ts';

/**
 * Shapes and constants of Fulu's `fulu.order.info.get`, shared by the adapter and the sandbox so
 * both speak the same dialect (../shared/reference/gateway-protocols.md section 5.1).
 */

export const FULU_METHOD_ORDER_INFO = 'fulu.order.info.get';
export const FULU_CODE_OK = 0;
export const FULU_MESSAGE_OK = '接口调用成功';

/**
 * Fulu documents no code for "no such order", so the adapter recognises it by its message (any
 * code) and the sandbox answers with this code and message. 5000 sits outside the 3001–3008
 * product/stock range the SDKs treat as "try another product".
 */
export const FULU_ERROR_ORDER_NOT_FOUND = { code: 5000, message: '订单不存在' } as const;
/** Sandbox refusals of a bad request (codes chosen here; real ones are undocumented). */
export const FULU_ERROR_APP_KEY = { code: 1001, message: 'app_key不存在' } as const;
export const FULU_ERROR_SIGN = { code: 1002, message: '签名验证失败' } as const;
export const FULU_ERROR_METHOD = { code: 1003, message: '接口方法不存在' } as const;
export const FULU_ERROR_PARAMS = { code: 1004, message: '参数错误' } as const;

export function isOrderNotFoundMessage(message: string | null | undefined): boolean {
  return !!message && /订单不存在|订单号不存在|order (?:does )?not exists?|order not found/i.test(message);
}

/** The envelope every answer has; `result` is a JSON *string*, signed as such. */
export const fuluEnvelopeSchema = z.object({
  code: z.union([z.number(), z.string().regex(/^-?\d+$/)]).transform(Number),
  message: z.string().nullish(),
  result: z.string().nullish(),
  sign: z.string().nullish(),
});

const text = z.string().nullish();

const cardSchema = z.object({
  card_number: text,
  card_pwd: text,
  card_type: z.union([z.number(), z.string()]).nullish(),
  card_deadline: text,
});

export const FULU_ORDER_STATES = ['success', 'processing', 'failed', 'untreated'] as const;

/** The decoded `result` of an order query (fields we do not use are kept loosely typed). */
export const fuluOrderSchema = z.object({
  order_id: z.union([z.string(), z.number()]).nullish(),
  customer_order_no: z.string(),
  order_state: z.string().transform((s) => s.toLowerCase()).pipe(z.enum(FULU_ORDER_STATES)),
  create_time: text,
  finish_time: text,
  cards: z.array(z.preprocess(snakeCaseKeys, cardSchema)).nullish(),
});
export type FuluOrder = z.infer<typeof fuluOrderSchema>;

/** Older captures use PascalCase (`CardPwd`, `OrderState`); fold to snake_case, snake wins. */
export function snakeCaseKeys(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const snake = k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
    if (snake === k || !(snake in value)) out[snake] = v;
  }
  return out;
}

/** Fulu speaks Beijing wall-clock time: 'YYYY-MM-DD HH:mm:ss' at +08:00, no offset written. */
export function toBeijingWallClock(d: Date): string {
  const shifted = new Date(d.getTime() + 8 * 3_600_000).toISOString();
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 19)}`;
}

/** ISO-8601 with +08:00, or undefined for empty/placeholder values ("", C#'s 0001-01-01). */
export function fromBeijingWallClock(s: string | null | undefined): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec((s ?? '').trim());
  if (!m || Number(m[1]) < 2000) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

/**
 * Blanks card fields in a raw body, whether they sit in the envelope's escaped `result` string
 * (`\"card_pwd\":\"...\"`) or in plain JSON, keeping every other byte as received. The
 * ciphertext is as good as the card to anyone holding the AppSecret, so it is never recorded.
 */
export function redactCardFields(raw: string): string {
  return raw.replace(/(card_?(?:number|pwd)\\*"\s*:\s*)(\\*")(.*?)\2/gi, `$1$2${REDACTED}$2`);
}
