/**
 * `order-doctor keys rotate [--batch N] [--dry-run]`: re-encrypts every card key (and every other
 * sealed value) under CARD_KEY_SECRET, in batches (crypto/rotate.ts). Progress: a live line on
 * stderr on a terminal, else a line per table on stdout; the summary on stdout. Exit 0: nothing left
 * under older keys (or a dry run that opened everything); 1: values still under older keys at the
 * end (something still seals with an old key); 2: a value no configured key opens (one line naming
 * its table and row, nothing written) or bad input.
 */
import { hostname } from 'node:os';
import type { Config } from '../config.ts';
import { createServices } from '../services.ts';
import { rotateKeys, RotationRefused, type RotationSummary } from '../crypto/rotate.ts';
import { parse, UsageError } from './args.ts';

const USAGE = 'usage: order-doctor keys rotate [--batch N] [--dry-run]';

export async function keysCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parse(args, { batch: { type: 'string', default: '200' }, 'dry-run': { type: 'boolean' } });
  if (positionals.length === 0) throw new UsageError(USAGE);
  if (positionals[0] !== 'rotate') throw new UsageError(`keys: unknown subcommand '${positionals[0]}' (${USAGE})`);
  if (positionals.length > 1) throw new UsageError(`keys rotate: unexpected argument '${positionals[1]}'`);
  const batch = String(values.batch);
  if (!/^\d{1,5}$/.test(batch) || Number(batch) < 1 || Number(batch) > 10_000) {
    throw new UsageError(`--batch '${batch}': expected a number of rows from 1 to 10000`);
  }
  const dryRun = values['dry-run'] === true;
  const tty = process.stderr.isTTY === true;
  const svc = await createServices(config);
  try {
    const summary = await rotateKeys(svc, {
      batchSize: Number(batch),
      dryRun,
      actorId: `cli:${hostname()}:${process.pid}`,
      onProgress: ({ phase, table, done, finished }) => {
        const line = `${phase === 'check' ? 'checked' : 're-encrypted'} ${table}: ${done}`;
        // a live line on a terminal; elsewhere (cron, logs) a line per table on stdout, keeping stderr for the error
        if (tty) process.stderr.write(`\r\x1b[K${line}${finished ? '\n' : ''}`);
        else if (finished) console.log(line);
      },
    });
    console.log(humanSummary(summary));
    return !dryRun && summary.left > 0 ? 1 : 0;
  } catch (err) {
    if (!(err instanceof RotationRefused)) throw err;
    if (tty) process.stderr.write('\r\x1b[K');
    console.error(`order-doctor: keys rotate: ${err.message}`);
    return 2;
  } finally {
    await svc.close();
  }
}

function humanSummary(s: RotationSummary): string {
  const width = Math.max(...Object.keys(s.byTable).map((t) => t.length));
  const tables = Object.entries(s.byTable).map(([t, n]) => `  ${t.padEnd(width)}  ${n}`);
  const total = Object.values(s.byTable).reduce((a, b) => a + b, 0);
  if (s.dryRun) {
    const under = Object.entries(s.byKeyId).map(([k, n]) => `${k === 'legacy' ? 'sealed before key ids' : `key id ${k}`} ${n}`).join(', ') || '-';
    return [
      `keys rotate (dry run: nothing written): ${total} values to re-encrypt under key id ${s.keyId}, each opens with a configured key`,
      ...tables,
      `  now under: ${under}`,
    ].join('\n');
  }
  return [
    `keys rotate: ${total} values re-encrypted under key id ${s.keyId} in ${s.batches} batches, ${(s.durationMs / 1000).toFixed(1)} s`,
    ...tables,
    `  left under old keys: ${s.left}${s.left > 0 ? ' (something still writes with an old key: give every process the new CARD_KEY_SECRET, then run again)' : ''}`,
  ].join('\n');
}
