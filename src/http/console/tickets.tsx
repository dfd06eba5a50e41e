/**
 * Tickets: GET /agent/tickets (the queue), GET /agent/tickets/:number (?macro= fills the reply),
 * POST .../claim, .../assign (supervisors: anyone), .../reply, .../note, .../state, .../triage,
 * .../diagnose (one click, then back to the ticket). Handlers validate, call one tickets/ verb with
 * the signed-in agent, and redirect (303) to the ticket with a note; refusals render the ticket with
 * the reason.
 */
import type { Context, Hono } from 'hono';
import { agentActor } from '../../agents/accounts.ts';
import { agentDiagnose } from '../../agents/apply.ts';
import type { DecisionFacts } from '../../domain/decide.ts';
import { formatMoney } from '../../domain/format.ts';
import type { Services } from '../../services.ts';
import { assignTicket, changeState, claimTicket, hoursOf, TicketError, triageTicket } from '../../tickets/lifecycle.ts';
import { expandMacro, isMacro } from '../../tickets/macros.ts';
import { addMessage, messagesOf } from '../../tickets/messages.ts';
import { activeAgents, listQueue, ticketByNumber } from '../../tickets/queue.ts';
import { clockView } from '../../tickets/sla.ts';
import { isTicketEvent, TicketStateError } from '../../tickets/states.ts';
import { requireSupervisor } from './auth.ts';
import type { ConsoleEnv } from './env.ts';
import { loadOrderPage } from './order-model.ts';
import { messagePage, page, type Status } from './render.tsx';
import type { OrderNote } from './views/order.tsx';
import { TicketPage } from './views/ticket.tsx';
import { Queue } from './views/tickets.tsx';

type C = Context<ConsoleEnv>;

const NOTES: Record<string, OrderNote> = {
  replied: { kind: 'done', text: 'Reply sent: it is on the buyer\'s ticket page (and queued as an email when mail is configured).' },
  noted: { kind: 'done', text: 'Note added (agents only).' },
  state: { kind: 'done', text: 'Ticket state changed.' },
  claimed: { kind: 'done', text: 'The ticket is yours.' },
  assigned: { kind: 'done', text: 'Assignment saved.' },
  triaged: { kind: 'done', text: 'Priority and category saved (a new priority moves the deadlines).' },
  diagnosed: { kind: 'info', text: 'Diagnosed again just now: the latest diagnosis is below.' },
};

export function mountTicketRoutes(con: Hono<ConsoleEnv>, svc: Services): void {
  con.use('/tickets/:number/assign', requireSupervisor((c) => messagePage(c, 403, 'Supervisors only', 'Assigning a ticket to someone else is for supervisors; claim it for yourself instead.')));

  const form = (c: C, k: string) => (typeof c.get('form')[k] === 'string' ? (c.get('form')[k] as string) : '');
  const back = (c: C, number: string, note: string) => c.redirect(`/agent/tickets/${number}?note=${note}`, 303);

  const render = async (c: C, status: Status, number: string, extra: { note?: OrderNote; macro?: string } = {}) => {
    const found = await ticketByNumber(svc, number);
    if (!found) return messagePage(c, 404, 'No such ticket', 'No ticket has this number.');
    const { ticket } = found;
    const [messages, loaded, agents] = await Promise.all([messagesOf(svc, ticket.id), loadOrderPage(svc, ticket.orderNo), activeAgents(svc)]);
    const order = loaded?.model ?? null;
    const shown = order?.shown;
    const draft = isMacro(extra.macro) ? expandMacro(extra.macro, {
      orderNo: ticket.orderNo, ticket: ticket.number, verdict: shown?.verdict,
      paidAt: order?.order?.paidAt ? new Date(order.order.paidAt).toLocaleString('sv-SE', { timeZone: 'Asia/Shanghai' }) : undefined,
      product: order?.order?.productTitle, quantity: order?.order?.quantity ?? (shown?.facts as DecisionFacts | undefined)?.missing,
      amount: order?.order ? formatMoney(order.order.amountCents) : undefined,
    }) : undefined;
    const clock = clockView({ ...ticket, businessHours: hoursOf(ticket) }, svc.now());
    return page(c, status, `Ticket ${ticket.number}`, (csrf) => (
      <TicketPage m={{ ...found, clock, messages, order, agents, draft }} me={c.get('agent')} csrf={csrf} note={extra.note} />
    ));
  };

  /** runs a verb; a refusal renders the ticket with why */
  const act = async (c: C, verb: () => Promise<unknown>, note: string) => {
    const number = c.req.param('number') ?? '';
    try {
      await verb();
      return back(c, number, note);
    } catch (err) {
      if (err instanceof TicketStateError) return render(c, 400, number, { note: { kind: 'error', text: `Not done: ${err.message}.` } });
      if (err instanceof TicketError) {
        if (err.kind === 'not_found') return messagePage(c, 404, 'No such ticket', 'No ticket has this number.');
        return render(c, err.kind === 'forbidden' ? 403 : 400, number, { note: { kind: 'error', text: `Not done: ${err.message}.` } });
      }
      throw err;
    }
  };
  const who = (c: C) => ({ actor: agentActor(c.get('agent')), now: svc.now() });

  con.get('/tickets', async (c) => {
    const q = (k: string) => c.req.query(k) ?? undefined;
    const f = { state: q('state'), category: q('category'), assignee: q('assignee'), atRisk: q('risk') === '1', buyerWrote: q('buyer') === '1' };
    const [items, agents] = await Promise.all([listQueue(svc, f, c.get('agent').id), activeAgents(svc)]);
    return page(c, 200, 'Tickets', () => <Queue items={items} f={f} agents={agents} />);
  });

  con.get('/tickets/:number', (c) => render(c, 200, c.req.param('number'), { note: NOTES[c.req.query('note') ?? ''], macro: c.req.query('macro') }));

  con.post('/tickets/:number/claim', (c) => act(c, () => claimTicket(svc.database.db, { number: c.req.param('number'), agentId: c.get('agent').id, ...who(c) }), 'claimed'));

  con.post('/tickets/:number/assign', (c) => act(c, () => {
    const raw = form(c, 'assignee');
    if (raw && !/^\d{1,9}$/.test(raw)) throw new TicketError('no active agent with that id');
    return assignTicket(svc.database.db, { number: c.req.param('number'), assigneeId: raw ? Number(raw) : null, ...who(c) });
  }, 'assigned'));

  con.post('/tickets/:number/state', (c) => act(c, () => {
    const event = form(c, 'event');
    if (!isTicketEvent(event) || event === 'buyer_reply') throw new TicketError('no such action on a ticket');
    return changeState(svc.database.db, { number: c.req.param('number'), event, ...who(c) });
  }, 'state'));

  con.post('/tickets/:number/triage', (c) => act(c, () => triageTicket(svc.database.db, {
    number: c.req.param('number'), priority: form(c, 'priority'), category: form(c, 'category'), ...who(c),
  }), 'triaged'));

  con.post('/tickets/:number/reply', (c) => act(c, async () => {
    const then = form(c, 'then');
    const found = await ticketByNumber(svc, c.req.param('number'));
    if (!found) throw new TicketError('no such ticket', 'not_found');
    // the buyer's address, from the shop (through the port), read before the ticket's transaction
    const loaded = await loadOrderPage(svc, found.ticket.orderNo);
    return addMessage(svc, {
      number: found.ticket.number, kind: 'reply', body: c.get('form').body, agent: c.get('agent'), actor: agentActor(c.get('agent')),
      contact: loaded?.model.contact ?? null, ...(then === 'wait' || then === 'resolve' ? { then } : {}),
    });
  }, 'replied'));

  con.post('/tickets/:number/note', (c) => act(c, () => addMessage(svc, {
    number: c.req.param('number'), kind: 'note', body: c.get('form').body, agent: c.get('agent'), actor: agentActor(c.get('agent')),
  }), 'noted'));

  con.post('/tickets/:number/diagnose', (c) => act(c, async () => {
    const found = await ticketByNumber(svc, c.req.param('number'));
    if (!found) throw new TicketError('no such ticket', 'not_found');
    await agentDiagnose(svc, c.get('agent'), found.ticket.orderNo, c.get('logContext'));
  }, 'diagnosed'));
}
