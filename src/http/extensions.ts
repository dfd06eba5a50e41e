/**
 * Routes that live beside the JSON API: the buyer's page (GET /) and the agents' console (/agent).
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Services } from '../services.ts';
import type { AppEnv } from './env.ts';
import { mountPages } from './pages/routes.tsx';
import { mountConsole } from './console/routes.tsx';

export function extendApp(app: OpenAPIHono<AppEnv>, svc: Services): void {
  mountPages(app, svc);
  mountConsole(app, svc);
}
