/**
 * What the kill harness needs from a shop that keeps its orders in its own database (dujiaoka,
 * dujiao-next, acg-faka): the shop beside our database with the sandbox playing its gateways, a
 * fresh batch of stuck orders each round, and the shop's orders as its own code shows them. Each
 * shop's file builds it on that shop's test support (test/shops/<shop>/support.ts).
 */
import type { Env } from '../../../src/config.ts';
import type { Database } from '../../../src/db/client.ts';
import type { ShopKind } from '../../../src/shops/port.ts';
import type { Services } from '../../../src/services.ts';
import type { Batch } from '../batches.ts';
import type { ShopView } from '../invariants.ts';

/** One shop, open for a run of the harness. */
export interface OpenShop {
  /** order-doctor configured on this shop: the children's environment (and `svc`'s) */
  env: Env;
  /** services on our database, for the key box and loading records (built on `env`: the same card-key secret) */
  svc: Services;
  /** adds round `round`'s stuck orders to the shop (and their gateway answers), `now` the next child's clock */
  addBatch(round: number, now: Date): Promise<Batch>;
  /** every order of the shop as its own code shows it, and what its rows break (counters included) */
  view(): Promise<ShopView>;
  close(): Promise<void>;
}

export interface KillShop {
  kind: Exclude<ShopKind, 'builtin'>;
  /** on the MariaDB (TEST_SHOP_DATABASE_URL) rather than Postgres */
  mariadb: boolean;
  /** the named kill points, in an order where each recovery point has a half-recorded delivery to meet */
  points: string[];
  /** seeded random kills on top of the named ones */
  randomKills: number;
  open(database: Database, clock: () => Date, extra: Env): Promise<OpenShop>;
}

/**
 * The named points of the two commits, for a shop with fewer rounds to spend: the claim written in
 * the shop's open transaction, the journal entry committed and the shop's not, the shop committed
 * and ours not (each from a buyer's check and from the sweep), and recovery meeting each. The
 * points that are not the shop's (the sweep's leases, our own commits) run against dujiaoka's
 * and the built-in store's deliveries already.
 */
export const TWO_COMMIT_POINTS = [
  'check:stock-claimed', 'check:journal-prepared', 'recovery:landed', 'check:delivered', 'recovery:before-commit',
  'sweep:journal-prepared', 'sweep:delivered',
];

/** A shop's test harness (test/shops/<shop>/support.ts), as far as opening it for a run goes. */
interface ShopHarness<S, B> {
  shop: S;
  book: B;
  env(extra: Env): Env;
  services(env: Env): Promise<Services>;
  close(): Promise<void>;
}

/**
 * The usual opening: order-doctor configured on the shop's harness (services empty our database),
 * each round's orders added by `batch`, the shop's view read by `view`.
 */
export async function openWith<S, B>(
  h: ShopHarness<S, B>,
  extra: Env,
  batch: (shop: S, book: B, round: number, now: Date) => Promise<Batch>,
  view: (shop: S) => Promise<ShopView>,
): Promise<OpenShop> {
  const env = h.env(extra);
  const svc = await h.services(env);
  return { env, svc, addBatch: (round, now) => batch(h.shop, h.book, round, now), view: () => view(h.shop), close: () => h.close() };
}
