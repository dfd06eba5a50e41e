/**
 * The HTTP application: JSON API (declared with @hono/zod-openapi), health, metrics, the OpenAPI document,
 * the buyer's page and, in sandbox mode, the sandbox upstreams under /sandbox/.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Services } from '../services.ts';
import { sandboxApp } from '../sandbox/app.ts';
import type { AppEnv } from './env.ts';
import { problem } from './problem.ts';
import { onAppError } from './errors.ts';
import { buyerLimitsFor, type BuyerLimits } from './rate-limits.ts';
import { mountCheck } from './routes/check.ts';
import { mountDiagnose } from './routes/diagnose.ts';
import { mountOverride } from './routes/override.ts';
import { mountHealth } from './routes/health.ts';
import { mountMetrics } from './routes/metrics.ts';
import { mountShopOrders } from './routes/shop-orders.ts';
import { mountShopStock } from './routes/shop-stock.ts';
import { clientIp } from './client-ip.ts';
import { observeRequests } from '../observability/http.ts';

export interface AppOptions {
  limits?: BuyerLimits;
  healthExtras?: () => Promise<Record<string, unknown>>;
  /** extra routes (the buyer's page, the console) mounted by their own modules */
  extend?: (app: OpenAPIHono<AppEnv>) => void;
}

export function createApp(svc: Services, opts: AppOptions = {}) {
  const limits = opts.limits ?? buyerLimitsFor(svc);
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
  // first: the request's id and context for everything after it, and its log line and metrics
  app.use('*', observeRequests({ logger: svc.logger, metrics: svc.metrics, ip: clientIp }));
  app.use('*', async (c, next) => {
    c.set('svc', svc);
    c.set('limits', limits);
    if (opts.healthExtras) c.set('healthExtras', opts.healthExtras);
    await next();
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'agentToken', { type: 'http', scheme: 'bearer' });
  mountCheck(app);
  mountDiagnose(app);
  mountOverride(app);
  mountHealth(app);
  mountMetrics(app);
  // the push API exists only with its secret: without one there is nothing to sign with, and a
  // 404 (rather than a 503 to wait out) tells a misconfigured shop plainly it is talking to no one
  if (svc.config.push) {
    mountShopOrders(app);
    mountShopStock(app);
  }
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'order-doctor', version: '0.1.0', description: 'Diagnoses and fixes "paid but got nothing" orders.' },
  });
  opts.extend?.(app);
  if (svc.sandbox) app.route('/sandbox', sandboxApp(svc.sandbox));
  refuseOtherMethods(app);

  app.notFound((c) => problem(c, 'not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError(onAppError);
  return app;
}

/**
 * A path of the API asked with a method it does not serve: 405 with the methods it does (Allow),
 * not "no such route". Registered after every route, so the routes themselves answer first.
 */
function refuseOtherMethods(app: OpenAPIHono<AppEnv>): void {
  const allowed = new Map<string, Set<string>>([['/api/openapi.json', new Set(['GET'])]]);
  for (const d of app.openAPIRegistry.definitions) {
    if (d.type !== 'route') continue;
    const path = d.route.path.replace(/\{(\w+)\}/g, ':$1');
    allowed.set(path, (allowed.get(path) ?? new Set<string>()).add(d.route.method.toUpperCase()));
  }
  for (const [path, methods] of allowed) {
    if (methods.has('GET')) methods.add('HEAD');
    const allow = [...methods].join(', ');
    app.all(path, (c) => {
      c.header('allow', allow);
      return problem(c, 'method_not_allowed', `${c.req.method} is not served here; ${allow} is`);
    });
  }
}
