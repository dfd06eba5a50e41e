/**
 * `order-doctor stock import --sku S FILE [--dry-run] [--json]`: card keys into the built-in store's
 * stock, one per line (actions/stock-import.ts). Bad input (no such product, a file that is not a
 * regular file or is over the size cap, a connected shop whose stock lives in its own tables) is
 * one line and exit 2, nothing written. The report names lines by number only: no key is ever
 * printed. `--json` prints exactly one line.
 */
import { hostname } from 'node:os';
import type { Config } from '../config.ts';
import { createServices } from '../services.ts';
import { importStock, parseKeyLines, UnknownSkuError, type StockImportResult } from '../actions/stock-import.ts';
import { readWorldFile, shownPath, WorldFileError } from '../world/file.ts';
import { parse, UsageError } from './args.ts';

const USAGE = 'usage: order-doctor stock import --sku SKU FILE [--dry-run] [--json]';
/** line numbers a human summary lists before "and N more" (--json lists them all) */
const SHOWN_LINES = 20;

export async function stockCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parse(args, { sku: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } });
  if (positionals.length === 0) throw new UsageError(USAGE);
  if (positionals[0] !== 'import') throw new UsageError(`stock: unknown subcommand '${positionals[0]}' (${USAGE})`);
  if (positionals.length !== 2) throw new UsageError(USAGE);
  const sku = typeof values.sku === 'string' ? values.sku : undefined;
  if (sku === undefined) throw new UsageError(`stock import: --sku is required (${USAGE})`);
  if (!/^[\p{L}\p{N}_.:-]{1,64}$/u.test(sku)) throw new UsageError(`--sku '${sku}': expected a product's sku (letters, digits, _ . : -)`);
  if (config.shop.kind !== 'builtin') {
    throw new UsageError(`stock import: SHOP=${config.shop.kind}: stock is managed in the shop (its own card keys), not by order-doctor`);
  }
  const file = positionals[1]!;
  let text: string;
  try {
    text = readWorldFile(file);
  } catch (err) {
    if (err instanceof WorldFileError) throw new UsageError(`${shownPath(file)}: ${err.message}`);
    throw err;
  }
  const parsed = parseKeyLines(text);
  const dryRun = values['dry-run'] === true;
  const svc = await createServices(config);
  try {
    const result = await importStock(svc, {
      sku, parsed, dryRun, actor: { kind: 'system', id: `cli:${hostname()}:${process.pid}` },
    });
    console.log(values.json ? JSON.stringify(result) : humanSummary(result));
    return 0;
  } catch (err) {
    if (err instanceof UnknownSkuError) throw new UsageError(err.message);
    throw err;
  } finally {
    await svc.close();
  }
}

function lineList(lines: number[]): string {
  if (lines.length === 0) return '';
  const shown = lines.slice(0, SHOWN_LINES).join(', ');
  return lines.length > SHOWN_LINES ? ` (lines ${shown} and ${lines.length - SHOWN_LINES} more)` : ` (line${lines.length > 1 ? 's' : ''} ${shown})`;
}

function humanSummary(r: StockImportResult): string {
  const reasons: Record<string, string> = { control_character: 'a control character', too_long: 'over 512 characters', not_utf8: 'not UTF-8' };
  const refusedBy = Object.keys(reasons).flatMap((reason) => {
    const lines = r.refused.filter((x) => x.reason === reason).map((x) => x.line);
    return lines.length ? [`    ${reasons[reason]}: ${lines.length}${lineList(lines)}`] : [];
  });
  return [
    r.dryRun
      ? `stock import ${r.sku} (dry run: nothing written): ${r.added} keys would be added from ${r.lines} lines`
      : `stock import ${r.sku}: ${r.added} keys added from ${r.lines} lines, in one transaction`,
    `  duplicates in the file: ${r.duplicatesInFile.length}${lineList(r.duplicatesInFile)}`,
    `  already in the database: ${r.alreadyPresent.length}${lineList(r.alreadyPresent)}`,
    `  refused: ${r.refused.length}`,
    ...refusedBy,
    ...(r.wokenOrders > 0 ? [`  ${r.wokenOrders} orders waiting for ${r.sku}'s stock are due at the next sweep`] : []),
  ].join('\n');
}
