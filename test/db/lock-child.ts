/**
 * A process that tries to take DATA_DIR's lock (test/db/data-dir-lock.test.ts) at the instant
 * START_AT (epoch ms, the same for every racer) and prints `got` or `refused`; a winner holds the
 * lock until the file RELEASE exists (at most 60 s), then releases.
 */
import { existsSync } from 'node:fs';
import { DataDirLockedError, lockDataDir } from '../../src/db/data-dir-lock.ts';

const [dir, release, startAt] = process.argv.slice(2);
// every racer starts at the same instant: sleep until just before it, then spin
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now() - 20)));
while (Date.now() < Number(startAt)) { /* spin */ }
try {
  const lock = await lockDataDir(dir!, { command: 'race' });
  console.log('got');
  const until = Date.now() + 60_000;
  while (!existsSync(release!) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  lock.release();
} catch (err) {
  if (!(err instanceof DataDirLockedError)) throw err;
  console.log('refused');
}
