/** SHOP_PUSH_SECRET and SHOP_WEBHOOK_URL: checked at start, failing closed with the setting's name. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const SECRET = 'a'.repeat(64);
const load = (env: Record<string, string>) => loadConfig(env);

describe('push configuration', () => {
  it('is off without a secret', () => {
    expect(load({}).push).toBeNull();
  });

  it('takes a long secret and a webhook over https, or http to this machine only', () => {
    expect(load({ SHOP_PUSH_SECRET: SECRET }).push).toEqual({ secret: SECRET, webhookUrl: null });
    expect(load({ SHOP_PUSH_SECRET: SECRET, SHOP_WEBHOOK_URL: 'https://shop.example/hooks' }).push?.webhookUrl).toBe('https://shop.example/hooks');
    expect(load({ SHOP_PUSH_SECRET: SECRET, SHOP_WEBHOOK_URL: 'http://127.0.0.1:9000/h' }).push?.webhookUrl).toBe('http://127.0.0.1:9000/h');
  });

  it.each([
    [{ SHOP_PUSH_SECRET: 'short' }, /^SHOP_PUSH_SECRET: expected at least 32/],
    [{ SHOP_PUSH_SECRET: `${SECRET} x` }, /^SHOP_PUSH_SECRET/],
    [{ SHOP_WEBHOOK_URL: 'https://shop.example/hooks' }, /^SHOP_PUSH_SECRET: required when SHOP_WEBHOOK_URL/],
    [{ SHOP_PUSH_SECRET: SECRET, SHOP_WEBHOOK_URL: 'http://shop.example/hooks' }, /^SHOP_WEBHOOK_URL: expected https/],
    [{ SHOP_PUSH_SECRET: SECRET, SHOP_WEBHOOK_URL: 'http://127.0.0.1.evil.example/hooks' }, /^SHOP_WEBHOOK_URL: expected https/],
    [{ SHOP_PUSH_SECRET: SECRET, SHOP_WEBHOOK_URL: 'not a url' }, /^SHOP_WEBHOOK_URL/],
    [{ SHOP_PUSH_SECRET: SECRET, SHOP: 'dujiaoka', SHOP_DATABASE_URL: 'mysql://u@h:3306/d' }, /^SHOP_PUSH_SECRET: the push API feeds the built-in store only/],
  ])('refuses %j', (env, message) => {
    expect(() => load(env as Record<string, string>)).toThrow(ConfigError);
    expect(() => load(env as Record<string, string>)).toThrow(message);
  });
});
