/**
 * The SLA policy: per priority, the first-response and resolution spans and whether they run on
 * business hours; the business hours themselves. Stored in `settings` (key `sla_policy`) and
 * changed by supervisors in the console (audited, before and after). A ticket copies its terms when
 * it opens, so a policy change moves no deadline already promised.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Tx } from '../db/client.ts';
import { settings } from '../db/schema.ts';
import { audit, type Actor } from '../actions/audit.ts';
import { businessHoursSchema, type BusinessHours } from './sla.ts';
import type { Priority } from './category.ts';

const terms = z.object({
  firstResponseMinutes: z.number().int().min(1).max(100_000),
  resolutionMinutes: z.number().int().min(1).max(1_000_000),
  onBusinessHours: z.boolean(),
}).refine((t) => t.resolutionMinutes >= t.firstResponseMinutes, 'resolution cannot be due before the first response');

export const slaPolicySchema = z.object({
  urgent: terms,
  normal: terms,
  businessHours: businessHoursSchema.nullable(),
});
export type SlaPolicy = z.output<typeof slaPolicySchema>;

/** issue 11: urgent answers in 5 min and solves in 30; normal in 15 min and 2 h; around the clock */
export const DEFAULT_POLICY: SlaPolicy = {
  urgent: { firstResponseMinutes: 5, resolutionMinutes: 30, onBusinessHours: false },
  normal: { firstResponseMinutes: 15, resolutionMinutes: 120, onBusinessHours: false },
  businessHours: null,
};

const KEY = 'sla_policy';

export class PolicyError extends Error {}

/** The stored policy; the defaults when none was saved (or what is stored no longer parses). */
export async function loadPolicy(db: Db | Tx): Promise<SlaPolicy> {
  const [row] = await db.select().from(settings).where(eq(settings.key, KEY)).limit(1);
  const parsed = row ? slaPolicySchema.safeParse(row.value) : null;
  return parsed?.success ? parsed.data : DEFAULT_POLICY;
}

/** The terms a new ticket of `priority` gets. */
export function termsFor(policy: SlaPolicy, priority: Priority): { firstResponseMinutes: number; resolutionMinutes: number; businessHours: BusinessHours | null } {
  const t = policy[priority];
  return { firstResponseMinutes: t.firstResponseMinutes, resolutionMinutes: t.resolutionMinutes, businessHours: t.onBusinessHours ? policy.businessHours : null };
}

export async function savePolicy(db: Db, input: { policy: unknown; by: Actor; now: Date }): Promise<SlaPolicy> {
  const parsed = slaPolicySchema.safeParse(input.policy);
  if (!parsed.success) throw new PolicyError(parsed.error.issues.map((i) => `${i.path.join('.') || 'policy'}: ${i.message}`).join('; '));
  const policy = parsed.data;
  if ((policy.urgent.onBusinessHours || policy.normal.onBusinessHours) && !policy.businessHours) {
    throw new PolicyError('business hours are needed for a priority that runs on them');
  }
  await db.transaction(async (tx) => {
    const before = await loadPolicy(tx);
    await tx.insert(settings).values({ key: KEY, value: policy }).onConflictDoUpdate({ target: settings.key, set: { value: policy } });
    await audit(tx, { at: input.now, actor: input.by, action: 'sla_policy_changed', detail: { before, after: policy } });
  });
  return policy;
}
