import { ConfigError, loadConfig } from '../config.ts';
import { serveCommand } from './serve.ts';
import { migrateCommand } from './migrate.ts';
import { diagnoseCommand } from './diagnose.ts';
import { scenariosCommand } from './scenarios.ts';
import { agentsCommand } from './agents.ts';
import { sweepCommand } from './sweep.ts';
import { reportCommand } from './report.ts';
import { shopCommand } from './shop.ts';
import { keysCommand } from './keys.ts';
import { stockCommand } from './stock.ts';
import { oneLine, UsageError } from './args.ts';
import { causeChain } from '../db/faults.ts';
import { describeError } from '../observability/errors.ts';

const USAGE = `usage: order-doctor <command>
  serve [--world FILE]                 HTTP server on PORT (default 8787); the demo and --world in sandbox mode
  migrate                              apply migrations/ to the configured database
  diagnose <orderNo> [--apply] [--json]  agent-style diagnosis from the shell
  sweep [--dry-run] [--json]           one sweep now: find stuck orders and fix them
  report [--since 7d | --from D --to D] [--json]
                                       outcomes, as the console's report page: verdicts, actions, self-service,
                                       pay-to-key, callback failures, SLA met, buyers' answers
  scenarios <file-or-directory> [--json] run scenario worlds and check their expectations
  shop check [--json]                  the configured shop's database: what was found, the first thing to fix
  agents create --name NAME [--role agent|supervisor]  create an agent and print its token once
  agents list [--json] | agents revoke <id|name>  list agents; revoke one (its token and sessions stop)
  keys rotate [--batch N] [--dry-run]  re-encrypt card keys under CARD_KEY_SECRET, in batches
  stock import --sku SKU FILE [--dry-run] [--json]  card keys into the built-in store's stock, one per line`;

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serveCommand(rest, () => loadConfig(process.env));
      case 'migrate':
        return await migrateCommand(rest, loadConfig(process.env));
      case 'diagnose':
        return await diagnoseCommand(rest, loadConfig(process.env));
      case 'sweep':
        return await sweepCommand(rest, loadConfig(process.env));
      case 'report':
        return await reportCommand(rest, loadConfig(process.env));
      case 'scenarios':
        return await scenariosCommand(rest);
      case 'shop':
        return await shopCommand(rest, loadConfig(process.env));
      case 'agents':
        return await agentsCommand(rest, loadConfig(process.env));
      case 'keys':
        return await keysCommand(rest, loadConfig(process.env));
      case 'stock':
        return await stockCommand(rest, loadConfig(process.env));
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        if (rest.length) throw new UsageError(`${command}: unexpected argument '${rest[0]}'`);
        console.log(USAGE);
        return command ? 0 : 2;
      default:
        throw new UsageError(`unknown command '${command}' (try: order-doctor --help)`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`order-doctor: ${oneLine(err.message)}`);
      return 2;
    }
    console.error(`order-doctor: ${oneLine(failure(err))}`);
    return 1;
  }
}

/**
 * What a failed command says: its message, except for a failed query, whose message quotes the
 * query's parameters (sealed card keys, hashes, a buyer's contact): then the cause chain with the
 * SQL only, as the logs write it.
 */
function failure(err: unknown): string {
  if (causeChain(err).some((e) => e instanceof Error && 'params' in e)) return describeError(err, { stacks: false });
  return err instanceof Error ? err.message : String(err);
}
