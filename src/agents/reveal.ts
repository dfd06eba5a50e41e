/**
 * Card keys as agents see them: masked, unless the agent reveals one, which is audited (who, which
 * slot, when) before the key leaves, as the buyer's reveal is (engine/customer-check.ts).
 */
import { maskSecret } from '../crypto/secret-box.ts';
import type { Lookup } from '../domain/order.ts';
import { audit } from '../actions/audit.ts';
import type { Services } from '../services.ts';
import { agentActor, type AgentAccount } from './accounts.ts';

export interface AgentKey {
  slot: number;
  masked: string;
  issuedAt: string;
  replacement: boolean;
  /** only after an audited reveal */
  secret?: string;
}

/** The order's valid keys, masked (decrypted server-side to mask: not a reveal, nothing leaves). */
export async function maskedKeys(svc: Services, lookup: Lookup): Promise<AgentKey[]> {
  if (!lookup.order) return [];
  const keys = await svc.shop.revealKeys(lookup.order);
  return keys.map((k) => ({ slot: k.slot, masked: maskSecret(k.secret), issuedAt: k.issuedAt, replacement: k.replacement }));
}

/** One key shown to an agent, audited first; null when the order holds no key in that slot. */
export async function revealForAgent(svc: Services, input: { agent: AgentAccount; lookup: Lookup; slot: number }): Promise<AgentKey | null> {
  const order = input.lookup.order;
  if (!order) return null;
  const key = (await svc.shop.revealKeys(order)).find((k) => k.slot === input.slot);
  if (!key) return null;
  await audit(svc.database.db, {
    at: svc.now(), actor: agentActor(input.agent), action: 'keys_revealed', orderNo: order.orderNo,
    detail: { count: 1, slots: [key.slot], via: 'console' },
  });
  return { slot: key.slot, masked: maskSecret(key.secret), issuedAt: key.issuedAt, replacement: key.replacement, secret: key.secret };
}
