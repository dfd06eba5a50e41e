/**
 * A supervisor overrides the replacement limit (issue 11 item 1): a voided key past the limit is
 * replaced anyway, once, with a reason, audited; an agent gets 403 and no button; the payment must
 * still be verified. Through the console's routes and the bearer API, on real Postgres when
 * DATABASE_URL is set (PGlite otherwise).
 */
import { describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { auditLog, consoleApplies, issuedKeys, orders, products } from '../../src/db/schema.ts';
import { decide } from '../../src/domain/decide.ts';
import { faulty, findings, issuance, payment } from '../domain/findings-factory.ts';
import { consoleSuite, ORDERS, postForm, signedIn } from './support.ts';

const REJECT = { epayV1Trust: 'reject' as const };

describe('the decision with the limit lifted', () => {
  const pastLimit = { issuance: issuance({ voidedKeys: 1, replacementsUsed: 1 }) };

  it('replaces the voided key, and says the limit was lifted', () => {
    expect(decide(findings(pastLimit), REJECT).verdict).toBe('REISSUE_LIMIT_REACHED');
    const d = decide(findings(pastLimit), REJECT, { overrideLimit: true });
    expect(d).toMatchObject({ verdict: 'KEY_VOIDED', action: 'reissued', facts: { voidedSlots: 1, limitOverridden: true } });
  });

  it('never on unverified evidence: a gateway timeout, an unpaid or refunded payment, a wrong amount still decide', () => {
    const cases = [
      [faulty('timeout'), 'UPSTREAM_UNAVAILABLE'],
      [payment({ state: 'unpaid', paidAt: undefined }), 'NOT_PAID'],
      [payment({ state: 'refunded', refundedAt: '2026-11-22T01:00:00Z' }), 'REFUNDED'],
      [payment({ amountCents: 1 }), 'AMOUNT_MISMATCH'],
    ] as const;
    for (const [pay, verdict] of cases) {
      expect(decide(findings({ ...pastLimit, payment: pay }), REJECT, { overrideLimit: true }).verdict).toBe(verdict);
    }
  });

  it('within the limit nothing changes: no limitOverridden fact', () => {
    const d = decide(findings({ issuance: issuance({ voidedKeys: 1 }) }), REJECT, { overrideLimit: true });
    expect(d.verdict).toBe('KEY_VOIDED');
    expect(d.facts.limitOverridden).toBeUndefined();
  });
});

describe('overriding the replacement limit', { timeout: 120_000 }, () => {
  const s = consoleSuite();
  const no = ORDERS.voided.no;
  const diagnosisId = (res: Response) => new URL(res.headers.get('location')!, 'http://x').searchParams.get('d')!;

  const state = async () => {
    const db = s.svc.database.db;
    const [o] = await db.select().from(orders).where(eq(orders.orderNo, no));
    const keys = await db.select().from(issuedKeys).where(and(eq(issuedKeys.orderId, o!.id), eq(issuedKeys.status, 'delivered')));
    const overrides = await db.select().from(auditLog).where(and(eq(auditLog.orderNo, no), eq(auditLog.action, 'agent_override_applied')));
    const issued = await db.select().from(auditLog).where(and(eq(auditLog.orderNo, no), eq(auditLog.action, 'keys_issued')));
    return { keys, overrides, issued: issued.length };
  };

  it('stops at the limit, an agent cannot lift it, a supervisor does once with a reason', async () => {
    // the product allows no replacement at all: the voided key's order stops at the limit
    await s.svc.database.db.update(products).set({ maxReplacements: 0 }).where(eq(products.sku, 'QB-50'));
    const agent = await signedIn(s.app, s.tokens.agent);
    const sup = await signedIn(s.app, s.tokens.supervisor);

    const diagnosed = await postForm(agent, `/agent/orders/${no}/diagnose`);
    const d = diagnosisId(diagnosed);
    const agentPage = await (await agent.get(diagnosed.headers.get('location')!)).text();
    expect(agentPage).toContain('data-verdict="REISSUE_LIMIT_REACHED"');
    expect(agentPage).toContain('A supervisor can override');
    expect(agentPage).not.toContain('/override?d=');
    const supPage = await (await sup.get(`/agent/orders/${no}?d=${d}`)).text();
    expect(supPage).toContain(`/agent/orders/${no}/override?d=${d}`);

    // an agent: 403 on the confirmation and on the post, nothing written
    expect((await agent.get(`/agent/orders/${no}/override?d=${d}`)).status).toBe(403);
    expect((await postForm(agent, `/agent/orders/${no}/override`, { diagnosis: d, reason: 'I would like to replace it anyway' })).status).toBe(403);
    // a supervisor without a real reason: 400, the form again, nothing written
    const confirm = await (await sup.get(`/agent/orders/${no}/override?d=${d}`)).text();
    expect(confirm).toContain('issue 1 key from stock to order ' + no + ', replacing 1 key voided, past the replacement limit');
    const short = await postForm(sup, `/agent/orders/${no}/override`, { diagnosis: d, reason: ' ok ' });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('A reason of 10-500 characters is required.');
    expect(await state()).toMatchObject({ keys: [], overrides: [], issued: 0 });
    expect(await s.svc.database.db.select().from(consoleApplies).where(eq(consoleApplies.diagnosisId, d))).toHaveLength(0);

    // three clicks from two supervisors at once: one override
    const sup2 = await signedIn(s.app, (await s.newAgent('supervisor')).token);
    const reason = 'Issuer confirmed the replacement key was voided on their side (case 4411)';
    const answers = await Promise.all([sup, sup2, sup].map((b) => postForm(b, `/agent/orders/${no}/override`, { diagnosis: d, reason })));
    const notes = answers.map((r) => new URL(r.headers.get('location')!, 'http://x').searchParams.get('note')).sort();
    expect(notes).toEqual(['overridden', 'used', 'used']);

    const after = await state();
    expect(after.keys).toHaveLength(1);
    expect(after.keys[0]!.replacement).toBe(true);
    expect(after.issued).toBe(1);
    expect(after.overrides).toHaveLength(1);
    const row = after.overrides[0]!;
    expect(row.actorKind).toBe('agent');
    expect(row.actorId).toMatch(/:supervisor-/);
    expect(row.at).toBeInstanceOf(Date);
    expect(row.detail).toMatchObject({ override: 'replacement_limit', reason, verdict: 'KEY_VOIDED', action: 'reissued', keysIssued: 1, confirmed: d });
    // the key itself is never in the audit row
    expect(JSON.stringify(row.detail)).not.toMatch(/QB50-/);

    // the order page shows the acting diagnosis with the limit lifted, and the reason in the timeline
    const done = answers.find((r) => r.headers.get('location')!.includes('note=overridden'))!;
    const shown = await (await sup.get(done.headers.get('location')!)).text();
    expect(shown).toContain('data-verdict="KEY_VOIDED"');
    expect(shown).toContain('The replacement limit was lifted for this diagnosis');
    expect(shown).toContain(`reason: ${reason}`);
  });

  it('over the API: an agent gets 403, a supervisor is told the confirmation was used, bad input is 400', async () => {
    const diagnosis = (await s.svc.database.db.select().from(consoleApplies).where(eq(consoleApplies.orderNo, no)))[0]!.diagnosisId;
    const call = (token: string, body: unknown) => s.app.request(`/api/v1/agent/orders/${no}/override-limit`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const reason = 'Approved by the shift lead after the buyer called';
    const forbidden = await call(s.tokens.agent, { diagnosisId: diagnosis, reason });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('content-type')).toContain('application/problem+json');
    expect((await call(s.tokens.supervisor, { diagnosisId: diagnosis, reason: 'short' })).status).toBe(400);
    expect((await call(s.tokens.supervisor, { diagnosisId: 'nope', reason })).status).toBe(400);
    expect((await call(s.tokens.supervisor, { diagnosisId: crypto.randomUUID(), reason })).status).toBe(404);
    const used = await call(s.tokens.supervisor, { diagnosisId: diagnosis, reason });
    expect(used.status).toBe(200);
    expect(await used.json()).toMatchObject({ outcome: 'used' });
    expect((await state()).keys).toHaveLength(1);
  });

  it('a diagnosis that did not stop at the limit cannot be overridden (409), an unpaid order gets nothing', async () => {
    const unpaid = ORDERS.unpaid.no;
    const sup = await signedIn(s.app, s.tokens.supervisor);
    const d = diagnosisId(await postForm(sup, `/agent/orders/${unpaid}/diagnose`));
    const res = await s.app.request(`/api/v1/agent/orders/${unpaid}/override-limit`, {
      method: 'POST', headers: { authorization: `Bearer ${s.tokens.supervisor}`, 'content-type': 'application/json' },
      body: JSON.stringify({ diagnosisId: d, reason: 'Trying to force a key on an unpaid order' }),
    });
    expect(res.status).toBe(409);
    const form = await postForm(sup, `/agent/orders/${unpaid}/override`, { diagnosis: d, reason: 'Trying to force a key on an unpaid order' });
    expect(new URL(form.headers.get('location')!, 'http://x').searchParams.get('note')).toBe('nothing');
    const [o] = await s.svc.database.db.select().from(orders).where(eq(orders.orderNo, unpaid));
    expect(await s.svc.database.db.select().from(issuedKeys).where(eq(issuedKeys.orderId, o!.id))).toHaveLength(0);
  });
});
