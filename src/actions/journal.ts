/**
 * The delivery journal (db/schema.ts shopDeliveries): how a delivery into a shop's own database
 * and order-doctor's record of it agree across two commits.
 */
import { and, eq, ne, or, sql } from 'drizzle-orm';
import type { Database, Db, Tx } from '../db/client.ts';
import { shopDeliveries } from '../db/schema.ts';
import type { DeliveryJournal } from '../shops/port.ts';
import type { Actor } from './audit.ts';

/** What the diagnosis knew when it delivered: recovery rebuilds the diagnosis' record from it. */
export interface JournalRecord {
  verdict: string;
  mode: 'reissue' | 'restore';
  facts: Record<string, unknown>;
  order?: Record<string, unknown>;
  /** where the buyer's email goes, should recovery have to send it */
  contact?: string | null;
  startedAt: string;
  /**
   * when `prepare` wrote the entry, by the database's clock (set by openJournal). It orders the
   * attempts at one order, which the shop's row lock serialises; `startedAt`/`preparedAt` cannot:
   * two diagnoses of one order may overlap, and the one that started later may lock first.
   */
  journalledAt?: string;
}

/**
 * A journal whose `prepare` writes the entry on its own (committed at once, outside any
 * transaction of ours), inside the shop's transaction and before the shop commits.
 */
export function openJournal(
  database: Database,
  ctx: { shop: string; diagnosisId: string; actor: Actor; now: Date; record: JournalRecord },
): DeliveryJournal {
  return {
    async prepare(entry) {
      await database.db.insert(shopDeliveries).values({
        id: entry.id, shop: ctx.shop, orderNo: entry.orderNo, diagnosisId: ctx.diagnosisId,
        actorKind: ctx.actor.kind, actorId: ctx.actor.id ?? null, state: 'prepared', preparedAt: ctx.now,
        detail: entry.detail,
        record: sql`${JSON.stringify(ctx.record)}::jsonb || jsonb_build_object('journalledAt', clock_timestamp())`,
      });
    },
  };
}

/** A journal for shops that deliver in our own transaction: nothing to prepare. */
export const NO_JOURNAL: DeliveryJournal = {
  prepare() {
    throw new Error('this shop delivers in our own transaction and keeps no journal');
  },
};

/**
 * Marks a prepared entry settled, in the caller's transaction. Exactly one caller wins (the
 * diagnosis that delivered, or recovery after a crash): only the winner writes the audit row and
 * the buyer's email, so they are written once.
 */
export async function settleJournal(tx: Tx, id: string, state: 'committed' | 'rolled_back', at: Date): Promise<boolean> {
  const won = await tx
    .update(shopDeliveries)
    .set({ state, settledAt: at })
    .where(and(eq(shopDeliveries.id, id), eq(shopDeliveries.state, 'prepared')))
    .returning({ id: shopDeliveries.id });
  return won.length === 1;
}

export type PreparedEntry = typeof shopDeliveries.$inferSelect;

/** Entries still `prepared` that were written before `before`: their diagnosis never finished. */
export async function unsettledEntries(database: Database, before: Date, limit = 100): Promise<PreparedEntry[]> {
  return database.db
    .select()
    .from(shopDeliveries)
    .where(and(eq(shopDeliveries.state, 'prepared'), sql`${shopDeliveries.preparedAt} < ${before.toISOString()}::timestamptz`))
    .orderBy(shopDeliveries.preparedAt)
    .limit(limit);
}

/** When an entry was journalled (entries written before `journalledAt` existed: their diagnosis' start). */
const JOURNALLED = sql`coalesce((${shopDeliveries.record}->>'journalledAt')::timestamptz, ${shopDeliveries.preparedAt})`;

/**
 * Another delivery of the same order that the keys `entry` recorded belong to, if any: then `entry`
 * itself did not land, even though the shop's order holds its keys.
 *
 * A rolled-back attempt released the stock keys it had claimed, so the next attempt at the order
 * claims the same ones (lowest id first; a loop key is never used up at all). Should that attempt
 * land, the order holds exactly the keys the rolled-back entry recorded, and the shop alone cannot
 * tell the two apart. The journal can: attempts at one order are serialised by the shop's row lock,
 * and once an attempt's keys landed the order holds them, so a later attempt (which writes only what
 * the order still lacks) never writes them again. Hence, of the entries sharing keys, only the
 * latest can have landed, and one that is committed surely did.
 */
export async function supersedingEntry(on: Db | Tx, entry: PreparedEntry): Promise<string | null> {
  const hashes = (entry.detail as { keyHashes?: unknown }).keyHashes;
  if (!Array.isArray(hashes) || hashes.length === 0) return null;
  const t = shopDeliveries;
  const mine = (entry.record as JournalRecord).journalledAt ?? entry.preparedAt.toISOString();
  const [hit] = await on
    .select({ id: t.id })
    .from(t)
    .where(and(
      eq(t.shop, entry.shop), eq(t.orderNo, entry.orderNo), ne(t.id, entry.id),
      sql`${t.detail}->'keyHashes' ?| array(select jsonb_array_elements_text(${JSON.stringify(hashes)}::jsonb))`,
      or(
        eq(t.state, 'committed'),
        and(eq(t.state, 'prepared'), sql`(${JOURNALLED}, ${t.id}) > (${mine}::timestamptz, ${entry.id}::text)`),
      ),
    ))
    .limit(1);
  return hit?.id ?? null;
}
