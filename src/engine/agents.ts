/**
 * Agent bearer tokens: shown once at creation, stored only as a keyed hash.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { agents } from '../db/schema.ts';
import type { Services } from '../services.ts';

export async function createAgent(svc: Services, name: string): Promise<{ id: number; name: string; token: string }> {
  const token = 'od_' + Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(24))).toString('base64url');
  const [row] = await svc.database.db
    .insert(agents)
    .values({ name, tokenHash: await svc.box.tokenHash(token), createdAt: svc.now() })
    .returning({ id: agents.id });
  return { id: row!.id, name, token };
}

export async function authenticateAgent(svc: Services, token: string): Promise<{ id: number; name: string } | null> {
  if (!/^od_[A-Za-z0-9_-]{20,64}$/.test(token)) return null;
  const [row] = await svc.database.db
    .select({ id: agents.id, name: agents.name })
    .from(agents)
    .where(and(eq(agents.tokenHash, await svc.box.tokenHash(token)), isNull(agents.revokedAt)))
    .limit(1);
  return row ?? null;
}
