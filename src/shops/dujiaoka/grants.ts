/**
 * `shop check`'s grants finding: SHOW GRANTS parsed tolerantly, and what order-doctor needs of it
 * (SELECT on the four tables, UPDATE on the columns a delivery writes: README "the grants it needs").
 */
import { getTableColumns, getTableName } from 'drizzle-orm';
import type { Pool } from 'mysql2/promise';
import { q } from './schema-check.ts';
import { TABLES, type TableName } from './schema-check.ts';
import type { DujiaokaTables } from './tables.ts';

export interface GrantReport {
  /** could be read and parsed */
  known: boolean;
  /** every privilege (ALL PRIVILEGES on the shop's database or everywhere) */
  all: boolean;
  /** `SELECT on carmis`, `UPDATE on orders(info, status)` */
  missingSelect: string[];
  missingUpdate: string[];
  /** privileges granted through roles are not expanded */
  roles: boolean;
}

/** The columns order-doctor updates (deliver.ts), by table. */
const UPDATES: Partial<Record<TableName, string[]>> = {
  orders: ['info', 'status', 'trade_no', 'updated_at'],
  carmis: ['status', 'updated_at'],
  goods: ['sales_volume', 'updated_at'],
};



/** One `GRANT ... ON db.table TO ...` line: privileges by name, each on every column or on some. */
export interface GrantLine {
  privileges: Map<string, 'all' | Set<string>>;
  db: string;
  table: string;
}

/** Splits at commas outside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

const unquote = (id: string) => (/^[`'"].*[`'"]$/.test(id) ? id.slice(1, -1).replace(/``/g, '`') : id);

/**
 * Parses SHOW GRANTS output tolerantly (MySQL 5.6-8.x, MariaDB): privilege lines become GrantLines;
 * role grants are counted; anything else (PROXY, passwords, options) is ignored.
 */
export function parseGrants(lines: string[]): { grants: GrantLine[]; roles: boolean } {
  const grants: GrantLine[] = [];
  let roles = false;
  for (const line of lines) {
    const m = /^\s*GRANT\s+(.+?)\s+ON\s+(?:TABLE\s+)?((?:`(?:[^`]|``)*`|[^\s.`]+)\.(?:`(?:[^`]|``)*`|[^\s.`]+))\s+TO\s/i.exec(line);
    if (!m) {
      if (/^\s*GRANT\s/i.test(line) && !/\sON\s/i.test(line)) roles = true;
      continue;
    }
    const obj = /^(`(?:[^`]|``)*`|[^\s.`]+)\.(`(?:[^`]|``)*`|[^\s.`]+)$/.exec(m[2]!)!;
    const privileges = new Map<string, 'all' | Set<string>>();
    for (const p of splitTop(m[1]!)) {
      const pm = /^([A-Za-z ]+?)\s*(?:\((.*)\))?$/.exec(p);
      if (!pm) continue;
      const name = pm[1]!.toUpperCase().replace(/\s+/g, ' ');
      if (pm[2] === undefined) {
        privileges.set(name, 'all');
      } else {
        const prev = privileges.get(name);
        if (prev === 'all') continue;
        const cols = new Set(prev ?? []);
        for (const c of pm[2].split(',')) cols.add(unquote(c.trim()).toLowerCase());
        privileges.set(name, cols);
      }
    }
    grants.push({ privileges, db: unquote(obj[1]!), table: unquote(obj[2]!) });
  }
  return { grants, roles };
}

/** A database name in a grant is a LIKE pattern (`_` and `%`, `\_` literal). */
function dbMatches(pattern: string, db: string): boolean {
  if (pattern === '*') return true;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(db);
}

/** Whether `privilege` on `db`.`table` (on `column`, or on the whole table) is granted. */
export function granted(grants: GrantLine[], db: string, table: string, privilege: string, column?: string): boolean {
  return grants.some((g) => {
    if (!dbMatches(g.db, db) || (g.table !== '*' && g.table !== table)) return false;
    if (g.privileges.has('ALL PRIVILEGES') || g.privileges.has('ALL')) return true;
    const p = g.privileges.get(privilege);
    if (p === 'all') return true;
    return !!p && column !== undefined && p.has(column.toLowerCase());
  });
}

export async function readGrants(pool: Pool, db: string, t: DujiaokaTables): Promise<GrantReport> {
  let lines: string[];
  try {
    const rows = await q(pool, 'show grants for current_user()');
    lines = rows.map((r) => String(Object.values(r)[0] ?? ''));
  } catch {
    return { known: false, all: false, missingSelect: [], missingUpdate: [], roles: false };
  }
  const { grants, roles } = parseGrants(lines);
  const all = grants.some((g) => dbMatches(g.db, db) && g.table === '*' && (g.privileges.has('ALL PRIVILEGES') || g.privileges.has('ALL')));
  const missingSelect: string[] = [];
  const missingUpdate: string[] = [];
  for (const name of TABLES) {
    const table = getTableName(t[name]);
    const reads = Object.values(getTableColumns(t[name])).map((c) => c.name);
    const unread = reads.filter((c) => !granted(grants, db, table, 'SELECT', c));
    if (unread.length === reads.length) missingSelect.push(`SELECT on ${table}`);
    else if (unread.length) missingSelect.push(`SELECT on ${table}(${unread.join(', ')})`);
    const writes = UPDATES[name] ?? [];
    const unwritten = writes.filter((c) => !granted(grants, db, table, 'UPDATE', c));
    if (unwritten.length) missingUpdate.push(`UPDATE on ${table}(${unwritten.join(', ')})`);
  }
  return { known: true, all, missingSelect, missingUpdate, roles };
}

