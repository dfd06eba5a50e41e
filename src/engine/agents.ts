/**
 * Agent bearer tokens: shown once at creation, stored only as a keyed hash.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { agents } from '../db/schema.ts';
import type { Services } from '../services.ts';

/** A new token: `od_` and 24 random bytes (base64url); only its keyed hash is ever stored. */
export function newAgentToken(): string {
  return 'od_' + Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(24))).toString('base64url');
}

export async function createAgent(svc: Services, name: string): Promise<{ id: number; name: string; token: string }> {
  const token = newAgentToken();
  const [row] = await svc.database.db
    .insert(agents)
    .values({ name, tokenHash: await svc.box.tokenHash(token), createdAt: svc.now() })
    .returning({ id: agents.id });
  return { id: row!.id, name, token };
}

/** The active agent a token belongs to, with its role (the console's and the bearer API's one check); null for anything else. */
export async function authenticateAgent(svc: Services, token: string): Promise<{ id: number; name: string; role: 'agent' | 'supervisor' } | null> {
  if (!/^od_[A-Za-z0-9_-]{20,64}$/.test(token)) return null;
  const [row] = await svc.database.db
    .select({ id: agents.id, name: agents.name, role: agents.role })
    .from(agents)
    .where(and(eq(agents.tokenHash, await svc.box.tokenHash(token)), isNull(agents.revokedAt)))
    .limit(1);
  return row ?? null;
}
