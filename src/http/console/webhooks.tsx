/**
 * GET /agent/webhooks: the shop's webhooks and how their delivery went; POST
 * /agent/webhooks/{id}/resend (CSRF-checked by requireAgent, audited). Any agent may resend: the
 * event goes only to the configured shop, carries its original id (the shop de-duplicates) and
 * shows the agent nothing, so it needs no supervisor.
 */
import type { Context, Hono } from 'hono';
import { agentActor } from '../../agents/accounts.ts';
import type { Services } from '../../services.ts';
import { listWebhooks, resendWebhook } from '../../push/webhook-admin.ts';
import type { ConsoleEnv } from './env.ts';
import { page, type Status } from './render.tsx';
import { WebhooksPage } from './views/webhooks.tsx';

export function mountWebhookRoutes(con: Hono<ConsoleEnv>, svc: Services): void {
  const render = async (c: Context<ConsoleEnv>, status: Status, extra: { note?: string; error?: string } = {}) => {
    const rows = await listWebhooks(svc.database);
    const configured = Boolean(svc.config.push?.webhookUrl);
    return page(c, status, 'Shop webhooks', (csrf) => <WebhooksPage rows={rows} csrf={csrf} configured={configured} {...extra} />);
  };
  con.get('/webhooks', (c) => render(c, 200));
  con.post('/webhooks/:id/resend', async (c) => {
    const raw = c.req.param('id');
    if (!/^\d{1,15}$/.test(raw)) return render(c, 404, { error: 'No such webhook.' });
    const out = await resendWebhook(svc, { id: Number(raw), actor: agentActor(c.get('agent')) });
    if (out === 'not_found') return render(c, 404, { error: 'No such webhook.' });
    if (out === 'in_flight') return render(c, 200, { note: 'That webhook is being sent right now: see its outcome in a moment.' });
    return render(c, 200, { note: 'Queued again: it goes out with the next dispatch, under the same event id.' });
  });
}
