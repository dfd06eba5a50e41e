/**
 * The HTTP application: JSON API (declared with @hono/zod-openapi), health, the OpenAPI document,
 * the buyer's page and, in sandbox mode, the sandbox upstreams under /sandbox/.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import type { Services } from '../services.ts';
import { sandboxApp } from '../sandbox/app.ts';
import type { AppEnv } from './env.ts';
import { problem } from './problem.ts';
import { createBuyerLimits, type BuyerLimits } from './rate-limits.ts';
import { mountCheck } from './routes/check.ts';
import { mountDiagnose } from './routes/diagnose.ts';
import { mountHealth } from './routes/health.ts';

export interface AppOptions {
  limits?: BuyerLimits;
  healthExtras?: () => Promise<Record<string, unknown>>;
  /** extra routes (the buyer's page, the console) mounted by their own modules */
  extend?: (app: OpenAPIHono<AppEnv>) => void;
}

export function createApp(svc: Services, opts: AppOptions = {}) {
  const limits = opts.limits ?? createBuyerLimits(svc.config.rateLimits);
  const app = new OpenAPIHono<AppEnv>({
    // a request that fails its schema gets problem+json naming the first bad field, never a 500
    defaultHook: (result, c) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      const code = issue?.path[0] === 'orderNo' ? 'invalid_order_no' : 'invalid_request';
      return problem(c, code, `${where}${issue?.message ?? 'invalid'}`);
    },
  });
  app.use('*', async (c, next) => {
    c.set('svc', svc);
    c.set('limits', limits);
    if (opts.healthExtras) c.set('healthExtras', opts.healthExtras);
    await next();
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'agentToken', { type: 'http', scheme: 'bearer' });
  mountCheck(app);
  mountDiagnose(app);
  mountHealth(app);
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'order-doctor', version: '0.1.0', description: 'Diagnoses and fixes "paid but got nothing" orders.' },
  });
  opts.extend?.(app);
  if (svc.sandbox) app.route('/sandbox', sandboxApp(svc.sandbox));

  app.notFound((c) => problem(c, 'not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) {
      return problem(c, err.status === 401 ? 'unauthorized' : 'invalid_request', err.message);
    }
    // internals stay in the server log (never a card key: secrets are only decrypted at reveal)
    console.error(`[http] ${c.req.method} ${new URL(c.req.url).pathname} failed:`, err instanceof Error ? err.stack : err);
    return problem(c, 'internal');
  });
  return app;
}
