/**
 * Two agents confirm at once (issue 11 item 2: "does it once, whatever the number of clicks or
 * agents"): through the console's routes, concurrently, on real Postgres when DATABASE_URL is set
 * (PGlite otherwise). Different confirmations of one order race down to the engine's row lock; the
 * same confirmation clicked by many is decided by its console_applies row. Either way: one key,
 * one keys_issued audit row.
 */
import { describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { auditLog, consoleApplies, issuedKeys, orders } from '../../src/db/schema.ts';
import { consoleSuite, ORDERS, postForm, signedIn } from './support.ts';

describe('concurrent apply from the console', { timeout: 120_000 }, () => {
  const s = consoleSuite();

  const counts = async (orderNo: string) => {
    const db = s.svc.database.db;
    const [o] = await db.select().from(orders).where(eq(orders.orderNo, orderNo));
    const keys = await db.select().from(issuedKeys).where(and(eq(issuedKeys.orderId, o!.id), eq(issuedKeys.status, 'delivered')));
    const issued = await db.select().from(auditLog).where(and(eq(auditLog.orderNo, orderNo), eq(auditLog.action, 'keys_issued')));
    return { keys: keys.length, issued: issued.length };
  };
  const diagnosisId = (res: Response) => new URL(res.headers.get('location')!, 'http://x').searchParams.get('d')!;

  it('two agents, each with their own confirmation, at the same instant: one key', async () => {
    const no = ORDERS.callbackLost.no;
    const [a, b] = await Promise.all([signedIn(s.app, s.tokens.agent), signedIn(s.app, s.tokens.supervisor)]);
    const [da, db] = await Promise.all([postForm(a, `/agent/orders/${no}/diagnose`), postForm(b, `/agent/orders/${no}/diagnose`)]);
    const [ra, rb] = await Promise.all([
      postForm(a, `/agent/orders/${no}/apply`, { diagnosis: diagnosisId(da) }),
      postForm(b, `/agent/orders/${no}/apply`, { diagnosis: diagnosisId(db) }),
    ]);
    expect([ra.status, rb.status]).toEqual([303, 303]);
    expect(await counts(no)).toEqual({ keys: 1, issued: 1 });
    // both were shown a page that says what happened: one delivered, the other found it delivered
    const verdicts = await Promise.all([a.get(ra.headers.get('location')!), b.get(rb.headers.get('location')!)].map(async (p) => /data-verdict="(\w+)"/.exec(await (await p).text())![1]));
    expect(verdicts.sort()).toEqual(['DELIVERED', 'PAID_NOT_DELIVERED']);
  });

  it('one confirmation clicked by five browsers at once: applied once, the others told so', async () => {
    const no = ORDERS.callbackLostEpay.no;
    const first = await signedIn(s.app, s.tokens.agent);
    const d = diagnosisId(await postForm(first, `/agent/orders/${no}/diagnose`));
    const browsers = [first, ...(await Promise.all([1, 2, 3, 4].map((i) => signedIn(s.app, i % 2 ? s.tokens.supervisor : s.tokens.agent))))];
    const answers = await Promise.all(browsers.map((b) => postForm(b, `/agent/orders/${no}/apply`, { diagnosis: d })));
    const notes = answers.map((r) => new URL(r.headers.get('location')!, 'http://x').searchParams.get('note')).sort();
    expect(notes).toEqual(['applied', 'used', 'used', 'used', 'used']);
    expect(await counts(no)).toEqual({ keys: 1, issued: 1 });
    expect(await s.svc.database.db.select().from(consoleApplies).where(eq(consoleApplies.diagnosisId, d))).toHaveLength(1);
  });
});
