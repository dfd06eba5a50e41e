/** The buyer's "keys delivered" email, composed from an outbox payload: pure. */
import { describe, expect, it } from 'vitest';
import { composeDeliveryMail, type DeliveryMailPayload } from '../../src/mail/compose.ts';
import { checkPageLink, emailAddress } from '../../src/mail/outbox.ts';

const payload: DeliveryMailPayload = {
  orderNo: 'K2026112210002',
  productTitle: 'Steam 钱包充值卡 100元',
  count: 1,
  quantity: 1,
  link: 'https://shop.example/?orderNo=K2026112210002',
};

describe('composeDeliveryMail.happy', () => {
  it('says which order, which product, how many keys, and links the check page: zh-CN first, then English', () => {
    const m = composeDeliveryMail(payload);
    expect(m.subject).toContain('K2026112210002');
    for (const body of [m.text, m.html]) {
      expect(body).toContain('K2026112210002');
      expect(body).toContain('Steam 钱包充值卡 100元');
      expect(body).toContain('https://shop.example/?orderNo=K2026112210002');
      expect(body).toContain('查询密码');
      expect(body).toContain('query password');
      expect(body.indexOf('您好')).toBeLessThan(body.indexOf('Hello'));
    }
    expect(m.text).toContain('已发放 1 个卡密');
    expect(m.text).toContain('1 card key.');
    expect(m.html).toContain('<a href="https://shop.example/?orderNo=K2026112210002">');
    expect(m.html).toContain('lang="zh-CN"');
    expect(m.html).toContain('lang="en"');
  });

  it('tells a partial delivery apart from the whole order', () => {
    const m = composeDeliveryMail({ ...payload, count: 2, quantity: 3 });
    expect(m.text).toContain('本次发放了 2 个卡密（本订单共 3 个）');
    expect(m.text).toContain('2 card keys of your order K2026112210002 (Steam 钱包充值卡 100元) have been delivered now (the order has 3 in all)');
  });

  it('carries the keys only when given them (the operator opted in)', () => {
    const without = composeDeliveryMail(payload);
    expect(without.text).not.toMatch(/卡密：|Card keys:/);
    const withKeys = composeDeliveryMail(payload, ['S100-AAAA-0001', 'S100-BBBB-0002']);
    for (const body of [withKeys.text, withKeys.html]) {
      expect(body).toContain('S100-AAAA-0001');
      expect(body).toContain('S100-BBBB-0002');
      expect(body).toContain('不要转发');
    }
  });

  it('never tells the buyer to wait: the keys are there', () => {
    const m = composeDeliveryMail(payload);
    for (const body of [m.subject, m.text, m.html]) expect(body).not.toMatch(/please wait|稍候|请等待|耐心等待/i);
  });
});

describe('composeDeliveryMail.security', () => {
  it('escapes everything it puts into HTML: product title, order number, link and keys', () => {
    const m = composeDeliveryMail(
      { ...payload, productTitle: '<script>alert(1)</script> & "gift"', orderNo: 'K<b>1', link: 'https://x.example/?a="><img src=x>' },
      ['<img src=x onerror=alert(1)>'],
    );
    expect(m.html).not.toMatch(/<script|<img|<b>/);
    expect(m.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;gift&quot;');
    expect(m.html).toContain('href="https://x.example/?a=&quot;&gt;&lt;img src=x&gt;"');
    expect(m.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('checkPageLink', () => {
  it('pre-fills an order number the page accepts, and gives the bare page otherwise', () => {
    expect(checkPageLink('https://shop.example', 'K2026112210002')).toBe('https://shop.example/?orderNo=K2026112210002');
    expect(checkPageLink('https://shop.example/od', 'a b&c')).toBe('https://shop.example/od/');
  });
});

describe('emailAddress', () => {
  it('takes one plausible address and nothing else (a phone or QQ number, lists, display names, header tricks)', () => {
    expect(emailAddress(' buyer@example.com ')).toBe('buyer@example.com');
    expect(emailAddress('12345678@qq.com')).toBe('12345678@qq.com');
    expect(emailAddress('first.last+tag@mail.example.co.uk')).toBe('first.last+tag@mail.example.co.uk');
    for (const bad of [
      null, '', '13800138000', '123456789', 'buyer@', '@example.com', 'buyer@localhost', 'a@b@example.com',
      'a@example.com, b@example.com', 'Buyer <buyer@example.com>', 'buyer@example.com\r\nBcc: x@example.com',
      '.a@example.com', 'a..b@example.com', 'a b@example.com', `${'a'.repeat(65)}@example.com`,
    ]) {
      expect(emailAddress(bad), String(bad)).toBeNull();
    }
  });
});
