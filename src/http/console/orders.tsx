/**
 * Search and the order: POST /agent/search, GET /agent/orders/:orderNo (?d= a diagnosis),
 * POST .../diagnose (one click: suggests, changes nothing), GET .../confirm?d= (names what applying
 * will do), POST .../apply (once: agents/apply.ts), POST .../reveal (one key, audited).
 * Searches post, so a buyer's email never lands in a URL or an access log.
 */
import type { Context, Hono } from 'hono';
import { audit } from '../../actions/audit.ts';
import { agentActor } from '../../agents/accounts.ts';
import { agentDiagnose, confirmApply, type ConfirmOutcome } from '../../agents/apply.ts';
import { describable, describeAction, describeOverride } from '../../agents/describe.ts';
import { mayOverride, overridable, overrideReason } from '../../agents/override.ts';
import { diagnosisOf, openTickets } from '../../agents/history.ts';
import { revealForAgent } from '../../agents/reveal.ts';
import { searchOrders } from '../../agents/search.ts';
import { isOrderNo } from '../../domain/order-number.ts';
import type { Services } from '../../services.ts';
import type { ConsoleEnv } from './env.ts';
import { loadOrderPage } from './order-model.ts';
import { messagePage, page } from './render.tsx';
import { requireSupervisor } from './auth.ts';
import { Confirm } from './views/confirm.tsx';
import { OverrideConfirm } from './views/override.tsx';
import { Home } from './views/home.tsx';
import { OrderPage, type OrderNote } from './views/order.tsx';

const NOTES: Record<string, OrderNote> = {
  applied: { kind: 'done', text: 'Confirmed. The diagnosis below is the one that acted: it checked everything again under the order\'s lock.' },
  overridden: { kind: 'done', text: 'Override confirmed. The diagnosis below is the one that acted, with the replacement limit lifted: it checked the payment again under the order\'s lock.' },
  stale_expired: { kind: 'info', text: 'That confirmation was more than 10 minutes old: the order was diagnosed again and nothing was applied. Check the diagnosis below and confirm again.' },
  stale_changed: { kind: 'info', text: 'The order changed since that diagnosis (a later check saw something else, or acted): it was diagnosed again and nothing was applied.' },
  used: { kind: 'info', text: 'That confirmation was used already (another click, or another agent): here is what it did. Nothing was done twice.' },
  nothing: { kind: 'info', text: 'That diagnosis suggested nothing to apply.' },
};

type C = Context<ConsoleEnv>;

export function mountOrderRoutes(con: Hono<ConsoleEnv>, svc: Services): void {
  const orderUrl = (no: string, d?: string, note?: string) =>
    `/agent/orders/${encodeURIComponent(no)}${d ? `?d=${d}${note ? `&note=${note}` : ''}` : ''}`;
  const noOrder = (c: C) => messagePage(c, 404, 'No such order', 'No order, legacy record or diagnosis has this number.');
  const param = (c: C) => {
    const no = c.req.param('orderNo') ?? '';
    return isOrderNo(no) ? no : null;
  };

  con.post('/search', async (c) => {
    const q = typeof c.get('form').q === 'string' ? (c.get('form').q as string) : '';
    const hits = await searchOrders(svc, q, c.get('logContext'));
    await audit(svc.database.db, { at: svc.now(), actor: agentActor(c.get('agent')), action: 'agent_searched', detail: { q: q.trim().slice(0, 200), hits: hits.length } });
    const open = await openTickets(svc);
    return page(c, 200, 'Search', (csrf) => <Home csrf={csrf} q={q.trim()} hits={hits} open={open} />);
  });

  con.get('/orders/:orderNo', async (c) => {
    const no = param(c);
    const loaded = no ? await loadOrderPage(svc, no, c.req.query('d')) : null;
    if (!loaded) return noOrder(c);
    const note = NOTES[c.req.query('note') ?? ''];
    return page(c, 200, `Order ${loaded.model.orderNo}`, (csrf) => <OrderPage m={loaded.model} csrf={csrf} note={note} supervisor={mayOverride(c.get('agent'))} />);
  });

  con.post('/orders/:orderNo/diagnose', async (c) => {
    const no = param(c);
    if (!no) return noOrder(c);
    const result = await agentDiagnose(svc, c.get('agent'), no, c.get('logContext'));
    if (result.verdict === 'ORDER_NOT_FOUND') return noOrder(c);
    return c.redirect(orderUrl(result.orderNo, result.id), 303);
  });

  con.get('/orders/:orderNo/confirm', async (c) => {
    const no = param(c);
    const d = no ? await diagnosisOf(svc, no, c.req.query('d') ?? '') : null;
    if (!no || !d) return noOrder(c);
    const action = describeAction(describable(d));
    if (!action) return c.redirect(orderUrl(no, d.id, 'nothing'), 303);
    return page(c, 200, 'Confirm', (csrf) => <Confirm orderNo={no} diagnosisId={d.id} verdict={d.verdict} at={d.startedAt} action={action} csrf={csrf} />);
  });

  con.post('/orders/:orderNo/apply', async (c) => {
    const no = param(c);
    const d = c.get('form').diagnosis;
    if (!no || typeof d !== 'string') return noOrder(c);
    return answer(c, no, d, await confirmApply(svc, { agent: c.get('agent'), orderNo: no, diagnosisId: d, logContext: c.get('logContext') }));
  });

  // a supervisor's override of the replacement limit: agents get 403 here and see no button
  const supervisors = requireSupervisor((c) => messagePage(c, 403, 'Supervisors only', 'Overriding the replacement limit is for supervisors.'));
  con.use('/orders/:orderNo/override', supervisors);

  const overridePage = (c: C, no: string, d: { id: string; startedAt: Date } & Parameters<typeof describable>[0], extra: { error?: string; reason?: string } = {}) =>
    page(c, extra.error ? 400 : 200, 'Override', (csrf) => (
      <OverrideConfirm orderNo={no} diagnosisId={d.id} at={d.startedAt} action={describeOverride(describable(d))} csrf={csrf} {...extra} />
    ));

  con.get('/orders/:orderNo/override', async (c) => {
    const no = param(c);
    const d = no ? await diagnosisOf(svc, no, c.req.query('d') ?? '') : null;
    if (!no || !d) return noOrder(c);
    if (!overridable(d)) return c.redirect(orderUrl(no, d.id, 'nothing'), 303);
    return overridePage(c, no, d);
  });

  con.post('/orders/:orderNo/override', async (c) => {
    const no = param(c);
    const form = c.get('form');
    const d = no && typeof form.diagnosis === 'string' ? await diagnosisOf(svc, no, form.diagnosis) : null;
    if (!no || !d) return noOrder(c);
    const reason = overrideReason(form.reason);
    if (!reason.ok) return overridePage(c, no, d, { error: reason.error, reason: typeof form.reason === 'string' ? form.reason.slice(0, 1000) : '' });
    return answer(c, no, d.id, await confirmApply(svc, { agent: c.get('agent'), orderNo: no, diagnosisId: d.id, override: { reason: reason.reason }, logContext: c.get('logContext') }), 'overridden');
  });

  /** Where a confirmation leads: the order page with the diagnosis that acted (or was shown instead) and a note. */
  function answer(c: C, no: string, d: string, out: ConfirmOutcome, done = 'applied') {
    switch (out.kind) {
      case 'applied':
        return c.redirect(orderUrl(no, out.result.id, done), 303);
      case 'stale':
        return c.redirect(orderUrl(no, out.result.id, `stale_${out.why}`), 303);
      case 'used':
        return c.redirect(orderUrl(no, out.resultDiagnosisId ?? d, 'used'), 303);
      case 'nothing_to_apply':
        return c.redirect(orderUrl(no, d, 'nothing'), 303);
      case 'not_found':
        return noOrder(c);
      case 'forbidden':
        return messagePage(c, 403, 'Supervisors only', 'Overriding the replacement limit is for supervisors.');
    }
  }

  con.post('/orders/:orderNo/reveal', async (c) => {
    const no = param(c);
    const slot = c.get('form').slot;
    const loaded = no ? await loadOrderPage(svc, no) : null;
    if (!loaded) return noOrder(c);
    const n = typeof slot === 'string' && /^[1-9]\d{0,3}$/.test(slot) ? Number(slot) : NaN;
    const key = Number.isNaN(n) ? null : await revealForAgent(svc, { agent: c.get('agent'), lookup: loaded.lookup, slot: n });
    if (!key) return messagePage(c, 404, 'No such key', 'The order holds no key in that slot.');
    // the key goes out in this page only (no redirect: it must never land in a URL), never cached
    const keys = loaded.model.keys.map((k) => (k.slot === key.slot ? key : k));
    return page(c, 200, `Order ${loaded.model.orderNo}`, (csrf) => <OrderPage m={{ ...loaded.model, keys }} csrf={csrf} />);
  });
}
