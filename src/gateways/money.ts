/**
 * Gateways speak yuan as decimal strings ('50.00', '9.9') or JSON numbers; the domain speaks
 * integer fen. Parsing goes through the decimal text, never through float multiplication
 * (0.29 * 100 = 28.999999999999996).
 */

const YUAN = /^(\d+)(?:\.(\d{1,2}))?$/;

/**
 * '50' | '50.00' | '9.9' | 50 | 9.9 -> cents; junk, negatives, NaN and more than two decimals -> null.
 * @example parseYuanToCents('9.9') // 990
 */
export function parseYuanToCents(v: string | number): number | null {
  let text: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) return null;
    // String(0.1) is '0.1'; String(1e21) is '1e+21' and fails the pattern below, as it should.
    text = String(v);
  } else if (typeof v === 'string') {
    text = v.trim();
  } else {
    return null;
  }
  const m = YUAN.exec(text);
  if (!m) return null;
  const yuan = Number(m[1]);
  const fen = Number((m[2] ?? '').padEnd(2, '0'));
  const cents = yuan * 100 + fen;
  return Number.isSafeInteger(cents) ? cents : null;
}

/** 5000 -> '50.00', the form every gateway accepts for an amount. */
export function centsToYuan(c: number): string {
  if (!Number.isSafeInteger(c)) throw new RangeError(`not an integer amount of cents: ${c}`);
  const sign = c < 0 ? '-' : '';
  const abs = Math.abs(c);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
