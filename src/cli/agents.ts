/**
 * `order-doctor agents create --name N [--role agent|supervisor]`, `agents list [--json]`,
 * `agents revoke <id|name>`. The token is printed once at creation; revoking ends the agent's
 * console sessions and its token stops working on the API at once.
 */
import type { Config } from '../config.ts';
import { createServices, type Services } from '../services.ts';
import { AccountError, createAgentAccount, isRole, listAgents, revokeAgent } from '../agents/accounts.ts';
import { parse, UsageError } from './args.ts';

const USAGE = 'usage: order-doctor agents create --name NAME [--role agent|supervisor] | agents list [--json] | agents revoke <id|name>';
const CLI = { kind: 'system' as const, id: 'cli' };

export async function agentsCommand(args: string[], config: Config): Promise<number> {
  const { positionals, values } = parse(args, { name: { type: 'string' }, role: { type: 'string' }, json: { type: 'boolean' } });
  const [sub, ...rest] = positionals;
  const run = (work: (svc: Services) => Promise<number>) => withServices(config, work);
  switch (sub) {
    case 'create': {
      if (rest.length) throw new UsageError(`agents create: unexpected argument '${rest[0]}'`);
      const name = (values.name as string | undefined)?.trim();
      // a name lands in log lines and the console: no newlines or escape sequences in it
      if (!name || name.length > 100 || /\p{Cc}/u.test(name)) throw new UsageError('--name: expected a name of 1-100 characters, no control characters');
      const role = (values.role as string | undefined) ?? 'agent';
      if (!isRole(role)) throw new UsageError(`--role: expected agent or supervisor, not '${role}'`);
      return run(async (svc) => {
        const agent = await createAgentAccount(svc, { name, role, by: CLI });
        console.log(`agent ${agent.id} (${agent.name}, ${agent.role}) created; its token is shown only now:`);
        console.log(`agent token: ${agent.token}`);
        return 0;
      });
    }
    case 'list': {
      if (rest.length) throw new UsageError(`agents list: unexpected argument '${rest[0]}'`);
      return run(async (svc) => {
        const all = await listAgents(svc);
        if (values.json) {
          console.log(JSON.stringify(all.map((a) => ({ ...a, createdAt: a.createdAt.toISOString(), revokedAt: a.revokedAt?.toISOString() ?? null }))));
          return 0;
        }
        console.log(['id', 'name', 'role', 'created', 'revoked'].join('\t'));
        for (const a of all) console.log([a.id, a.name, a.role, a.createdAt.toISOString(), a.revokedAt?.toISOString() ?? '-'].join('\t'));
        return 0;
      });
    }
    case 'revoke': {
      if (rest.length !== 1) throw new UsageError('usage: order-doctor agents revoke <id|name>');
      return run(async (svc) => {
        const { agent, already } = await revokeAgent(svc, { ref: rest[0]!, by: CLI });
        console.log(already ? `agent ${agent.id} (${agent.name}) was revoked already` : `agent ${agent.id} (${agent.name}) revoked: its token and console sessions no longer work`);
        return 0;
      });
    }
    default:
      throw new UsageError(USAGE);
  }
}

async function withServices(config: Config, work: (svc: Services) => Promise<number>): Promise<number> {
  const svc = await createServices(config);
  try {
    return await work(svc);
  } catch (err) {
    // "no such agent", "that name is taken": bad input, one line, exit 2
    if (err instanceof AccountError) throw new UsageError(err.message);
    throw err;
  } finally {
    await svc.close();
  }
}
