/**
 * The sandbox upstreams in a process of their own, for benchmarks: `node bin/run-ts.js
 * bench/sandbox-server.ts [--world FILE | --answers FILE] [--now ISO]`. With DATABASE_URL it plays
 * the world already loaded in that database; with `--world` it plays FILE's answers from memory
 * (bench/answer-world.ts); with `--answers` (a connected shop such as dujiaoka, whose orders the
 * sandbox cannot read) it plays the gateway answers FILE gives by order_sn, without any database. Prints one line `sandbox http://127.0.0.1:PORT` when ready; SANDBOX_LATENCY_MS applies
 * as usual.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openDatabase, type Database } from '../src/db/client.ts';
import { createDbSandboxWorld } from '../src/sandbox/db-world.ts';
import { listenSandbox } from '../src/sandbox/listener.ts';
import type { SandboxWorld } from '../src/sandbox/types.ts';
import { parseScenario } from '../src/world/schema.ts';
import { answersOfWorld, createAnswerWorld, parseAnswers } from './answer-world.ts';

const { values } = parseArgs({ options: { world: { type: 'string' }, answers: { type: 'string' }, now: { type: 'string' } } });
const fixed = values.now ? new Date(values.now) : null;
const now = () => (fixed ? new Date(fixed) : new Date());
const url = process.env.DATABASE_URL;

let database: Database | null = null;
let world: SandboxWorld;
if (values.answers) {
  world = createAnswerWorld(parseAnswers(JSON.parse(readFileSync(values.answers, 'utf8'))), now);
} else if (!url) {
  // the world's answers in memory: a PGlite here would spend most of the stand-in's CPU (answer-world.ts)
  if (!values.world) throw new Error('--world FILE or --answers FILE is needed without DATABASE_URL');
  const parsed = parseScenario(JSON.parse(readFileSync(values.world, 'utf8')));
  if (!parsed.ok) throw new Error(parsed.error);
  const { answers, suppliers } = answersOfWorld(parsed.scenario);
  world = createAnswerWorld(answers, now, suppliers);
} else {
  database = await openDatabase({ url, maxConnections: 8 });
  world = createDbSandboxWorld(database.db);
}
const sandbox = await listenSandbox({ world, now, latencyMs: Number(process.env.SANDBOX_LATENCY_MS ?? 0) });
console.log(`sandbox ${sandbox.baseUrl}`);
const stop = async () => {
  await sandbox.close();
  await database?.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
