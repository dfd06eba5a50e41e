/**
 * What every shop's test harness shares: the sandbox gateways playing an answer book, services
 * built on the shop (our own database emptied first, the built ones closed at the end), and a
 * suite's shop made before its tests and dropped after them. Each shop's support.ts brings its own
 * database (a fresh one per suite), its row builders and the environment that configures
 * order-doctor on it.
 */
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, type Env } from '../../../src/config.ts';
import type { Database } from '../../../src/db/client.ts';
import { truncateAll } from '../../../src/db/migrate.ts';
import { createServices, type Services } from '../../../src/services.ts';
import { listenSandbox, type SandboxListener } from '../../../src/sandbox/listener.ts';
import type { GatewayAnswer, SandboxTrade, SandboxWorld } from '../../../src/sandbox/types.ts';
import type { Channel } from '../../../src/domain/verdicts.ts';
import type { TestDatabase } from '../../support/db.ts';

/**
 * What each order's gateway will answer, played by the sandbox over the real protocols; keyed by
 * the number the gateway is asked by (dujiaoka's order_sn, acg-faka's trade_no, dujiao-next's
 * payment attempt's gateway_order_no).
 */
export class AnswerBook implements SandboxWorld {
  private trades = new Map<string, SandboxTrade>();
  set(orderNo: string, channel: Channel, totalCents: number, answer: GatewayAnswer, createdAt = new Date()): void {
    this.trades.set(orderNo, { orderNo, channel, subject: orderNo, totalCents, createdAt: createdAt.toISOString(), answer });
  }
  clear(): void {
    this.trades.clear();
  }
  async findTrade(channel: Channel, ref: { orderNo: string } | { tradeNo: string }): Promise<SandboxTrade | null> {
    const t = 'orderNo' in ref ? this.trades.get(ref.orderNo) : [...this.trades.values()].find((x) => x.answer.tradeNo === ref.tradeNo);
    return t && t.channel === channel ? t : null;
  }
  async findSupplierOrder() {
    return null;
  }
}

/** A test shop's database: whatever handle its row builders use, and a way to drop it. */
export interface DroppableShop {
  url: string;
  drop(): Promise<void>;
}

/** What a shop's support.ts tells the harness about its shop. */
export interface ShopKind<S extends DroppableShop> {
  fresh(): Promise<S>;
  /** empties the shop's tables (ids restart) */
  reset(shop: S): Promise<void>;
  /** what the shop holds before any test: its payment channels */
  seed(shop: S, sandboxUrl: string): Promise<void>;
  /** order-doctor configured on this shop, its gateways the sandbox */
  env(shop: S, sandboxUrl: string): Env;
}

export interface Harness<S extends DroppableShop> {
  shop: S;
  book: AnswerBook;
  sandbox: SandboxListener;
  /** the environment that configures order-doctor on this shop (also for a child process), `extra` over it */
  env(extra?: Env): Env;
  services(env?: Env, opts?: { now?: () => Date }): Promise<Services>;
  /** an empty shop again, with its channels, and no gateway answers */
  empty(): Promise<void>;
  close(): Promise<void>;
}

/** A shop, the sandbox playing its answer book, and a way to build services on it. */
export async function shopHarness<S extends DroppableShop>(kind: ShopKind<S>, database: Database, clock: () => Date): Promise<Harness<S>> {
  const shop = await kind.fresh();
  const book = new AnswerBook();
  const sandbox = await listenSandbox({ world: book, now: clock, latencyMs: 0 });
  await kind.seed(shop, sandbox.baseUrl);
  const built: Services[] = [];
  const env = (extra: Env = {}): Env => ({ ...kind.env(shop, sandbox.baseUrl), ...extra });
  return {
    shop, book, sandbox, env,
    async services(extra: Env = {}, opts = {}) {
      await truncateAll(database);
      const svc = await createServices(loadConfig(env(extra)), { database, migrated: true, now: opts.now ?? clock });
      built.push(svc);
      return svc;
    },
    async empty() {
      await kind.reset(shop);
      await kind.seed(shop, sandbox.baseUrl);
      book.clear();
    },
    async close() {
      for (const s of built) await s.close().catch(() => {});
      await sandbox.close();
      await shop.drop();
    },
  };
}

/** An empty shop again, with its channels, and no gateway answers. */
export async function emptyShop(h: Harness<DroppableShop>): Promise<void> {
  await h.empty();
}

/**
 * A suite's shop: our own test database (`database` makes it) and the harness `harness` makes on
 * it, made before the suite's tests and dropped after them.
 */
export function suiteOf<H extends { close(): Promise<void> }>(
  database: () => Promise<TestDatabase>, harness: (database: Database) => Promise<H>,
): { readonly h: H; readonly tdb: TestDatabase } {
  let tdb: TestDatabase | undefined;
  let h: H | undefined;
  beforeAll(async () => {
    tdb = await database();
    h = await harness(tdb.database);
  });
  afterAll(async () => {
    await h?.close();
    await tdb?.drop();
  });
  return {
    get h() {
      if (!h) throw new Error('the harness is made in beforeAll');
      return h;
    },
    get tdb() {
      if (!tdb) throw new Error('the database is made in beforeAll');
      return tdb;
    },
  };
}
