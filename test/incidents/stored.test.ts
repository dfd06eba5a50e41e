/**
 * Stored incidents (issue 11 item 4, follow-up): the live grouping gets a record the first time it
 * is seen (once, however many consoles list at once); any agent acknowledges it and closes it, each
 * once (two agents at the same instant: one acts, the other is told), with who and when stored,
 * shown and audited; a closed incident keeps its tickets, and tickets of the same cause opened after
 * it closed group again as a new incident. On real Postgres when DATABASE_URL is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditLog, incidents } from '../../src/db/schema.ts';
import { escalate } from '../../src/actions/escalate.ts';
import { agentDiagnose } from '../../src/agents/apply.ts';
import { createAgentAccount, type AgentAccount } from '../../src/agents/accounts.ts';
import { authenticateAgent } from '../../src/engine/agents.ts';
import { listIncidents } from '../../src/incidents/group.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';
import { consoleApp, postForm, signedIn, type ConsoleApp } from '../console/support.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

/** five wechat orders paid, never delivered: tickets on the first three now, the other two later */
const FIRST = ['K2026112200001', 'K2026112200002', 'K2026112200003'];
const LATER = ['K2026112200004', 'K2026112200005'];
const KEY = 'PAID_NOT_DELIVERED.channel.wechat';
const url = `/agent/incidents/${encodeURIComponent(KEY)}`;

describe('stored incidents', { timeout: 180_000 }, () => {
  let tdb: TestDatabase;
  let svc: Services;
  let app: ConsoleApp;
  let now = new Date('2026-11-22T02:00:00Z');
  const tokens = { ann: '', bob: '' };
  let opener: AgentAccount;

  const ticketOn = async (no: string) => {
    const d = await agentDiagnose(svc, opener, no, NO_LOG_CONTEXT);
    await svc.database.db.transaction((tx) => escalate(tx, { orderNo: no, reason: d.verdict, source: 'agent', now: svc.now(), actor: { kind: 'agent', id: 'x' }, diagnosisId: d.id }));
  };
  const audits = async (action: string) => svc.database.db.select().from(auditLog).where(eq(auditLog.action, action));
  const records = () => svc.database.db.select().from(incidents).orderBy(incidents.id);
  const recordId = (html: string) => /data-record="(\d+)"/.exec(html)?.[1] ?? '';

  beforeAll(async () => {
    tdb = await testDatabase();
    svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 5, stock: 10, channel: 'wechat' }));
    (svc as { now: () => Date }).now = () => new Date(now);
    app = consoleApp(svc);
    tokens.ann = (await createAgentAccount(svc, { name: 'ann', role: 'agent', by: { kind: 'system', id: 'test' } })).token;
    tokens.bob = (await createAgentAccount(svc, { name: 'bob', role: 'agent', by: { kind: 'system', id: 'test' } })).token;
    opener = (await authenticateAgent(svc, tokens.ann))!;
    for (const no of FIRST) await ticketOn(no);
  }, 120_000);
  afterAll(async () => {
    await svc?.close();
    await tdb?.drop();
  });

  it('is stored once when first seen, however many consoles list at once', async () => {
    const lists = await Promise.all(Array.from({ length: 4 }, () => listIncidents(svc)));
    const ids = lists.map((l) => l.find((i) => i.cause.key === KEY)?.record?.id);
    expect(new Set(ids).size).toBe(1);
    expect(await records()).toHaveLength(1);
    expect(await records()).toMatchObject([{ causeKey: KEY, status: 'open', openedAt: now, acknowledgedAt: null, closedAt: null }]);
    expect(await audits('incident_opened')).toHaveLength(1);
    const b = await signedIn(app, tokens.ann);
    const list = await (await b.get('/agent/incidents')).text();
    expect(list).toContain('data-incident-status="open"');
  });

  it('acknowledged once by two agents at the same instant: who and when stored, shown, audited', async () => {
    const [ann, bob] = await Promise.all([signedIn(app, tokens.ann), signedIn(app, tokens.bob)]);
    const page = await (await ann.get(url)).text();
    const id = recordId(page);
    expect(id).not.toBe('');
    expect(page).toContain('Acknowledge (we are on it)');
    now = new Date(now.getTime() + 60_000);
    const answers = await Promise.all([ann, bob].map((b) => postForm(b, `${url}/acknowledge`, { incident: id })));
    const texts = await Promise.all(answers.map((r) => r.text()));
    expect(texts.filter((t) => t.includes('Acknowledged: the console shows you are on it.'))).toHaveLength(1);
    expect(texts.filter((t) => t.includes('Nothing done: the incident is acknowledged already'))).toHaveLength(1);
    const [r] = await records();
    expect(r).toMatchObject({ status: 'acknowledged', acknowledgedAt: now });
    const acked = await audits('incident_acknowledged');
    expect(acked).toHaveLength(1);
    expect(acked[0]!.detail).toMatchObject({ incident: Number(id), cause: KEY, tickets: 3 });
    const who = r!.acknowledgedBy === opener.id ? 'ann' : 'bob';
    expect(acked[0]!.actorId).toContain(who);
    const shown = await (await ann.get(url)).text();
    expect(shown).toContain(`acknowledged by ${who}`);
    expect(shown).not.toContain('Acknowledge (we are on it)');
    // a form naming another record changes nothing
    expect((await postForm(ann, `${url}/close`, { incident: String(Number(id) + 99) })).status).toBe(404);
    expect((await records())[0]!.status).toBe('acknowledged');
  });

  it('closed: who and when kept and listed; its tickets do not group again; new tickets of the cause open a new incident', async () => {
    const bob = await signedIn(app, tokens.bob);
    const id = recordId(await (await bob.get(url)).text());
    now = new Date(now.getTime() + 60_000);
    const closedAt = new Date(now);
    const res = await postForm(bob, `${url}/close`, { incident: id });
    expect(res.status).toBe(200);
    const list = await res.text();
    expect(list).toContain('Incidents (0)');
    expect(list).toContain(`data-closed-incident="${KEY}"`);
    expect(list).toContain('closed by bob');
    expect((await records())[0]).toMatchObject({ status: 'closed', closedAt });
    expect(await audits('incident_closed')).toHaveLength(1);
    // a second close (a stale page) finds nothing open
    expect((await postForm(bob, `${url}/close`, { incident: id })).status).toBe(404);
    expect(await audits('incident_closed')).toHaveLength(1);
    // listing again opens nothing: the three tickets belong to the closed incident
    expect(await listIncidents(svc)).toEqual([]);
    expect(await records()).toHaveLength(1);

    // later, two more orders of the same cause get tickets: a new incident, of those two only
    now = new Date(now.getTime() + 10 * 60_000);
    for (const no of LATER) await ticketOn(no);
    const again = (await listIncidents(svc)).find((i) => i.cause.key === KEY)!;
    expect(again.items.map((i) => i.ticket.orderNo).sort()).toEqual(LATER);
    expect(again.record).toMatchObject({ status: 'open', openedAt: now });
    expect(again.record!.id).not.toBe(Number(id));
    expect((await records()).map((r) => r.status)).toEqual(['closed', 'open']);
    expect(await audits('incident_opened')).toHaveLength(2);
  });
});
