/**
 * The link in the buyer's email (`/?orderNo=...`) lands on the lookup form with the order number
 * filled in and the query password still to type; anything that is not an order number is ignored.
 */
import { describe, expect, it } from 'vitest';
import { checkPageLink } from '../../src/mail/outbox.ts';
import { Browser, ORDERS, pageApp, pageSuite } from './support.ts';

const suite = pageSuite();

const orderInput = (html: string) => /<input id="orderNo"[^>]*>/.exec(html)?.[0] ?? '';
const secretInput = (html: string) => /<input[^>]*id="secret"[^>]*>/.exec(html)?.[0] ?? '';

describe('lookup page prefill', () => {
  it('pre-fills the order number from the email link and focuses the query password', async () => {
    const link = new URL(checkPageLink('http://localhost', ORDERS.callbackLost.no));
    const res = await new Browser(pageApp(suite.svc)).get(`${link.pathname}${link.search}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(orderInput(html)).toContain(`value="${ORDERS.callbackLost.no}"`);
    expect(orderInput(html)).not.toContain('autofocus');
    expect(secretInput(html)).toContain('autofocus');
    expect(secretInput(html)).not.toContain('value=');
    // switching the language keeps it
    expect(html).toContain(`href="/?orderNo=${ORDERS.callbackLost.no}&amp;lang=en"`);
  });

  it('ignores anything that is not an order number', async () => {
    const b = new Browser(pageApp(suite.svc));
    for (const q of ['%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E', 'abc', 'K2026 1122', 'x'.repeat(65), '']) {
      const html = await (await b.get(`/?orderNo=${q}`)).text();
      expect(orderInput(html), q).toContain('value=""');
      expect(orderInput(html), q).toContain('autofocus');
      expect(html).not.toContain('<script>alert');
    }
  });

  it('still never takes the query password from a URL', async () => {
    const html = await (await new Browser(pageApp(suite.svc)).get(`/?orderNo=${ORDERS.callbackLost.no}&secret=${ORDERS.callbackLost.secret}`)).text();
    expect(html).not.toContain(ORDERS.callbackLost.secret);
  });
});
