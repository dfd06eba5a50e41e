/**
 * The composition root: builds everything the verbs need, once, from the configuration, and is the
 * only place that chooses implementations (the shop's records: the built-in store or a connected
 * shop; each gateway: the real one, the shop's own credentials, or the in-process sandbox). Used
 * alike by the HTTP server, the CLI, the sweep and the scenario runner. No module reads process.env.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { lockDataDir } from './db/data-dir-lock.ts';
import { migrateDatabase } from './db/migrate.ts';
import { settings } from './db/schema.ts';
import { eq } from 'drizzle-orm';
import { createSecretBox, newMasterKey, type SecretBox } from './crypto/secret-box.ts';
import { checkHashKey } from './crypto/hash-key-check.ts';
import type { Channel } from './domain/verdicts.ts';
import type { PaymentGateway } from './gateways/types.ts';
import type { SupplierClient } from './suppliers/types.ts';
import { createGatewayFactory, type GatewayFactory } from './gateways/index.ts';
import { createGatewayDirectory, type GatewayDirectory } from './gateways/directory.ts';
import { createFuluSupplier } from './suppliers/fulu/client.ts';
import { createDbSandboxWorld } from './sandbox/db-world.ts';
import { sandboxCredentials } from './sandbox/credentials.ts';
import { listenSandbox, type SandboxListener } from './sandbox/listener.ts';
import type { SandboxContext } from './sandbox/types.ts';
import type { ShopCredentials, ShopOpenDeps, ShopPort } from './shops/port.ts';
import type { Postgres } from './db/postgres-guard.ts';
import { createBuiltinShop } from './shops/builtin/index.ts';
import { openDujiaokaShop } from './shops/dujiaoka/index.ts';
import { openDujiaoNextShop } from './shops/dujiao-next/index.ts';
import { openAcgFakaShop } from './shops/acg-faka/index.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import type { UpstreamCall } from './net/http-client.ts';

export interface Services {
  config: Config;
  /** order-doctor's own database (diagnoses, tickets, audit, sweep queue; the built-in store's tables too) */
  database: Database;
  box: SecretBox;
  now: () => Date;
  /** the shop's records: the built-in store, or the connected shop's own database */
  shop: ShopPort;
  /** which gateway answers for which order */
  gateways: GatewayDirectory;
  supplier: SupplierClient;
  /** sandbox mode (SANDBOX=on, the demo, serve --world) with at least one upstream unconfigured */
  sandbox: SandboxContext | null;
  /** where the sandbox answers: its own loopback port (Node), or in-process (Workers: sandbox/in-process.ts) */
  sandboxUrl: string | null;
  /** true when the card-key master secret was generated for the demo */
  demoSecret: boolean;
  /** structured logs (observability/logger.ts): JSON lines in serve, warnings as plain lines in the CLI */
  logger: Logger;
  /** this process's Prometheus registry and its series (observability/metrics.ts) */
  metrics: Metrics;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** fixed clock (scenarios, tests); default: the real one */
  now?: () => Date;
  /** an already open database (tests share one per file) */
  database?: Database;
  /** skip migrations (the caller already applied them) */
  migrated?: boolean;
  /** where logs go; default: warnings and errors as plain lines on stderr (the CLI's habit) */
  logger?: Logger;
  /** add prom-client's process and Node.js series to the metrics (serve) */
  processMetrics?: boolean;
  /** false: only the database's series, none counted per process (Workers: observability/metrics.ts) */
  perProcessMetrics?: false;
  /** false: never play the sandbox upstreams, even on a database a world was loaded into */
  sandbox?: false;
  /** where the sandbox upstreams answer; default their own loopback port (Workers: in-process, sandbox/in-process.ts) */
  serveSandbox?: (ctx: SandboxContext) => Promise<SandboxListener>;
  /**
   * What the upstream clients send with (net/transports.ts); default node:http. Workers: their
   * global fetch, the runtime's own way out (node:http there is a layer over it).
   */
  upstreamFetch?: typeof fetch;
  /** a connected shop on Postgres (dujiao-next): postgres.js itself; default the guarded build (Workers: its workerd build) */
  shopPostgres?: Postgres;
}

export async function createServices(config: Config, opts: ServiceOptions = {}): Promise<Services> {
  const database = opts.database ?? (await openConfiguredDatabase(config));
  if (!opts.migrated) await migrateDatabase(database);
  const { secret, generated } = masterSecret(config);
  // CARD_KEY_SECRET seals, older keys still open, the hash key never changes (crypto/secret-box.ts)
  const box = await createSecretBox({ current: secret, old: config.cardKeySecretsOld, hash: config.cardKeyHashSecret });
  await checkHashKey(database, box, config.cardKeyHashSecret !== undefined).catch(async (err) => {
    if (!opts.database) await database.close();
    throw err;
  });
  const now = opts.now ?? (() => new Date());
  const logger = opts.logger ?? createLogger({ format: 'lines' });
  const metrics = createMetrics({ database, now, processMetrics: opts.processMetrics, perProcess: opts.perProcessMetrics });

  const shop = await openShop(config, { database, box, now, postgres: opts.shopPostgres });

  // Only in sandbox mode (SANDBOX=on, the demo, serve --world): anywhere else a channel without a
  // gateway is unverifiable, never answered by fake gateways whose signing keys are public.
  // The sandbox plays the built-in store's worlds; it knows nothing of a connected shop's orders,
  // so for a real shop an unconfigured channel stays unverifiable instead of asking the sandbox.
  const playsWorld = shop.kind === 'builtin';
  // a database a world was loaded into (the demo's, serve --world's) is played by every process on it
  const sandboxMode = opts.sandbox !== false && playsWorld && (config.sandbox || (await holdsLoadedWorld(database)));
  const needsSandbox = sandboxMode && Object.values(config.gateways).some((g) => g === null);
  const sandbox: SandboxContext | null = needsSandbox
    ? { world: createDbSandboxWorld(database.db), now, latencyMs: config.sandboxLatencyMs }
    : null;
  let listener: SandboxListener | null = null;
  if (sandbox) listener = await (opts.serveSandbox ?? listenSandbox)(sandbox);

  const factory = createGatewayFactory({
    now,
    circuitBreaker: config.circuitBreaker,
    observe: (call) => observeUpstream(logger, metrics, call),
    onBreakerChange: (upstream, state) =>
      logger.warn({ upstream, breaker: state }, state === 'open' ? `circuit opened: ${upstream} fails fast for a while` : `circuit closed: ${upstream} answers again`),
    // an in-process sandbox is reached through its own fetch (no socket), which sends every other origin out as usual
    fetch: listener?.fetch ?? opts.upstreamFetch,
  });
  metrics.watchBreakers(() => factory.breakers());

  const fixed = fixedGateways(config, factory, listener?.baseUrl ?? null);
  const gateways = createGatewayDirectory({
    fixed,
    shopChannels: config.shop.kind !== 'builtin' && config.shop.gateways === 'shop' ? () => shop.channels() : undefined,
    build: (c) => gatewayFromShop(c, config, factory),
    now,
  });

  return {
    config,
    database,
    box,
    now,
    shop,
    gateways,
    supplier: supplierClient(config, factory, listener?.baseUrl ?? null, now),
    sandbox,
    sandboxUrl: listener?.baseUrl ?? null,
    demoSecret: generated,
    logger,
    metrics,
    async close() {
      await factory.close();
      await listener?.close();
      await shop.close();
      if (!opts.database) await database.close();
    },
  };
}

/** One upstream call: its latency in the histogram, and a debug line (with the request's id). */
function observeUpstream(logger: Logger, metrics: Metrics, call: UpstreamCall): void {
  metrics.upstream({ upstream: call.upstream, outcome: call.outcome, seconds: call.ms / 1000 });
  // the line is built only when debug is on: two per check, at info otherwise for nothing
  if (!logger.isLevelEnabled('debug')) return;
  logger.debug({
    ...call.logContext, upstream: call.upstream, outcome: call.outcome, ms: call.ms, attempts: call.attempts, ...(call.status ? { status: call.status } : {}),
  }, 'upstream call');
}

/** Whether a scenario world was loaded into this database (world/load.ts writes the marker). */
async function holdsLoadedWorld(database: Database): Promise<boolean> {
  const [row] = await database.db.select({ key: settings.key }).from(settings).where(eq(settings.key, 'world')).limit(1);
  return row !== undefined;
}

/** Per channel: the gateway order-doctor's settings name, else the sandbox (when it runs), else none. */
function fixedGateways(config: Config, factory: GatewayFactory, sandboxUrl: string | null): Partial<Record<Channel, PaymentGateway>> {
  const g = config.gateways;
  const sb = sandboxUrl ? sandboxCredentials(sandboxUrl) : null;
  const out: Partial<Record<Channel, PaymentGateway>> = {};
  const alipay = g.alipay ?? sb?.alipay;
  if (alipay) out.alipay = factory.alipay(alipay);
  const wechat = g.wechat ?? (sb ? {
    baseUrl: sb.wechatpay.baseUrl, mchid: sb.wechatpay.mchid, appid: sb.wechatpay.appid,
    merchantSerialNo: sb.wechatpay.merchantSerialNo, merchantPrivateKey: sb.wechatpay.merchantPrivateKey,
    platformKeys: { [sb.wechatpay.platformSerial]: sb.wechatpay.platformPublicKey },
  } : null);
  if (wechat) out.wechat = factory.wechat(wechat);
  const epay = g.epay ?? (sb ? { ...sb.epay, version: 'v2' as const } : null);
  if (epay) out.epay = factory.epay(epay);
  return out;
}

/** The shop's records: the built-in store in our own database, or the connected shop's. */
async function openShop(config: Config, deps: ShopOpenDeps): Promise<ShopPort> {
  const shop = config.shop;
  switch (shop.kind) {
    case 'builtin': return createBuiltinShop({ database: deps.database, box: deps.box, announce: Boolean(config.push?.webhookUrl) });
    case 'dujiaoka': return openDujiaokaShop(shop, deps);
    case 'dujiao-next': return openDujiaoNextShop(shop, deps);
    case 'acg-faka': return openAcgFakaShop(shop, deps);
  }
}

/** A gateway from credentials the shop keeps (SHOP_GATEWAYS=shop), at the configured endpoints. */
function gatewayFromShop(c: ShopCredentials, config: Config, factory: GatewayFactory): PaymentGateway {
  switch (c.protocol) {
    case 'alipay':
      return factory.alipay({ gateway: config.shopGatewayEndpoints.alipay, appId: c.appId, merchantPrivateKey: c.merchantPrivateKey, alipayPublicKey: c.alipayPublicKey });
    case 'wechatpay-v2':
      return factory.wechatV2({ url: config.shopGatewayEndpoints.wechatV2, appid: c.appid, mchid: c.mchid, key: c.key });
    case 'epay-v1':
      return factory.epay({ apiUrl: c.apiUrl, pid: c.pid, version: 'v1', key: c.key });
  }
}

/** The card-key supplier: configured, else the sandbox; a connected shop without one never asks (no supplier goods). */
function supplierClient(config: Config, factory: GatewayFactory, sandboxUrl: string | null, now: () => Date): SupplierClient {
  const cfg = config.gateways.supplier ?? (sandboxUrl ? sandboxCredentials(sandboxUrl).supplier : null);
  if (cfg) return createFuluSupplier(cfg, { http: factory.client('supplier'), now });
  return {
    async query() {
      return { trust: 'untrusted', fault: { kind: 'protocol', message: 'no supplier configured (SUPPLIER_GATEWAY)' }, exchange: [], attempts: 0, ms: 0 };
    },
  };
}

/**
 * The configured database: Postgres at DATABASE_URL, else the embedded PGlite in DATA_DIR/pg, which
 * one process at a time may open (db/data-dir-lock.ts): a second opener fails at once, naming the
 * first; closing the database releases it.
 */
export async function openConfiguredDatabase(config: Config): Promise<Database> {
  if (config.databaseUrl) return openDatabase({ url: config.databaseUrl });
  const lock = await lockDataDir(config.dataDir);
  let database: Database;
  try {
    database = await openDatabase({ dataDir: join(config.dataDir, 'pg') });
  } catch (err) {
    lock.release();
    throw err;
  }
  return {
    ...database,
    async close() {
      try {
        await database.close();
      } finally {
        lock.release();
      }
    },
  };
}

/** CARD_KEY_SECRET, or for the demo a key generated once into DATA_DIR (never logged). */
function masterSecret(config: Config): { secret: string; generated: boolean } {
  if (config.cardKeySecret) return { secret: config.cardKeySecret, generated: false };
  const file = join(config.dataDir, 'card-key.secret');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, newMasterKey() + '\n', { mode: 0o600 });
  }
  return { secret: readFileSync(file, 'utf8').trim(), generated: true };
}
