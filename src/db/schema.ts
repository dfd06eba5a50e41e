/**
 * The data model. Migrations in ../../migrations are generated from this file by drizzle-kit and
 * applied identically to PGlite and Postgres.
 *
 * The exactly-once guarantees live here as constraints, not only in code:
 * - an issued key fills a numbered slot 1..quantity of its order, and a valid (delivered) key owns
 *   its slot uniquely: no order can ever hold more than `quantity` valid keys;
 * - a stock key is claimed by at most one issued key, and a card secret (by its keyed hash) is held
 *   by at most one valid issued key: no key is ever held by two orders.
 */
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
  unique,
  uniqueIndex,
  bigint,
  doublePrecision,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const products = pgTable('products', {
  sku: text('sku').primaryKey(),
  title: text('title').notNull(),
  priceCents: integer('price_cents').notNull(),
  fulfilment: text('fulfilment', { enum: ['stock', 'supplier'] }).notNull(),
  deliveryWindowMinutes: integer('delivery_window_minutes').notNull(),
  /** automatic replacements of voided keys allowed per order */
  maxReplacements: integer('max_replacements').notNull().default(1),
});

export const stockKeys = pgTable(
  'stock_keys',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sku: text('sku').notNull().references(() => products.sku),
    secretEnc: text('secret_enc').notNull(),
    secretHash: text('secret_hash').notNull(),
    status: text('status', { enum: ['available', 'issued'] }).notNull().default('available'),
    addedAt: ts('added_at').notNull(),
  },
  (t) => [
    uniqueIndex('stock_keys_secret_hash_uq').on(t.secretHash),
    // Stock goes out first in, first out, and every query for available stock orders by
    // (added_at, id): only this index gives that order, so the planner cannot instead walk the
    // primary key (or the heap) from the start, over every key already issued, on each claim.
    index('stock_keys_available_fifo_idx').on(t.sku, t.addedAt, t.id).where(sql`${t.status} = 'available'`),
  ],
);

export const orders = pgTable(
  'orders',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orderNo: text('order_no').notNull(),
    sku: text('sku').notNull().references(() => products.sku),
    quantity: integer('quantity').notNull(),
    amountCents: integer('amount_cents').notNull(),
    /** alipay, wechat, epay; or a payment method order-doctor cannot query (stripe, paypal, usdt) */
    channel: text('channel', { enum: ['alipay', 'wechat', 'epay', 'stripe', 'paypal', 'usdt'] }).notNull(),
    status: text('status', { enum: ['pending', 'paid', 'delivered', 'closed', 'refunded'] }).notNull(),
    createdAt: ts('created_at').notNull(),
    paidAt: ts('paid_at'),
    /** the gateway's own transaction number, once known: buyers often only have that */
    tradeNo: text('trade_no'),
    /**
     * the number the gateway knows the payment by (its out_trade_no) when the shop sent another
     * than its order number (a pushing shop's payment attempt); null: the order number
     */
    gatewayOrderNo: text('gateway_order_no'),
    querySecretHash: text('query_secret_hash').notNull(),
    contact: text('contact'),
  },
  (t) => [
    uniqueIndex('orders_order_no_uq').on(t.orderNo),
    index('orders_trade_no_idx').on(t.tradeNo),
    // one gateway payment number names one order: the gateway echoes it, and the answer must lead back
    uniqueIndex('orders_gateway_order_no_uq').on(t.gatewayOrderNo).where(sql`${t.gatewayOrderNo} is not null`),
    index('orders_status_created_idx').on(t.status, t.createdAt),
    // agents search by the buyer's contact (an email), whatever its case
    index('orders_contact_idx').on(sql`lower(${t.contact})`),
    // the composite target lets issued_keys check its slot against the order's quantity
    unique('orders_id_quantity_uq').on(t.id, t.quantity),
    check('orders_quantity_positive', sql`${t.quantity} > 0`),
    check('orders_amount_nonnegative', sql`${t.amountCents} >= 0`),
  ],
);

export const issuedKeys = pgTable(
  'issued_keys',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orderId: bigint('order_id', { mode: 'number' }).notNull(),
    orderQuantity: integer('order_quantity').notNull(),
    slot: integer('slot').notNull(),
    stockKeyId: bigint('stock_key_id', { mode: 'number' }).references(() => stockKeys.id),
    secretEnc: text('secret_enc').notNull(),
    secretHash: text('secret_hash').notNull(),
    status: text('status', { enum: ['delivered', 'voided'] }).notNull(),
    /** true when this key was itself an automatic replacement of a voided one */
    replacement: boolean('replacement').notNull().default(false),
    source: text('source', { enum: ['initial', 'stock', 'supplier', 'legacy'] }).notNull(),
    issuedAt: ts('issued_at').notNull(),
    voidedAt: ts('voided_at'),
    diagnosisId: text('diagnosis_id'),
  },
  (t) => [
    foreignKey({ columns: [t.orderId, t.orderQuantity], foreignColumns: [orders.id, orders.quantity] }),
    check('issued_keys_slot_in_range', sql`${t.slot} between 1 and ${t.orderQuantity}`),
    uniqueIndex('issued_keys_valid_slot_uq').on(t.orderId, t.slot).where(sql`${t.status} = 'delivered'`),
    uniqueIndex('issued_keys_valid_secret_uq').on(t.secretHash).where(sql`${t.status} = 'delivered'`),
    uniqueIndex('issued_keys_stock_key_uq').on(t.stockKeyId),
    index('issued_keys_order_idx').on(t.orderId),
  ],
);

/** Orders of the pre-migration platform, as exported from it. */
export const legacyOrders = pgTable('legacy_orders', {
  orderNo: text('order_no').primaryKey(),
  sku: text('sku').notNull(),
  quantity: integer('quantity').notNull(),
  amountCents: integer('amount_cents').notNull(),
  status: text('status').notNull(),
  paidAt: ts('paid_at'),
  querySecretHash: text('query_secret_hash').notNull(),
  /** encrypted JSON array of the card secrets the legacy platform delivered */
  keysEnc: text('keys_enc').notNull(),
  keyCount: integer('key_count').notNull(),
});

/** Where each legacy order is in its migration. */
export const migrationLedger = pgTable(
  'migration_ledger',
  {
    legacyOrderNo: text('legacy_order_no').primaryKey(),
    state: text('state', { enum: ['pending', 'migrated', 'failed', 'conflict'] }).notNull(),
    batch: text('batch'),
    eta: ts('eta'),
    newOrderNo: text('new_order_no'),
  },
  (t) => [index('migration_ledger_new_order_idx').on(t.newOrderNo)],
);

export const diagnoses = pgTable(
  'diagnoses',
  {
    id: text('id').primaryKey(),
    orderNo: text('order_no').notNull(),
    actorKind: text('actor_kind', { enum: ['customer', 'agent', 'sweep', 'system'] }).notNull(),
    actorId: text('actor_id'),
    verdict: text('verdict').notNull(),
    action: text('action').notNull(),
    suggested: text('suggested'),
    /** every finding with its evidence and timing (secrets redacted) */
    findings: jsonb('findings').notNull(),
    facts: jsonb('facts').notNull(),
    explanation: jsonb('explanation').notNull(),
    ticketNumber: text('ticket_number'),
    startedAt: ts('started_at').notNull(),
    durationMs: integer('duration_ms').notNull(),
  },
  (t) => [index('diagnoses_order_idx').on(t.orderNo, t.startedAt), index('diagnoses_started_idx').on(t.startedAt)],
);

/**
 * Tickets on SLA clocks (tickets/sla.ts). Each deadline and each breach is stored as it happens,
 * never recomputed on read: `first_response_due_at` and `resolution_due_at` are set when the ticket
 * opens and moved only when its clock stops and restarts (waiting on the buyer, resolved then
 * reopened: `paused_ms` is the working time spent off the clock); a breach is the deadline written
 * into `*_breached_at` once, by the conditional update in tickets/breaches.ts. `due_at` is the next
 * deadline the buyer was promised (first response, then resolution): the queue sorts by it.
 */
export const tickets = pgTable(
  'tickets',
  {
    id: serial('id').primaryKey(),
    number: text('number').notNull(),
    orderNo: text('order_no').notNull(),
    status: text('status', { enum: ['open', 'waiting_on_buyer', 'resolved', 'reopened'] }).notNull().default('open'),
    reason: text('reason').notNull(),
    source: text('source', { enum: ['auto', 'buyer', 'agent'] }).notNull(),
    diagnosisId: text('diagnosis_id').notNull(),
    openedAt: ts('opened_at').notNull(),
    dueAt: ts('due_at').notNull(),
    resolvedAt: ts('resolved_at'),
    category: text('category', { enum: ['payment', 'delivery', 'stock', 'migration', 'account'] }).notNull().default('delivery'),
    priority: text('priority', { enum: ['urgent', 'normal'] }).notNull().default('normal'),
    assigneeId: integer('assignee_id').references(() => agents.id),
    /** the ticket's own terms, fixed when it opened (or its priority changed): a later policy change does not move them */
    firstResponseMinutes: integer('first_response_minutes').notNull().default(15),
    resolutionMinutes: integer('resolution_minutes').notNull().default(120),
    /** the business hours its clocks run in (tickets/sla.ts BusinessHours); null: around the clock */
    businessHours: jsonb('business_hours'),
    firstResponseDueAt: ts('first_response_due_at').notNull(),
    resolutionDueAt: ts('resolution_due_at').notNull(),
    firstRespondedAt: ts('first_responded_at'),
    firstResponseBreachedAt: ts('first_response_breached_at'),
    resolutionBreachedAt: ts('resolution_breached_at'),
    /** set while the clocks stand (waiting on the buyer, resolved) */
    clockStoppedAt: ts('clock_stopped_at'),
    /** working time spent with the clocks stopped: each deadline is opened_at + its span + this */
    pausedMs: bigint('paused_ms', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    uniqueIndex('tickets_number_uq').on(t.number),
    // one active ticket per order (open, waiting on the buyer or reopened): escalations reuse it
    uniqueIndex('tickets_one_open_per_order_uq').on(t.orderNo).where(sql`${t.status} <> 'resolved'`),
    index('tickets_active_due_idx').on(t.dueAt).where(sql`${t.status} <> 'resolved'`),
  ],
);

/**
 * What was said on a ticket: replies to the buyer (shown on the buyer's ticket page, emailed),
 * internal notes (never shown to the buyer) and the buyer's own messages (tickets/buyer-messages.ts).
 */
export const ticketMessages = pgTable(
  'ticket_messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ticketId: integer('ticket_id').notNull().references(() => tickets.id),
    kind: text('kind', { enum: ['reply', 'note', 'buyer'] }).notNull(),
    agentId: integer('agent_id').references(() => agents.id),
    authorName: text('author_name').notNull(),
    body: text('body').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('ticket_messages_ticket_idx').on(t.ticketId, t.createdAt)],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id'),
    action: text('action').notNull(),
    orderNo: text('order_no'),
    diagnosisId: text('diagnosis_id'),
    /** what happened, never a card secret */
    detail: jsonb('detail').notNull(),
  },
  (t) => [index('audit_log_order_idx').on(t.orderNo, t.at)],
);

export const agents = pgTable(
  'agents',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    /** supervisors also manage agents in the console; everything else is the same */
    role: text('role', { enum: ['agent', 'supervisor'] }).notNull().default('agent'),
    createdAt: ts('created_at').notNull(),
    /** a revoked agent's token and console sessions stop working at once, everywhere */
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('agents_token_hash_uq').on(t.tokenHash)],
);

/**
 * Signed-in console browsers. The cookie holds a random session id; only its keyed hash is stored
 * (like agent tokens), so a copy of this table opens no session. A session ends at sign-out, after
 * `idle` without a request, at `expiresAt` whatever happens, or when its agent is revoked.
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    agentId: integer('agent_id').notNull().references(() => agents.id),
    createdAt: ts('created_at').notNull(),
    lastSeenAt: ts('last_seen_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    endedAt: ts('ended_at'),
    ip: text('ip'),
  },
  (t) => [index('console_sessions_agent_idx').on(t.agentId)],
);

/**
 * Each console confirmation ("issue 1 key from stock to order ...") is used once: the first click
 * that inserts its diagnosis id applies it, every later click (a double click, a second agent with
 * the same page open) finds the row and is shown what happened instead. The engine's own
 * exactly-once (the order's row lock, the slot index) still holds underneath.
 */
export const consoleApplies = pgTable('console_applies', {
  /** the diagnosis the agent confirmed */
  diagnosisId: text('diagnosis_id').primaryKey(),
  orderNo: text('order_no').notNull(),
  agentId: integer('agent_id').notNull().references(() => agents.id),
  confirmedAt: ts('confirmed_at').notNull(),
  /** the diagnosis that applied it, once done */
  resultDiagnosisId: text('result_diagnosis_id'),
});

/**
 * The sweep's orders: deferred, out of stock, stuck, claimed with a lease; and, once the sweep
 * closed them with a final verdict (`doneAt`), kept so that selection leaves them alone (a pending
 * order the gateway reports closed is not re-queried every minute for a day). Closing marks the
 * row rather than moving it elsewhere: a sweeper whose selection started before the close then
 * meets the row and cannot queue the order again.
 */
export const sweepQueue = pgTable(
  'sweep_queue',
  {
    orderNo: text('order_no').primaryKey(),
    reason: text('reason').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAt: ts('next_at').notNull(),
    leaseUntil: ts('lease_until'),
    leasedBy: text('leased_by'),
    enqueuedAt: ts('enqueued_at').notNull(),
    lastVerdict: text('last_verdict'),
    /** closed by the sweep (its final verdict is lastVerdict); null while it is still to look at */
    doneAt: ts('done_at'),
    /**
     * What the sweep needs to know of the order without asking the shop (whose records may live in
     * another database): its gateway (for the rate limit; null: none to ask), its product (an
     * out-of-stock row waits for that product's stock) and its creation (the horizon counts from it).
     */
    channel: text('channel'),
    sku: text('sku'),
    orderCreatedAt: ts('order_created_at'),
  },
  (t) => [index('sweep_queue_due_idx').on(t.nextAt).where(sql`${t.doneAt} is null`)],
);

/**
 * The gateways' rate limits, shared by every sweeper on this database (processes and Workers
 * invocations alike): per key (a channel), the time the next query may go (GCRA's "theoretical
 * arrival time"), on the database's clock.
 */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  tat: ts('tat').notNull(),
});

/**
 * The buyers' rate limits (http/rate-limits.ts), shared by every process on this database. One row
 * per counted thing, `kind:key` (a source's lookups, an order's failures, a network's tries on an
 * order ...): its value and when it last moved, in milliseconds on the deciding process's clock,
 * and when the row says no more than an absent one would (purged a few at a time after that).
 */
export const buyerLimits = pgTable(
  'buyer_limits',
  {
    key: text('key').primaryKey(),
    value: doublePrecision('value').notNull(),
    at: doublePrecision('at').notNull(),
    expires: doublePrecision('expires').notNull(),
  },
  (t) => [index('buyer_limits_expires_idx').on(t.expires)],
);

/** One row per sweep run: what it picked, what it found and did, what failed, how long it took. */
export const sweepRuns = pgTable(
  'sweep_runs',
  {
    id: text('id').primaryKey(),
    sweeperId: text('sweeper_id').notNull(),
    dryRun: boolean('dry_run').notNull().default(false),
    /** `abandoned`: its sweeper stopped beating (killed); the next run marks it so */
    status: text('status', { enum: ['running', 'finished', 'failed', 'abandoned'] }).notNull(),
    startedAt: ts('started_at').notNull(),
    finishedAt: ts('finished_at'),
    /** a running sweep writes its tally so far every few seconds: progress, and proof of life */
    heartbeatAt: ts('heartbeat_at'),
    picked: integer('picked').notNull().default(0),
    /** picked orders by why they were queued (undelivered, closed_maybe_paid, out_of_stock, ...) */
    byReason: jsonb('by_reason').notNull().default({}),
    byVerdict: jsonb('by_verdict').notNull().default({}),
    byAction: jsonb('by_action').notNull().default({}),
    /** "channel: fault" -> count: a gateway that is down is one entry, not a thousand */
    errors: jsonb('errors').notNull().default({}),
    durationMs: integer('duration_ms'),
  },
  (t) => [index('sweep_runs_started_idx').on(t.startedAt)],
);

/**
 * Deliveries into a shop whose records live in a database of its own (dujiaoka's MySQL): the
 * journal that makes two commits safe. A delivery is written here as `prepared` inside the shop's
 * transaction, before the shop commits; after the shop commits, the diagnosis' own transaction
 * marks it `committed` and writes the audit row and the buyer's email. A crash between the two
 * commits leaves `prepared`: recovery then asks the shop whether the keys arrived (the order holds
 * every key recorded here) and finishes the record, or marks it `rolled_back`. Only the one
 * conditional update from `prepared` writes the audit row, so it is written exactly once.
 */
export const shopDeliveries = pgTable(
  'shop_deliveries',
  {
    id: text('id').primaryKey(),
    shop: text('shop').notNull(),
    orderNo: text('order_no').notNull(),
    diagnosisId: text('diagnosis_id').notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id'),
    state: text('state', { enum: ['prepared', 'committed', 'rolled_back'] }).notNull(),
    preparedAt: ts('prepared_at').notNull(),
    settledAt: ts('settled_at'),
    /** what was delivered (counts, the shop's key row ids, keyed hashes of the keys: never a key) */
    detail: jsonb('detail').notNull(),
    /** what the diagnosis knew (verdict, facts, order facts): recovery rebuilds its record from it */
    record: jsonb('record').notNull(),
  },
  (t) => [
    index('shop_deliveries_prepared_idx').on(t.preparedAt).where(sql`${t.state} = 'prepared'`),
    index('shop_deliveries_order_idx').on(t.orderNo),
  ],
);

/**
 * Emails to buyers, written in the transaction that records the delivery they announce and sent
 * afterwards by the dispatcher (jobs/mail.ts): at most once per delivery (`deliveryKey` is unique,
 * and a send that may have happened is never repeated), retried with backoff while it surely did not.
 */
export const mailOutbox = pgTable(
  'mail_outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** one email per delivery: the diagnosis (or shop delivery) that issued the keys; `ticket-reply:<message id>` for a reply */
    deliveryKey: text('delivery_key').notNull(),
    kind: text('kind', { enum: ['keys_delivered', 'ticket_reply'] }).notNull(),
    orderNo: text('order_no').notNull(),
    toAddress: text('to_address').notNull(),
    /** what the email says (order facts, counts, the link): never a key */
    payload: jsonb('payload').notNull(),
    /** the keys, encrypted, only when the operator opted in (MAIL_INCLUDE_KEYS=on) */
    keysEnc: text('keys_enc'),
    status: text('status', { enum: ['pending', 'sending', 'sent', 'failed', 'unknown'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAt: ts('next_at').notNull(),
    /** when the current attempt started: a send that outlives its lease may have gone out */
    sendingAt: ts('sending_at'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
    sentAt: ts('sent_at'),
  },
  (t) => [
    uniqueIndex('mail_outbox_delivery_uq').on(t.deliveryKey),
    index('mail_outbox_due_idx').on(t.nextAt).where(sql`${t.status} = 'pending'`),
  ],
);

/**
 * The shop push API (push/*): each signature a shop signed a request with, kept until the request
 * could no longer pass the 5-minute window anyway, so the same signed request is refused the second
 * time by every process on this database (a replay). A retry is a new request with a new
 * timestamp, hence a new signature: it passes, and the verbs make it harmless.
 */
export const pushSignatures = pgTable(
  'push_signatures',
  {
    /** the request's signature (hex): it binds the method, path, timestamp and body */
    signature: text('signature').primaryKey(),
    seenAt: ts('seen_at').notNull(),
    /** past this, the window refuses the request before this table is asked: the row can go */
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('push_signatures_expires_idx').on(t.expiresAt)],
);

/**
 * Signed webhooks to the shop (SHOP_WEBHOOK_URL), written in the transaction that issues the keys
 * they announce (shops/builtin/deliver.ts): a rolled-back delivery leaves none, a committed one
 * cannot lose it. Sent by jobs/webhooks.ts AT LEAST once (the shop de-duplicates on `event_id`,
 * which every attempt and every resend carries unchanged), retried with backoff for a day, then
 * `failed`; the console resends. The keys themselves are not copied here: `issued_key_ids` points
 * at the encrypted issued_keys rows, opened only to build the signed body.
 */
export const webhookOutbox = pgTable(
  'webhook_outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** what the shop de-duplicates on: stable across attempts and resends */
    eventId: text('event_id').notNull(),
    /** one event per delivery: the diagnosis that issued the keys */
    deliveryKey: text('delivery_key').notNull(),
    type: text('type', { enum: ['keys.delivered'] }).notNull(),
    orderNo: text('order_no').notNull(),
    /** the event's data without the keys (counts, order facts) */
    payload: jsonb('payload').notNull(),
    issuedKeyIds: jsonb('issued_key_ids').$type<number[]>().notNull(),
    status: text('status', { enum: ['pending', 'sending', 'delivered', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAt: ts('next_at').notNull(),
    /** the current retry window's start: the event's creation, or its last resend */
    retryFrom: ts('retry_from').notNull(),
    sendingAt: ts('sending_at'),
    lastError: text('last_error'),
    /** the shop's last HTTP status (null: no answer) */
    lastStatus: integer('last_status'),
    createdAt: ts('created_at').notNull(),
    deliveredAt: ts('delivered_at'),
  },
  (t) => [
    uniqueIndex('webhook_outbox_event_uq').on(t.eventId),
    uniqueIndex('webhook_outbox_delivery_uq').on(t.deliveryKey),
    index('webhook_outbox_due_idx').on(t.nextAt).where(sql`${t.status} = 'pending'`),
    index('webhook_outbox_created_idx').on(t.createdAt),
  ],
);

/** What the sandbox upstreams answer, per order: kept in the database so every process plays the same world. */
export const sandboxAnswers = pgTable(
  'sandbox_answers',
  {
    orderNo: text('order_no').notNull(),
    kind: text('kind', { enum: ['gateway', 'supplier'] }).notNull(),
    tradeNo: text('trade_no'),
    answer: jsonb('answer').notNull(),
  },
  (t) => [
    uniqueIndex('sandbox_answers_uq').on(t.orderNo, t.kind),
    index('sandbox_answers_trade_idx').on(t.tradeNo),
  ],
);

/** Small key/value facts about this installation (demo flag, world clock offset). */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
});

// ---- incidents (console, issue 11; incidents/store.ts) ----

/**
 * Incidents as agents handle them. The grouping itself is live (incidents/group.ts: open tickets by
 * the cause of their order's latest diagnosis); this row is the incident's own record: when the
 * group was first seen, who acknowledged it and when, who closed it and when. One live (not closed)
 * incident per cause, by the partial unique index, so two consoles listing at once store one. A
 * closed incident keeps the tickets opened up to its closing; tickets of the same cause opened after
 * that form a new incident once there are enough of them.
 */
export const incidents = pgTable(
  'incidents',
  {
    id: serial('id').primaryKey(),
    causeKey: text('cause_key').notNull(),
    /** the cause in words when first seen (incidents/cause.ts describeCause) */
    title: text('title').notNull(),
    status: text('status', { enum: ['open', 'acknowledged', 'closed'] }).notNull().default('open'),
    openedAt: ts('opened_at').notNull(),
    acknowledgedAt: ts('acknowledged_at'),
    acknowledgedBy: integer('acknowledged_by').references(() => agents.id),
    closedAt: ts('closed_at'),
    closedBy: integer('closed_by').references(() => agents.id),
  },
  (t) => [
    uniqueIndex('incidents_one_live_per_cause_uq').on(t.causeKey).where(sql`${t.status} <> 'closed'`),
    index('incidents_cause_closed_idx').on(t.causeKey, t.closedAt),
  ],
);
