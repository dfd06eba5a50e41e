/**
 * The console in Chinese (issue 11, follow-up): chosen by Accept-Language, or by the switch in the
 * header (remembered in a cookie, which wins over the header); English otherwise. The switch leads
 * back only to a console page of this server. Every page of the frame, the order page, the queue
 * and a ticket speak the chosen language; verdict explanations lead in it.
 */
import { describe, expect, it } from 'vitest';
import { backTo, preferredLang } from '../../src/http/console/lang.ts';
import { Browser, consoleSuite, ORDERS, postForm, signIn, signedIn } from './support.ts';

describe('Accept-Language', () => {
  it('picks zh-CN for Chinese first, English for English first or nothing of ours', () => {
    expect(preferredLang('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
    expect(preferredLang('zh-TW')).toBe('zh-CN');
    expect(preferredLang('en-US,en;q=0.9,zh-CN;q=0.8')).toBe('en');
    expect(preferredLang('fr-FR, zh;q=0.5, en;q=0.4')).toBe('zh-CN');
    expect(preferredLang('en;q=0.2, zh;q=0.8')).toBe('zh-CN');
    expect(preferredLang('zh;q=0, en')).toBe('en');
    expect(preferredLang('de')).toBe('en');
    expect(preferredLang(undefined)).toBe('en');
    expect(preferredLang(';;;,q=,zh;q=abc')).toBe('zh-CN');
  });

  it('leads back to console pages only', () => {
    expect(backTo('/agent/tickets?state=all&risk=1')).toBe('/agent/tickets?state=all&risk=1');
    expect(backTo('/agent/orders/K2026112210001')).toBe('/agent/orders/K2026112210001');
    for (const bad of ['https://evil.example/agent', '//evil.example', '/agent//evil', '/agentx', '/agent/\\evil', '/', undefined, '/agent/"><script>']) {
      expect(backTo(bad)).toBe('/agent');
    }
  });
});

describe('the console in Chinese', { timeout: 120_000 }, () => {
  const s = consoleSuite();
  const zh = { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' };

  it('the sign-in page follows Accept-Language; English without it', async () => {
    const b = new Browser(s.app);
    const cn = await (await b.get('/agent', zh)).text();
    expect(cn).toContain('<html lang="zh-CN">');
    expect(cn).toContain('客服令牌');
    expect(cn).toContain('href="/agent/lang?to=en&amp;back=%2Fagent"');
    const en = await (await b.get('/agent')).text();
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('Agent token');
  });

  it('signed in with a Chinese browser: search, order, queue and ticket in Chinese; the explanation leads in Chinese', async () => {
    const b = new Browser(s.app);
    await b.get('/agent', zh);
    expect((await b.post('/agent/sign-in', { csrf: b.cookies.get('od_csrf')!, token: s.tokens.supervisor }, zh)).status).toBe(303);
    const home = await (await b.get('/agent', zh)).text();
    expect(home).toContain('查找订单');
    expect(home).toContain('(主管)');
    const no = ORDERS.refunded.no;
    const diagnosed = await b.post(`/agent/orders/${no}/diagnose`, { csrf: b.cookies.get('od_csrf')! }, zh);
    const order = await (await b.get(diagnosed.headers.get('location')!, zh)).text();
    expect(order).toContain('立即诊断');
    expect(order).toContain('各项检查的证据');
    expect(order).toMatch(/<p class="explanation">[^<]*[\u4e00-\u9fff]/);
    const queue = await (await b.get('/agent/tickets?state=all', zh)).text();
    expect(queue).toContain('筛选');
  });

  it('the switch remembers the choice over Accept-Language, and switches back', async () => {
    const b = await signedIn(s.app, s.tokens.agent);
    const set = await b.get('/agent/lang?to=zh-CN&back=%2Fagent%2Ftickets');
    expect(set.status).toBe(303);
    expect(set.headers.get('location')).toBe('/agent/tickets');
    expect(set.headers.get('set-cookie')).toMatch(/od_console_lang=zh-CN;.*Path=\/agent.*HttpOnly.*SameSite=Strict/i);
    const queue = await (await b.get('/agent/tickets', { 'accept-language': 'en-US' })).text();
    expect(queue).toContain('<html lang="zh-CN">');
    expect(queue).toContain('工单（');
    expect(queue).toContain('href="/agent/lang?to=en&amp;back=%2Fagent%2Ftickets"');
    // a form posted in Chinese still works: the language is only words
    expect((await postForm(b, `/agent/orders/${ORDERS.delivered.no}/diagnose`)).status).toBe(303);
    await b.get('/agent/lang?to=en&back=%2Fagent');
    expect(await (await b.get('/agent', zh)).text()).toContain('Find an order');
    // nonsense changes nothing and leads home
    const odd = await b.get('/agent/lang?to=fr&back=https%3A%2F%2Fevil.example');
    expect(odd.headers.get('location')).toBe('/agent');
    expect(odd.headers.get('set-cookie')).toBeNull();
  });

  it('without a session the switch works too (the sign-in page), and signs nobody in', async () => {
    const b = new Browser(s.app);
    const res = await b.get('/agent/lang?to=zh-CN&back=%2Fagent%2Ftickets');
    expect(res.status).toBe(303);
    const page = await b.get('/agent/tickets');
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('客服令牌');
    expect((await signIn(b, 'od_nope_nope_nope_nope_nope_nope')).status).toBe(401);
  });
});
