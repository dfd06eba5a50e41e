/**
 * A shop's client of the push API, written from the README's "Any other shop: push" text only
 * (not from src/): the contract tests drive order-doctor through it, so a change that breaks what
 * the README promises breaks them. It also verifies webhooks the way the README tells a shop to.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedRequest {
  method: 'PUT' | 'POST';
  path: string;
  body: string;
  headers: Record<string, string>;
}

/** The README's recipe: five lines, the body's SHA-256, HMAC-SHA256 with the shared secret. */
export function signRequest(secret: string, method: 'PUT' | 'POST', path: string, body: string, unixSeconds: number): SignedRequest {
  const bodyHash = createHash('sha256').update(body, 'utf8').digest('hex');
  const toSign = ['ORDER-DOCTOR-HMAC-SHA256', String(unixSeconds), method, path, bodyHash].join('\n');
  const sig = createHmac('sha256', secret).update(toSign, 'utf8').digest('hex');
  return {
    method, path, body,
    headers: { 'content-type': 'application/json', 'order-doctor-timestamp': String(unixSeconds), 'order-doctor-signature': `v1=${sig}` },
  };
}

export class PushClient {
  constructor(private readonly baseUrl: string, private readonly secret: string, private readonly clock: () => Date) {}

  sign(method: 'PUT' | 'POST', path: string, payload: unknown, skewSeconds = 0): SignedRequest {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return signRequest(this.secret, method, path, body, Math.floor(this.clock().getTime() / 1000) + skewSeconds);
  }

  async send(req: SignedRequest, extraHeaders: Record<string, string> = {}): Promise<{ status: number; type: string | null; json: any }> {
    const res = await fetch(`${this.baseUrl}${req.path}`, { method: req.method, headers: { ...req.headers, ...extraHeaders }, body: req.body });
    const text = await res.text();
    let json: unknown = null;
    try { json = JSON.parse(text); } catch { json = text; }
    return { status: res.status, type: res.headers.get('content-type'), json };
  }

  putOrder(orderNo: string, order: unknown) {
    return this.send(this.sign('PUT', `/api/v1/shop/orders/${orderNo}`, order));
  }

  pushStock(sku: string, body: unknown) {
    return this.send(this.sign('POST', `/api/v1/shop/stock/${encodeURIComponent(sku)}`, body));
  }
}

/** The README's webhook check: same scheme over POST and the webhook URL's path, 300 s window, constant time. */
export function verifyWebhook(secret: string, req: { path: string; body: string; headers: Record<string, string | string[] | undefined> }, nowSeconds: number): boolean {
  const ts = String(req.headers['order-doctor-timestamp'] ?? '');
  const sig = /^v1=([0-9a-f]{64})$/.exec(String(req.headers['order-doctor-signature'] ?? ''))?.[1];
  if (!/^\d+$/.test(ts) || !sig || Math.abs(nowSeconds - Number(ts)) > 300) return false;
  const expected = signRequest(secret, 'POST', req.path, req.body, Number(ts)).headers['order-doctor-signature']!.slice(3);
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(sig, 'hex'));
}
