/**
 * Holidays in business hours (issue 11: "optionally on business hours"): a supervisor sets closed
 * dates in the SLA settings; the clocks skip them like a weekend. Pure arithmetic on a fixed clock
 * (pause, resume, breach across New Year's holidays and the weekend after), then through the
 * console: the form stores them (bad dates refused, nothing saved), a new ticket copies them, and
 * the breach check records nothing on a holiday and the breach on the first working minute after.
 */
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditLog, tickets } from '../../src/db/schema.ts';
import { checkBreaches } from '../../src/tickets/breaches.ts';
import { loadPolicy } from '../../src/tickets/policy.ts';
import { addWorking, businessHoursSchema, clockView, deadlines, workingBetween, type BusinessHours, type ClockFacts } from '../../src/tickets/sla.ts';
import { Browser, consoleSuite, ORDERS, postForm, signedIn } from '../console/support.ts';

const MIN = 60_000;
const at = (iso: string) => new Date(iso);
const NINE_TO_SIX = { from: '09:00', to: '18:00' };
/** Beijing, Monday to Friday 09:00-18:00, closed on Thursday 31 December 2026 and Friday 1 January 2027 */
const NEW_YEAR: BusinessHours = {
  timeZone: 'Asia/Shanghai',
  week: [NINE_TO_SIX, NINE_TO_SIX, NINE_TO_SIX, NINE_TO_SIX, NINE_TO_SIX, null, null],
  holidays: ['2026-12-31', '2027-01-01'],
};
// Wednesday 30 December 2026, Beijing (UTC+8)
const WED_1700 = at('2026-12-30T09:00:00Z');
const WED_1750 = at('2026-12-30T09:50:00Z');

describe('holidays in the SLA arithmetic', () => {
  it('a deadline skips the holidays and the weekend: Wednesday 17:50 + 15 min is Monday 09:05', () => {
    expect(addWorking(WED_1750, 15 * MIN, NEW_YEAR)).toEqual(at('2027-01-04T01:05:00Z'));
    // the same hours without the holidays: Thursday 09:05
    expect(addWorking(WED_1750, 15 * MIN, { ...NEW_YEAR, holidays: [] })).toEqual(at('2026-12-31T01:05:00Z'));
    // Wednesday 17:00 to Monday 10:00: one hour each side, nothing on the holidays or the weekend
    expect(workingBetween(WED_1700, at('2027-01-04T02:00:00Z'), NEW_YEAR)).toBe(120 * MIN);
    expect(workingBetween(at('2026-12-31T01:00:00Z'), at('2027-01-01T10:00:00Z'), NEW_YEAR)).toBe(0);
  });

  const ticket = (over: Partial<ClockFacts> = {}): ClockFacts => {
    const base = { openedAt: WED_1700, firstResponseMinutes: 15, resolutionMinutes: 120, businessHours: NEW_YEAR, pausedMs: 0, ...over };
    return { status: 'open', firstRespondedAt: null, clockStoppedAt: null, ...base, ...deadlines(base), ...over };
  };

  it('pause before the holidays, resume after the weekend: only working time counts as paused', () => {
    const t = ticket();
    expect(t.firstResponseDueAt).toEqual(at('2026-12-30T09:15:00Z'));
    // resolution: 60 min on Wednesday, the other 60 on Monday
    expect(t.resolutionDueAt).toEqual(at('2027-01-04T02:00:00Z'));
    const stoppedAt = at('2026-12-30T09:10:00Z');
    const paused = ticket({ clockStoppedAt: stoppedAt, status: 'waiting_on_buyer' });
    // frozen over the holidays: still 5 minutes left, whatever the wall clock says
    expect(clockView(paused, at('2027-01-01T04:00:00Z'))).toMatchObject({ running: false, leftMs: 5 * MIN });
    // the buyer answers Monday 09:30: 50 min on Wednesday + 30 on Monday were paused
    const pausedMs = workingBetween(stoppedAt, at('2027-01-04T01:30:00Z'), NEW_YEAR);
    expect(pausedMs).toBe(80 * MIN);
    const resumed = ticket({ pausedMs });
    expect(resumed.firstResponseDueAt).toEqual(at('2027-01-04T01:35:00Z'));
    expect(resumed.resolutionDueAt).toEqual(at('2027-01-04T03:20:00Z'));
    expect(clockView(resumed, at('2027-01-04T01:30:00Z'))).toMatchObject({ clock: 'first_response', running: true, leftMs: 5 * MIN });
  });

  it('no breach on a holiday; the breach comes on the first working minutes after', () => {
    const t = ticket({ openedAt: WED_1750 });
    expect(t.firstResponseDueAt).toEqual(at('2027-01-04T01:05:00Z'));
    // New Year's Day at noon: 5 working minutes left (Monday 09:00-09:05), not overdue
    expect(clockView(t, at('2027-01-01T04:00:00Z'))).toMatchObject({ leftMs: 5 * MIN });
    expect(clockView(t, at('2027-01-04T01:06:00Z')).leftMs).toBe(-1 * MIN);
  });

  it('the schema refuses dates that do not exist, other formats, and too many', () => {
    const ok = (holidays: unknown) => businessHoursSchema.safeParse({ ...NEW_YEAR, holidays }).success;
    expect(ok(['2027-02-28'])).toBe(true);
    expect(ok(['2027-02-29'])).toBe(false);
    expect(ok(['1/1/2027'])).toBe(false);
    const many = (n: number) => Array.from({ length: n }, (_, i) => `2027-0${1 + (i % 9)}-${String(1 + (i % 28)).padStart(2, '0')}`);
    expect(ok(many(100))).toBe(true);
    expect(ok(many(101))).toBe(false);
    // hours stored before holidays existed still parse, with none
    const { holidays: _, ...old } = NEW_YEAR;
    expect(businessHoursSchema.parse(old).holidays).toBeUndefined();
  });
});

describe('holidays in the SLA settings', { timeout: 120_000 }, () => {
  const s = consoleSuite();
  const form = (holidays: string) => ({
    urgent_first: '5', urgent_resolution: '30', normal_first: '15', normal_resolution: '120', normal_bh: 'on', tz: 'Asia/Shanghai',
    ...Object.fromEntries([0, 1, 2, 3, 4].flatMap((i) => [[`d${i}_from`, '09:00'], [`d${i}_to`, '18:00']])), holidays,
  });

  it('a supervisor sets them (an agent cannot); bad dates are refused and nothing is saved', async () => {
    const agent = await signedIn(s.app, s.tokens.agent);
    expect((await postForm(agent, '/agent/sla', form('2026-12-31'))).status).toBe(403);
    const sup = await signedIn(s.app, s.tokens.supervisor);
    const bad = await postForm(sup, '/agent/sla', form('2026-12-31\n2027-02-30'));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('a date that exists');
    expect((await loadPolicy(s.svc.database.db)).businessHours).toBeNull();
    const saved = await postForm(sup, '/agent/sla', form('2027-01-01, 2026-12-31\n2026-12-31'));
    expect(saved.status).toBe(200);
    expect((await loadPolicy(s.svc.database.db)).businessHours?.holidays).toEqual(['2026-12-31', '2027-01-01']);
    const shown = await (await sup.get('/agent/sla')).text();
    expect(shown).toContain('2026-12-31\n2027-01-01</textarea>');
    const [changed] = await s.svc.database.db.select().from(auditLog).where(eq(auditLog.action, 'sla_policy_changed'));
    expect((changed!.detail as { after: { businessHours: BusinessHours } }).after.businessHours.holidays).toEqual(['2026-12-31', '2027-01-01']);
  });

  it('a ticket opened before the holidays copies them; the breach check records nothing on them, the breach after', async () => {
    s.clock.now = WED_1750;
    const buyer = new Browser(s.app);
    expect((await buyer.lookup(ORDERS.unpaid.no, ORDERS.unpaid.secret)).status).toBe(303);
    expect((await buyer.post('/feedback', { csrf: await buyer.csrf(), answer: 'no' })).status).toBe(200);
    const [t] = await s.svc.database.db.select().from(tickets).where(eq(tickets.orderNo, ORDERS.unpaid.no));
    expect((t!.businessHours as BusinessHours).holidays).toEqual(['2026-12-31', '2027-01-01']);
    expect(t!.firstResponseDueAt).toEqual(at('2027-01-04T01:05:00Z'));
    const mine = async (now: Date) => (await checkBreaches(s.svc.database.db, now)).filter((b) => b.ticket === t!.number);
    expect(await mine(at('2027-01-01T04:00:00Z'))).toEqual([]);
    expect(await mine(at('2027-01-04T01:06:00Z'))).toHaveLength(1);
    const [after] = await s.svc.database.db.select().from(tickets).where(eq(tickets.id, t!.id));
    expect(after!.firstResponseBreachedAt).toEqual(at('2027-01-04T01:05:00Z'));
  });
});
