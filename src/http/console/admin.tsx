/** Supervisors only (an agent gets 403): GET /agent/agents, POST /agent/agents (create), POST /agent/agents/:id/revoke. */
import type { Context, Hono } from 'hono';
import { AccountError, agentActor, createAgentAccount, isRole, listAgents, revokeAgent } from '../../agents/accounts.ts';
import type { Services } from '../../services.ts';
import type { ConsoleEnv } from './env.ts';
import { requireSupervisor } from './auth.ts';
import { messagePage, page } from './render.tsx';
import { AgentsPage } from './views/agents.tsx';

export function mountAdminRoutes(con: Hono<ConsoleEnv>, svc: Services): void {
  const supervisors = requireSupervisor((c) => messagePage(c, 403, 'Supervisors only', 'Managing agents is for supervisors.'));
  con.use('/agents', supervisors);
  con.use('/agents/*', supervisors);

  const render = async (c: Context<ConsoleEnv, string>, status: 200 | 400 | 404, extra: { created?: { name: string; token: string }; note?: string; error?: string } = {}) => {
    const agents = await listAgents(svc);
    return page(c, status, 'Agents', (csrf) => <AgentsPage agents={agents} csrf={csrf} selfId={c.get('agent').id} {...extra} />);
  };

  con.get('/agents', (c) => render(c, 200));

  con.post('/agents', async (c) => {
    const form = c.get('form');
    const role = form.role ?? 'agent';
    if (!isRole(role)) return render(c, 400, { error: 'The role is agent or supervisor.' });
    try {
      const made = await createAgentAccount(svc, { name: typeof form.name === 'string' ? form.name : '', role, by: agentActor(c.get('agent')) });
      return render(c, 200, { created: { name: made.name, token: made.token } });
    } catch (err) {
      if (err instanceof AccountError) return render(c, 400, { error: err.message });
      throw err;
    }
  });

  con.post('/agents/:id/revoke', async (c) => {
    const id = c.req.param('id');
    if (!/^\d{1,9}$/.test(id)) return render(c, 404, { error: 'No such agent.' });
    // a supervisor revoking themselves would lock the console's last door: the CLI can
    if (Number(id) === c.get('agent').id) return render(c, 400, { error: 'You cannot revoke yourself here; use order-doctor agents revoke.' });
    try {
      const { agent, already } = await revokeAgent(svc, { ref: id, by: agentActor(c.get('agent')) });
      return render(c, 200, { note: already ? `${agent.name} was revoked already.` : `${agent.name} revoked: their token and sessions no longer work.` });
    } catch (err) {
      if (err instanceof AccountError) return render(c, 404, { error: err.message });
      throw err;
    }
  });
}
