/**
 * The buyer is told: outbox rows written in the delivery's transaction, sent by the dispatcher to a
 * REAL SMTP server in this process (smtp-server), at most once per delivery, retried only when the
 * server proves it did not take the message. Time is an injected clock.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { loadConfig, type Config } from '../../src/config.ts';
import { createSecretBox, newMasterKey, type SecretBox } from '../../src/crypto/secret-box.ts';
import { mailOutbox } from '../../src/db/schema.ts';
import { dispatchMail, MAIL_LEASE_MS, startMailLoop, type MailDeps } from '../../src/jobs/mail.ts';
import { enqueueDeliveryMail, type DeliveryMailInput } from '../../src/mail/outbox.ts';
import { createSmtpTransport, type SmtpTimeouts } from '../../src/mail/transport.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { deadAddress, SMTP_USER, startSilentServer, startSmtp, type TestSmtp } from './smtp.ts';

const START = '2026-11-22T10:00:00+08:00';
const KEY = 'S100-SECRET-0000-0001';
const FAST: Partial<SmtpTimeouts> = { connectMs: 1000, greetingMs: 500, socketMs: 1000, totalMs: 5000 };

function clock(start: string) {
  let t = new Date(start).getTime();
  return { now: () => new Date(t), advance: (ms: number) => { t += ms; } };
}

let tdb: TestDatabase;
let box: SecretBox;
let smtp: TestSmtp;
let time: ReturnType<typeof clock>;
const secret = newMasterKey();

beforeAll(async () => {
  tdb = await testDatabase();
  box = await createSecretBox(secret);
  smtp = await startSmtp();
});
afterAll(async () => {
  await smtp?.close();
  await tdb?.drop();
});
beforeEach(async () => {
  await tdb.database.db.execute(sql`delete from mail_outbox`);
  smtp.received.length = 0;
  smtp.hangAfterData(false);
  time = clock(START);
});

function mailConfig(env: Record<string, string> = {}, url = smtp.url): Config {
  return loadConfig({
    CARD_KEY_SECRET: secret, SMTP_URL: url, MAIL_FROM: 'Steam Card Shop <shop@shop.example>', PUBLIC_URL: 'https://shop.example/',
    ...env,
  });
}

function deps(config: Config, extra: Partial<MailDeps> = {}): MailDeps & { lines: string[] } {
  const lines: string[] = [];
  return {
    database: tdb.database, box, config, now: time.now, log: (l) => lines.push(l), lines,
    transport: config.mail ? createSmtpTransport(config.mail.smtpUrl, { timeouts: FAST }) : undefined,
    ...extra,
  };
}

function delivery(over: Partial<DeliveryMailInput> = {}): DeliveryMailInput {
  return {
    deliveryKey: 'diag-0001', orderNo: 'K2026112210002', to: 'buyer@example.com', now: time.now(),
    productTitle: 'Steam 钱包充值卡 100元', count: 1, quantity: 1, keys: [KEY], ...over,
  };
}

async function enqueue(config: Config, over: Partial<DeliveryMailInput> = {}) {
  return tdb.database.db.transaction((tx) => enqueueDeliveryMail(tx, delivery(over), { box, config }));
}

async function rows() {
  return tdb.database.db.select().from(mailOutbox).orderBy(mailOutbox.id);
}

describe('outbox.happy', () => {
  it('one delivery: exactly one email, from MAIL_FROM over an authenticated session, with the link and without the key', async () => {
    const config = mailConfig();
    expect(await enqueue(config)).toBe('queued');
    const s = await dispatchMail(deps(config));
    expect(s).toEqual({ sent: 1, retried: 0, failed: 0, unknown: 0 });

    expect(smtp.received).toHaveLength(1);
    const m = smtp.received[0]!;
    expect(m.user).toBe(SMTP_USER);
    expect(m.from).toBe('shop@shop.example');
    expect(m.to).toEqual(['buyer@example.com']);
    expect(m.subject).toContain('K2026112210002');
    expect(m.body).toContain('https://shop.example/?orderNo=K2026112210002');
    expect(m.body).toContain('Steam 钱包充值卡 100元');
    expect(m.body).toContain('查询密码');
    expect(m.raw).not.toContain(KEY);
    expect(m.body).not.toContain(KEY);
    expect(m.raw).toMatch(/^Auto-Submitted: auto-generated/im);

    const [row] = await rows();
    expect(row).toMatchObject({ status: 'sent', attempts: 1, keysEnc: null, lastError: null });
    expect(row!.sentAt).toEqual(time.now());
    // and nothing more to send
    expect(await dispatchMail(deps(config))).toEqual({ sent: 0, retried: 0, failed: 0, unknown: 0 });
    expect(smtp.received).toHaveLength(1);
  });

  it('MAIL_INCLUDE_KEYS=on: the keys are in the email, never in the database in clear, and leave the row once sent', async () => {
    const config = mailConfig({ MAIL_INCLUDE_KEYS: 'on' });
    const keys = [KEY, 'S100-SECRET-0000-0002'];
    expect(await enqueue(config, { keys, count: 2, quantity: 2 })).toBe('queued');

    const [queued] = await tdb.database.rows(sql`select * from mail_outbox`);
    expect(JSON.stringify(queued)).not.toContain('S100-SECRET');
    expect(JSON.parse(await box.decrypt(String(queued!.keys_enc)))).toEqual(keys);

    expect((await dispatchMail(deps(config))).sent).toBe(1);
    expect(smtp.received).toHaveLength(1);
    for (const k of keys) expect(smtp.received[0]!.body).toContain(k);
    const [sent] = await tdb.database.rows(sql`select * from mail_outbox`);
    expect(sent!.keys_enc).toBeNull();
    expect(JSON.stringify(sent)).not.toContain('S100-SECRET');
  });

  it('keys queued while opted in are not sent once the operator opts out', async () => {
    expect(await enqueue(mailConfig({ MAIL_INCLUDE_KEYS: 'on' }))).toBe('queued');
    expect((await dispatchMail(deps(mailConfig()))).sent).toBe(1);
    expect(smtp.received[0]!.raw).not.toContain(KEY);
  });

  it('keys that no longer decrypt (CARD_KEY_SECRET changed): failed, no email, no key in the reason', async () => {
    const config = mailConfig({ MAIL_INCLUDE_KEYS: 'on' });
    await enqueue(config);
    const otherBox = await createSecretBox(newMasterKey());
    expect(await dispatchMail(deps(config, { box: otherBox }))).toEqual({ sent: 0, retried: 0, failed: 1, unknown: 0 });
    expect(smtp.received).toHaveLength(0);
    const [row] = await rows();
    expect(row).toMatchObject({ status: 'failed', keysEnc: null });
    expect(row!.lastError).toMatch(/CARD_KEY_SECRET/);
  });

  it('a duplicate enqueue of the same delivery: still one row and one email', async () => {
    const config = mailConfig();
    expect(await enqueue(config)).toBe('queued');
    expect(await enqueue(config)).toBe('duplicate');
    await dispatchMail(deps(config));
    expect(await enqueue(config)).toBe('duplicate');
    await dispatchMail(deps(config));
    expect(await rows()).toHaveLength(1);
    expect(smtp.received).toHaveLength(1);
  });

  it('is written in the delivery transaction: a rolled-back delivery leaves no email', async () => {
    const config = mailConfig();
    await expect(tdb.database.db.transaction(async (tx) => {
      expect(await enqueueDeliveryMail(tx, delivery(), { box, config })).toBe('queued');
      throw new Error('the delivery failed');
    })).rejects.toThrow('the delivery failed');
    expect(await rows()).toHaveLength(0);
  });

  it('queues nothing without SMTP settings, or without an email address to write to', async () => {
    expect(await enqueue(loadConfig({ CARD_KEY_SECRET: secret }))).toBe('no_mail');
    const config = mailConfig();
    expect(await enqueue(config, { to: '13800138000' })).toBe('no_address');
    expect(await enqueue(config, { to: null })).toBe('no_address');
    expect(await rows()).toHaveLength(0);
  });

  it('speaks smtps:// as well', async () => {
    const tlsSmtp = await startSmtp({ secure: true });
    try {
      const config = mailConfig({}, tlsSmtp.url);
      await enqueue(config);
      const transport = createSmtpTransport(tlsSmtp.url, { timeouts: FAST, tls: { rejectUnauthorized: false } });
      expect((await dispatchMail(deps(config, { transport }))).sent).toBe(1);
      expect(tlsSmtp.received).toHaveLength(1);
    } finally {
      await tlsSmtp.close();
    }
  });
});

describe('at most once', () => {
  it('commits `sending` before it talks to SMTP', async () => {
    const config = mailConfig();
    await enqueue(config);
    const real = createSmtpTransport(config.mail!.smtpUrl, { timeouts: FAST });
    const seen: unknown[] = [];
    const transport = {
      async send(mail: Parameters<typeof real.send>[0]) {
        seen.push(...(await rows()).map((r) => [r.status, r.attempts]));
        return real.send(mail);
      },
    };
    await dispatchMail(deps(config, { transport }));
    expect(seen).toEqual([['sending', 1]]);
  });

  it('a row left `sending` past the lease (its sender died) becomes `unknown` and is never sent', async () => {
    const config = mailConfig();
    await enqueue(config);
    // the dispatcher claimed it and died mid-send
    await tdb.database.db.update(mailOutbox).set({ status: 'sending', attempts: 1, sendingAt: time.now() });
    time.advance(MAIL_LEASE_MS - 1000);
    expect(await dispatchMail(deps(config))).toEqual({ sent: 0, retried: 0, failed: 0, unknown: 0 });
    time.advance(2000);
    const d = deps(config);
    expect(await dispatchMail(d)).toEqual({ sent: 0, retried: 0, failed: 0, unknown: 1 });
    expect(d.lines.join('\n')).not.toContain('buyer@example.com');
    time.advance(48 * 3_600_000);
    await dispatchMail(deps(config));
    expect(smtp.received).toHaveLength(0);
    expect(await rows()).toMatchObject([{ status: 'unknown', attempts: 1 }]);
  });

  it('a server that takes the body and never answers: the dispatcher returns within its timeouts, `unknown`, never resent', async () => {
    const config = mailConfig();
    await enqueue(config);
    smtp.hangAfterData(true);
    const started = Date.now();
    const s = await dispatchMail(deps(config));
    expect(Date.now() - started).toBeLessThan(FAST.totalMs!);
    expect(s).toEqual({ sent: 0, retried: 0, failed: 0, unknown: 1 });
    smtp.hangAfterData(false);
    time.advance(48 * 3_600_000);
    expect((await dispatchMail(deps(config))).sent).toBe(0);
    const [row] = await rows();
    expect(row).toMatchObject({ status: 'unknown', attempts: 1 });
    expect(row!.lastError).toMatch(/ETIMEDOUT/);
  });

  it('two dispatchers at once on one database: each email sent once', async () => {
    const config = mailConfig();
    for (let i = 0; i < 12; i++) await enqueue(config, { deliveryKey: `diag-${i}`, orderNo: `K20261122${String(i).padStart(5, '0')}` });
    const [a, b] = await Promise.all([dispatchMail(deps(config)), dispatchMail(deps(config))]);
    expect(a.sent + b.sent).toBe(12);
    expect(smtp.received).toHaveLength(12);
    expect(new Set(smtp.received.map((m) => m.subject)).size).toBe(12);
  });
});

describe('retries', () => {
  it('a transient refusal (451) is retried after the backoff, then delivered once', async () => {
    const config = mailConfig();
    await enqueue(config);
    smtp.refuse({ at: 'data', code: 451 });
    const d = deps(config);
    expect(await dispatchMail(d)).toEqual({ sent: 0, retried: 1, failed: 0, unknown: 0 });
    let [row] = await rows();
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row!.nextAt).toEqual(new Date(time.now().getTime() + 60_000));
    expect(row!.lastError).toMatch(/451/);
    expect(row!.lastError).not.toContain('buyer@example.com');
    expect(d.lines.join('\n')).not.toContain('buyer@example.com');

    time.advance(30_000);
    expect((await dispatchMail(deps(config))).sent).toBe(0);
    time.advance(31_000);
    expect(await dispatchMail(deps(config))).toEqual({ sent: 1, retried: 0, failed: 0, unknown: 0 });
    expect(smtp.received).toHaveLength(1);
    [row] = await rows();
    expect(row).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it.each([
    ['MAIL FROM', 550, 'mail'],
    ['RCPT TO', 450, 'rcpt'],
  ] as const)('a refusal of %s (%i) before the body: not sent, retried', async (_cmd, code, at) => {
    const config = mailConfig();
    await enqueue(config);
    smtp.refuse({ at, code });
    expect((await dispatchMail(deps(config))).retried).toBe(1);
    time.advance(60_000);
    expect((await dispatchMail(deps(config))).sent).toBe(1);
    expect(smtp.received).toHaveLength(1);
  });

  it('the buyer\'s address refused for good (550 to RCPT TO): failed at once, not retried', async () => {
    const config = mailConfig();
    await enqueue(config);
    smtp.refuse({ at: 'rcpt', code: 550 });
    expect(await dispatchMail(deps(config))).toEqual({ sent: 0, retried: 0, failed: 1, unknown: 0 });
    time.advance(48 * 3_600_000);
    await dispatchMail(deps(config));
    expect(smtp.received).toHaveLength(0);
    const [row] = await rows();
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row!.lastError).toMatch(/550/);
    expect(row!.lastError).not.toContain('buyer@example.com');
  });

  it('a wrong SMTP password is not sent and retried (the operator can fix it)', async () => {
    const config = mailConfig();
    await enqueue(config);
    const wrong = smtp.url.replace(/:[^:@/]+@/, ':nope@');
    const s = await dispatchMail(deps(config, { transport: createSmtpTransport(wrong, { timeouts: FAST }) }));
    expect(s.retried).toBe(1);
    expect((await rows())[0]!.lastError).toMatch(/EAUTH/);
  });

  it('a server that is down: not sent, retried', async () => {
    const url = await deadAddress();
    const config = mailConfig({}, url);
    await enqueue(config);
    const s = await dispatchMail(deps(config));
    expect(s.retried).toBe(1);
    expect((await rows())[0]!.lastError).toMatch(/ECONNREFUSED/);
  });

  it('a server that accepts the connection and never greets: the dispatcher returns within its timeouts, retried later', async () => {
    const silent = await startSilentServer();
    try {
      const config = mailConfig({}, silent.url);
      await enqueue(config);
      const started = Date.now();
      const s = await dispatchMail(deps(config));
      expect(Date.now() - started).toBeLessThan(FAST.greetingMs! + 2000);
      expect(s.retried).toBe(1);
      expect(silent.connections).toBe(1);
      expect((await rows())[0]!.lastError).toMatch(/GREETING_TIMEOUT/);
    } finally {
      await silent.close();
    }
  });

  it('gives up after about a day of definite failures: failed, with the last reason, keys dropped', async () => {
    const config = mailConfig({ MAIL_INCLUDE_KEYS: 'on' });
    await enqueue(config);
    const url = await deadAddress();
    const d = deps(config, { transport: createSmtpTransport(url, { timeouts: FAST }) });
    let attempts = 0;
    for (; attempts < 20; attempts++) {
      const s = await dispatchMail(d);
      if (s.failed) break;
      expect(s.retried).toBe(1);
      const [row] = await rows();
      time.advance(row!.nextAt.getTime() - time.now().getTime());
    }
    const [row] = await rows();
    expect(row).toMatchObject({ status: 'failed', keysEnc: null });
    expect(row!.lastError).toMatch(/ECONNREFUSED/);
    expect(row!.attempts).toBeGreaterThanOrEqual(8);
    expect(time.now().getTime() - new Date(START).getTime()).toBeLessThanOrEqual(24 * 3_600_000);
    expect(time.now().getTime() - new Date(START).getTime()).toBeGreaterThan(18 * 3_600_000);
  });
});

describe('startMailLoop', () => {
  it('sends what is queued on its interval, and stop() waits for the dispatch in progress', async () => {
    const config = mailConfig();
    await enqueue(config);
    const d = deps(config);
    const loop = startMailLoop(d, 20);
    for (let i = 0; i < 250 && smtp.received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await loop.stop();
    expect(smtp.received).toHaveLength(1);
    expect((await rows())[0]!.status).toBe('sent');
    expect(d.lines).toContain('mail: {"sent":1,"retried":0,"failed":0,"unknown":0}');
  });
});

describe('without mail settings', () => {
  it('the dispatcher does nothing', async () => {
    const config = loadConfig({ CARD_KEY_SECRET: secret });
    expect(await dispatchMail({ database: tdb.database, box, config, now: time.now })).toEqual({ sent: 0, retried: 0, failed: 0, unknown: 0 });
  });
});

