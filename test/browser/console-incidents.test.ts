/**
 * An incident in a real browser (playwright-core, Debian's Chromium): a supervisor follows the
 * Incidents link, opens the lost-callback incident of two wechat orders, previews the bulk
 * re-diagnosis (nothing applied), confirms it, and sees each order get its key and its ticket
 * resolved. A world of its own (two orders sharing a cause), so test/browser/console.test.ts keeps
 * its orders. Screenshots as there (CONSOLE_SHOTS_DIR=docs for the README's).
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { eq } from 'drizzle-orm';
import { issuedKeys, tickets } from '../../src/db/schema.ts';
import { escalate } from '../../src/actions/escalate.ts';
import { createAgentAccount } from '../../src/agents/accounts.ts';
import { authenticateAgent } from '../../src/engine/agents.ts';
import { agentDiagnose } from '../../src/agents/apply.ts';
import type { Services } from '../../src/services.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { serveToChromium, type BrowserTarget } from './support.ts';
import { paidOrdersWorld, servicesWithWorld } from '../support/services.ts';
import { pageApp } from '../pages/support.ts';
import { NO_LOG_CONTEXT } from '../../src/observability/context.ts';

const DOCS = process.env.CONSOLE_SHOTS_DIR ?? 'test-results/screenshots';
const present = await requires('chromium');

describe.skipIf(!present)('an incident in Chromium', { timeout: 180_000 }, () => {
  let tdb: TestDatabase;
  let svc: Services;
  let target: BrowserTarget | undefined;
  let base: string;
  let browser: Browser;
  let token: string;
  const orderNos: string[] = [];

  beforeAll(async () => {
    mkdirSync(DOCS, { recursive: true });
    tdb = await testDatabase();
    svc = await servicesWithWorld(tdb.database, paidOrdersWorld({ orders: 2, stock: 4, channel: 'wechat' }));
    token = (await createAgentAccount(svc, { name: 'mei', role: 'supervisor', by: { kind: 'system', id: 'test' } })).token;
    const mei = (await authenticateAgent(svc, token))!;
    for (const no of ['K2026112200001', 'K2026112200002']) {
      const d = await agentDiagnose(svc, mei, no, NO_LOG_CONTEXT);
      await svc.database.db.transaction((tx) => escalate(tx, { orderNo: no, reason: d.verdict, source: 'buyer', now: svc.now(), actor: { kind: 'customer' }, diagnosisId: d.id }));
      orderNos.push(no);
    }
    const app = pageApp(svc);
    target = await serveToChromium(app);
    ({ base, browser } = target);
  }, 120_000);

  afterAll(async () => {
    await target?.close();
    await svc?.close();
    await tdb?.drop();
  });

  it('incidents list, one incident, a dry-run preview, then the bulk apply: each order its key, each ticket resolved', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: base, locale: 'en-US' });
    const page = await ctx.newPage();
    await page.goto('/agent');
    await page.getByLabel('Agent token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Incidents', exact: true }).click();
    await page.getByRole('heading', { name: 'Incidents (1)' }).waitFor();
    await page.getByRole('link', { name: /Paid on wechat but no key delivered/ }).click();
    for (const no of orderNos) expect(await page.locator('main').textContent()).toContain(no);
    await page.getByRole('button', { name: /Re-diagnose all/ }).click();
    for (const no of orderNos) {
      expect(await page.locator(`tr[data-order="${no}"] [data-would]`).textContent()).toBe(`issue 1 key from stock to order ${no}`);
    }
    expect(await svc.database.db.select().from(issuedKeys)).toHaveLength(0);
    await page.screenshot({ path: `${DOCS}/console-incident-preview.png` });
    await page.getByRole('button', { name: 'Yes: apply to 2 orders' }).click();
    await page.getByRole('heading', { name: 'Applied: 2 of 2' }).waitFor();
    for (const no of orderNos) {
      expect(await page.locator(`tr[data-order="${no}"]`).textContent()).toContain('1 key issued, ticket resolved');
    }
    expect(await svc.database.db.select().from(issuedKeys)).toHaveLength(2);
    expect((await svc.database.db.select().from(tickets).where(eq(tickets.status, 'resolved'))).length).toBe(2);
    await ctx.close();
  });
});
