/** Supervisors only (an agent gets 403): GET /agent/sla, POST /agent/sla (audited, before and after). */
import type { Context, Hono } from 'hono';
import { agentActor } from '../../agents/accounts.ts';
import type { Services } from '../../services.ts';
import { loadPolicy, PolicyError, savePolicy } from '../../tickets/policy.ts';
import { requireSupervisor } from './auth.ts';
import type { ConsoleEnv } from './env.ts';
import type { Form } from '../pages/form.ts';
import { messagePage, page } from './render.tsx';
import { SlaPage } from './views/sla.tsx';

/** The form as the policy's shape; sla's zod schema judges it (policy.ts). */
function policyFrom(form: Form): unknown {
  const s = (k: string) => (typeof form[k] === 'string' ? (form[k] as string).trim() : '');
  const n = (k: string) => (/^\d{1,7}$/.test(s(k)) ? Number(s(k)) : NaN);
  const terms = (k: string) => ({ firstResponseMinutes: n(`${k}_first`), resolutionMinutes: n(`${k}_resolution`), onBusinessHours: s(`${k}_bh`) === 'on' });
  const week = Array.from({ length: 7 }, (_, i) => (s(`d${i}_from`) || s(`d${i}_to`) ? { from: s(`d${i}_from`), to: s(`d${i}_to`) } : null));
  // one date per line (commas and spaces also separate), sorted and without repeats
  const holidays = [...new Set(s('holidays').split(/[\s,]+/).filter(Boolean))].sort();
  return { urgent: terms('urgent'), normal: terms('normal'), businessHours: s('tz') ? { timeZone: s('tz'), week, holidays } : null };
}

export function mountSlaRoutes(con: Hono<ConsoleEnv>, svc: Services): void {
  con.use('/sla', requireSupervisor((c) => messagePage(c, 403, 'Supervisors only', 'The SLA policy is set by supervisors.')));
  const render = async (c: Context<ConsoleEnv>, status: 200 | 400, extra: { note?: string; error?: string } = {}) => {
    const policy = await loadPolicy(svc.database.db);
    return page(c, status, 'SLA policy', (csrf) => <SlaPage policy={policy} csrf={csrf} {...extra} />);
  };
  con.get('/sla', (c) => render(c, 200));
  con.post('/sla', async (c) => {
    try {
      await savePolicy(svc.database.db, { policy: policyFrom(c.get('form')), by: agentActor(c.get('agent')), now: svc.now() });
      return render(c, 200, { note: 'Policy saved: new tickets take these terms.' });
    } catch (err) {
      if (err instanceof PolicyError) return render(c, 400, { error: err.message });
      throw err;
    }
  });
}
