/**
 * N `order-doctor serve` processes on one Postgres database, as deployed: each with its own
 * DATA_DIR, port and sweep, the same CARD_KEY_SECRET, and the gateways and the supplier played by
 * the sandbox upstreams in a process of their own (bench/sandbox-process.ts), as a real gateway
 * elsewhere would be. The first process loads the world (serve --world), the others join it.
 * Used by test/cluster/*.pg.test.ts and bench/cluster.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import { sandboxGatewayEnv } from '../../src/sandbox/credentials.ts';
import { startSandboxProcess } from '../../bench/sandbox-process.ts';
import { startServe, type ServeProcess } from '../support/serve-process.ts';

export interface Cluster {
  nodes: ServeProcess[];
  /** SIGTERM to every process, each awaited (a graceful shutdown, as a deploy would do), then the sandbox */
  stop(): Promise<void>;
}

export async function startCluster(opts: {
  /** an empty database of its own */
  databaseUrl: string;
  /** a world (src/world/schema.ts) whose `now` is about this moment: the sandbox plays it on the real clock */
  world: unknown;
  processes: number;
  /** more settings for every process (SWEEP_INTERVAL, TRUST_PROXY ...) */
  env?: Record<string, string>;
  latencyMs?: number;
}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'od-cluster-'));
  const worldFile = join(dir, 'world.json');
  writeFileSync(worldFile, JSON.stringify(opts.world));
  const sandbox = await startSandboxProcess({ latencyMs: opts.latencyMs ?? 0, worldFile });
  const nodes: ServeProcess[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(nodes.map(async (n) => {
      if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGTERM');
      await n.exited;
    }));
    sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const env = {
      ...sandboxGatewayEnv(sandbox.url), DATABASE_URL: opts.databaseUrl, CARD_KEY_SECRET: newMasterKey(), HOST: '127.0.0.1', ...opts.env,
    };
    nodes.push(await startServe(join(dir, 'node-0'), { args: ['--world', worldFile], env }));
    nodes.push(...(await Promise.all(Array.from({ length: opts.processes - 1 }, (_, i) => startServe(join(dir, `node-${i + 1}`), { env })))));
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, stop };
}
