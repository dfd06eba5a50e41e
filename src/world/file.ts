/**
 * Reads a file the command line was given (a scenario or world file, a `stock import` key file),
 * refusing what is not one: anything
 * but a regular file (a device such as /dev/zero, a FIFO, a socket, behind a symlink or not), or a
 * file above MAX_WORLD_FILE_BYTES, is one line naming it instead of a read that never ends.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Far above any real world (the demo's is ~20 KB), far below what would strain the process. */
export const MAX_WORLD_FILE_BYTES = 10 * 1024 * 1024;

export class WorldFileError extends Error {}

export function readWorldFile(file: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer before we can see it is not a file
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new WorldFileError(code === 'ENOENT' ? 'no such file or directory' : `cannot open (${code ?? (err as Error).message})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new WorldFileError('not a regular file');
    if (stat.size > MAX_WORLD_FILE_BYTES) throw new WorldFileError(`larger than ${MAX_WORLD_FILE_BYTES / 1024 / 1024} MB`);
    // read to the end but never past the cap, whatever the size said (the file may be growing)
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        // a file that opens but does not read (/proc/self/mem: EIO) is refused like one that does not open
        throw new WorldFileError(`cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      if (n === 0) break;
      total += n;
      if (total > MAX_WORLD_FILE_BYTES) throw new WorldFileError(`larger than ${MAX_WORLD_FILE_BYTES / 1024 / 1024} MB`);
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** A path as an error message shows it: quoted when blanks at its ends or control characters would hide what it is. */
export function shownPath(path: string): string {
  return /^\S(?:.*\S)?$/su.test(path) && !/\p{Cc}/u.test(path) ? path : JSON.stringify(path);
}
