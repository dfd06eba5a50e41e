/**
 * What must hold after any kill, read from the databases themselves (never from what a process
 * said it did). Each check is a query for the rows that break it: one line per offending row, so a
 * failure names the order. `always` holds at every instant (each of our writes commits with its
 * record); `settled` holds once recovery and a sweep have run after the last kill.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.ts';
import type { SecretBox } from '../../src/crypto/secret-box.ts';
import type { Batch } from './batches.ts';

type Check = [name: string, query: ReturnType<typeof sql>];

async function run(database: Database, checks: Check[]): Promise<string[]> {
  const out: string[] = [];
  for (const [name, query] of checks) {
    for (const row of await database.rows(query)) out.push(`${name}: ${JSON.stringify(row)}`);
  }
  return out;
}

/** The audit actions that record an effect, and the diagnosis action each belongs to. */
const EFFECTS = sql`(values ('keys_issued', 'reissued'), ('keys_restored', 'restored'), ('ticket_opened', 'escalated'),
  ('ticket_reused', 'escalated'), ('deferred', 'deferred'), ('deferred', 'escalated')) as e(audit, action)`;

/** Diagnoses against their effects, both ways, whatever the shop (only the audit trail and our own tables). */
const DIAGNOSES: Check[] = [
  ['a diagnosis that delivered has no delivery audit row', sql`
    select d.id, d.order_no, d.action from diagnoses d
     where d.action in ('reissued', 'restored')
       and (select count(*) from audit_log a where a.diagnosis_id = d.id
             and a.action = case d.action when 'reissued' then 'keys_issued' else 'keys_restored' end) <> 1`],
  ['an escalation has no ticket (or no audit row of it)', sql`
    select d.id, d.order_no, d.ticket_number from diagnoses d
     where d.action = 'escalated'
       and (d.ticket_number is null
         or not exists (select 1 from tickets t where t.number = d.ticket_number and t.order_no = d.order_no)
         or not exists (select 1 from audit_log a where a.diagnosis_id = d.id and a.action in ('ticket_opened', 'ticket_reused')))`],
  ['an out-of-stock escalation was not queued for the restock', sql`
    select d.id, d.order_no from diagnoses d
     where d.verdict = 'OUT_OF_STOCK' and d.action = 'escalated'
       and not exists (select 1 from audit_log a where a.diagnosis_id = d.id and a.action = 'deferred')`],
  ['a deferral is not on the sweep queue (or has no audit row)', sql`
    select d.id, d.order_no from diagnoses d
     where d.action = 'deferred'
       and (not exists (select 1 from sweep_queue q where q.order_no = d.order_no)
         or not exists (select 1 from audit_log a where a.diagnosis_id = d.id and a.action = 'deferred'))`],
  ['a diagnosis that claims no action has an effect', sql`
    select d.id, d.order_no, d.action, a.action as audit from diagnoses d
      join audit_log a on a.diagnosis_id = d.id
     where d.action = 'none' and a.action in ('keys_issued', 'keys_restored', 'ticket_opened', 'ticket_reused', 'deferred')`],
  ['an effect without the diagnosis that claims it', sql`
    select a.id, a.action, a.order_no, a.diagnosis_id from audit_log a
     where a.action in ('keys_issued', 'keys_restored', 'ticket_opened', 'ticket_reused', 'deferred')
       and not exists (select 1 from diagnoses d, ${EFFECTS}
                        where d.id = a.diagnosis_id and d.order_no = a.order_no and e.audit = a.action and e.action = d.action)`],
  ['a ticket without its diagnosis', sql`
    select t.number, t.order_no from tickets t
     where not exists (select 1 from diagnoses d where d.id = t.diagnosis_id and d.action = 'escalated')`],
  ['a delivery recorded twice', sql`
    select diagnosis_id, count(*)::int as n from audit_log where action in ('keys_issued', 'keys_restored')
     group by diagnosis_id having count(*) > 1`],
  ['an email for no delivery, or two for one', sql`
    select m.delivery_key, m.order_no from mail_outbox m
     where (select count(*) from mail_outbox n where n.delivery_key = m.delivery_key) > 1
        or not (exists (select 1 from audit_log a where a.action in ('keys_issued', 'keys_restored') and a.diagnosis_id = m.delivery_key)
             or exists (select 1 from shop_deliveries s where s.id = m.delivery_key and s.state = 'committed'))`],
];

/** The built-in store: keys, stock, orders, all in our database. */
const BUILTIN: Check[] = [
  ['a key held by two orders (or twice)', sql`
    select secret_hash, count(*)::int as n from issued_keys where status = 'delivered' group by secret_hash having count(*) > 1`],
  ['a stock key issued twice', sql`
    select stock_key_id, count(*)::int as n from issued_keys where stock_key_id is not null group by stock_key_id having count(*) > 1`],
  ['an order above its quantity', sql`
    select o.order_no, o.quantity, count(*)::int as valid from orders o join issued_keys k on k.order_id = o.id and k.status = 'delivered'
     group by o.id having count(*) > o.quantity`],
  ['an order given more replacements than its product allows', sql`
    select o.order_no, p.max_replacements, count(*)::int as replacements from orders o
      join products p on p.sku = o.sku join issued_keys k on k.order_id = o.id and k.replacement
     group by o.id, p.max_replacements having count(*) > p.max_replacements`],
  ['a slot filled twice', sql`
    select order_id, slot from issued_keys where status = 'delivered' group by order_id, slot having count(*) > 1`],
  ['a stock key taken but held by no order (lost)', sql`
    select s.id, s.sku from stock_keys s where s.status = 'issued' and not exists (select 1 from issued_keys k where k.stock_key_id = s.id)`],
  ['an order holds a stock key still marked available', sql`
    select k.id, s.id as stock_key from issued_keys k join stock_keys s on s.id = k.stock_key_id where s.status <> 'issued'`],
  ['an issued key without its audit row', sql`
    select k.id, o.order_no, k.diagnosis_id from issued_keys k join orders o on o.id = k.order_id
     where k.source <> 'initial'
       and not exists (select 1 from audit_log a where a.diagnosis_id = k.diagnosis_id and a.order_no = o.order_no
                        and a.action = case k.source when 'legacy' then 'keys_restored' else 'keys_issued' end)`],
  ['an audit row whose keys are not there (count or slots differ)', sql`
    select a.id, a.order_no, a.detail->'count' as said, a.detail->'slots' as slots,
           (select jsonb_agg(k.slot order by k.slot) from issued_keys k where k.diagnosis_id = a.diagnosis_id) as held
      from audit_log a
     where a.action in ('keys_issued', 'keys_restored')
       and (select count(*) from issued_keys k where k.diagnosis_id = a.diagnosis_id) <> (a.detail->>'count')::int`],
  ['issued keys without a diagnosis that delivered them', sql`
    select k.id, k.diagnosis_id from issued_keys k
     where k.source <> 'initial'
       and not exists (select 1 from diagnoses d where d.id = k.diagnosis_id and d.action in ('reissued', 'restored'))`],
  ['a diagnosis that delivered holds no keys', sql`
    select d.id, d.order_no from diagnoses d
     where d.action in ('reissued', 'restored') and not exists (select 1 from issued_keys k where k.diagnosis_id = d.id)`],
  ['a delivery nobody watched without its one email (or one the buyer saw with one)', sql`
    select d.id, d.order_no, d.actor_kind from diagnoses d
     where d.action in ('reissued', 'restored')
       and (select count(*) from mail_outbox m where m.delivery_key = d.id) <> case when d.actor_kind = 'customer' then 0 else 1 end`],
  ['a reissued order not marked delivered', sql`
    select o.order_no, o.status from orders o
     where o.status <> 'delivered' and exists (select 1 from issued_keys k where k.order_id = o.id and k.source in ('stock', 'supplier'))`],
];

export async function builtinViolations(database: Database): Promise<string[]> {
  return run(database, [...BUILTIN, ...DIAGNOSES]);
}

/** Once everything has run: every order of every batch ended as it must, and no sweep is left holding anything. */
export async function builtinSettled(database: Database, batches: Batch[]): Promise<string[]> {
  const out = await builtinViolations(database);
  const held = new Map((await database.rows<{ order_no: string; valid: number; open: number }>(sql`
    select o.order_no, (select count(*)::int from issued_keys k where k.order_id = o.id and k.status = 'delivered') as valid,
           (select count(*)::int from tickets t where t.order_no = o.order_no and t.status = 'open') as open
      from orders o`)).map((r) => [r.order_no, r]));
  for (const { orderNo, expect } of batches.flatMap((b) => b.orders)) {
    const h = held.get(orderNo);
    if (expect.kind === 'filled' && h?.valid !== expect.quantity) out.push(`not delivered in the end: ${orderNo} holds ${h?.valid} of ${expect.quantity}`);
    if (expect.kind === 'out_of_stock' && (h?.valid !== 0 || h.open !== 1)) out.push(`out of stock without its one open ticket: ${orderNo} ${JSON.stringify(h)}`);
  }
  out.push(...(await run(database, SWEEP_SETTLED)));
  return out;
}

const SWEEP_SETTLED: Check[] = [
  ['a killed sweep\'s run not marked abandoned', sql`select id, status from sweep_runs where status = 'running'`],
  ['an out-of-stock order not waiting for its restock', sql`
    select d.order_no from diagnoses d where d.verdict = 'OUT_OF_STOCK'
       and not exists (select 1 from sweep_queue q where q.order_no = d.order_no and q.reason = 'out_of_stock' and q.done_at is null)`],
];

// --- a shop in its own database (dujiaoka, dujiao-next, acg-faka) ------------------------------

/** Journal and audit trail, in our database, for a shop in its own. */
const JOURNAL: Check[] = [
  ['a committed delivery without exactly one audit row of it', sql`
    select s.id, s.order_no from shop_deliveries s
     where s.state = 'committed'
       and (select count(*) from audit_log a where a.diagnosis_id = s.diagnosis_id and a.action in ('keys_issued', 'keys_restored')) <> 1`],
  ['a delivery audit row without its committed journal entry', sql`
    select a.id, a.order_no, a.diagnosis_id from audit_log a
     where a.action in ('keys_issued', 'keys_restored')
       and not exists (select 1 from shop_deliveries s where s.diagnosis_id = a.diagnosis_id and s.state = 'committed'
                        and s.detail->'keyHashes' = a.detail->'keyHashes')`],
  ['a rolled-back entry without its one audit row, or with keys recorded', sql`
    select s.id, s.order_no from shop_deliveries s
     where s.state = 'rolled_back'
       and ((select count(*) from audit_log a where a.action = 'delivery_rolled_back' and a.detail->>'journal' = s.id) <> 1
         or exists (select 1 from audit_log a where a.diagnosis_id = s.diagnosis_id and a.action in ('keys_issued', 'keys_restored')))`],
  ['a diagnosis that delivered has no committed journal entry', sql`
    select d.id, d.order_no from diagnoses d
     where d.action in ('reissued', 'restored')
       and not exists (select 1 from shop_deliveries s where s.diagnosis_id = d.id and s.state = 'committed')`],
  ['a committed journal entry without the diagnosis that delivered it', sql`
    select s.id, s.order_no from shop_deliveries s
     where s.state = 'committed'
       and not exists (select 1 from diagnoses d where d.id = s.diagnosis_id and d.action in ('reissued', 'restored') and d.order_no = s.order_no)`],
  ['a delivery nobody watched without its one email (or one the buyer saw with one)', sql`
    select s.id, s.order_no, s.actor_kind from shop_deliveries s
     where s.state = 'committed'
       and (select count(*) from mail_outbox m where m.delivery_key = s.id)
           <> case when s.actor_kind <> 'customer'
                     or exists (select 1 from audit_log a where a.diagnosis_id = s.diagnosis_id and a.detail->>'recovered' = 'true')
                   then 1 else 0 end`],
];

interface JournalRow { id: string; order_no: string; state: string; detail: { keyHashes?: string[] } }

/** One order as the shop's own code shows it to its buyer. */
export interface ShopOrderView {
  orderNo: string;
  /** what the buyer paid for */
  quantity: number;
  /** the keys the shop shows as delivered (dujiaoka: a completed order's info; dujiao-next: its fulfillments; acg-faka: the cards sold to it) */
  keys: string[];
  /** the shop's own status, for the messages */
  status: string;
}

/** A shop's orders, and what its own rows break among themselves (a key marked sold in no order, a counter off...). */
export interface ShopView {
  orders: ShopOrderView[];
  problems: string[];
}

/**
 * The shop's view of our batches' orders against our journal, audit trail and diagnoses: no key
 * held twice, no order above its quantity, every key in the shop covered by a journal entry that
 * recorded exactly those keys (still `prepared` just after a kill; `committed` once settled), every
 * committed entry landed. Settled: nothing left prepared, every order ended as it must.
 */
export async function shopViolations(
  database: Database, box: SecretBox, view: ShopView, batches: Batch[], opts: { settled: boolean },
): Promise<string[]> {
  const out = [...view.problems, ...(await run(database, [...JOURNAL, ...DIAGNOSES]))];
  const journal = await database.rows<JournalRow>(sql`select id, order_no, state, detail from shop_deliveries`);
  const ours = new Set(batches.flatMap((b) => b.orders.map((o) => o.orderNo)));
  const mine = view.orders.filter((o) => ours.has(o.orderNo));

  const holder = new Map<string, string>();
  for (const o of mine) {
    if (o.keys.length > o.quantity) out.push(`an order above its quantity: ${o.orderNo} holds ${o.keys.length} of ${o.quantity}`);
    for (const k of o.keys) {
      if (holder.has(k)) out.push(`a key sold twice: in ${holder.get(k)} and ${o.orderNo}`);
      holder.set(k, o.orderNo);
    }
  }

  const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
  for (const o of mine) {
    const entries = journal.filter((j) => j.order_no === o.orderNo);
    const committed = entries.filter((j) => j.state === 'committed');
    if (o.keys.length === 0) {
      if (committed.length) out.push(`a committed delivery the shop does not hold: ${o.orderNo} ${committed.map((j) => j.id).join(',')}`);
      continue;
    }
    const hashes = await Promise.all(o.keys.map((k) => box.keyHash(k)));
    const covering = entries.filter((j) => j.state !== 'rolled_back' && same(j.detail.keyHashes ?? [], hashes));
    if (covering.length === 0) out.push(`keys in the shop with no journal entry recording them: ${o.orderNo}`);
    if (committed.length > 1) out.push(`two committed deliveries of one order: ${o.orderNo}`);
    if (committed.length === 1 && !same(committed[0]!.detail.keyHashes ?? [], hashes)) out.push(`the committed entry's keys are not the shop's: ${o.orderNo}`);
    if (opts.settled && committed.length !== 1) out.push(`a delivery in the shop not recorded as committed: ${o.orderNo} (${entries.map((j) => j.state).join(',')})`);
  }
  if (opts.settled) {
    for (const j of journal) if (j.state === 'prepared') out.push(`a journal entry left prepared: ${j.id} of ${j.order_no}`);
    out.push(...(await run(database, SWEEP_SETTLED)));
    const byNo = new Map(view.orders.map((o) => [o.orderNo, o]));
    for (const { orderNo, expect } of batches.flatMap((b) => b.orders)) {
      const o = byNo.get(orderNo);
      const held = o?.keys.length ?? 0;
      if (expect.kind === 'filled' && held !== expect.quantity) out.push(`not delivered in the end: ${orderNo} holds ${held} of ${expect.quantity} (status ${o?.status})`);
      if (expect.kind === 'out_of_stock') {
        const [t] = await database.rows<{ n: number }>(sql`select count(*)::int as n from tickets where order_no = ${orderNo} and status = 'open'`);
        if (held !== 0 || t?.n !== 1) out.push(`out of stock without its one open ticket: ${orderNo}`);
      }
    }
  }
  return out;
}
