/**
 * Dispatchers racing over one outbox on a real Postgres, each on its own connection pool (as
 * separate processes would be): the work is shared and every email goes out exactly once. PGlite
 * is a single connection, so this runs only on the real Postgres (CI sets DATABASE_URL); without
 * it the test is reported as skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../../src/config.ts';
import { createSecretBox, newMasterKey } from '../../src/crypto/secret-box.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { mailOutbox } from '../../src/db/schema.ts';
import { dispatchMail } from '../../src/jobs/mail.ts';
import { enqueueDeliveryMail } from '../../src/mail/outbox.ts';
import { createSmtpTransport } from '../../src/mail/transport.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';
import { requires } from '../support/requires.ts';
import { startSmtp, type TestSmtp } from './smtp.ts';

const PG = await requires('postgres');

const N = 60;

describe.skipIf(!PG)('mail dispatchers racing on real Postgres', () => {
  let tdb: TestDatabase;
  let second: Database;
  let smtp: TestSmtp;

  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!, 10);
    second = await openDatabase({ url: tdb.url!, maxConnections: 10 });
    // a little latency per message, so that the dispatchers overlap
    smtp = await startSmtp({ replyDelayMs: 5 });
  });
  afterAll(async () => {
    await smtp?.close();
    await second?.close();
    await tdb?.drop();
  });

  it('four dispatchers on two pools share the outbox: every email sent once, none twice', async () => {
    const secret = newMasterKey();
    const box = await createSecretBox(secret);
    const config = loadConfig({ CARD_KEY_SECRET: secret, SMTP_URL: smtp.url, MAIL_FROM: 'shop@shop.example', PUBLIC_URL: 'https://shop.example' });
    const now = () => new Date('2026-11-22T10:00:00+08:00');
    await tdb.database.db.transaction(async (tx) => {
      for (let i = 0; i < N; i++) {
        await enqueueDeliveryMail(tx, {
          deliveryKey: `diag-${i}`, orderNo: `K20261122${String(i).padStart(5, '0')}`, to: `buyer${i}@example.com`, now: now(),
          productTitle: 'Steam 钱包充值卡 100元', count: 1, quantity: 1,
        }, { box, config });
      }
    });

    const dispatcher = (database: Database) =>
      dispatchMail({ database, box, config, now, transport: createSmtpTransport(config.mail!.smtpUrl), log: () => {} }, { limit: N });
    const results = await Promise.all([dispatcher(tdb.database), dispatcher(second), dispatcher(tdb.database), dispatcher(second)]);

    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(N);
    expect(results.filter((r) => r.sent > 0).length).toBeGreaterThan(1);
    expect(results.every((r) => r.retried + r.failed + r.unknown === 0)).toBe(true);
    expect(smtp.received).toHaveLength(N);
    const recipients = smtp.received.map((m) => m.to.join());
    expect(new Set(recipients).size).toBe(N);
    const [{ n } = { n: 0 }] = await tdb.database.rows<{ n: number }>(sql`select count(*)::int as n from ${mailOutbox} where status = 'sent' and attempts = 1`);
    expect(Number(n)).toBe(N);
  });
});
