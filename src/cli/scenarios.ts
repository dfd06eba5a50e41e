import { readScenarios, runScenarios, ScenarioFileError, type CheckLine } from '../world/run-scenarios.ts';
import { oneLine, parse, UsageError } from './args.ts';

/** Exit 0 when every expectation holds, 1 when any differs, 2 on an invalid file. */
export async function scenariosCommand(args: string[]): Promise<number> {
  const { positionals, values } = parse(args, { json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError('usage: order-doctor scenarios <file-or-directory> [--json]');
  let items;
  try {
    items = readScenarios(positionals[0]!);
  } catch (err) {
    if (err instanceof ScenarioFileError) {
      console.error(`order-doctor: ${oneLine(err.message)}`);
      return 2;
    }
    throw err;
  }
  const json = values.json === true;
  const print = (l: CheckLine) => {
    if (json) return console.log(JSON.stringify(l));
    const got = l.error ? `error=${l.error}` : `${l.verdict} / ${l.action}${l.suggested ? ` (suggested ${l.suggested})` : ''}`;
    console.log(`${l.ok ? 'ok  ' : 'FAIL'} ${l.scenario} #${l.check} ${l.as} ${l.orderNo}: ${got}, keys held ${l.keysHeld}`);
  };
  const lines = await runScenarios(items, { onLine: print });
  const failed = lines.filter((l) => !l.ok).length;
  if (!json) console.log(`${lines.length - failed} passed, ${failed} failed (${items.length} scenario files)`);
  return failed ? 1 : 0;
}
