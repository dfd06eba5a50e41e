/**
 * Console sessions, held in order-doctor's own database. The browser keeps a random id; the table
 * keeps its keyed hash (the same keyed hash as agent tokens, under a prefix of its own), so neither
 * a copy of the table nor the logs can open a session. Each sign-in makes a new id (the old one, if
 * the browser sent any, is ended), so an id planted before sign-in is worth nothing after it.
 */
import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import { agents, consoleSessions } from '../db/schema.ts';
import type { Services } from '../services.ts';
import type { AgentAccount } from './accounts.ts';

/** A session unused this long is over (an unattended desk). */
export const SESSION_IDLE_MS = 30 * 60_000;
/** and none lasts longer than a working day, however busy */
export const SESSION_MAX_MS = 12 * 60 * 60_000;
/** lastSeenAt is moved at most this often: one write a minute, not one a request */
const TOUCH_EVERY_MS = 60_000;

const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const hashOf = (svc: Services, id: string) => svc.box.tokenHash(`console-session:${id}`);

export interface ConsoleSession {
  agent: AgentAccount;
  idHash: string;
}

/** A new session for `agent`; returns the id for the cookie (never stored). */
export async function openSession(svc: Services, input: { agent: AgentAccount; ip?: string; replacing?: string }): Promise<string> {
  const id = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const now = svc.now();
  if (input.replacing) await closeSession(svc, input.replacing);
  await svc.database.db.insert(consoleSessions).values({
    idHash: await hashOf(svc, id), agentId: input.agent.id, createdAt: now, lastSeenAt: now,
    expiresAt: new Date(now.getTime() + SESSION_MAX_MS), ip: input.ip ?? null,
  });
  return id;
}

/** The live session an id names (not ended, not idle, not expired, its agent not revoked), or null. */
export async function findSession(svc: Services, id: string | undefined): Promise<ConsoleSession | null> {
  if (!id || !ID_PATTERN.test(id)) return null;
  const now = svc.now();
  const idHash = await hashOf(svc, id);
  const [row] = await svc.database.db
    .select({ id: agents.id, name: agents.name, role: agents.role, lastSeenAt: consoleSessions.lastSeenAt })
    .from(consoleSessions)
    .innerJoin(agents, eq(agents.id, consoleSessions.agentId))
    .where(and(
      eq(consoleSessions.idHash, idHash), isNull(consoleSessions.endedAt), isNull(agents.revokedAt),
      gt(consoleSessions.expiresAt, now), gt(consoleSessions.lastSeenAt, new Date(now.getTime() - SESSION_IDLE_MS)),
    ))
    .limit(1);
  if (!row) return null;
  if (now.getTime() - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    await svc.database.db.update(consoleSessions).set({ lastSeenAt: now })
      .where(and(eq(consoleSessions.idHash, idHash), lt(consoleSessions.lastSeenAt, now)));
  }
  return { agent: { id: row.id, name: row.name, role: row.role }, idHash };
}

/** Ends the session an id names (sign-out, or replaced at sign-in); unknown ids are ignored. */
export async function closeSession(svc: Services, id: string | undefined): Promise<void> {
  if (!id || !ID_PATTERN.test(id)) return;
  await svc.database.db.update(consoleSessions).set({ endedAt: svc.now() })
    .where(and(eq(consoleSessions.idHash, await hashOf(svc, id)), isNull(consoleSessions.endedAt)));
}
