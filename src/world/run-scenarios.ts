/**
 * The scenario runner (../shared/spec/scenarios.md): each file's world is loaded into a fresh
 * embedded database, the real adapters talk to the sandbox upstreams playing that world over
 * their real protocols (sandbox mode), and each check runs through the production code path.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { migrateDatabase, truncateAll } from '../db/migrate.ts';
import { newMasterKey } from '../crypto/secret-box.ts';
import { createServices, type Services } from '../services.ts';
import { customerCheck } from '../engine/customer-check.ts';
import { diagnose } from '../engine/diagnose.ts';
import { resolveOrder } from '../engine/resolve.ts';
import { NO_LOG_CONTEXT } from '../observability/context.ts';
import { lookupOrder } from '../engine/lookup.ts';
import { validKeys } from '../domain/order.ts';
import type { Action, Explanation, Verdict } from '../domain/verdicts.ts';
import { parseScenario, type Scenario, type ScenarioCheck } from './schema.ts';
import { loadWorld } from './load.ts';
import { readWorldFile, shownPath, WorldFileError } from './file.ts';
import { runSweepCheck } from './sweep-check.ts';

export interface CheckLine {
  scenario: string;
  check: number;
  orderNo: string;
  as: ScenarioCheck['as'];
  verdict: Verdict | null;
  action: Action | null;
  suggested: Action | null;
  error: string | null;
  keysHeld: number;
  ok: boolean;
  explanation?: Explanation;
}

export class ScenarioFileError extends Error {}

/**
 * Lists scenario files (a file, or every .json in a directory, sorted) and parses them all first.
 * Only regular files and directories are read, and no file above MAX_WORLD_FILE_BYTES.
 */
export function readScenarios(path: string): { file: string; scenario: Scenario }[] {
  let files: string[];
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new ScenarioFileError(`${shownPath(path)}: no such file or directory`);
  }
  if (stat.isDirectory()) {
    try {
      files = readdirSync(path).filter((f) => f.endsWith('.json')).sort().map((f) => join(path, f));
    } catch (err) {
      throw new ScenarioFileError(`${shownPath(path)}: cannot list (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  } else if (stat.isFile()) {
    files = [path];
  } else {
    throw new ScenarioFileError(`${shownPath(path)}: not a regular file or directory`);
  }
  if (files.length === 0) throw new ScenarioFileError(`${shownPath(path)}: no .json scenario files`);
  return files.map((file) => {
    let text: string;
    try {
      text = readWorldFile(file);
    } catch (err) {
      if (err instanceof WorldFileError) throw new ScenarioFileError(`${shownPath(file)}: ${err.message}`);
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ScenarioFileError(`${shownPath(file)}: not JSON (${(err as Error).message.split('\n')[0]})`);
    }
    const parsed = parseScenario(json);
    if (!parsed.ok) throw new ScenarioFileError(`${shownPath(file)}: ${parsed.error}`);
    return { file, scenario: parsed.scenario };
  });
}

export interface RunOptions {
  /** a database to reuse (tests); default: one in-memory PGlite for the whole run */
  database?: Database;
  checkerTimeoutMs?: number;
  onLine?: (line: CheckLine) => void;
}

export async function runScenarios(
  items: { file: string; scenario: Scenario }[],
  opts: RunOptions = {},
): Promise<CheckLine[]> {
  const database = opts.database ?? (await openDatabase({}));
  await migrateDatabase(database);
  const lines: CheckLine[] = [];
  try {
    for (const { scenario } of items) {
      for (const line of await runOne(database, scenario, opts)) {
        lines.push(line);
        opts.onLine?.(line);
      }
    }
  } finally {
    if (!opts.database) await database.close();
  }
  return lines;
}

async function runOne(database: Database, scenario: Scenario, opts: RunOptions): Promise<CheckLine[]> {
  await truncateAll(database);
  const config = loadConfig({
    CARD_KEY_SECRET: newMasterKey(),
    CHECKER_TIMEOUT_MS: String(opts.checkerTimeoutMs ?? 1500),
    RATE_LIMITS: 'off',
    SWEEP_INTERVAL: 'off',
    // each order's gateway fault is its own in a scenario world: one must not trip the breaker for the next
    CIRCUIT_BREAKER: 'off',
    // a scenario world is played by the sandbox upstreams (in-process, loopback only)
    SANDBOX: 'on',
  });
  const fixed = new Date(scenario.now);
  const svc = await createServices(config, { database, migrated: true, now: () => new Date(fixed) });
  try {
    await loadWorld(svc, scenario);
    const lines: CheckLine[] = [];
    for (const [i, check] of scenario.checks.entries()) {
      const got = await runCheck(svc, check);
      const keysHeld = await keysHeldBy(svc, check.orderNo);
      const line: CheckLine = {
        scenario: scenario.name, check: i, orderNo: check.orderNo, as: check.as,
        verdict: got.verdict ?? null, action: got.action ?? null, suggested: got.suggested ?? null,
        error: got.error ?? null, keysHeld, ok: true,
        ...(got.explanation ? { explanation: got.explanation } : {}),
      };
      line.ok = meets(line, check.expect);
      lines.push(line);
    }
    return lines;
  } finally {
    await svc.close();
  }
}

interface Got {
  verdict?: Verdict;
  action?: Action;
  suggested?: Action;
  error?: string;
  explanation?: Explanation;
}

async function runCheck(svc: Services, check: ScenarioCheck): Promise<Got> {
  switch (check.as) {
    case 'customer': {
      const out = await customerCheck(svc, { orderNo: check.orderNo, secret: check.secret ?? '', ip: 'scenario', logContext: NO_LOG_CONTEXT });
      if (!out.ok) return { error: out.error };
      return { verdict: out.result.verdict, action: out.result.action, explanation: out.result.explanation };
    }
    case 'agent': {
      const lookup = await resolveOrder(svc, check.orderNo, NO_LOG_CONTEXT);
      const r = await diagnose(svc, { orderNo: check.orderNo, lookup, actor: { kind: 'agent', id: 'scenario' }, apply: check.apply === true, logContext: NO_LOG_CONTEXT });
      return { verdict: r.verdict, action: r.action, suggested: r.suggested, explanation: r.explanation };
    }
    case 'sweep':
      return runSweepCheck(svc, check.orderNo);
  }
}

async function keysHeldBy(svc: Services, orderNo: string): Promise<number> {
  const l = await lookupOrder(svc, orderNo);
  return l.holdings ? validKeys(l.holdings) : 0;
}

function meets(line: CheckLine, expect: ScenarioCheck['expect']): boolean {
  if (!expect) return true;
  for (const [k, want] of Object.entries(expect)) {
    if (want === undefined) continue;
    const have = line[k as keyof CheckLine] ?? null;
    if (have !== want) return false;
  }
  return true;
}
