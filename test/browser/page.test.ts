/**
 * The buyer's page in a real browser: playwright-core driving Debian's Chromium against the app
 * served in-process on an ephemeral port. Covers the reveal of a reissued key, an in-progress
 * delivery, an unpaid order, a wrong secret, escalation and coming back to the ticket, English,
 * JavaScript off, axe-core accessibility, and that the CSP never blocks the page's own assets.
 * Screenshots (mobile viewport) go to test-results/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { serveToChromium, seriousViolations, type BrowserTarget } from './support.ts';
import { ORDERS, pageApp, pageServices } from '../pages/support.ts';

const SHOTS = 'test-results/screenshots';
const KEY_PATTERN = /^[A-Z0-9]{2,5}(?:-[A-Z0-9]{3,5}){2,}$/;
const MOBILE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };

const present = await requires('chromium');

describe.skipIf(!present)('buyer page in Chromium', () => {
  let tdb: TestDatabase;
  let svc: Services;
  let target: BrowserTarget | undefined;
  let base: string;
  let browser: Browser;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    tdb = await testDatabase();
    svc = await pageServices(tdb.database);
    const app = pageApp(svc);
    target = await serveToChromium(app);
    ({ base, browser } = target);
  });

  afterAll(async () => {
    await target?.close();
    await svc?.close();
    await tdb?.drop();
  });

  /** `provokesCsp`: the test breaks the policy on purpose and watches for it itself */
  async function open(opts: { javaScriptEnabled?: boolean; bypassCSP?: boolean; provokesCsp?: boolean } = {}): Promise<{ ctx: BrowserContext; page: Page }> {
    const { provokesCsp, ...contextOpts } = opts;
    const ctx = await browser.newContext({ ...MOBILE, baseURL: base, locale: 'zh-CN', ...contextOpts });
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const page = await ctx.newPage();
    if (!provokesCsp) {
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      });
    }
    return { ctx, page };
  }

  async function lookup(page: Page, no: string, secret: string, lang = '') {
    await page.goto(`/${lang}`);
    await page.getByLabel(lang ? 'Order or transaction number' : '订单号或交易单号').fill(no);
    await page.getByLabel(lang ? 'Query password (查询密码)' : '查询密码').fill(secret);
    await page.getByRole('button', { name: lang ? 'Check order' : '查询订单' }).click();
    await page.waitForLoadState('domcontentloaded');
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

  it('lookup page and an answer page have no serious accessibility violations', async () => {
    // axe is injected as an inline script, which our CSP rightly blocks: this context bypasses CSP
    const { ctx, page } = await open({ bypassCSP: true });
    await page.goto('/');
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, 'lookup');
    await lookup(page, ORDERS.delivered.no, ORDERS.delivered.secret);
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('DELIVERED');
    expect(await seriousViolations(page)).toEqual([]);
    await ctx.close();
  });

  it('reveals and copies a reissued key with one click, and no key lands in the URL', async () => {
    const { ctx, page } = await open();
    await lookup(page, ORDERS.callbackLost.no, ORDERS.callbackLost.secret);
    expect(new URL(page.url()).pathname).toBe('/order');
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('PAID_NOT_DELIVERED');
    await expect.poll(() => page.locator('.explanation').textContent()).toContain('已为您补发');
    const code = page.locator('#key-1');
    expect(await code.textContent()).toContain('*');
    await page.getByRole('button', { name: '显示并复制卡密 1' }).click();
    await page.locator('#key-1.shown').waitFor();
    const secret = (await code.textContent())!.trim();
    expect(secret).toMatch(KEY_PATTERN);
    await expect.poll(() => page.locator('#copy-1').textContent()).toBe('已复制到剪贴板');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    expect(page.url()).not.toContain(secret);
    expect(page.url()).not.toContain(ORDERS.callbackLost.secret);
    await shot(page, 'reissued-key');
    await ctx.close();
  });

  it('shows an in-progress delivery with its ETA on the timeline', async () => {
    const { ctx, page } = await open();
    await lookup(page, ORDERS.inProgress.no, ORDERS.inProgress.secret);
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('DELIVERY_IN_PROGRESS');
    const steps = await page.locator('.timeline .step .label').allTextContents();
    expect(steps).toEqual(['已下单', '已付款', '等待发货']);
    expect(await page.locator('.timeline .step.current .note').textContent()).toMatch(/^预计 2026-11-22 \d\d:\d\d 前发货$/);
    await shot(page, 'in-progress');
    await ctx.close();
  });

  it('tells the buyer of an unpaid order that no money arrived', async () => {
    const { ctx, page } = await open();
    await lookup(page, ORDERS.unpaid.no, ORDERS.unpaid.secret);
    expect(await page.locator('#verdict-h').textContent()).toBe('未付款');
    expect(await page.locator('.timeline .step.stopped .label').textContent()).toBe('未付款');
    await ctx.close();
  });

  it('answers a wrong secret with the same message as an unknown order, and keeps it out of the URL', async () => {
    const { ctx, page } = await open();
    await lookup(page, ORDERS.delivered.no, '999999');
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toContain('订单号与查询密码不匹配');
    expect(page.url()).not.toContain('999999');
    await page.getByText('忘记了查询密码？').click();
    expect(await page.locator('#lost-secret').textContent()).toContain('官方客服');
    await shot(page, 'wrong-secret');
    await ctx.close();
  });

  it('"not solved" opens a ticket; the buyer can see its status and find it again later', async () => {
    const { ctx, page } = await open();
    await lookup(page, ORDERS.refunded.no, ORDERS.refunded.secret);
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('REFUNDED');
    await page.getByRole('button', { name: '没有解决，转人工' }).click();
    const number = (await page.locator('.ticket-no').first().textContent())!.trim();
    expect(number).toMatch(/^T\d{6}-[0-9A-Z]{5}$/);
    expect(await page.getByRole('status').first().textContent()).toContain(number);
    await shot(page, 'ticket');
    await page.getByRole('link', { name: '查看工单状态' }).click();
    expect(await page.locator('.status.open').textContent()).toBe('处理中');
    await ctx.close();

    // later, in a fresh browser: checking the order again shows the same ticket
    const later = await open();
    await lookup(later.page, ORDERS.refunded.no, ORDERS.refunded.secret);
    expect(await later.page.locator('.ticket-no').textContent()).toBe(number);
    await later.ctx.close();
  });

  it('switches to English with one click', async () => {
    const { ctx, page } = await open();
    await page.goto('/');
    await page.getByRole('link', { name: 'Switch to English' }).click();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await lookup(page, ORDERS.outOfStock.no, ORDERS.outOfStock.secret, '?lang=en');
    expect(await page.locator('#verdict-h').textContent()).toBe('Out of stock');
    expect(await page.locator('.ticket-no').textContent()).toMatch(/^T/);
    await shot(page, 'english-out-of-stock');
    await ctx.close();
  });

  it('works with JavaScript off: the reveal is a plain form post', async () => {
    const { ctx, page } = await open({ javaScriptEnabled: false });
    await lookup(page, ORDERS.delivered.no, ORDERS.delivered.secret);
    expect(await page.locator('#key-1').textContent()).toContain('*');
    await page.getByRole('button', { name: '显示并复制卡密 1' }).click();
    await page.waitForLoadState('domcontentloaded');
    expect(await page.locator('#key-1').textContent()).toBe('S100-DM01-7C3L-7ZD8');
    expect(page.url()).not.toContain('S100');
    await shot(page, 'js-off-revealed');
    await ctx.close();
  });

  it('never trips its own CSP, on its own: the pages load their script and stylesheet, an inline script is refused', async () => {
    const { ctx, page } = await open({ provokesCsp: true });
    const seen: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) seen.push(m.text());
    });
    await lookup(page, ORDERS.callbackLost.no, ORDERS.callbackLost.secret);
    // page.js ran (the reveal happens in place) and page.css applied (a shown key turns green)
    await page.getByRole('button', { name: '显示并复制卡密 1' }).click();
    await page.locator('#key-1.shown').waitFor();
    expect(await page.locator('#key-1').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(230, 244, 234)');
    await page.goto('/?lang=en');
    expect(seen).toEqual([]);
    // the listener is live: the policy refuses a script the page did not serve from its own origin
    await page.addScriptTag({ content: 'document.documentElement.dataset.inline = "ran"' }).catch(() => {});
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    expect(await page.locator('html').getAttribute('data-inline')).toBeNull();
    await ctx.close();
  });

  it('no page in this file tripped the CSP', () => {
    expect(cspViolations).toEqual([]);
  });
});
