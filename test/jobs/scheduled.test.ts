/**
 * The Workers cron entry: the same verb, in bounded batches, awaited and handed to waitUntil.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../src/services.ts';
import { scheduledHandler } from '../../src/jobs/scheduled.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { movableClock, stuckWorld, sweepServices } from './support.ts';

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
});
