import type { Config } from '../config.ts';
import { createServices } from '../services.ts';
import { createAgent } from '../engine/agents.ts';
import { parse, UsageError } from './args.ts';

export async function agentsCommand(args: string[], config: Config): Promise<number> {
  const { positionals, values } = parse(args, { name: { type: 'string' } });
  if (positionals[0] !== 'create') throw new UsageError('usage: order-doctor agents create --name NAME');
  if (positionals.length > 1) throw new UsageError(`agents create: unexpected argument '${positionals[1]}'`);
  const name = (values.name as string | undefined)?.trim();
  // a name lands in log lines and the console: no newlines or escape sequences in it
  if (!name || name.length > 100 || /\p{Cc}/u.test(name)) throw new UsageError('--name: expected a name of 1-100 characters, no control characters');
  const svc = await createServices(config);
  try {
    const agent = await createAgent(svc, name);
    console.log(`agent ${agent.id} (${agent.name}) created; its token is shown only now:`);
    console.log(`agent token: ${agent.token}`);
    return 0;
  } finally {
    await svc.close();
  }
}
