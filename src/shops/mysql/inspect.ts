/**
 * What `shop check` reads and says alike in every shop on MySQL/MariaDB (dujiaoka, acg-faka): the
 * server and database it is connected to, the findings about grants, clocks and optional indexes,
 * and the verdict drawn from the findings. Each shop's inspect.ts adds its own tables and channels.
 */
import type { Pool } from 'mysql2/promise';
import { ShopUnreachableError } from '../errors.ts';
import type { ClockReport } from './clock.ts';
import type { GrantReport } from './grants.ts';
import { q } from './schema.ts';

export interface IndexReport {
  /** `orders.trade_no`, `carmis (goods_id, status)`, `orders.order_sn` */
  name: string;
  present: boolean;
  /** what it buys, and what happens without it */
  why: string;
  create: string;
}

export type ProblemCode = 'schema' | 'no_verifiable_channel' | 'grants' | 'skip_locked' | 'timezone' | 'channel_unverifiable' | 'indexes';

export interface Problem {
  code: ProblemCode;
  /** blocker: the shop is not usable; warning: usable, with a gap; advice: optional */
  severity: 'blocker' | 'warning' | 'advice';
  text: string;
}

/** How a `shop check` report ends: its findings, and what they come to. */
export interface Verdict {
  /** every finding, most important first */
  problems: Problem[];
  usable: boolean;
  firstToFix: { code: ProblemCode | 'ready'; text: string };
}

/** A table's name quoted for a plain statement. */
export const tick = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/**
 * The server's version and the database the connection is in (the URL's, should the server not
 * say); the first read of `shop check`, so a shop it cannot reach fails here with one line.
 */
export async function readServer(pool: Pool, databaseUrl: string): Promise<{ version: string; dbName: string }> {
  try {
    const [row] = await q<{ v: string; d: string | null }>(pool, 'select version() as v, database() as d');
    return { version: row!.v, dbName: row!.d ?? decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) };
  } catch (err) {
    throw new ShopUnreachableError(databaseUrl, err);
  }
}

/** Privileges the user lacks: a blocker, or a warning when a role may grant them (roles are not expanded). */
export function grantsProblem(grants: GrantReport): Problem | null {
  if (!grants.known || (!grants.missingSelect.length && !grants.missingUpdate.length)) return null;
  return {
    code: 'grants', severity: grants.roles ? 'warning' : 'blocker',
    text: `this database user lacks ${[...grants.missingSelect, ...grants.missingUpdate].join('; ')}${grants.roles ? ' (unless a role grants it: roles are not expanded)' : ''}: GRANT them to the user order-doctor connects as`,
  };
}

/** The shop's clock and SHOP_TIMEZONE disagree. */
export function clockProblem(clock: ClockReport): Problem | null {
  return clock.suspicious ? { code: 'timezone', severity: 'warning', text: clock.notes[0] ?? 'SHOP_TIMEZONE is probably wrong' } : null;
}

/** The optional indexes that are not there, as the statements that make them. */
export function indexesProblem(indexes: IndexReport[]): Problem | null {
  const absent = indexes.filter((i) => !i.present);
  return absent.length ? { code: 'indexes', severity: 'advice', text: `optional: ${absent.map((i) => i.create).join(' ')}` } : null;
}

/** The report's verdict: usable unless a finding blocks, and the first finding (most important first) to fix. */
export function verdict(problems: Problem[]): Verdict {
  const first = problems[0];
  return {
    problems, usable: !problems.some((p) => p.severity === 'blocker'),
    firstToFix: first ? { code: first.code, text: first.text } : { code: 'ready', text: 'nothing: ready' },
  };
}
