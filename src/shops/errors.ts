/** The shop's database cannot be reached or is not what we expect: a one-line, actionable error. */
export class ShopUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    const u = new URL(url);
    const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    super(`cannot reach the shop's database at ${u.protocol}//${u.hostname}:${u.port || 3306}${u.pathname}: ${why}`);
  }
}
