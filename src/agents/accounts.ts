/**
 * Agent accounts: create (the token shown once, stored only as its keyed hash, like
 * engine/agents.ts so the bearer API authenticates it), list, revoke. Revoking ends the agent's
 * console sessions in the same transaction, and the token stops working everywhere: the API's
 * check and the console's both read `revoked_at`.
 */
import { and, asc, eq, isNull } from 'drizzle-orm';
import { agents, consoleSessions } from '../db/schema.ts';
import { audit, type Actor } from '../actions/audit.ts';
import type { Services } from '../services.ts';
import { newAgentToken } from '../engine/agents.ts';

export const ROLES = ['agent', 'supervisor'] as const;
export type Role = (typeof ROLES)[number];

export interface AgentAccount {
  id: number;
  name: string;
  role: Role;
}

export interface AgentListing extends AgentAccount {
  createdAt: Date;
  revokedAt: Date | null;
}

/** A domain error the CLI and the console both turn into one line for the person asking. */
export class AccountError extends Error {}

/** Names land in log lines, the audit and the console: no control characters, a sane length. */
export function checkName(raw: string | undefined): string {
  const name = raw?.trim();
  if (!name || name.length > 100 || /\p{Cc}/u.test(name)) throw new AccountError('a name of 1-100 characters, no control characters, is expected');
  return name;
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

export async function createAgentAccount(
  svc: Services,
  input: { name: string; role: Role; by: Actor },
): Promise<AgentAccount & { token: string }> {
  const name = checkName(input.name);
  const token = newAgentToken();
  const tokenHash = await svc.box.tokenHash(token);
  return svc.database.db.transaction(async (tx) => {
    // `agents revoke NAME` must name one agent: a second active agent of the same name is refused
    const [taken] = await tx.select({ id: agents.id }).from(agents).where(and(eq(agents.name, name), isNull(agents.revokedAt))).limit(1);
    if (taken) throw new AccountError(`an active agent named '${name}' exists already (id ${taken.id})`);
    const [row] = await tx.insert(agents).values({ name, role: input.role, tokenHash, createdAt: svc.now() }).returning({ id: agents.id });
    await audit(tx, { at: svc.now(), actor: input.by, action: 'agent_created', detail: { agentId: row!.id, name, role: input.role } });
    return { id: row!.id, name, role: input.role, token };
  });
}

export async function listAgents(svc: Services): Promise<AgentListing[]> {
  const rows = await svc.database.db
    .select({ id: agents.id, name: agents.name, role: agents.role, createdAt: agents.createdAt, revokedAt: agents.revokedAt })
    .from(agents)
    .orderBy(asc(agents.id));
  return rows;
}

/** The agent `ref` names: an id, or the name of exactly one active agent. */
async function findAgent(svc: Services, ref: string): Promise<AgentListing> {
  const all = await listAgents(svc);
  if (/^\d{1,9}$/.test(ref)) {
    const byId = all.find((a) => a.id === Number(ref));
    if (byId) return byId;
  }
  const byName = all.filter((a) => a.name === ref && !a.revokedAt);
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw new AccountError(`several active agents are named '${ref}': revoke by id (${byName.map((a) => a.id).join(', ')})`);
  throw new AccountError(`no agent '${ref}'`);
}

/**
 * Revokes an agent and ends its sessions; revoking one already revoked changes nothing and says so.
 * The conditional update makes two revocations at once agree on one audit row.
 */
export async function revokeAgent(svc: Services, input: { ref: string; by: Actor }): Promise<{ agent: AgentListing; already: boolean }> {
  const agent = await findAgent(svc, input.ref);
  const now = svc.now();
  return svc.database.db.transaction(async (tx) => {
    const done = await tx.update(agents).set({ revokedAt: now }).where(and(eq(agents.id, agent.id), isNull(agents.revokedAt))).returning({ id: agents.id });
    if (done.length === 0) return { agent, already: true };
    const ended = await tx.update(consoleSessions).set({ endedAt: now })
      .where(and(eq(consoleSessions.agentId, agent.id), isNull(consoleSessions.endedAt))).returning({ id: consoleSessions.idHash });
    await audit(tx, { at: now, actor: input.by, action: 'agent_revoked', detail: { agentId: agent.id, name: agent.name, sessionsEnded: ended.length } });
    return { agent: { ...agent, revokedAt: now }, already: false };
  });
}

/** How an agent is named in diagnoses and audit rows (the same as the bearer API's). */
export function agentActor(a: AgentAccount): Actor {
  return { kind: 'agent', id: `${a.id}:${a.name}` };
}
