/**
 * SLA arithmetic on a fixed clock (issue 11 item 7): deadlines, a pause that extends them, resume,
 * breach, and business hours across a night, a weekend and a DST change; the state machine's
 * allowed and refused transitions; categories from verdicts; the retired TICKET_SLA_MINUTES refused
 * at start-up. Pure: no database.
 */
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { addWorking, clockView, deadlines, workingBetween, type BusinessHours, type ClockFacts } from '../../src/tickets/sla.ts';
import { allowedEvents, nextState, TicketStateError } from '../../src/tickets/states.ts';
import { categoryFor } from '../../src/tickets/category.ts';

const MIN = 60_000;
const at = (iso: string) => new Date(iso);
const WEEKDAYS_9_TO_6 = { from: '09:00', to: '18:00' };
/** Beijing, Monday to Friday 09:00-18:00 */
const BEIJING: BusinessHours = { timeZone: 'Asia/Shanghai', week: [WEEKDAYS_9_TO_6, WEEKDAYS_9_TO_6, WEEKDAYS_9_TO_6, WEEKDAYS_9_TO_6, WEEKDAYS_9_TO_6, null, null] };

describe('working time', () => {
  it('around the clock: plain addition', () => {
    expect(addWorking(at('2026-11-24T10:00:00Z'), 15 * MIN, null)).toEqual(at('2026-11-24T10:15:00Z'));
    expect(workingBetween(at('2026-11-24T10:00:00Z'), at('2026-11-24T12:30:00Z'), null)).toBe(150 * MIN);
    expect(workingBetween(at('2026-11-24T12:30:00Z'), at('2026-11-24T10:00:00Z'), null)).toBe(0);
  });

  it('business hours across a night: Tuesday 17:55 + 30 min is Wednesday 09:25 (Beijing)', () => {
    // 17:55 Beijing = 09:55Z
    expect(addWorking(at('2026-11-24T09:55:00Z'), 30 * MIN, BEIJING)).toEqual(at('2026-11-25T01:25:00Z'));
    // opened at 23:00 at night: the clock starts at 09:00
    expect(addWorking(at('2026-11-24T15:00:00Z'), 5 * MIN, BEIJING)).toEqual(at('2026-11-25T01:05:00Z'));
    expect(workingBetween(at('2026-11-24T09:55:00Z'), at('2026-11-25T01:25:00Z'), BEIJING)).toBe(30 * MIN);
  });

  it('business hours across a weekend: Friday 17:50 + 15 min is Monday 09:05', () => {
    expect(addWorking(at('2026-11-27T09:50:00Z'), 15 * MIN, BEIJING)).toEqual(at('2026-11-30T01:05:00Z'));
    // Friday 17:00 to Monday 10:00: one hour each side of the weekend
    expect(workingBetween(at('2026-11-27T09:00:00Z'), at('2026-11-30T02:00:00Z'), BEIJING)).toBe(120 * MIN);
    // a whole working week is 45 h
    expect(workingBetween(at('2026-11-23T00:00:00Z'), at('2026-11-30T00:00:00Z'), BEIJING)).toBe(45 * 60 * MIN);
  });

  it('business hours across a DST change (Berlin, spring forward on Sunday 29 March 2026)', () => {
    const day = { from: '08:00', to: '18:00' };
    const berlin: BusinessHours = { timeZone: 'Europe/Berlin', week: [day, day, day, day, day, null, null] };
    // Friday 17:30 CET (16:30Z) + 1 h: 30 min on Friday, 30 min from Monday 08:00 CEST (06:00Z)
    expect(addWorking(at('2026-03-27T16:30:00Z'), 60 * MIN, berlin)).toEqual(at('2026-03-30T06:30:00Z'));
  });

  it('refuses a schedule with no open day, or a day that closes before it opens', async () => {
    const { businessHoursSchema } = await import('../../src/tickets/sla.ts');
    expect(businessHoursSchema.safeParse({ timeZone: 'Asia/Shanghai', week: Array(7).fill(null) }).success).toBe(false);
    expect(businessHoursSchema.safeParse({ timeZone: 'Asia/Shanghai', week: [{ from: '18:00', to: '09:00' }, null, null, null, null, null, null] }).success).toBe(false);
    expect(businessHoursSchema.safeParse({ timeZone: 'Mars/Olympus', week: [WEEKDAYS_9_TO_6, null, null, null, null, null, null] }).success).toBe(false);
  });
});

describe('clocks: pause, resume, breach on a fixed clock', () => {
  const opened = at('2026-11-24T02:00:00Z');
  const ticket = (over: Partial<ClockFacts> = {}): ClockFacts => {
    const base = { openedAt: opened, firstResponseMinutes: 15, resolutionMinutes: 120, businessHours: null, pausedMs: 0, ...over };
    return { status: 'open', firstRespondedAt: null, clockStoppedAt: null, ...deadlines(base), ...base, ...over };
  };

  it('a new normal ticket: first response in 15 min, resolution in 2 h; the first-response clock runs', () => {
    const t = ticket();
    expect(t.firstResponseDueAt).toEqual(at('2026-11-24T02:15:00Z'));
    expect(t.resolutionDueAt).toEqual(at('2026-11-24T04:00:00Z'));
    const v = clockView(t, at('2026-11-24T02:05:00Z'));
    expect(v).toMatchObject({ clock: 'first_response', running: true, leftMs: 10 * MIN, atRisk: false });
  });

  it('at risk under 20% of the clock or 5 minutes; overdue after the deadline', () => {
    const t = ticket();
    expect(clockView(t, at('2026-11-24T02:11:00Z')).atRisk).toBe(true); // 4 min of 15 left
    const late = clockView(t, at('2026-11-24T02:17:00Z'));
    expect(late).toMatchObject({ atRisk: true, leftMs: -2 * MIN });
    // the resolution clock: 2 h long, at risk under 24 min
    const answered = ticket({ firstRespondedAt: at('2026-11-24T02:10:00Z') });
    expect(clockView(answered, at('2026-11-24T03:30:00Z'))).toMatchObject({ clock: 'resolution', leftMs: 30 * MIN, atRisk: false });
    expect(clockView(answered, at('2026-11-24T03:40:00Z'))).toMatchObject({ clock: 'resolution', leftMs: 20 * MIN, atRisk: true });
  });

  it('a pause freezes what is left and, on resume, extends both deadlines by the paused time', () => {
    const paused = ticket({ status: 'waiting_on_buyer', clockStoppedAt: at('2026-11-24T02:10:00Z') });
    // an hour later, still 5 min left, not at risk (a stopped clock is nobody's emergency)
    expect(clockView(paused, at('2026-11-24T03:10:00Z'))).toMatchObject({ running: false, leftMs: 5 * MIN, atRisk: false });
    const pausedMs = workingBetween(at('2026-11-24T02:10:00Z'), at('2026-11-24T02:40:00Z'), null);
    const resumed = ticket({ pausedMs });
    expect(resumed.firstResponseDueAt).toEqual(at('2026-11-24T02:45:00Z'));
    expect(resumed.resolutionDueAt).toEqual(at('2026-11-24T04:30:00Z'));
    expect(clockView(resumed, at('2026-11-24T02:44:00Z'))).toMatchObject({ leftMs: 1 * MIN, atRisk: true });
  });

  it('on business hours a pause over the night extends by working time only', () => {
    // opened Tuesday 17:50 Beijing: first response due Wednesday 09:05
    const t = ticket({ openedAt: at('2026-11-24T09:50:00Z'), businessHours: BEIJING });
    expect(t.firstResponseDueAt).toEqual(at('2026-11-25T01:05:00Z'));
    // waiting on the buyer from 17:55 to Wednesday 09:30: 5 min + 30 min of working time
    const pausedMs = workingBetween(at('2026-11-24T09:55:00Z'), at('2026-11-25T01:30:00Z'), BEIJING);
    expect(pausedMs).toBe(35 * MIN);
    const resumed = ticket({ openedAt: at('2026-11-24T09:50:00Z'), businessHours: BEIJING, pausedMs });
    expect(resumed.firstResponseDueAt).toEqual(at('2026-11-25T01:40:00Z'));
    // left at the pause (10 of 15 min) is what is left after it
    expect(clockView(resumed, at('2026-11-25T01:30:00Z')).leftMs).toBe(10 * MIN);
  });

  it('resolved: no clock runs', () => {
    expect(clockView(ticket({ status: 'resolved', clockStoppedAt: opened }), at('2026-11-25T00:00:00Z'))).toMatchObject({ clock: null, atRisk: false });
  });
});

describe('the ticket state machine', () => {
  it('allows what a helpdesk does', () => {
    expect(nextState('open', 'wait')).toBe('waiting_on_buyer');
    expect(nextState('waiting_on_buyer', 'buyer_reply')).toBe('open');
    expect(nextState('waiting_on_buyer', 'resume')).toBe('open');
    expect(nextState('open', 'resolve')).toBe('resolved');
    expect(nextState('waiting_on_buyer', 'resolve')).toBe('resolved');
    expect(nextState('resolved', 'buyer_reply')).toBe('reopened');
    expect(nextState('resolved', 'reopen')).toBe('reopened');
    expect(nextState('reopened', 'wait')).toBe('waiting_on_buyer');
    expect(nextState('reopened', 'resolve')).toBe('resolved');
  });

  it('refuses the rest with an error naming the state and the request', () => {
    expect(() => nextState('resolved', 'wait')).toThrow(TicketStateError);
    expect(() => nextState('resolved', 'resolve')).toThrow('a ticket that is resolved cannot be asked to resolve');
    expect(() => nextState('open', 'reopen')).toThrow('a ticket that is open cannot be asked to reopen');
    expect(() => nextState('open', 'resume')).toThrow(TicketStateError);
    expect(() => nextState('waiting_on_buyer', 'wait')).toThrow(TicketStateError);
    expect(allowedEvents('resolved')).toEqual(['reopen', 'buyer_reply']);
  });
});

describe('category from the verdict that opened the ticket', () => {
  it.each([
    ['PAYMENT_UNVERIFIABLE', 'payment'], ['AMOUNT_MISMATCH', 'payment'], ['OUT_OF_STOCK', 'stock'], ['MIGRATION_CONFLICT', 'migration'],
    ['DELIVERY_DELAYED', 'delivery'], ['REISSUE_LIMIT_REACHED', 'delivery'], ['ORDER_NOT_FOUND', 'account'],
  ])('%s is %s', (verdict, category) => expect(categoryFor(verdict)).toBe(category));
});

describe('configuration: TICKET_SLA_MINUTES is gone (the SLA policy set at /agent/sla replaced it)', () => {
  const line = 'TICKET_SLA_MINUTES: replaced by the SLA policy supervisors set at /agent/sla (defaults: normal 15 min / 2 h, urgent 5 / 30 min)';

  it('set (to anything), start-up refuses with a ConfigError naming it', () => {
    for (const v of ['120', '15', '']) {
      expect(() => loadConfig({ TICKET_SLA_MINUTES: v })).toThrow(ConfigError);
      expect(() => loadConfig({ TICKET_SLA_MINUTES: v })).toThrow(line);
    }
    expect(loadConfig({})).not.toHaveProperty('ticketSlaMinutes');
  });

  it('a process started with it exits 2 with that one line', async () => {
    const run = promisify(execFile);
    const err = await run('node', ['bin/order-doctor.js', 'serve'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: join(tmpdir(), 'od-sla-config-unused'), TICKET_SLA_MINUTES: '120' }, timeout: 60_000,
    }).then(() => null, (e: unknown) => e as { code: number; stdout: string; stderr: string });
    expect(err).toMatchObject({ code: 2, stdout: '' });
    expect(err!.stderr).toBe(`order-doctor: ${line}\n`);
  }, 60_000);
});
