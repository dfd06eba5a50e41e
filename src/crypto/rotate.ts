/**
 * Key rotation (`order-doctor keys rotate`): every sealed value not under the current key id, in
 * every sealed column, re-sealed under the current key (CARD_KEY_SECRET), so that the older keys
 * (CARD_KEY_SECRETS_OLD) can be dropped from the configuration.
 *
 * First a read-only pass opens every value that is to move: one no configured key opens refuses the
 * run (naming its table and row, never the value) before anything is written. Then batches, each
 * one transaction: take up to N rows with `FOR UPDATE SKIP LOCKED` (a running server's claims and a
 * second rotator take other rows, never wait), re-seal them, write them back in one statement. A
 * batch holds its locks for one round of AES only, newest rows first, away from the oldest stock
 * that claims take first. Rows already under the current key id are never selected, so a run that
 * was killed continues where it stopped, and a run with nothing to do writes nothing but its audit
 * row. When only rows locked by another rotator are left, a plain `FOR UPDATE` waits for its batch
 * and finds them moved, so "left under old keys" counts what is really left.
 *
 * The keyed hashes (secret_hash, query_secret_hash, token_hash) are made with a key of their own
 * (secret-box.ts) and are never touched here.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.ts';
import { audit } from '../actions/audit.ts';
import { sealedKeyId, sealedPrefix, UnopenableError, type SecretBox } from './secret-box.ts';

/** Every column holding sealed values (test/crypto/rotation.test.ts checks none of the schema's `*_enc` is missing). */
export const SEALED_COLUMNS = [
  { table: 'stock_keys', id: 'id', idType: 'bigint', column: 'secret_enc' },
  { table: 'issued_keys', id: 'id', idType: 'bigint', column: 'secret_enc' },
  { table: 'legacy_orders', id: 'order_no', idType: 'text', column: 'keys_enc' },
  { table: 'mail_outbox', id: 'id', idType: 'bigint', column: 'keys_enc' },
] as const;

export type SealedTable = (typeof SEALED_COLUMNS)[number]['table'];
type SealedColumn = (typeof SEALED_COLUMNS)[number];

export interface RotationOptions {
  /** rows per batch (one transaction each) */
  batchSize: number;
  /** only the read-only pass: count and open what would move, write nothing */
  dryRun?: boolean;
  /** stop once at least this many values moved (batch granularity): slices of work, and tests of resuming */
  maxRows?: number;
  /** who runs it, for the audit row */
  actorId?: string;
  onProgress?: (p: { phase: 'check' | 'rotate'; table: SealedTable; done: number; finished: boolean }) => void;
}

export interface RotationSummary {
  /** the key id everything moves to (CARD_KEY_SECRET's) */
  keyId: string;
  dryRun: boolean;
  /** values re-sealed per table (dry run: values that would be) */
  byTable: Record<SealedTable, number>;
  /** the values found under other keys by the check, by key id (`legacy`: sealed before key ids) */
  byKeyId: Record<string, number>;
  /** values still under other keys when the run ended */
  left: number;
  /** false when maxRows stopped it before the end */
  complete: boolean;
  batches: number;
  durationMs: number;
}

/** A value no configured key opens: the run refuses. Names the row, never the value. */
export class RotationRefused extends Error {
  constructor(readonly table: SealedTable, readonly rowId: string, readonly column: string, readonly reason: UnopenableError) {
    const hint = {
      unknown_key: `: add the key with id ${reason.keyId} to CARD_KEY_SECRETS_OLD and run again`,
      no_key: ': add the key it was sealed with to CARD_KEY_SECRETS_OLD and run again',
      damaged: '',
      not_sealed: '',
    }[reason.kind];
    super(`${table} row ${rowId}: ${column} ${reason.message}${hint}`);
  }
}

interface Deps {
  database: Database;
  box: SecretBox;
  now: () => Date;
}

interface Row { id: string; sealed: string }

const ident = sql.identifier;

/** Rows whose value is not under the current key id (empty values hold nothing and are left alone). */
function underOtherKeys(c: SealedColumn, keyId: string): SQL {
  const col = ident(c.column);
  return sql`${col} is not null and ${col} <> '' and ${col} not like ${sealedPrefix(keyId) + '%'}`;
}

export async function rotateKeys(deps: Deps, opts: RotationOptions): Promise<RotationSummary> {
  const started = performance.now();
  const { box } = deps;
  const byTable = Object.fromEntries(SEALED_COLUMNS.map((c) => [c.table, 0])) as Record<SealedTable, number>;
  const byKeyId: Record<string, number> = {};
  const batchSize = Math.max(1, Math.floor(opts.batchSize));

  for (const c of SEALED_COLUMNS) {
    const n = await check(deps, c, batchSize, byKeyId, opts.onProgress);
    if (opts.dryRun) byTable[c.table] = n;
  }
  if (opts.dryRun) {
    const left = Object.values(byTable).reduce((a, b) => a + b, 0);
    return { keyId: box.keyId, dryRun: true, byTable, byKeyId, left, complete: true, batches: 0, durationMs: performance.now() - started };
  }

  let batches = 0;
  let moved = 0;
  let complete = true;
  let refused: RotationRefused | undefined;
  try {
    tables: for (const c of SEALED_COLUMNS) {
      // newest first, each batch below the last (no batch walks the rows already moved); at the
      // bottom, once more from the top for rows that turned up meanwhile, until such a pass finds none
      let below: string | null = null;
      for (;;) {
        if (opts.maxRows !== undefined && moved >= opts.maxRows) {
          complete = false;
          break tables;
        }
        const { n, lowest } = await rotateBatch(deps, c, batchSize, below);
        if (n === 0 && below === null) break;
        below = lowest;
        if (n === 0) continue;
        batches++;
        moved += n;
        byTable[c.table] += n;
        opts.onProgress?.({ phase: 'rotate', table: c.table, done: byTable[c.table], finished: false });
      }
      opts.onProgress?.({ phase: 'rotate', table: c.table, done: byTable[c.table], finished: true });
    }
  } catch (err) {
    if (!(err instanceof RotationRefused)) throw err;
    // a value that appeared after the check (another process sealing under a key not configured here)
    refused = err;
    complete = false;
  }
  const left = await countLeft(deps);
  await audit(deps.database.db, {
    at: deps.now(), actor: { kind: 'system', id: opts.actorId ?? 'keys rotate' }, action: 'keys_rotated',
    detail: {
      keyId: box.keyId, reencrypted: byTable, left, batches, complete,
      ...(refused ? { refused: { table: refused.table, row: refused.rowId } } : {}),
    },
  });
  if (refused) throw refused;
  return { keyId: box.keyId, dryRun: false, byTable, byKeyId, left, complete, batches, durationMs: performance.now() - started };
}

/** The read-only pass over one column: opens every value that is to move, in id order, page by page. */
async function check(
  deps: Deps, c: SealedColumn, batchSize: number, byKeyId: Record<string, number>, onProgress: RotationOptions['onProgress'],
): Promise<number> {
  let last: string | null = null;
  let n = 0;
  for (;;) {
    const after: SQL = last === null ? sql`true` : sql`${ident(c.id)} > ${last}::${sql.raw(c.idType)}`;
    const rows: Row[] = await deps.database.rows<Row>(sql`
      select ${ident(c.id)}::text as id, ${ident(c.column)} as sealed from ${ident(c.table)}
       where ${underOtherKeys(c, deps.box.keyId)} and ${after}
       order by ${ident(c.id)} limit ${batchSize}`);
    if (rows.length === 0) break;
    for (const r of rows) {
      await open(deps.box, c, r);
      const kid = sealedKeyId(r.sealed) ?? 'legacy';
      byKeyId[kid] = (byKeyId[kid] ?? 0) + 1;
    }
    n += rows.length;
    last = rows[rows.length - 1]!.id;
    onProgress?.({ phase: 'check', table: c.table, done: n, finished: false });
  }
  onProgress?.({ phase: 'check', table: c.table, done: n, finished: true });
  return n;
}

/**
 * One batch, one transaction: up to `batchSize` rows below `below` (null: from the top) taken,
 * re-sealed and written back; how many moved, and the lowest id taken (null: none).
 */
async function rotateBatch(deps: Deps, c: SealedColumn, batchSize: number, below: string | null): Promise<{ n: number; lowest: string | null }> {
  const { database, box } = deps;
  return database.db.transaction(async (tx: Tx) => {
    const under = below === null ? sql`true` : sql`${ident(c.id)} < ${below}::${sql.raw(c.idType)}`;
    const pick = (lock: SQL) => database.rows<Row>(sql`
      select ${ident(c.id)}::text as id, ${ident(c.column)} as sealed from ${ident(c.table)}
       where ${underOtherKeys(c, box.keyId)} and ${under}
       order by ${ident(c.id)} desc limit ${batchSize}
       ${lock}`, tx);
    let rows = await pick(sql`for update skip locked`);
    // from the top and none free: wait for whoever holds the rest (another rotator's batch), then see what is left
    if (rows.length === 0 && below === null) rows = await pick(sql`for update`);
    if (rows.length === 0) return { n: 0, lowest: null };
    const resealed: Row[] = [];
    for (const r of rows) resealed.push({ id: r.id, sealed: await box.encrypt(await open(box, c, r)) });
    await database.rows(sql`
      update ${ident(c.table)} t set ${ident(c.column)} = u.sealed
        from jsonb_to_recordset(${JSON.stringify(resealed)}::jsonb) as u(id ${sql.raw(c.idType)}, sealed text)
       where t.${ident(c.id)} = u.id`, tx);
    return { n: rows.length, lowest: rows[rows.length - 1]!.id };
  });
}

async function open(box: SecretBox, c: SealedColumn, r: Row): Promise<string> {
  try {
    return await box.decrypt(r.sealed);
  } catch (err) {
    throw new RotationRefused(c.table, r.id, c.column, err instanceof UnopenableError ? err : new UnopenableError('does not open', 'damaged', sealedKeyId(r.sealed)));
  }
}

async function countLeft(deps: Deps): Promise<number> {
  let left = 0;
  for (const c of SEALED_COLUMNS) {
    const [row] = await deps.database.rows<{ n: number | string }>(
      sql`select count(*) as n from ${ident(c.table)} where ${underOtherKeys(c, deps.box.keyId)}`);
    left += Number(row?.n ?? 0);
  }
  return left;
}
