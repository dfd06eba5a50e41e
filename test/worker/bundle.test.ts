/**
 * The Worker builds as `wrangler deploy` would build it (`--dry-run`: no account, no upload), and
 * stays small: the goal is under 1 MiB gzipped, the size printed for the record. The Node-only
 * modules (PGlite, mysql2, undici) must stay out of it (their stand-ins are in src/worker/), and
 * pino must be its Node build (wrangler.toml [alias]). It carries every migration in migrations/,
 * byte for byte, as a text module: one added to the folder but not to src/worker/migration-files.ts
 * fails here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { WRANGLER, wranglerInstalled } from './wrangler-dev.ts';

const MiB = 1024 * 1024;
const installed = wranglerInstalled();
if (!installed) {
  if (process.env.CI === 'true') throw new Error('wrangler is not installed (npm ci installs it)');
  console.warn('skipped test/worker/bundle.test.ts: wrangler is not installed (npm ci)');
}

describe.skipIf(!installed)('the Worker bundle (wrangler deploy --dry-run)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'od-worker-build-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('builds, under 1 MiB gzipped, without the Node-only modules', async () => {
    await promisify(execFile)(WRANGLER, ['deploy', '--dry-run', '--outdir', outdir], {
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
      timeout: 120_000,
    });
    const bundle = readFileSync(join(outdir, 'worker.js'));
    const gzipped = gzipSync(bundle, { level: 9 }).length;
    console.log(`worker bundle: ${(bundle.length / 1024).toFixed(0)} KiB, ${(gzipped / 1024).toFixed(0)} KiB gzipped`);
    expect(gzipped).toBeLessThan(MiB);
    // esbuild marks each bundled file with a `// node_modules/...` comment
    const text = bundle.toString('utf8');
    for (const absent of ['@electric-sql/pglite/', 'mysql2/', 'undici/']) expect(text).not.toContain(`node_modules/${absent}`);
    // pino's Node build, whose destination runs our scrub; its browser build would bypass it
    expect(text).toContain('node_modules/pino/pino.js');
    expect(text).not.toContain('node_modules/pino/browser.js');
    // wrangler writes each text module beside worker.js as <sha1>-<file name>
    const modules = readdirSync(outdir);
    const migrations = readdirSync('migrations').filter((f) => f.endsWith('.sql'));
    expect(migrations.length).toBeGreaterThan(10);
    for (const file of migrations) {
      const carried = modules.find((m) => m.endsWith(`-${file}`));
      expect(carried, `${file} is not in the Worker bundle (src/worker/migration-files.ts)`).toBeDefined();
      expect(readFileSync(join(outdir, carried!), 'utf8')).toBe(readFileSync(join('migrations', file), 'utf8'));
    }
  }, 150_000);
});
