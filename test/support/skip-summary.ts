/**
 * vitest globalSetup: the other half of requires.ts. Before the run it empties the directory the
 * suites record their skips in (OD_SKIP_DIR, named in vitest.config.ts); after the run it prints
 * one line naming what was skipped and how to run it, e.g.
 * `skipped: 14 files need Postgres (set DATABASE_URL=...), 9 need MariaDB (...), 1 needs Chromium (...)`.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { HOW_TO_RUN, type Need } from './requires.ts';

/** The line for these skips (null: nothing was skipped). */
export function skipSummary(skips: { need: Need; file: string }[]): string | null {
  const order: Need[] = ['postgres', 'mariadb', 'chromium'];
  const parts: string[] = [];
  for (const need of order) {
    const files = new Set(skips.filter((s) => s.need === need).map((s) => s.file));
    if (!files.size) continue;
    const n = files.size;
    const head = parts.length === 0 ? `${n} file${n === 1 ? '' : 's'}` : String(n);
    parts.push(`${head} need${n === 1 ? 's' : ''} ${HOW_TO_RUN[need].name} (${HOW_TO_RUN[need].how})`);
  }
  return parts.length ? `skipped: ${parts.join(', ')}; CI=true fails the run instead` : null;
}

export default function setup(project: TestProject): () => void {
  const dir = project.config.env?.OD_SKIP_DIR;
  if (!dir) throw new Error('vitest.config.ts must set test.env.OD_SKIP_DIR');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return () => {
    const skips: { need: Need; file: string }[] = [];
    for (const name of readdirSync(dir)) {
      try {
        skips.push(JSON.parse(readFileSync(join(dir, name), 'utf8')) as { need: Need; file: string });
      } catch {
        // a marker half-written by a killed worker: ignored
      }
    }
    rmSync(dir, { recursive: true, force: true });
    const line = skipSummary(skips);
    if (line) process.stdout.write(`\n${line}\n`);
  };
}
