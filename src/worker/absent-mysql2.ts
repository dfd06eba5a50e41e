/**
 * Stands in for mysql2 on Workers (wrangler.toml `[alias]`): the MySQL shops (dujiaoka, acg-faka)
 * are not offered on Workers (worker/env.ts refuses SHOP=dujiaoka|acg-faka before anything opens),
 * which keeps mysql2 and its codecs (about 1.3 MB) out of the bundle.
 */
function absent(): never {
  throw new Error('MySQL shops are not available on Workers: run order-doctor on Node for a dujiaoka or acg-faka shop');
}

export const createPool = absent;
export default { createPool: absent };
