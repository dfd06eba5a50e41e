/**
 * Configuration: parsed once at start from the environment, one schema for Node and Workers, and
 * fail closed: a bad value stops start-up with its name (loadConfig throws ConfigError).
 */
import { z } from 'zod';

const intFrom = (def: number, min = 0, max = 1_000_000_000) =>
  z.coerce.number().int().min(min).max(max).default(def);

const onOff = (def: 'on' | 'off') => z.enum(['on', 'off']).default(def);

/** `1m`, `30s`, `500ms`, `2h`, or `off` */
const duration = z
  .string()
  .regex(/^(off|\d+(ms|s|m|h))$/, 'expected a duration like 30s, 1m, 2h or off')
  .transform((v) => {
    if (v === 'off') return null;
    const m = /^(\d+)(ms|s|m|h)$/.exec(v)!;
    const n = Number(m[1]);
    return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as 'ms' | 's' | 'm' | 'h'];
  });

const envSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://...').optional(),
  DATA_DIR: z.string().default('./.data'),
  PORT: intFrom(8787, 0, 65535),
  HOST: z.string().default('0.0.0.0'),
  /** base64 of 32 random bytes; demo mode generates one into DATA_DIR */
  CARD_KEY_SECRET: z.string().optional(),
  /** older master keys, comma-separated base64: still read, never written (`keys rotate` moves their values to CARD_KEY_SECRET) */
  CARD_KEY_SECRETS_OLD: z.string().optional(),
  /** the key the keyed hashes are made with (query secrets, agent tokens, card uniqueness): never changes; default CARD_KEY_SECRET */
  CARD_KEY_HASH_SECRET: z.string().optional(),
  SANDBOX_LATENCY_MS: intFrom(0, 0, 120_000),
  SWEEP_INTERVAL: z.string().default('1m').pipe(duration),
  /** gateway queries per second per channel, one limit for every sweeper on the database */
  SWEEP_RATE_LIMIT: intFrom(20, 1, 100_000),
  /** how long a sweeper's claim on an order lasts; a sweeper that dies leaves it to expire */
  SWEEP_LEASE_SECONDS: intFrom(120, 1, 86_400),
  /** diagnoses a sweep runs at once (the rate limit still bounds the gateway queries) */
  SWEEP_CONCURRENCY: intFrom(64, 1, 1024),
  /** re-check delays of a stuck order, by attempt; the last one repeats until SWEEP_HORIZON */
  SWEEP_BACKOFF: z.string().default('1m,2m,5m,10m,30m,1h').pipe(z.string().transform((v, ctx) => {
    const steps = v.split(',').map((s) => duration.safeParse(s.trim()));
    if (steps.some((s) => !s.success || s.data === null || s.data <= 0)) {
      ctx.addIssue({ code: 'custom', message: 'expected durations like 1m,2m,5m,10m,30m,1h' });
      return z.NEVER;
    }
    return steps.map((s) => s.data as number);
  })),
  /** how long after an order's creation a payment can still turn up (gateways give up after ~25 h) */
  SWEEP_HORIZON: z.string().default('25h').pipe(duration).refine((v) => v !== null && v > 0, 'expected a duration like 25h'),
  RATE_LIMITS: onOff('on'),
  /** sandbox upstreams for channels with no gateway configured (the demo and serve --world turn it on) */
  SANDBOX: onOff('off'),
  /** behind a TLS-terminating proxy: trust its X-Forwarded-For / X-Forwarded-Proto (client address, Secure cookies) */
  TRUST_PROXY: onOff('off'),
  /** per-gateway circuit breaker (off only for scenario worlds, where each order's gateway fault is independent) */
  CIRCUIT_BREAKER: onOff('on'),
  /** how long one checker may take before it counts as "no trustworthy evidence" */
  CHECKER_TIMEOUT_MS: intFrom(4000, 50, 120_000),
  /** EPay V1 answers are unsigned: is an unsigned "paid" enough to issue a key? */
  EPAY_V1_TRUST: z.enum(['accept', 'reject']).default('reject'),

  /** which shop's records order-doctor works on (../shared/spec/connectors.md) */
  SHOP: z.enum(['builtin', 'dujiaoka', 'dujiao-next', 'acg-faka']).default('builtin'),
  SHOP_DATABASE_URL: z.string().optional(),
  /** the zone the shop writes its times in */
  SHOP_TIMEZONE: z.string().default('Asia/Shanghai').refine(isTimeZone, 'expected an IANA time zone such as Asia/Shanghai'),
  /** gateway credentials from order-doctor's settings (config) or from the shop's own channel records (shop) */
  SHOP_GATEWAYS: z.enum(['config', 'shop']).default('config'),
  /** the prefix the shop's tables were installed with (default: none; acg-faka's installer default `acg_`) */
  SHOP_TABLE_PREFIX: z.string().regex(/^[A-Za-z0-9_]{0,32}$/, 'expected letters, digits or _').optional(),
  /** how long after creation an automatic-delivery order of the shop may still be on its way */
  SHOP_AUTO_WINDOW: z.string().default('5m').pipe(duration).refine((v) => v !== null && v > 0, 'expected a duration like 5m'),
  /** how long the shop's owner normally takes to fulfil a manual (人工处理) order */
  SHOP_MANUAL_WINDOW: z.string().default('2h').pipe(duration).refine((v) => v !== null && v > 0, 'expected a duration like 2h'),
  /** the shop's own database: a statement it has not answered within this is given up (503), its connection dropped */
  SHOP_STATEMENT_TIMEOUT_MS: intFrom(10_000, 200, 120_000),
  /** the shared secret a shop without a connector signs its pushes with (push/signature.ts); absent: no push API */
  SHOP_PUSH_SECRET: z.string().optional(),
  /** where deliveries are announced to that shop, as signed webhooks (jobs/webhooks.ts) */
  SHOP_WEBHOOK_URL: z.url().optional(),
  /** the check page's public address, used in links sent to buyers */
  PUBLIC_URL: z.url().optional(),
  SMTP_URL: z.string().regex(/^smtps?:\/\/[^\s]+$/, 'expected smtp://user:pass@host:port or smtps://...').optional(),
  MAIL_FROM: z.string().optional(),
  /** put the keys themselves into the buyer's email (dujiaoka's habit); off: a link to the check page only */
  MAIL_INCLUDE_KEYS: onOff('off'),

  /** Alipay's endpoint (also for credentials read from the shop); the production gateway unless set */
  ALIPAY_GATEWAY: z.url().optional(),
  ALIPAY_APP_ID: z.string().optional(),
  ALIPAY_PRIVATE_KEY: z.string().optional(),
  ALIPAY_PUBLIC_KEY: z.string().optional(),

  WECHATPAY_BASE_URL: z.url().optional(),
  /** WeChat Pay API v2's endpoint, for v2 credentials read from the shop (dujiaoka's WeChat channel) */
  WECHATPAY_V2_URL: z.url().default('https://api.mch.weixin.qq.com'),
  WECHATPAY_MCHID: z.string().optional(),
  WECHATPAY_APPID: z.string().optional(),
  WECHATPAY_SERIAL_NO: z.string().optional(),
  WECHATPAY_PRIVATE_KEY: z.string().optional(),
  /** the WeChat Pay public key id (PUB_KEY_ID_...) or platform certificate serial */
  WECHATPAY_PLATFORM_SERIAL: z.string().optional(),
  WECHATPAY_PLATFORM_PUBLIC_KEY: z.string().optional(),

  EPAY_API_URL: z.url().optional(),
  EPAY_PID: z.string().optional(),
  EPAY_VERSION: z.enum(['v1', 'v2']).default('v2'),
  EPAY_KEY: z.string().optional(),
  EPAY_PRIVATE_KEY: z.string().optional(),
  EPAY_PLATFORM_PUBLIC_KEY: z.string().optional(),

  SUPPLIER_GATEWAY: z.url().optional(),
  SUPPLIER_APP_KEY: z.string().optional(),
  SUPPLIER_APP_SECRET: z.string().optional(),
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const ALIPAY_PRODUCTION_GATEWAY = 'https://openapi.alipay.com/gateway.do';

export type Env = Partial<Record<keyof z.input<typeof envSchema>, string>>;

export interface Config {
  databaseUrl?: string;
  dataDir: string;
  port: number;
  host: string;
  cardKeySecret?: string;
  /** older card-key master keys, still read (CARD_KEY_SECRETS_OLD) */
  cardKeySecretsOld: string[];
  /** the keyed hashes' key (CARD_KEY_HASH_SECRET); undefined: CARD_KEY_SECRET */
  cardKeyHashSecret?: string;
  sandboxLatencyMs: number;
  sweepIntervalMs: number | null;
  sweepRateLimit: number;
  sweepLeaseMs: number;
  sweepConcurrency: number;
  /** milliseconds, by attempt; the last repeats */
  sweepBackoffMs: number[];
  sweepHorizonMs: number;
  rateLimits: boolean;
  /** SANDBOX=on: unconfigured channels use the in-process sandbox (its routes answer loopback only) */
  sandbox: boolean;
  trustProxy: boolean;
  circuitBreaker: boolean;
  checkerTimeoutMs: number;
  epayV1Trust: 'accept' | 'reject';
  shop: ShopConfig;
  /** where links in buyer emails point (the check page) */
  publicUrl: string;
  /**
   * the push API of a shop with no connector (SHOP=builtin only); null: its routes do not exist.
   * `webhookUrl` null: deliveries are not announced (the shop reads them with a push-less check)
   */
  push: { secret: string; webhookUrl: string | null } | null;
  /** buyer emails; null: none are sent */
  mail: { smtpUrl: string; from: string; includeKeys: boolean } | null;
  /** gateway endpoints for credentials read from the shop's own records (SHOP_GATEWAYS=shop) */
  shopGatewayEndpoints: { alipay: string; wechatV2: string };
  /** per channel: the real gateway, or null for the in-process sandbox */
  gateways: {
    alipay: { gateway: string; appId: string; merchantPrivateKey: string; alipayPublicKey: string } | null;
    wechat: {
      baseUrl: string; mchid: string; appid: string; merchantSerialNo: string; merchantPrivateKey: string;
      platformKeys: Record<string, string>;
    } | null;
    epay: {
      apiUrl: string; pid: string; version: 'v1' | 'v2'; key?: string; merchantPrivateKey?: string;
      platformPublicKey?: string;
    } | null;
    supplier: { gateway: string; appKey: string; appSecret: string } | null;
  };
}

/** The shops order-doctor connects to in their own database (../shared/spec/connectors.md). */
export type ConnectedShopKind = 'dujiaoka' | 'dujiao-next' | 'acg-faka';

/** What every connected shop is configured with; `kind` says whose tables they are. */
export interface ConnectedShopSettings {
  databaseUrl: string;
  timezone: string;
  gateways: 'config' | 'shop';
  tablePrefix: string;
  autoWindowMs: number;
  manualWindowMs: number;
  /** SHOP_STATEMENT_TIMEOUT_MS: the deadline of each statement on the shop's database */
  statementTimeoutMs: number;
}

export type ShopConfig =
  | { kind: 'builtin' }
  | ({ kind: 'dujiaoka' } & ConnectedShopSettings)
  | ({ kind: 'dujiao-next' } & ConnectedShopSettings)
  | ({ kind: 'acg-faka' } & ConnectedShopSettings);

export class ConfigError extends Error {}

/** Which database each connected shop runs on: the URL's scheme is checked at start. */
const SHOP_DATABASE: Record<ConnectedShopKind, { pattern: RegExp; example: string }> = {
  dujiaoka: { pattern: /^mysql:\/\/[^\s/]+\/[A-Za-z0-9_$-]+(\?.*)?$/, example: 'mysql://user:pass@host:3306/database' },
  'acg-faka': { pattern: /^mysql:\/\/[^\s/]+\/[A-Za-z0-9_$-]+(\?.*)?$/, example: 'mysql://user:pass@host:3306/database' },
  'dujiao-next': { pattern: /^postgres(ql)?:\/\/[^\s/]+\/[A-Za-z0-9_$-]+(\?.*)?$/, example: 'postgres://user:pass@host:5432/database' },
};

/** acg-faka's installer proposes `acg_`; the others install without a prefix. */
const DEFAULT_TABLE_PREFIX: Record<ConnectedShopKind, string> = { dujiaoka: '', 'dujiao-next': '', 'acg-faka': 'acg_' };

function shopConfig(e: z.output<typeof envSchema>): ShopConfig {
  if (e.SHOP === 'builtin') return { kind: 'builtin' };
  const url = e.SHOP_DATABASE_URL;
  if (!url) throw new ConfigError(`SHOP_DATABASE_URL: required when SHOP=${e.SHOP}`);
  const { pattern, example } = SHOP_DATABASE[e.SHOP];
  if (!pattern.test(url)) throw new ConfigError(`SHOP_DATABASE_URL: expected ${example} for ${e.SHOP}`);
  return {
    kind: e.SHOP, databaseUrl: url, timezone: e.SHOP_TIMEZONE, gateways: e.SHOP_GATEWAYS,
    tablePrefix: e.SHOP_TABLE_PREFIX ?? DEFAULT_TABLE_PREFIX[e.SHOP],
    autoWindowMs: e.SHOP_AUTO_WINDOW!, manualWindowMs: e.SHOP_MANUAL_WINDOW!, statementTimeoutMs: e.SHOP_STATEMENT_TIMEOUT_MS,
  };
}

/** A secret that a person could guess or a brute force could find is refused, like a short password. */
const PUSH_SECRET_MIN = 32;

function pushConfig(e: z.output<typeof envSchema>): Config['push'] {
  if (!e.SHOP_PUSH_SECRET) {
    if (e.SHOP_WEBHOOK_URL) throw new ConfigError('SHOP_PUSH_SECRET: required when SHOP_WEBHOOK_URL is set (webhooks are signed with it)');
    return null;
  }
  // a connected shop is read in its own database: a second way in for its orders would be a second truth
  if (e.SHOP !== 'builtin') throw new ConfigError(`SHOP_PUSH_SECRET: the push API feeds the built-in store only (SHOP=builtin), not SHOP=${e.SHOP}`);
  if (e.SHOP_PUSH_SECRET.length < PUSH_SECRET_MIN || /\s/.test(e.SHOP_PUSH_SECRET)) {
    throw new ConfigError(`SHOP_PUSH_SECRET: expected at least ${PUSH_SECRET_MIN} characters without spaces (e.g. openssl rand -hex 32)`);
  }
  const url = e.SHOP_WEBHOOK_URL;
  // the body carries card keys: only over TLS, except to this machine (development, tests)
  if (url && !/^https:\/\//i.test(url) && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/i.test(url)) {
    throw new ConfigError('SHOP_WEBHOOK_URL: expected https://... (http:// only to 127.0.0.1, localhost or [::1]): the webhook carries card keys');
  }
  return { secret: e.SHOP_PUSH_SECRET, webhookUrl: url ?? null };
}

function mailConfig(e: z.output<typeof envSchema>): Config['mail'] {
  if (!e.SMTP_URL) {
    if (e.MAIL_FROM) throw new ConfigError('SMTP_URL: required when MAIL_FROM is set');
    return null;
  }
  if (!e.MAIL_FROM) throw new ConfigError('MAIL_FROM: required when SMTP_URL is set');
  // links in buyers' emails must reach the check page from outside, never http://localhost
  if (!e.PUBLIC_URL) throw new ConfigError('PUBLIC_URL: required when SMTP_URL is set (the check page\'s public address, linked in buyer emails)');
  return { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM, includeKeys: e.MAIL_INCLUDE_KEYS === 'on' };
}

/** CARD_KEY_SECRETS_OLD: comma-separated keys, each base64 of 32 bytes (blank entries ignored). */
function cardKeyList(v: string | undefined): string[] {
  const keys = (v ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '');
  const bad = keys.findIndex((k) => Buffer.from(k, 'base64').length !== 32);
  if (bad >= 0) throw new ConfigError(`CARD_KEY_SECRETS_OLD: key ${bad + 1}: expected base64 of 32 bytes`);
  return keys;
}

/**
 * Older keys and the hash key only next to a current key; and while older keys are configured the
 * hash key must be named: it is the key the stored hashes were made with (the first CARD_KEY_SECRET),
 * which a new CARD_KEY_SECRET must not silently replace.
 */
function cardKeyRotation(e: z.output<typeof envSchema>, old: string[]): void {
  if (e.CARD_KEY_HASH_SECRET !== undefined && Buffer.from(e.CARD_KEY_HASH_SECRET, 'base64').length !== 32) {
    throw new ConfigError('CARD_KEY_HASH_SECRET: expected base64 of 32 bytes');
  }
  if (!e.CARD_KEY_SECRET && (old.length || e.CARD_KEY_HASH_SECRET)) {
    throw new ConfigError(`CARD_KEY_SECRET: required when ${old.length ? 'CARD_KEY_SECRETS_OLD' : 'CARD_KEY_HASH_SECRET'} is set`);
  }
  if (old.length && !e.CARD_KEY_HASH_SECRET) {
    throw new ConfigError('CARD_KEY_HASH_SECRET: required when CARD_KEY_SECRETS_OLD is set (the key the stored hashes were made with: the first CARD_KEY_SECRET)');
  }
}

/** Groups of settings that must be given together or not at all. */
function group<T>(name: string, values: Record<string, string | undefined>, build: () => T): T | null {
  const given = Object.entries(values).filter(([, v]) => v !== undefined && v !== '');
  if (given.length === 0) return null;
  const missing = Object.entries(values).filter(([, v]) => v === undefined || v === '').map(([k]) => k);
  if (missing.length) throw new ConfigError(`${missing[0]}: required when ${name} is configured`);
  return build();
}

/**
 * Settings that no longer exist but whose silent ignoring would mislead: a process started with one
 * set refuses, saying what replaced it.
 */
const RETIRED: Record<string, string> = {
  TICKET_SLA_MINUTES: 'replaced by the SLA policy supervisors set at /agent/sla (defaults: normal 15 min / 2 h, urgent 5 / 30 min)',
};

export function loadConfig(env: Record<string, string | undefined>): Config {
  const retired = Object.keys(RETIRED).find((k) => env[k] !== undefined);
  if (retired) throw new ConfigError(`${retired}: ${RETIRED[retired]}`);
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  const epayNeeds: Record<string, string | undefined> =
    e.EPAY_VERSION === 'v1'
      ? { EPAY_API_URL: e.EPAY_API_URL, EPAY_PID: e.EPAY_PID, EPAY_KEY: e.EPAY_KEY }
      : { EPAY_API_URL: e.EPAY_API_URL, EPAY_PID: e.EPAY_PID, EPAY_PRIVATE_KEY: e.EPAY_PRIVATE_KEY, EPAY_PLATFORM_PUBLIC_KEY: e.EPAY_PLATFORM_PUBLIC_KEY };
  if (e.CARD_KEY_SECRET !== undefined && Buffer.from(e.CARD_KEY_SECRET, 'base64').length !== 32) {
    throw new ConfigError('CARD_KEY_SECRET: expected base64 of 32 bytes');
  }
  const cardKeySecretsOld = cardKeyList(e.CARD_KEY_SECRETS_OLD);
  cardKeyRotation(e, cardKeySecretsOld);
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    port: e.PORT,
    host: e.HOST,
    cardKeySecret: e.CARD_KEY_SECRET,
    cardKeySecretsOld,
    cardKeyHashSecret: e.CARD_KEY_HASH_SECRET,
    sandboxLatencyMs: e.SANDBOX_LATENCY_MS,
    sweepIntervalMs: e.SWEEP_INTERVAL,
    sweepRateLimit: e.SWEEP_RATE_LIMIT,
    sweepLeaseMs: e.SWEEP_LEASE_SECONDS * 1000,
    sweepConcurrency: e.SWEEP_CONCURRENCY,
    sweepBackoffMs: e.SWEEP_BACKOFF,
    sweepHorizonMs: e.SWEEP_HORIZON!,
    rateLimits: e.RATE_LIMITS === 'on',
    sandbox: e.SANDBOX === 'on',
    trustProxy: e.TRUST_PROXY === 'on',
    circuitBreaker: e.CIRCUIT_BREAKER === 'on',
    checkerTimeoutMs: e.CHECKER_TIMEOUT_MS,
    epayV1Trust: e.EPAY_V1_TRUST,
    shop: shopConfig(e),
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    mail: mailConfig(e),
    push: pushConfig(e),
    shopGatewayEndpoints: { alipay: e.ALIPAY_GATEWAY ?? ALIPAY_PRODUCTION_GATEWAY, wechatV2: e.WECHATPAY_V2_URL },
    gateways: {
      // ALIPAY_GATEWAY alone only names the endpoint (the production one unless set)
      alipay: group('Alipay', {
        ALIPAY_APP_ID: e.ALIPAY_APP_ID, ALIPAY_PRIVATE_KEY: e.ALIPAY_PRIVATE_KEY, ALIPAY_PUBLIC_KEY: e.ALIPAY_PUBLIC_KEY,
      }, () => ({
        gateway: e.ALIPAY_GATEWAY ?? ALIPAY_PRODUCTION_GATEWAY, appId: e.ALIPAY_APP_ID!,
        merchantPrivateKey: e.ALIPAY_PRIVATE_KEY!, alipayPublicKey: e.ALIPAY_PUBLIC_KEY!,
      })),
      wechat: group('WeChat Pay', {
        WECHATPAY_BASE_URL: e.WECHATPAY_BASE_URL, WECHATPAY_MCHID: e.WECHATPAY_MCHID,
        WECHATPAY_APPID: e.WECHATPAY_APPID, WECHATPAY_SERIAL_NO: e.WECHATPAY_SERIAL_NO,
        WECHATPAY_PRIVATE_KEY: e.WECHATPAY_PRIVATE_KEY, WECHATPAY_PLATFORM_SERIAL: e.WECHATPAY_PLATFORM_SERIAL,
        WECHATPAY_PLATFORM_PUBLIC_KEY: e.WECHATPAY_PLATFORM_PUBLIC_KEY,
      }, () => ({
        baseUrl: e.WECHATPAY_BASE_URL!, mchid: e.WECHATPAY_MCHID!, appid: e.WECHATPAY_APPID!,
        merchantSerialNo: e.WECHATPAY_SERIAL_NO!, merchantPrivateKey: e.WECHATPAY_PRIVATE_KEY!,
        platformKeys: { [e.WECHATPAY_PLATFORM_SERIAL!]: e.WECHATPAY_PLATFORM_PUBLIC_KEY! },
      })),
      epay: group('EPay', epayNeeds, () => ({
        apiUrl: e.EPAY_API_URL!, pid: e.EPAY_PID!, version: e.EPAY_VERSION, key: e.EPAY_KEY,
        merchantPrivateKey: e.EPAY_PRIVATE_KEY, platformPublicKey: e.EPAY_PLATFORM_PUBLIC_KEY,
      })),
      supplier: group('the supplier', {
        SUPPLIER_GATEWAY: e.SUPPLIER_GATEWAY, SUPPLIER_APP_KEY: e.SUPPLIER_APP_KEY,
        SUPPLIER_APP_SECRET: e.SUPPLIER_APP_SECRET,
      }, () => ({ gateway: e.SUPPLIER_GATEWAY!, appKey: e.SUPPLIER_APP_KEY!, appSecret: e.SUPPLIER_APP_SECRET! })),
    },
  };
}
