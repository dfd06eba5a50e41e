/**
 * Starts bench/sandbox-server.ts as a child process and waits for its address: benchmarks point
 * the process they measure at it, as at a real gateway elsewhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export async function startSandboxProcess(opts: {
  latencyMs: number;
  /** play the world in this database ... */
  databaseUrl?: string;
  /** ... or load this world file into the sandbox's own PGlite, with this fixed clock */
  worldFile?: string;
  /** ... or play these gateway answers by order number (a connected shop: bench/answer-world.ts) */
  answersFile?: string;
  now?: string;
  /** extra node flags (e.g. --cpu-prof) */
  nodeArgs?: string[];
}): Promise<{ url: string; child: ChildProcess; stop(): void }> {
  const env: NodeJS.ProcessEnv = { ...process.env, SANDBOX_LATENCY_MS: String(opts.latencyMs) };
  delete env.DATABASE_URL;
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl;
  const args = [...(opts.nodeArgs ?? []), 'bin/run-ts.js', 'bench/sandbox-server.ts'];
  if (opts.worldFile) args.push('--world', opts.worldFile);
  if (opts.answersFile) args.push('--answers', opts.answersFile);
  if (opts.now) args.push('--now', opts.now);
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of createInterface({ input: child.stdout! })) {
    const m = /^sandbox (\S+)/.exec(line);
    if (m) return { url: m[1]!, child, stop: () => child.kill('SIGTERM') };
  }
  throw new Error('the sandbox process ended before it listened');
}
