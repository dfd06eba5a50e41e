/** The shop's database cannot be reached or is not what we expect: a one-line, actionable error. */
export class ShopUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    const u = new URL(url);
    const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    super(`cannot reach the shop's database at ${u.protocol}//${u.hostname}:${u.port || (u.protocol.startsWith('postgres') ? 5432 : 3306)}${u.pathname}: ${why}`);
  }
}

/** The shop's database is reachable but lacks what order-doctor reads (a wrong database, or prefix). */
export class ShopNotAsExpectedError extends Error {
  constructor(url: string, gaps: string[], shop = 'dujiaoka') {
    const u = new URL(url);
    super(`the shop's database ${u.pathname.slice(1)} is not ${/^[aeiou]/i.test(shop) ? 'an' : 'a'} ${shop} database as expected: no ${gaps.slice(0, 3).join(', ')}${gaps.length > 3 ? ` (+${gaps.length - 3} more)` : ''} (wrong database, or SHOP_TABLE_PREFIX?)`);
  }
}

/**
 * The start-up check of a freshly opened shop database: `probe` reads what the adapter needs and
 * lists what its schema lacks (schemaGaps). When the database cannot be read, or is not the shop's,
 * the connection is closed (`close`) and start-up stops with one of the errors above.
 */
export async function checkOpened<T>(
  url: string, shop: string, close: () => Promise<unknown>, probe: () => Promise<{ facts: T; gaps: string[] }>,
): Promise<T> {
  let found: { facts: T; gaps: string[] };
  try {
    found = await probe();
  } catch (err) {
    await close().catch(() => {});
    throw new ShopUnreachableError(url, err);
  }
  if (found.gaps.length) {
    await close().catch(() => {});
    throw new ShopNotAsExpectedError(url, found.gaps, shop);
  }
  return found.facts;
}
