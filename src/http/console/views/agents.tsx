/** Supervisors: the agents, with revoke, and creating one (its token shown once). */
import type { AgentListing } from '../../../agents/accounts.ts';
import { Csrf, Notice, When } from './layout.tsx';

export function AgentsPage(p: { agents: AgentListing[]; csrf: string; selfId: number; created?: { name: string; token: string }; note?: string; error?: string }) {
  return (
    <>
      <section class="card" aria-labelledby="agents-h">
        <h1 id="agents-h">Agents</h1>
        {p.error ? <Notice kind="error">{p.error}</Notice> : null}
        {p.note ? <Notice kind="done">{p.note}</Notice> : null}
        {p.created ? (
          <Notice kind="done">
            {`${p.created.name} created. Their token, shown only now: `}<code class="secret shown" data-token>{p.created.token}</code>
          </Notice>
        ) : null}
        <table>
          <thead><tr><th>Id</th><th>Name</th><th>Role</th><th>Created</th><th>Revoked</th><th></th></tr></thead>
          <tbody>
            {p.agents.map((a) => (
              <tr>
                <td>{String(a.id)}</td><td>{a.name}</td><td>{a.role}</td><td><When at={a.createdAt} /></td><td><When at={a.revokedAt} /></td>
                <td>
                  {a.revokedAt || a.id === p.selfId ? null : (
                    <form method="post" action={`/agent/agents/${a.id}/revoke`}>
                      <Csrf token={p.csrf} />
                      <button type="submit" aria-label={`Revoke ${a.name}`}>Revoke</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card" aria-labelledby="create-h">
        <h2 id="create-h">Add an agent</h2>
        <form method="post" action="/agent/agents">
          <Csrf token={p.csrf} />
          <label for="name">Name</label>
          <input id="name" name="name" type="text" required maxlength={100} />
          <label for="role">Role</label>
          <select id="role" name="role"><option value="agent">agent</option><option value="supervisor">supervisor</option></select>
          <button class="primary" type="submit">Create</button>
        </form>
      </section>
    </>
  );
}
