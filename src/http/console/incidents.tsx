/**
 * Incidents: GET /agent/incidents (open tickets grouped by cause), GET /agent/incidents/:key (one),
 * POST .../preview (dry-run re-diagnosis of every order: any agent), POST .../apply (confirm the
 * preview, once per order: supervisors), POST .../message (one reply to every buyer: supervisors),
 * POST .../acknowledge and .../close (the incident's record, once each, with who and when: any agent).
 * Handlers validate, call one incidents/ verb with the signed-in agent, and render the outcome.
 */
import type { Context, Hono } from 'hono';
import { confirmIncident, parsePairs, previewIncident } from '../../incidents/bulk.ts';
import { INCIDENT_THRESHOLD, incidentByKey, listIncidents } from '../../incidents/group.ts';
import { messageIncident } from '../../incidents/message.ts';
import { recentlyClosed, stepIncident, type IncidentStep } from '../../incidents/store.ts';
import type { Services } from '../../services.ts';
import { requireSupervisor } from './auth.ts';
import type { ConsoleEnv } from './env.ts';
import { messagePage, page, type Status } from './render.tsx';
import { BulkPreview, BulkResults } from './views/incident-bulk.tsx';
import { IncidentList, IncidentPage } from './views/incidents.tsx';

type C = Context<ConsoleEnv>;
type Note = { kind: 'error' | 'info' | 'done'; text: string };

const KEY = /^[A-Z_]{3,40}(\.[a-z]{3,10}\..{1,160})?$/;

export function mountIncidentRoutes(con: Hono<ConsoleEnv>, svc: Services): void {
  const supervisors = requireSupervisor((c) => messagePage(c, 403, 'Supervisors only', 'Confirming a bulk apply and messaging every buyer of an incident are for supervisors.'));
  con.use('/incidents/:key/apply', supervisors);
  con.use('/incidents/:key/message', supervisors);

  const keyOf = (c: C) => {
    const k = c.req.param('key') ?? '';
    return KEY.test(k) ? k : null;
  };
  const gone = (c: C) => messagePage(c, 404, 'No such incident', 'No open incident has this cause now: its tickets may have been resolved, or it was closed.');
  const isSup = (c: C) => c.get('agent').role === 'supervisor';

  const show = async (c: C, status: Status, note?: Note) => {
    const key = keyOf(c);
    const incident = key ? await incidentByKey(svc, key) : null;
    if (!incident) return gone(c);
    return page(c, status, incident.title, (csrf) => (
      <IncidentPage incident={incident} csrf={csrf} once={globalThis.crypto.randomUUID()} supervisor={isSup(c)} note={note} />
    ));
  };

  con.get('/incidents', async (c) => {
    const [incidents, closed] = await Promise.all([listIncidents(svc), recentlyClosed(svc)]);
    return page(c, 200, 'Incidents', () => <IncidentList incidents={incidents} closed={closed} threshold={INCIDENT_THRESHOLD} />);
  });

  const STEP_DONE: Record<IncidentStep, string> = {
    acknowledge: 'Acknowledged: the console shows you are on it.',
    close: 'Closed. Its tickets stay open in the queue until each is resolved; new tickets of this cause form a new incident.',
  };
  const step = (s: IncidentStep) => async (c: C) => {
    const key = keyOf(c);
    const incident = key ? await incidentByKey(svc, key) : null;
    const id = c.get('form').incident;
    if (!incident?.record || typeof id !== 'string' || String(incident.record.id) !== id) return gone(c);
    const out = await stepIncident(svc, { agent: c.get('agent'), id: incident.record.id, step: s, tickets: incident.items.length });
    if (out.kind === 'not_found') return gone(c);
    if (out.kind === 'already') return show(c, 200, { kind: 'info', text: `Nothing done: the incident is ${out.status} already (another click, or a colleague).` });
    if (s === 'close') {
      const [incidents, closed] = await Promise.all([listIncidents(svc), recentlyClosed(svc)]);
      return page(c, 200, 'Incidents', () => <IncidentList incidents={incidents} closed={closed} threshold={INCIDENT_THRESHOLD} note={STEP_DONE.close} />);
    }
    return show(c, 200, { kind: 'done', text: STEP_DONE[s] });
  };
  con.post('/incidents/:key/acknowledge', step('acknowledge'));
  con.post('/incidents/:key/close', step('close'));

  con.get('/incidents/:key', (c) => show(c, 200));

  con.post('/incidents/:key/preview', async (c) => {
    const key = keyOf(c);
    const incident = key ? await incidentByKey(svc, key) : null;
    if (!incident) return gone(c);
    const rows = await previewIncident(svc, { agent: c.get('agent'), incident, logContext: c.get('logContext') });
    return page(c, 200, `Preview: ${incident.title}`, (csrf) => (
      <BulkPreview incidentKey={incident.cause.key} title={incident.title} rows={rows} csrf={csrf} supervisor={isSup(c)} />
    ));
  });

  // the incident may have shrunk since the preview (tickets resolved by this very apply): the pairs
  // the preview carried are what is confirmed, each checked again by confirmApply
  con.post('/incidents/:key/apply', async (c) => {
    const key = keyOf(c);
    const pairs = parsePairs(c.get('form').pairs);
    if (!key || !pairs) return messagePage(c, 400, 'Nothing to apply', 'The confirmation is not a preview of this console: preview again.');
    const rows = await confirmIncident(svc, { agent: c.get('agent'), incidentKey: key, pairs, logContext: c.get('logContext') });
    return page(c, 200, 'Bulk apply', () => <BulkResults incidentKey={key} rows={rows} />);
  });

  con.post('/incidents/:key/message', async (c) => {
    const key = keyOf(c);
    const incident = key ? await incidentByKey(svc, key) : null;
    if (!incident) return gone(c);
    const form = c.get('form');
    const out = await messageIncident(svc, { agent: c.get('agent'), incident, body: form.body, once: form.once });
    switch (out.kind) {
      case 'sent':
        return show(c, 200, out.failed.length
          ? { kind: 'error', text: `Sent on ${out.tickets} tickets; not on ${out.failed.join('; ')}.` }
          : { kind: 'done', text: `Sent on ${out.tickets} tickets: on each buyer's ticket page${out.mailQueued ? `, ${out.mailQueued} emails queued` : ''}.` });
      case 'used':
        return show(c, 200, { kind: 'info', text: 'That message was sent already (another click, or another agent): nobody got it twice.' });
      case 'invalid':
        return show(c, 400, { kind: 'error', text: `Not sent: ${out.why}.` });
    }
  });
}
