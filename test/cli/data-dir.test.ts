/**
 * `npm start` and the CLI on one DATA_DIR, as real processes: the embedded database takes one
 * process at a time, so a second opener is refused in one line naming the holder, and nothing is
 * written; a stopped server releases it, a killed one's lock is taken over. The demo runs in
 * sandbox mode and says so, its sandbox answering loopback clients only.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { LOCK_FILE } from '../../src/db/data-dir-lock.ts';
import { freshPostgres, POSTGRES_URL } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { startServe } from '../support/serve-process.ts';

const run = promisify(execFile);
// two tests here need a real Postgres; the rest of the file runs on PGlite
const PG = await requires('postgres');

async function cli(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run('node', ['bin/order-doctor.js', ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** without the sweep loop: these tests are about the process and its DATA_DIR */
const NO_SWEEP = { SWEEP_INTERVAL: 'off' };

const lockOf = (dataDir: string) => JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number; command: string };

async function agentNames(dataDir: string): Promise<string[]> {
  const database = await openDatabase({ dataDir: join(dataDir, 'pg') });
  try {
    const rows = await database.rows<{ name: string }>(sql`select name from agents order by id`);
    return rows.map((r) => r.name);
  } finally {
    await database.close();
  }
}

describe('one DATA_DIR, one process', () => {
  it('refuses every second opener while serve runs, in one line with its pid; works once it stops; takes over from a killed one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'od-datadir-'));
    const env = { DATA_DIR: dataDir };

    const first = await startServe(dataDir, { env: NO_SWEEP });
    expect(lockOf(dataDir)).toMatchObject({ pid: first.child.pid, command: 'serve' });
    const openers = [['agents', 'create', '--name', 'x'], ['diagnose', 'K2026112210002'], ['migrate'], ['sweep'], ['report'], ['serve']];
    const refusals = await Promise.all(openers.map((args) => cli(args, { ...env, PORT: '0' })));
    for (const [i, out] of refusals.entries()) {
      const args = openers[i]!;
      expect(out.code, args.join(' ')).not.toBe(0);
      expect(out.stdout, args.join(' ')).toBe('');
      const lines = out.stderr.trim().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toContain(`order-doctor: DATA_DIR ${dataDir} is in use by order-doctor pid ${first.child.pid} (serve, since `);
      expect(lines[0]).toContain('stop that process first, or set DATABASE_URL (Postgres)');
    }
    // the server is untouched by all that
    expect(lockOf(dataDir).pid).toBe(first.child.pid);
    const health = await fetch(`http://127.0.0.1:${first.port}/healthz`);
    expect(health.status).toBe(200);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    const created = await cli(['agents', 'create', '--name', 'y'], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^agent token: od_/m);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    const second = await startServe(dataDir, { env: NO_SWEEP });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    const third = await startServe(dataDir, { env: NO_SWEEP });
    third.child.kill('SIGKILL');
    expect(await third.exited).toBe('SIGKILL');
    expect(lockOf(dataDir).pid).toBe(third.child.pid); // left behind by the dead

    const afterKill = await cli(['agents', 'create', '--name', 'z'], env);
    expect(afterKill.stderr).toBe('');
    expect(afterKill.code).toBe(0);

    // the refused `agents create --name x` wrote nothing; the others are all there
    expect(await agentNames(dataDir)).toEqual(['demo', 'y', 'z']);
  }, 480_000);

  it.skipIf(!PG)('takes no lock on Postgres (DATABASE_URL): the CLI runs beside a holder of DATA_DIR', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'od-datadir-pg-'));
    const pg = await freshPostgres(POSTGRES_URL!, 2);
    const server = await startServe(dataDir, { env: NO_SWEEP }); // holds DATA_DIR (embedded)
    try {
      const out = await cli(['agents', 'create', '--name', 'pg'], { DATA_DIR: dataDir, DATABASE_URL: pg.url!, CARD_KEY_SECRET: Buffer.alloc(32, 1).toString('base64') });
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      expect(lockOf(dataDir).pid).toBe(server.child.pid);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await pg.drop();
    }
  }, 300_000);
});

describe('npm start (the demo) is in sandbox mode', () => {
  it('says so at start, plays the demo through the sandbox, and serves /sandbox/ to loopback clients only', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'od-demo-'));
    const server = await startServe(dataDir, { env: NO_SWEEP });
    try {
      expect(server.stdout()).toMatch(/^loaded the demo world: /m);
      expect(server.stdout()).toMatch(
        /^sandbox mode: unconfigured upstreams \(alipay, wechat, epay, supplier\) are played by the sandbox at http:\/\/127\.0\.0\.1:\d+ \(loopback only; \/sandbox\/ on this server answers loopback clients only\)$/m,
      );
      const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/orders/K2026112210002/check`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: '73905' }),
      });
      expect(await res.json()).toMatchObject({ verdict: 'PAID_NOT_DELIVERED', action: 'reissued' });
      expect((await fetch(`http://127.0.0.1:${server.port}/sandbox/credentials`)).status).toBe(200);
      const outside = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
      if (outside) {
        const remote = await fetch(`http://${outside}:${server.port}/sandbox/credentials`);
        expect(remote.status).toBe(404);
        expect((await remote.json()).code).toBe('not_found');
      }
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    // served again: still the demo, still in sandbox mode
    const again = await startServe(dataDir, { env: NO_SWEEP });
    try {
      expect(again.stdout()).not.toMatch(/loaded the demo world/);
      expect(again.stdout()).toMatch(/^sandbox mode: /m);
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  }, 300_000);

  it('serve --world is in sandbox mode too', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'od-world-'));
    const server = await startServe(dataDir, { args: ['--world', 'fixtures/scenarios/paid-callback-lost-alipay.json'], env: NO_SWEEP });
    try {
      expect(server.stdout()).toMatch(/^loaded world: /m);
      expect(server.stdout()).toMatch(/^sandbox mode: /m);
      expect((await fetch(`http://127.0.0.1:${server.port}/sandbox/credentials`)).status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 300_000);

  it.skipIf(!PG)('serve on a database of its own (no demo, no world) is not, unless SANDBOX=on', async () => {
    const pg = await freshPostgres(POSTGRES_URL!, 2);
    const env = { DATABASE_URL: pg.url!, CARD_KEY_SECRET: Buffer.alloc(32, 2).toString('base64') };
    try {
      const plain = await startServe(mkdtempSync(join(tmpdir(), 'od-plain-')), { env: { ...NO_SWEEP, ...env } });
      try {
        expect(plain.stdout()).not.toMatch(/sandbox/);
        const res = await fetch(`http://127.0.0.1:${plain.port}/sandbox/credentials`);
        expect(res.status).toBe(404);
      } finally {
        plain.child.kill('SIGTERM');
        await plain.exited;
      }
      const on = await startServe(mkdtempSync(join(tmpdir(), 'od-plain-')), { env: { ...NO_SWEEP, ...env, SANDBOX: 'on' } });
      try {
        expect(on.stdout()).toMatch(/^sandbox mode: /m);
      } finally {
        on.child.kill('SIGTERM');
        await on.exited;
      }
    } finally {
      await pg.drop();
    }
  }, 300_000);
});
