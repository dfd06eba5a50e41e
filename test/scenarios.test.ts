/**
 * Every scenario in fixtures/scenarios, through the same runner as `order-doctor scenarios`:
 * real adapters, real signed protocols from the sandbox, the production code paths.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readScenarios, runScenarios, type CheckLine } from '../src/world/run-scenarios.ts';
import { VERDICTS, ACTIONS, CHANNELS } from '../src/domain/verdicts.ts';
import { testDatabase, type TestDatabase } from './support/db.ts';

const items = readScenarios('fixtures/scenarios');
let tdb: TestDatabase;
let lines: CheckLine[] = [];

beforeAll(async () => {
  tdb = await testDatabase();
  lines = await runScenarios(items, { database: tdb.database });
}, 240_000);
afterAll(async () => tdb?.drop());

describe('scenario library', () => {
  it.each(items.map((i) => [i.scenario.name]))('%s', (name) => {
    const mine = lines.filter((l) => l.scenario === name);
    expect(mine.length).toBeGreaterThan(0);
    for (const l of mine) expect(l, `check #${l.check} ${l.orderNo}`).toMatchObject({ ok: true });
  });

  it('covers every verdict, every action and every channel', () => {
    const seen = new Set(lines.map((l) => l.verdict));
    expect(VERDICTS.filter((v) => !seen.has(v))).toEqual([]);
    const acted = new Set(lines.flatMap((l) => [l.action, l.suggested]));
    expect(ACTIONS.filter((a) => !acted.has(a))).toEqual([]);
    const channels = new Set(items.flatMap((i) => i.scenario.orders.map((o) => o.channel)));
    expect(CHANNELS.filter((c) => !channels.has(c))).toEqual([]);
    expect(items.length).toBeGreaterThanOrEqual(25);
  });

  it('never shows a card key in an explanation', () => {
    const secrets = items.flatMap((i) => [
      ...i.scenario.stock.flatMap((s) => s.keys),
      ...i.scenario.orders.flatMap((o) => o.keys.map((k) => k.secret)),
    ]);
    const text = JSON.stringify(lines.map((l) => l.explanation));
    for (const s of secrets) expect(text).not.toContain(s);
  });
});
