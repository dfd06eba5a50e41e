import { z } from 'zod';
import { ACTIONS, CHANNELS, ORDER_STATUSES, UNSPOKEN_METHODS, VERDICTS, type UnspokenMethod } from '../domain/verdicts.ts';
import { GATEWAY_STATES } from '../sandbox/types.ts';

/**
 * The scenario file format of ../shared/spec/scenarios.md: a small world (products, stock, orders,
 * gateway and supplier answers, legacy data, a fixed clock) plus checks with expectations.
 * Every object is strict (an unknown field is a typo, and a silently ignored typo makes a
 * regression test pass for the wrong reason). Collections the spec lists but a world may not
 * need (stock, gateway, legacy, checks) default to empty.
 */

const cents = z.int().nonnegative();
const time = z.iso.datetime({ offset: true });
const text = z.string().min(1);

export const scenarioProductSchema = z.strictObject({
  sku: text,
  title: text,
  priceCents: cents,
  fulfilment: z.enum(['stock', 'supplier']),
  deliveryWindowMinutes: z.int().nonnegative(),
});

export const scenarioStockSchema = z.strictObject({
  sku: text,
  keys: z.array(text),
});

export const scenarioKeySchema = z.strictObject({
  secret: text,
  status: z.enum(['delivered', 'voided']),
  /** true marks a key that was itself an automatic replacement (counts toward the limit) */
  replacement: z.boolean().default(false),
});

export const scenarioSupplierAnswerSchema = z.strictObject({
  state: z.enum(['processing', 'success', 'failed']),
  since: time,
  keys: z.array(text).optional(),
  reason: text.optional(),
});

export const scenarioOrderSchema = z.strictObject({
  orderNo: text,
  sku: text,
  quantity: z.int().min(1),
  amountCents: cents,
  /** a gateway order-doctor speaks, or one it cannot query (UNSPOKEN_METHODS: PAYMENT_UNVERIFIABLE) */
  channel: z.enum([...CHANNELS, ...(Object.keys(UNSPOKEN_METHODS) as UnspokenMethod[])]),
  status: z.enum(ORDER_STATUSES),
  createdAt: time,
  paidAt: time.optional(),
  querySecret: text,
  contact: text.optional(),
  keys: z.array(scenarioKeySchema),
  supplier: scenarioSupplierAnswerSchema.nullable(),
});

export const scenarioGatewayAnswerSchema = z.strictObject({
  state: z.enum(GATEWAY_STATES),
  amountCents: cents.optional(),
  paidAt: time.optional(),
  tradeNo: text.optional(),
  refundedAt: time.optional(),
  reason: text.optional(),
});

export const scenarioLegacyOrderSchema = z.strictObject({
  orderNo: text,
  sku: text,
  quantity: z.int().min(1),
  amountCents: cents,
  status: z.enum(ORDER_STATUSES),
  paidAt: time.optional(),
  querySecret: text,
  /** card-key secrets the legacy platform delivered: the proof a restore relies on */
  keys: z.array(text),
});

export const scenarioMigrationSchema = z.strictObject({
  state: z.enum(['pending', 'migrated', 'failed', 'conflict']),
  batch: text.optional(),
  eta: time.optional(),
  newOrderNo: text.optional(),
});

export const scenarioLegacySchema = z.strictObject({
  orders: z.array(scenarioLegacyOrderSchema).default([]),
  migration: z.record(z.string(), scenarioMigrationSchema).default({}),
});

export const scenarioExpectSchema = z.strictObject({
  verdict: z.enum(VERDICTS).nullable().optional(),
  action: z.enum(ACTIONS).nullable().optional(),
  suggested: z.enum(ACTIONS).nullable().optional(),
  error: text.nullable().optional(),
  keysHeld: z.int().nonnegative().optional(),
});

export const scenarioCheckSchema = z.strictObject({
  orderNo: text,
  as: z.enum(['customer', 'agent', 'sweep']),
  /** optional even for customers: a check without it simply fails verification */
  secret: z.string().optional(),
  apply: z.boolean().optional(),
  expect: scenarioExpectSchema.optional(),
});

export const scenarioSchema = z.strictObject({
  name: text,
  now: time,
  products: z.array(scenarioProductSchema),
  stock: z.array(scenarioStockSchema).default([]),
  orders: z.array(scenarioOrderSchema),
  gateway: z.record(z.string(), scenarioGatewayAnswerSchema).default({}),
  legacy: scenarioLegacySchema.default({ orders: [], migration: {} }),
  checks: z.array(scenarioCheckSchema).default([]),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioProduct = z.infer<typeof scenarioProductSchema>;
export type ScenarioStock = z.infer<typeof scenarioStockSchema>;
export type ScenarioKey = z.infer<typeof scenarioKeySchema>;
export type ScenarioSupplierAnswer = z.infer<typeof scenarioSupplierAnswerSchema>;
export type ScenarioOrder = z.infer<typeof scenarioOrderSchema>;
export type ScenarioGatewayAnswer = z.infer<typeof scenarioGatewayAnswerSchema>;
export type ScenarioLegacyOrder = z.infer<typeof scenarioLegacyOrderSchema>;
export type ScenarioMigration = z.infer<typeof scenarioMigrationSchema>;
export type ScenarioLegacy = z.infer<typeof scenarioLegacySchema>;
export type ScenarioExpect = z.infer<typeof scenarioExpectSchema>;
export type ScenarioCheck = z.infer<typeof scenarioCheckSchema>;
/** What `serve --world` and the runner load into a database: the scenario minus its checks. */
export type World = Omit<Scenario, 'name' | 'checks'>;

export type ParseResult = { ok: true; scenario: Scenario } | { ok: false; error: string };

/**
 * Validates a parsed JSON value as a scenario. On failure `error` is one line naming the JSON path
 * of the first problem in document order, e.g. `orders[2].amountCents: expected integer`.
 * @example
 *   const r = parseScenario(JSON.parse(await readFile(file, 'utf8')));
 *   if (!r.ok) { console.error(`${file}: ${r.error}`); process.exit(2); }
 */
export function parseScenario(json: unknown): ParseResult {
  const parsed = scenarioSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: firstIssueMessage(json, parsed.error.issues) };
  const problem = findCrossReferenceProblem(parsed.data);
  return problem ? { ok: false, error: problem } : { ok: true, scenario: parsed.data };
}

// ---------------------------------------------------------------------------------------------
// zod issues -> `path: short message`

type PathKey = PropertyKey;
interface Problem { path: PathKey[]; message: string; seq: number }

function firstIssueMessage(input: unknown, issues: readonly z.core.$ZodIssue[]): string {
  const problems: Problem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      // one problem per key, so the first unknown field in the file is the one reported
      for (const key of issue.keys) problems.push({ path: [...issue.path, key], message: 'unknown field', seq: problems.length });
    } else {
      problems.push({ path: issue.path, message: describeIssue(input, issue), seq: problems.length });
    }
  }
  problems.sort((a, b) => compareDocumentOrder(input, a, b));
  const first = problems[0];
  return first ? `${formatPath(first.path)}: ${first.message}` : 'invalid scenario';
}

function describeIssue(input: unknown, issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (isMissing(input, issue.path)) return 'required';
      return `expected ${typeName(issue.expected)}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `expected ${String(issue.values[0])}` : `expected one of ${issue.values.map(String).join('|')}`;
    case 'invalid_format':
      return issue.format === 'datetime' ? 'expected ISO-8601 time with offset' : `expected ${issue.format}`;
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return `expected at least ${String(issue.minimum)} items`;
      return `expected integer ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

function typeName(expected: string): string {
  if (expected === 'int') return 'integer';
  if (expected === 'record') return 'object';
  return expected;
}

function valueAt(input: unknown, path: readonly PathKey[]): unknown {
  let here: unknown = input;
  for (const key of path) {
    if (here === null || typeof here !== 'object') return undefined;
    here = (here as Record<PropertyKey, unknown>)[key];
  }
  return here;
}

function isMissing(input: unknown, path: readonly PathKey[]): boolean {
  const parent = valueAt(input, path.slice(0, -1));
  const key = path[path.length - 1];
  return key !== undefined && parent !== null && typeof parent === 'object' && !Array.isArray(parent) && !(key in parent);
}

/** Orders problems as they appear in the file; a missing field sorts after its object's present ones. */
function compareDocumentOrder(input: unknown, a: Problem, b: Problem): number {
  let here: unknown = input;
  for (let i = 0; ; i++) {
    const ka = a.path[i];
    const kb = b.path[i];
    if (ka === undefined || kb === undefined) {
      if (ka === kb) return a.seq - b.seq;
      return ka === undefined ? -1 : 1;
    }
    if (ka !== kb) return positionIn(here, ka) - positionIn(here, kb) || a.seq - b.seq;
    here = here !== null && typeof here === 'object' ? (here as Record<PropertyKey, unknown>)[ka] : undefined;
  }
}

function positionIn(container: unknown, key: PathKey): number {
  if (typeof key === 'number') return key;
  if (container === null || typeof container !== 'object') return Number.MAX_SAFE_INTEGER;
  const index = Object.keys(container).indexOf(String(key));
  return index === -1 ? Number.MAX_SAFE_INTEGER : index;
}

/** `orders[2].amountCents`, `gateway.K2026112200001.state`, `gateway["odd key"]` */
export function formatPath(path: readonly PathKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(String(key))) out += out === '' ? String(key) : `.${String(key)}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// cross references: things each field can't know alone, checked in document order

function findCrossReferenceProblem(s: Scenario): string | null {
  const products = new Map(s.products.map((p) => [p.sku, p]));
  const orderNos = new Set(s.orders.map((o) => o.orderNo));
  const legacyNos = new Set(s.legacy.orders.map((o) => o.orderNo));
  const keyOwners = new Map<string, string>(); // card-key secret -> where it first appeared
  const claimKey = (secret: string, at: string): string | null => {
    const owner = keyOwners.get(secret);
    if (owner) return `${at}: duplicate card key ${secret} (also ${owner})`;
    keyOwners.set(secret, at);
    return null;
  };

  const seenSkus = new Set<string>();
  for (const [i, p] of s.products.entries()) {
    if (seenSkus.has(p.sku)) return `products[${i}].sku: duplicate sku ${p.sku}`;
    seenSkus.add(p.sku);
  }

  for (const [i, st] of s.stock.entries()) {
    if (!products.has(st.sku)) return `stock[${i}].sku: no product ${st.sku}`;
    for (const [j, secret] of st.keys.entries()) {
      const dup = claimKey(secret, `stock[${i}].keys[${j}]`);
      if (dup) return dup;
    }
  }

  const seenOrders = new Set<string>();
  for (const [i, o] of s.orders.entries()) {
    const at = `orders[${i}]`;
    if (seenOrders.has(o.orderNo)) return `${at}.orderNo: duplicate orderNo ${o.orderNo}`;
    seenOrders.add(o.orderNo);
    const product = products.get(o.sku);
    if (!product) return `${at}.sku: no product ${o.sku}`;
    if (o.supplier && product.fulfilment !== 'supplier') return `${at}.supplier: product ${o.sku} does not ship from a supplier`;
    for (const [j, key] of o.keys.entries()) {
      const dup = claimKey(key.secret, `${at}.keys[${j}].secret`);
      if (dup) return dup;
    }
  }

  for (const orderNo of Object.keys(s.gateway)) {
    if (!orderNos.has(orderNo)) return `${formatPath(['gateway', orderNo])}: no order ${orderNo} in orders`;
  }

  const seenLegacy = new Set<string>();
  for (const [i, o] of s.legacy.orders.entries()) {
    if (seenLegacy.has(o.orderNo)) return `legacy.orders[${i}].orderNo: duplicate orderNo ${o.orderNo}`;
    seenLegacy.add(o.orderNo);
    if (!products.has(o.sku)) return `legacy.orders[${i}].sku: no product ${o.sku}`;
  }

  const migratedTo = new Set<string>();
  for (const [legacyNo, m] of Object.entries(s.legacy.migration)) {
    const at = formatPath(['legacy', 'migration', legacyNo]);
    if (!legacyNos.has(legacyNo)) return `${at}: no legacy order ${legacyNo} in legacy.orders`;
    if (m.eta !== undefined && m.state !== 'pending') return `${at}.eta: only a pending migration has an eta`;
    if (m.state === 'migrated' && m.newOrderNo === undefined) return `${at}.newOrderNo: required when state is migrated`;
    if (m.newOrderNo !== undefined) {
      if (m.state === 'pending' || m.state === 'failed') return `${at}.newOrderNo: a ${m.state} migration has no new order`;
      if (!orderNos.has(m.newOrderNo)) return `${at}.newOrderNo: no order ${m.newOrderNo} in orders`;
      if (migratedTo.has(m.newOrderNo)) return `${at}.newOrderNo: ${m.newOrderNo} is already the target of another migration`;
      migratedTo.add(m.newOrderNo);
    }
  }

  for (const [i, c] of s.checks.entries()) {
    if (c.apply !== undefined && c.as !== 'agent') return `checks[${i}].apply: only agent checks take apply`;
  }
  return null;
}
