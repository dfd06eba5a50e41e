/** The buyer's page on a test database: the browser-test world, the app with the page mounted, and a cookie jar. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { createApp } from '../../src/http/app.ts';
import { extendApp } from '../../src/http/extensions.ts';
import { createBuyerLimits, type BuyerLimits } from '../../src/http/rate-limits.ts';
import type { Services } from '../../src/services.ts';
import type { Database } from '../../src/db/client.ts';
import { servicesWithWorld } from '../support/services.ts';

export const BROWSER_WORLD = JSON.parse(readFileSync(new URL('../../fixtures/browser-world.json', import.meta.url), 'utf8'));

/** order numbers and secrets of the browser world (see docs/demo-orders.md) */
export const ORDERS = {
  delivered: { no: 'K2026112210001', secret: '4821' },
  callbackLost: { no: 'K2026112210002', secret: '73905' },
  callbackLostEpay: { no: 'K2026112210003', secret: '160428' },
  inProgress: { no: 'K2026112210004', secret: '5937' },
  delayed: { no: 'K2026112210005', secret: '28461' },
  unpaid: { no: 'K2026112210006', secret: '90317' },
  refunded: { no: 'K2026112210007', secret: '6142' },
  outOfStock: { no: 'K2026112210008', secret: '375028' },
  voided: { no: 'K2026112210010', secret: '2759' },
  legacyPending: { no: 'L2025103100618', secret: '46083' },
} as const;

export async function pageServices(database: Database): Promise<Services> {
  return servicesWithWorld(database, BROWSER_WORLD);
}

export function pageApp(svc: Services, limits?: BuyerLimits) {
  return createApp(svc, { limits: limits ?? createBuyerLimits(false), extend: (a) => extendApp(a, svc) });
}

export type PageApp = ReturnType<typeof pageApp>;

/** A browser-ish client: keeps cookies, sends Origin on posts, follows nothing. */
export class Browser {
  cookies = new Map<string, string>();
  constructor(private readonly app: PageApp, readonly origin = 'http://localhost') {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (attrs.some((a) => /max-age=0\b/i.test(a.trim())) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await this.app.request(`${this.origin}${path}`, { headers: { cookie: this.cookieHeader(), ...headers } });
    this.keep(res);
    return res;
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const res = await this.app.request(`${this.origin}${path}`, {
      method: 'POST',
      body: new URLSearchParams(form),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin, cookie: this.cookieHeader(), ...headers },
    });
    this.keep(res);
    return res;
  }

  /** GET / once so the CSRF cookie is set; returns the token the forms carry */
  async csrf(): Promise<string> {
    if (!this.cookies.has('od_csrf')) await this.get('/');
    return this.cookies.get('od_csrf')!;
  }

  async lookup(no: string, secret: string, lang = ''): Promise<Response> {
    return this.post(`/lookup${lang}`, { csrf: await this.csrf(), orderNo: no, secret });
  }
}

/** A suite's page services on a test database of its own, made before its tests and dropped after. */
export function pageSuite(): { readonly svc: Services } {
  let tdb: TestDatabase | undefined;
  let svc: Services | undefined;
  beforeAll(async () => {
    tdb = await testDatabase();
    svc = await pageServices(tdb.database);
  });
  afterAll(async () => {
    await svc?.close();
    await tdb?.drop();
  });
  return {
    get svc() {
      if (!svc) throw new Error('the page services are made in beforeAll');
      return svc;
    },
  };
}
