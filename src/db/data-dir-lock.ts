/**
 * One process at a time on the embedded database. PGlite keeps its data in memory and writes it
 * back to DATA_DIR on its own schedule, with no locking between processes: a CLI command run next
 * to `npm start` would read a stale copy and write it back over the server's (an agent created
 * meanwhile is never seen, and later gone). So the process that opens DATA_DIR holds
 * `DATA_DIR/order-doctor.lock` (created exclusively, holding its pid), and a second opener fails at
 * once naming the holder. Postgres (DATABASE_URL) needs none of this: any number of processes share it.
 *
 * A holder that dies without releasing (SIGKILL, a crash, a power cut) leaves its file behind; the
 * next opener takes it over when that pid is gone, is a zombie, is another process that got the same
 * pid (Linux: its start time differs), or the machine has rebooted since. A lock written on another
 * host (a shared volume) cannot be checked from here and is left for a person to remove.
 *
 * @example
 * const lock = await lockDataDir('./.data');
 * try { ...open PGlite in ./.data/pg... } finally { lock.release(); }
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'order-doctor.lock';

/** What the lock file holds. */
export interface LockHolder {
  pid: number;
  host: string;
  /** the command that holds it (`serve`, `agents create`, ...) */
  command: string;
  since: string;
  /** Linux: the kernel's boot id and the holder's start time, to tell a reused pid from the holder */
  bootId: string | null;
  procStart: string | null;
  /** this holding, so a release never removes a lock another process took over */
  token: string;
}

export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string, readonly holder: LockHolder | null) {
    const who = holder
      ? `order-doctor pid ${holder.pid}${holder.host !== hostname() ? ` on host ${holder.host}` : ''} (${holder.command}, since ${holder.since})`
      : 'another order-doctor process';
    const remote = holder && holder.host !== hostname()
      ? `; if that host no longer runs it, delete ${join(dataDir, LOCK_FILE)}`
      : '';
    super(
      `DATA_DIR ${dataDir} is in use by ${who}: its embedded database takes one process at a time; ` +
        `stop that process first, or set DATABASE_URL (Postgres) to run the CLI beside the server${remote}`,
    );
  }
}

export interface DataDirLock {
  path: string;
  /** removes the lock file if it is still this holding's; safe to call twice */
  release(): void;
}

/** Lock files this process holds, by path: released on exit and, when nothing else handles them, on SIGINT/SIGTERM. */
const held = new Map<string, string>();

/** A takeover that has not finished in this long was abandoned by a process that died mid-way. */
const TAKEOVER_STALE_MS = 5_000;
/** A lock file still empty after this long belongs to a process that died right after creating it. */
const EMPTY_STALE_MS = 2_000;

export async function lockDataDir(dataDir: string, opts: { command?: string } = {}): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  if (held.has(path)) throw new DataDirLockedError(dataDir, readHolder(path) ?? null);
  const me: LockHolder = {
    pid: process.pid, host: hostname(), command: opts.command ?? commandName(), since: new Date().toISOString(),
    bootId: bootId(), procStart: procStart(process.pid), token: randomUUID(),
  };
  for (let attempt = 0; attempt < 200; attempt++) {
    if (create(path, me)) {
      hold(path, me.token);
      return { path, release: () => release(path, me.token) };
    }
    const holder = readHolder(path);
    if (holder === undefined) continue; // gone meanwhile: try again
    if (holder === null) {
      // created but not yet written: its owner is writing it now, or died doing so
      if (ageMs(path) < EMPTY_STALE_MS) {
        await sleep(20);
        continue;
      }
    } else if (alive(holder)) {
      throw new DataDirLockedError(dataDir, holder);
    }
    await takeOver(path, holder);
  }
  throw new DataDirLockedError(dataDir, readHolder(path) ?? null);
}

/** Creates the lock file if there is none (O_EXCL): the one step that decides who holds it. */
function create(path: string, me: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(me) + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Removes a dead holder's file. Racing openers serialize on a second exclusive file and re-read the
 * lock under it, so one that saw the same dead holder never removes the lock a faster one just took.
 */
async function takeOver(path: string, stale: LockHolder | null): Promise<void> {
  const guard = `${path}.takeover`;
  for (;;) {
    try {
      closeSync(openSync(guard, 'wx', 0o644));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (ageMs(guard) > TAKEOVER_STALE_MS) removeIfThere(guard);
      else await sleep(20);
    }
  }
  try {
    const now = readHolder(path);
    const same = now === null ? stale === null : now !== undefined && stale !== null && now.token === stale.token;
    if (same) removeIfThere(path);
  } finally {
    removeIfThere(guard);
  }
}

function release(path: string, token: string): void {
  if (held.get(path) !== token) return;
  held.delete(path);
  if (held.size === 0) unlisten();
  const now = readHolder(path);
  if (now && now.token === token) removeIfThere(path);
}

/** undefined: no lock file; null: there but empty or unreadable (being written) */
function readHolder(path: string): LockHolder | null | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(text) as LockHolder;
    return typeof v.pid === 'number' && typeof v.token === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** Whether the holder may still be running; when in doubt (another host), it is. */
function alive(h: LockHolder): boolean {
  if (h.host !== hostname()) return true;
  const boot = bootId();
  if (boot && h.bootId && boot !== h.bootId) return false; // the machine rebooted since
  // our own pid in a file we do not hold: a previous life of this pid (a restarted container's pid 1)
  if (h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: it exists, run by another user
  }
  const stat = procStat(h.pid);
  if (stat) {
    if (stat.state === 'Z' || stat.state === 'X') return false;
    if (h.procStart && stat.start !== h.procStart) return false; // the pid went to another process
  }
  return true;
}

function hold(path: string, token: string): void {
  if (held.size === 0) listen();
  held.set(path, token);
}

function releaseAll(): void {
  for (const [path, token] of [...held]) release(path, token);
}

function onExit(): void {
  releaseAll();
}

/**
 * Ctrl-C or a plain kill of a command with no shutdown of its own: release, then die of the signal
 * as before. A process with its own handler (serve) closes its database first, which releases.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  releaseAll();
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
}

function listen(): void {
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function unlisten(): void {
  process.removeListener('exit', onExit);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}

function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function commandName(): string {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  return args.slice(0, args[0] === 'agents' || args[0] === 'shop' ? 2 : 1).join(' ') || 'order-doctor';
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Linux /proc/PID/stat: the state letter and the start time (clock ticks since boot). */
function procStat(pid: number): { state: string; start: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, start: fields[19]! };
  } catch {
    return null;
  }
}

function procStart(pid: number): string | null {
  return procStat(pid)?.start ?? null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
