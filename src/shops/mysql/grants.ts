/**
 * A database user's grants, from SHOW GRANTS parsed tolerantly, against what a shop adapter needs:
 * SELECT on the columns it reads, UPDATE on the columns a delivery writes (`shop check`). Shared by
 * the MySQL shops (dujiaoka, acg-faka); each names its own tables and columns.
 */
import type { Pool } from 'mysql2/promise';
import { q } from './schema.ts';

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

/** What one table needs of the user: the columns read, and those a delivery updates. */
export interface TableNeeds {
  table: string;
  reads: string[];
  writes: string[];
}

export async function readGrantsFor(pool: Pool, db: string, needs: TableNeeds[]): Promise<GrantReport> {
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
  for (const { table, reads, writes } of needs) {
    const unread = reads.filter((c) => !granted(grants, db, table, 'SELECT', c));
    if (unread.length === reads.length) missingSelect.push(`SELECT on ${table}`);
    else if (unread.length) missingSelect.push(`SELECT on ${table}(${unread.join(', ')})`);
    const unwritten = writes.filter((c) => !granted(grants, db, table, 'UPDATE', c));
    if (unwritten.length) missingUpdate.push(`UPDATE on ${table}(${unwritten.join(', ')})`);
  }
  return { known: true, all, missingSelect, missingUpdate, roles };
}
