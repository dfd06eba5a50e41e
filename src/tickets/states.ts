/**
 * The ticket state machine. Waiting on the buyer and resolved stop the SLA clocks; open and
 * reopened run them. Anything not in the table is refused with a TicketStateError naming the
 * state and what was asked, so an agent's stale page never moves a ticket somewhere odd.
 */
export const TICKET_STATES = ['open', 'waiting_on_buyer', 'resolved', 'reopened'] as const;
export type TicketState = (typeof TICKET_STATES)[number];

export const TICKET_EVENTS = ['wait', 'resume', 'resolve', 'reopen', 'buyer_reply'] as const;
export type TicketEvent = (typeof TICKET_EVENTS)[number];

const NEXT: Record<TicketState, Partial<Record<TicketEvent, TicketState>>> = {
  open: { wait: 'waiting_on_buyer', resolve: 'resolved' },
  // the buyer answered (or the agent stops waiting): the clocks run again
  waiting_on_buyer: { resume: 'open', buyer_reply: 'open', resolve: 'resolved' },
  resolved: { reopen: 'reopened', buyer_reply: 'reopened' },
  reopened: { wait: 'waiting_on_buyer', resolve: 'resolved' },
};

export class TicketStateError extends Error {
  constructor(readonly from: TicketState, readonly event: TicketEvent) {
    super(`a ticket that is ${from.replaceAll('_', ' ')} cannot be asked to ${event.replace('_', ' ')}`);
  }
}

export function isTicketEvent(v: unknown): v is TicketEvent {
  return typeof v === 'string' && (TICKET_EVENTS as readonly string[]).includes(v);
}

/** The state after `event`, or a TicketStateError. */
export function nextState(from: TicketState, event: TicketEvent): TicketState {
  const to = NEXT[from][event];
  if (!to) throw new TicketStateError(from, event);
  return to;
}

export function allowedEvents(from: TicketState): TicketEvent[] {
  return Object.keys(NEXT[from]) as TicketEvent[];
}

/** Whether the SLA clocks run in this state. */
export const clockRuns = (s: TicketState) => s === 'open' || s === 'reopened';
