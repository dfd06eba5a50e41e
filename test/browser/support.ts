/**
 * What the real-browser tests share: the app served on a free loopback port with Debian's Chromium
 * (playwright-core) launched beside it, axe-core's serious findings, and the console's sign-in.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM } from '../support/requires.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface BrowserTarget {
  browser: Browser;
  /** the served app's origin, for contexts' baseURL */
  base: string;
  close(): Promise<void>;
}

export async function serveToChromium(app: { fetch: (req: Request) => Response | Promise<Response> }): Promise<BrowserTarget> {
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return {
    browser,
    base,
    async close() {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** axe-core's serious and critical findings on the page as it is now, as `rule (nodes)` */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: () => Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe;
    return axe.run();
  });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length})`);
}

/** Signs in to the agents' console with `token` and waits for its search page. */
export async function signInToConsole(page: Page, token: string): Promise<void> {
  await page.goto('/agent');
  await page.getByLabel('Agent token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Find an order' }).waitFor();
}
