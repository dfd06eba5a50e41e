/**
 * One process at a time on DATA_DIR (src/db/data-dir-lock.ts): a live holder is refused with its
 * pid, a dead one's lock is taken over, and racing openers never both win.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir, type LockHolder } from '../../src/db/data-dir-lock.ts';

const LINUX = existsSync('/proc/self/stat');
const fresh = () => mkdtempSync(join(tmpdir(), 'od-lock-'));

function writeHolder(dir: string, h: Partial<LockHolder>) {
  const holder: LockHolder = {
    pid: 1, host: hostname(), command: 'serve', since: new Date().toISOString(), bootId: null, procStart: null,
    token: 'someone-else', ...h,
  };
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(holder));
}

/** A live process that is not us: `sleep`, killed at the end. */
async function withLiveProcess(fn: (pid: number) => Promise<void>) {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  try {
    await fn(child.pid!);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

const procStart = (pid: number) => {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ')[19]!;
};
const bootId = () => (LINUX ? readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() : null);

describe('DATA_DIR lock', () => {
  it('holds the lock file with our pid, refuses a second opener in this process, and removes it on release', async () => {
    const dir = fresh();
    const lock = await lockDataDir(dir, { command: 'serve' });
    const held = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
    expect(held).toMatchObject({ pid: process.pid, host: hostname(), command: 'serve' });
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirLockedError);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lock.release(); // twice is harmless
    (await lockDataDir(dir)).release();
  });

  it('refuses while the holder runs, in one line naming DATA_DIR, the pid and what to do; takes over once it is killed', async () => {
    const dir = fresh();
    await withLiveProcess(async (pid) => {
      writeHolder(dir, { pid, bootId: bootId(), procStart: LINUX ? procStart(pid) : null });
      const err = await lockDataDir(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataDirLockedError);
      const message = (err as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toContain(`DATA_DIR ${dir} is in use by order-doctor pid ${pid} (serve, since`);
      expect(message).toMatch(/stop that process first, or set DATABASE_URL \(Postgres\)/);
    });
    // the holder is gone now (SIGKILL, reaped): its lock is stale
    const lock = await lockDataDir(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it.skipIf(!LINUX)('takes over when the pid now belongs to another process (its start time differs)', async () => {
    const dir = fresh();
    await withLiveProcess(async (pid) => {
      writeHolder(dir, { pid, bootId: bootId(), procStart: '1' });
      (await lockDataDir(dir)).release();
    });
  });

  it.skipIf(!LINUX)('takes over a lock written before the machine rebooted', async () => {
    const dir = fresh();
    await withLiveProcess(async (pid) => {
      writeHolder(dir, { pid, bootId: '00000000-0000-0000-0000-000000000000', procStart: procStart(pid) });
      (await lockDataDir(dir)).release();
    });
  });

  it('takes over a lock naming our own pid that this process does not hold (a restarted container\'s pid 1)', async () => {
    const dir = fresh();
    writeHolder(dir, { pid: process.pid, bootId: bootId() });
    (await lockDataDir(dir)).release();
  });

  it('leaves a lock written on another host alone, and says how to remove it', async () => {
    const dir = fresh();
    writeHolder(dir, { pid: 4242, host: 'other-host' });
    const err = await lockDataDir(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as Error).message).toContain(`pid 4242 on host other-host`);
    expect((err as Error).message).toContain(`delete ${join(dir, LOCK_FILE)}`);
  });

  it('takes over an empty lock file left by a process that died creating it', async () => {
    const dir = fresh();
    writeFileSync(join(dir, LOCK_FILE), '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, LOCK_FILE), old, old);
    (await lockDataDir(dir)).release();
  });

  it('a release never removes a lock another process has taken over since', async () => {
    const dir = fresh();
    const lock = await lockDataDir(dir);
    writeHolder(dir, { pid: 4242, token: 'the-new-holder' });
    lock.release();
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).token).toBe('the-new-holder');
  });

  /** n processes try at once; the winners hold on until every one has answered */
  const race = async (dir: string, n: number) => {
    const release = join(dir, '..', `${dir.split('/').pop()}.release`);
    const answers: string[] = [];
    const startAt = String(Date.now() + 4000); // after every child has started up
    const children = Array.from({ length: n }, () => {
      const child = spawn(process.execPath, ['bin/run-ts.js', 'test/db/lock-child.ts', dir, release, startAt], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => {
        out += String(d);
        if (out.endsWith('\n')) {
          answers.push(out.trim());
          if (answers.length === n) writeFileSync(release, '');
        }
      });
      return new Promise<number | null>((r) => child.on('exit', r));
    });
    const codes = await Promise.all(children);
    expect(codes.every((c) => c === 0)).toBe(true);
    return answers;
  };

  it('of openers racing for a free DATA_DIR, exactly one wins', async () => {
    const got = await race(fresh(), 6);
    expect(got.filter((s) => s === 'got')).toHaveLength(1);
    expect(got.filter((s) => s === 'refused')).toHaveLength(5);
  }, 60_000);

  it('of openers racing to take over a dead holder\'s lock, exactly one wins', async () => {
    const dir = fresh();
    const dead = spawn('true');
    await new Promise((r) => dead.on('exit', r));
    writeHolder(dir, { pid: dead.pid!, bootId: bootId() });
    const got = await race(dir, 6);
    expect(got.filter((s) => s === 'got')).toHaveLength(1);
    expect(got.filter((s) => s === 'refused')).toHaveLength(5);
  }, 60_000);
});
