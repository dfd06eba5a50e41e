/**
 * Card keys into the built-in store's stock, from the usual 卡密 file: one key per line, the whole
 * trimmed line the key ("card password" and "card----password" alike), blank lines and lines
 * starting with # skipped. A line with a control character, with bytes that are not UTF-8 or over
 * MAX_KEY_CHARS is refused by its line number (never shown). Each key is sealed with the box and
 * stored beside its keyed hash; a key already in the database (any product's stock, or held by an
 * order) or earlier in the same file is skipped and reported.
 *
 * Uniqueness is the database's: `stock_keys_secret_hash_uq` is one unique index over every
 * product's stock, and the insert is `ON CONFLICT (secret_hash) DO NOTHING ... RETURNING`, so two
 * imports racing with overlapping files each add a key at most once (the second waits on the
 * first's row and skips it; rows go in by hash order, so no two imports deadlock) and each reports
 * what it found. Stock leaves first in, first out by (added_at, id), so the ids are taken from the
 * table's sequence up front and handed out in the file's order: within one import, keys leave in
 * the order the file lists them (an owner lists the batch that expires first first), whatever the
 * order they went in. The whole file goes in one
 * transaction with its one `stock_imported` audit row (counts, never a key), and, when keys were
 * added, the product's orders waiting for stock in the sweep queue are made due now.
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { queryRows, type Database, type Tx } from '../db/client.ts';
import { issuedKeys, products, stockKeys, sweepQueue } from '../db/schema.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { audit, type Actor } from './audit.ts';

export const MAX_KEY_CHARS = 512;
/** rows per INSERT statement (all in the one transaction) */
const INSERT_CHUNK = 1000;

export type RefusedReason = 'control_character' | 'too_long' | 'not_utf8';

export interface ParsedKeys {
  /** the keys to import, first occurrence of each, with its line number (1-based) */
  keys: { line: number; secret: string }[];
  /** later lines repeating a key already seen in the file */
  duplicateLines: number[];
  refused: { line: number; reason: RefusedReason }[];
  /** lines read (including blank and comment lines) */
  lines: number;
}

/** The file's lines as keys; pure, never throws, never copies a refused line anywhere. */
export function parseKeyLines(text: string): ParsedKeys {
  const raw = text.split('\n');
  // a final newline does not start another line
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
  const keys: ParsedKeys['keys'] = [];
  const duplicateLines: number[] = [];
  const refused: ParsedKeys['refused'] = [];
  const seen = new Set<string>();
  raw.forEach((rawLine, i) => {
    const line = i + 1;
    // trim() also drops a CRLF file's \r and a leading byte-order mark
    const key = rawLine.trim();
    if (key === '' || key.startsWith('#')) return;
    if (key.includes('\uFFFD')) refused.push({ line, reason: 'not_utf8' });
    else if (/[\p{Cc}\u2028\u2029]/u.test(key)) refused.push({ line, reason: 'control_character' });
    else if ([...key].length > MAX_KEY_CHARS) refused.push({ line, reason: 'too_long' });
    else if (seen.has(key)) duplicateLines.push(line);
    else {
      seen.add(key);
      keys.push({ line, secret: key });
    }
  });
  return { keys, duplicateLines, refused, lines: raw.length };
}

export class UnknownSkuError extends Error {}

export interface StockImportResult {
  sku: string;
  dryRun: boolean;
  lines: number;
  added: number;
  /** line numbers */
  duplicatesInFile: number[];
  /** line numbers of keys the database already holds (any product's stock, or an order's key) */
  alreadyPresent: number[];
  refused: { line: number; reason: RefusedReason }[];
  /** waiting out-of-stock orders of this product made due for the next sweep */
  wokenOrders: number;
  /** how the writes went in: always one transaction */
  transactions: number;
}

export async function importStock(
  deps: { database: Database; box: SecretBox; now: () => Date },
  input: { sku: string; parsed: ParsedKeys; dryRun: boolean; actor: Actor },
): Promise<StockImportResult> {
  const { database, box } = deps;
  const { sku, parsed, dryRun } = input;
  const hashed: { line: number; secret: string; hash: string }[] = [];
  for (const k of parsed.keys) hashed.push({ line: k.line, secret: k.secret, hash: await box.keyHash(k.secret) });

  const base = { sku, dryRun, lines: parsed.lines, duplicatesInFile: parsed.duplicateLines, refused: parsed.refused };

  if (dryRun) {
    const [product] = await database.db.select({ sku: products.sku }).from(products).where(eq(products.sku, sku));
    if (!product) throw new UnknownSkuError(`--sku '${sku}': no such product in the built-in store`);
    const present = await presentHashes(database.db, hashed.map((h) => h.hash));
    const alreadyPresent = hashed.filter((h) => present.has(h.hash)).map((h) => h.line);
    return { ...base, added: hashed.length - alreadyPresent.length, alreadyPresent, wokenOrders: 0, transactions: 0 };
  }

  return database.db.transaction(async (tx) => {
    // the product row is locked in share mode: it cannot be deleted under the import
    const [product] = await tx.select({ sku: products.sku }).from(products).where(eq(products.sku, sku)).for('share');
    if (!product) throw new UnknownSkuError(`--sku '${sku}': no such product in the built-in store`);
    const at = deps.now();
    // keys an order holds (a delivered, voided or restored key) are not stock to hand out again
    const held = await issuedHashes(tx, hashed.map((h) => h.hash));
    // in the order of their hashes, whatever the file's: two imports racing take the unique index's
    // entries in the same order, so one waits for the other instead of both waiting for each other
    const fresh = hashed.filter((h) => !held.has(h.hash));
    const idOf = new Map((await takeIds(tx, fresh.length)).map((id, i) => [fresh[i]!.hash, id]));
    const toInsert = [...fresh].sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    const inserted = new Set<string>();
    for (let i = 0; i < toInsert.length; i += INSERT_CHUNK) {
      const chunk = toInsert.slice(i, i + INSERT_CHUNK);
      const rows = [];
      for (const h of chunk) rows.push({ id: idOf.get(h.hash)!, sku, secretEnc: await box.encrypt(h.secret), secretHash: h.hash, status: 'available' as const, addedAt: at });
      const got = await tx.insert(stockKeys).values(rows)
        .onConflictDoNothing({ target: stockKeys.secretHash })
        .returning({ hash: stockKeys.secretHash });
      for (const g of got) inserted.add(g.hash);
    }
    const alreadyPresent = hashed.filter((h) => !inserted.has(h.hash)).map((h) => h.line);
    let wokenOrders = 0;
    if (inserted.size > 0) {
      // waiting orders are picked once their product has stock, but only when due: due now
      const woken = await tx.update(sweepQueue).set({ nextAt: sql`least(${sweepQueue.nextAt}, ${at.toISOString()}::timestamptz)` })
        .where(and(eq(sweepQueue.reason, 'out_of_stock'), eq(sweepQueue.sku, sku), isNull(sweepQueue.doneAt)))
        .returning({ orderNo: sweepQueue.orderNo });
      wokenOrders = woken.length;
    }
    const result: StockImportResult = { ...base, added: inserted.size, alreadyPresent, wokenOrders, transactions: 1 };
    await audit(tx, {
      at, actor: input.actor, action: 'stock_imported',
      detail: {
        sku, lines: parsed.lines, added: result.added, duplicatesInFile: parsed.duplicateLines.length,
        alreadyPresent: alreadyPresent.length, refused: parsed.refused.length, wokenOrders,
      },
    });
    return result;
  });
}

/** `n` new ids of stock_keys from its own sequence, ascending (the ids of rows skipped as duplicates are left unused, as any sequence leaves gaps). */
async function takeIds(tx: Tx, n: number): Promise<number[]> {
  if (n === 0) return [];
  const rows = await queryRows<{ id: string | number }>(tx, sql`
    select nextval(pg_get_serial_sequence('stock_keys', 'id')) as id from generate_series(1, ${n})`);
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

async function issuedHashes(db: Tx | Database['db'], hashes: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < hashes.length; i += INSERT_CHUNK) {
    const chunk = hashes.slice(i, i + INSERT_CHUNK);
    const rows = await db.select({ h: issuedKeys.secretHash }).from(issuedKeys).where(inArray(issuedKeys.secretHash, chunk));
    for (const r of rows) out.add(r.h);
  }
  return out;
}

async function presentHashes(db: Database['db'], hashes: string[]): Promise<Set<string>> {
  const out = await issuedHashes(db, hashes);
  for (let i = 0; i < hashes.length; i += INSERT_CHUNK) {
    const chunk = hashes.slice(i, i + INSERT_CHUNK);
    const rows = await db.select({ h: stockKeys.secretHash }).from(stockKeys).where(inArray(stockKeys.secretHash, chunk));
    for (const r of rows) out.add(r.h);
  }
  return out;
}
