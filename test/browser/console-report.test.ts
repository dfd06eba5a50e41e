/**
 * The outcome report page in a real browser (playwright-core driving Debian's Chromium, the app
 * served in-process): an agent signs in, opens the report from the console's navigation, and the
 * page draws its charts (server-made SVG, each with a title and description, a table beside it)
 * with its stylesheet applied and no CSP violation; presets and the from/to form work, a bad
 * period is a 400 page that says why; the CSV export downloads; axe finds no serious violation.
 * The README's screenshot goes to docs/ with CONSOLE_SHOTS_DIR=docs (else test-results/screenshots).
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { createAgentAccount } from '../../src/agents/accounts.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { serveToChromium, seriousViolations, signInToConsole, type BrowserTarget } from './support.ts';
import { Browser as Client, ORDERS, pageApp, pageServices } from '../pages/support.ts';

const DOCS = process.env.CONSOLE_SHOTS_DIR ?? 'test-results/screenshots';
const DESKTOP = { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 };
const CHARTS = ['chart-series', 'chart-verdicts', 'chart-actions', 'chart-pay-to-key', 'chart-callbacks', 'chart-sla', 'chart-answers'];

const present = await requires('chromium');

describe.skipIf(!present)('the outcome report in Chromium', { timeout: 180_000 }, () => {
  let tdb: TestDatabase;
  let svc: Services;
  let target: BrowserTarget | undefined;
  let base: string;
  let browser: Browser;
  let token: string;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    mkdirSync(DOCS, { recursive: true });
    tdb = await testDatabase();
    svc = await pageServices(tdb.database);
    token = (await createAgentAccount(svc, { name: 'mei', role: 'agent', by: { kind: 'system', id: 'test' } })).token;
    const app = pageApp(svc);

    // a week of activity: buyers re-check a delivered order on earlier days (DELIVERED needs no
    // gateway), then today's cases at 10:00, with their answers
    const start = svc.now();
    const at = (ms: number) => { (svc as { now: () => Date }).now = () => new Date(start.getTime() + ms); };
    const check = async (o: { no: string; secret: string }, answer?: 'yes' | 'no') => {
      const b = new Client(app);
      expect((await b.lookup(o.no, o.secret)).status).toBe(303);
      if (answer) expect((await b.post('/feedback', { csrf: await b.csrf(), answer })).status).toBe(200);
    };
    for (let day = 6; day >= 1; day--) {
      at(-day * 86_400_000);
      for (let i = 0; i < (day % 3) + 1; i++) await check(ORDERS.delivered, 'yes');
    }
    at(0);
    await check(ORDERS.callbackLost, 'yes');
    await check(ORDERS.callbackLostEpay, 'yes');
    await check(ORDERS.outOfStock, 'no');
    await check(ORDERS.inProgress);
    await check(ORDERS.unpaid);
    await check(ORDERS.refunded);
    at(5 * 60_000);

    target = await serveToChromium(app);
    ({ base, browser } = target);
  }, 120_000);

  afterAll(async () => {
    await target?.close();
    await svc?.close();
    await tdb?.drop();
  });

  async function open(opts: { bypassCSP?: boolean } = {}): Promise<Page> {
    const ctx = await browser.newContext({ ...DESKTOP, baseURL: base, locale: 'en-US', acceptDownloads: true, ...opts });
    const page = await ctx.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    return page;
  }

  const signIn = (page: Page) => signInToConsole(page, token);

  it('draws its charts beside their tables, styled, with no CSP violation; presets, from/to, a bad period, the CSV', async () => {
    const page = await open();
    await signIn(page);
    await page.getByRole('link', { name: 'Report' }).click();
    await page.getByRole('heading', { name: 'Outcome report' }).waitFor();
    expect(page.url()).toBe(`${base}/agent/report`);

    // every chart is drawn (has a size on screen), is an image named by its title and described
    for (const id of CHARTS) {
      const chart = page.locator(`svg[data-chart="${id}"]`);
      const box = await chart.boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.width, id).toBeGreaterThan(200);
      expect(box!.height, id).toBeGreaterThan(20);
      expect(await chart.getAttribute('role')).toBe('img');
      expect(await chart.locator('title').textContent()).toBeTruthy();
      expect(await chart.locator('desc').textContent()).toBeTruthy();
      // and beside it, a table of the same figures
      expect(await chart.locator('xpath=ancestor::figure//table').count(), id).toBeGreaterThan(0);
    }
    await expect.poll(() => page.getByRole('img', { name: 'Diagnoses by verdict' }).count()).toBe(1);
    // the bars are really there: one per verdict, as long as their share
    expect(await page.locator('svg[data-chart="chart-verdicts"] rect').count()).toBe(6);
    expect(await page.locator('svg[data-chart="chart-verdicts"] [data-bar="DELIVERED"]').getAttribute('data-value')).toBe('12');
    // the stylesheet applied (CSP allowed it): chart and table side by side
    expect(await page.locator('figure.report-figure').first().evaluate((el) => getComputedStyle(el).display)).toBe('grid');
    expect(await page.locator('[data-figure="answers"]').textContent()).toBe('14 solved, 1 not solved (93.3% solved)');
    await page.screenshot({ path: `${DOCS}/console-report.png`, fullPage: true });

    await page.getByRole('link', { name: 'Last 24 h' }).click();
    await page.locator('svg[data-chart="chart-series"]').waitFor();
    expect(page.url()).toContain('period=24h');
    expect(await page.getByRole('link', { name: 'Last 24 h' }).getAttribute('aria-current')).toBe('page');
    expect(await page.locator('table[data-table="series"] th[scope="row"]').first().textContent()).toBe('2026-11-21 10:00');

    await page.getByLabel('From (day)').fill('2026-11-20');
    await page.getByLabel('To (day, included)').fill('2026-11-22');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('svg[data-chart="chart-series"]').waitFor();
    expect(page.url()).toContain('from=2026-11-20&to=2026-11-22');
    expect(await page.locator('table[data-table="series"] th[scope="row"]').allTextContents()).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^order-doctor-report-2026-11-19-2026-11-22\.csv$/);

    await page.getByLabel('From (day)').fill('2026-11-22');
    await page.getByLabel('To (day, included)').fill('2026-11-20');
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes('/agent/report?')), page.getByRole('button', { name: 'Show' }).click()]);
    expect(res.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('The from date (2026-11-22) is after the to date (2026-11-20).');

    await page.context().close();
    expect(cspViolations).toEqual([]);
  });

  it('no serious accessibility violations on the report', async () => {
    // axe is injected as an inline script, which the CSP rightly blocks: this context bypasses CSP
    const page = await open({ bypassCSP: true });
    await signIn(page);
    await page.goto('/agent/report');
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });
});
