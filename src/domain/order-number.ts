/**
 * The one rule for what may be an order number, shared by the API, the page, the CLI and the
 * lookup: our numbers, shops' own (dujiaoka's 16-character `order_sn`) and gateways' transaction
 * numbers (28 digits) are all short ASCII tokens. Anything else is rejected before it reaches a
 * limiter, a database or a gateway.
 */
export const ORDER_NO_PATTERN = /^[A-Za-z0-9_-]{4,64}$/;

export const ORDER_NO_RULE = 'expected 4-64 letters, digits, - or _';

export function isOrderNo(s: string): boolean {
  return ORDER_NO_PATTERN.test(s);
}
