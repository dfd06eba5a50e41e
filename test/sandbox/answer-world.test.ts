/**
 * The benches' sandbox plays a world from memory (bench/answer-world.ts) instead of from a PGlite
 * of its own: what it answers must be what the database world (the sandbox of `serve`) answers for
 * the same world, order by order, by order number and by transaction number, on every channel,
 * for the demo world and every fixture scenario.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersOfWorld, createAnswerWorld } from '../../bench/answer-world.ts';
import { createSecretBox, newMasterKey } from '../../src/crypto/secret-box.ts';
import { truncateAll } from '../../src/db/migrate.ts';
import { CHANNELS } from '../../src/domain/verdicts.ts';
import { createDbSandboxWorld } from '../../src/sandbox/db-world.ts';
import { loadWorld } from '../../src/world/load.ts';
import { parseScenario, type Scenario } from '../../src/world/schema.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';

const fixtures = join(import.meta.dirname, '../../fixtures');
const worlds: [string, Scenario][] = [
  'demo-world.json',
  ...readdirSync(join(fixtures, 'scenarios')).filter((f) => f.endsWith('.json')).map((f) => `scenarios/${f}`),
].map((file) => {
  const parsed = parseScenario(JSON.parse(readFileSync(join(fixtures, file), 'utf8')));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.error}`);
  return [file, parsed.scenario];
});

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await testDatabase();
});
afterAll(async () => {
  await tdb?.drop();
});

describe('the in-memory sandbox world', () => {
  it.each(worlds)('answers as the database world does: %s', async (_file, world) => {
    await truncateAll(tdb.database);
    await loadWorld({ database: tdb.database, box: await createSecretBox(newMasterKey()) }, world);
    const fromDb = createDbSandboxWorld(tdb.database.db);
    const { answers, suppliers } = answersOfWorld(world);
    const fromMemory = createAnswerWorld(answers, () => new Date(world.now), suppliers);
    const tradeNos = Object.values(world.gateway).flatMap((a) => (a.tradeNo ? [a.tradeNo] : []));
    for (const o of world.orders) {
      for (const channel of CHANNELS) {
        expect(await fromMemory.findTrade(channel, { orderNo: o.orderNo }), `${o.orderNo} on ${channel}`).toEqual(await fromDb.findTrade(channel, { orderNo: o.orderNo }));
      }
      expect(await fromMemory.findSupplierOrder(o.orderNo), `${o.orderNo} at the supplier`).toEqual(await fromDb.findSupplierOrder(o.orderNo));
    }
    for (const tradeNo of [...tradeNos, 'NO-SUCH-TRADE']) {
      for (const channel of CHANNELS) {
        expect(await fromMemory.findTrade(channel, { tradeNo }), `${tradeNo} on ${channel}`).toEqual(await fromDb.findTrade(channel, { tradeNo }));
      }
    }
    expect(await fromMemory.findTrade('alipay', { orderNo: 'NO-SUCH-ORDER' })).toBeNull();
  });
});
