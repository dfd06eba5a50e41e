/**
 * The Workers cron entry: the same verb, in bounded batches, awaited and handed to waitUntil.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../src/services.ts';
import { scheduledHandler } from '../../src/jobs/scheduled.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { movableClock, stuckWorld, sweepServices } from './support.ts';
import { startReceiver } from '../push/receiver.ts';

describe('scheduled handler', () => {
  let tdb: TestDatabase;
  let seeded: Services;
  const clock = movableClock('2026-11-22T10:00:00+08:00');

  beforeAll(async () => {
    tdb = await testDatabase();
    seeded = await sweepServices(tdb.database, stuckWorld(clock.now(), 5), { clock });
  });
  afterAll(async () => {
    await seeded?.close();
    await tdb?.drop();
  });

  it('sweeps at most its batch per invocation; the next invocation takes the rest', async () => {
    const waited: Promise<unknown>[] = [];
    const handler = scheduledHandler(
      () => createServices(seeded.config, { database: tdb.database, migrated: true, now: clock.now }),
      { limit: 3 },
    );
    const ctx = { waitUntil: (p: Promise<unknown>) => { waited.push(p); } };
    const first = await handler({ cron: '* * * * *' }, {}, ctx);
    expect(first.picked).toBe(3);
    expect(first.byAction).toEqual({ reissued: 3 });
    const second = await handler({ cron: '* * * * *' }, {}, ctx);
    expect(second.picked).toBe(2);
    expect(waited).toHaveLength(2);
    expect((await handler({}, {}, ctx)).picked).toBe(0);
  });

  it('sends the webhooks a pushing shop is owed for what the run delivered (Workers has no serve loop to do it)', async () => {
    const receiver = await startReceiver();
    try {
      const world = await testDatabase();
      const env = { SHOP_PUSH_SECRET: 'test-push-secret-0123456789abcdef0123456789', SHOP_WEBHOOK_URL: receiver.url };
      const svc = await sweepServices(world.database, stuckWorld(clock.now(), 2), { clock, env });
      try {
        const handler = scheduledHandler(() => createServices(svc.config, { database: world.database, migrated: true, now: clock.now }));
        const run = await handler({ cron: '* * * * *' }, {}, { waitUntil: () => {} });
        expect(run.byAction).toEqual({ reissued: 2 });
        const events = receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: { orderNo: string } });
        expect(events.map((e) => e.type)).toEqual(['keys.delivered', 'keys.delivered']);
        expect(new Set(events.map((e) => e.data.orderNo)).size).toBe(2);
      } finally {
        await svc.close();
        await world.drop();
      }
    } finally {
      await receiver.close();
    }
  });
});
