/**
 * The buyer-facing rate-limit policy (src/http/rate-limits.ts) on a fake clock: per source a volume
 * limit and a growing delay after failures; per resolved order a higher bar that counts only failed
 * verifications and never shuts out a source that has not failed on it; bounded memory.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createBuyerLimits, networkOf, sourceOf, type BuyerLimits } from '../../src/http/rate-limits.ts';
import { postgresLimitStore } from '../../src/http/rate-limit-store-postgres.ts';
import { requires } from '../support/requires.ts';
import { freshPostgres, POSTGRES_URL, type TestDatabase } from '../support/db.ts';

const PG = await requires('postgres');

const MIN = 60_000;

describe('sources', () => {
  it('an IPv4 address is a source; IPv6 is counted by its /64; a v4-mapped address is its IPv4', () => {
    expect(sourceOf('203.0.113.7')).toBe('203.0.113.7');
    expect(sourceOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(sourceOf('2001:db8:1:2:aaaa::1')).toBe(sourceOf('2001:0db8:0001:0002:ffff:ffff:ffff:fffe'));
    expect(sourceOf('2001:db8:1:2::1')).not.toBe(sourceOf('2001:db8:1:3::1'));
    expect(sourceOf('fe80::1%eth0')).toBe(sourceOf('fe80::2'));
    expect(sourceOf('unknown')).toBe('unknown');
    // the order guard remembers wider networks: /24 and /48
    expect(networkOf('203.0.113.7')).toBe(networkOf('203.0.113.200'));
    expect(networkOf('2001:db8:1:2::1')).toBe(networkOf('2001:db8:1:ff::1'));
    expect(networkOf('2001:db8:1:2::1')).not.toBe(networkOf('2001:db8:2:2::1'));
  });
});
/** The policy's table, run against a store: the same answers in memory and shared through Postgres. */
function policy(limitsOn: () => (now: () => number) => BuyerLimits) {
  const make = (now: () => number) => limitsOn()(now);
  describe('per source: volume', async () => {
    it('30 lookups at once, then one every 20 s; other sources are not affected', async () => {
      let t = 0;
      const limits = make(() => t);
      for (let i = 0; i < 30; i++) expect(await limits.lookup('1.2.3.4')).toBe(0);
      expect(await limits.lookup('1.2.3.4')).toBe(20);
      expect(await limits.lookup('5.6.7.8')).toBe(0);
      t += 20_000;
      expect(await limits.lookup('1.2.3.4')).toBe(0);
      expect(await limits.lookup('1.2.3.4')).toBeGreaterThan(0);
      t += 10 * MIN;
      for (let i = 0; i < 30; i++) expect(await limits.lookup('1.2.3.4')).toBe(0);
    });

    it('one IPv6 /64 is one source, whichever address in it asks', async () => {
      const limits = make(() => 0);
      for (let i = 0; i < 30; i++) expect(await limits.lookup(`2001:db8:0:1::${(i + 1).toString(16)}`)).toBe(0);
      expect(await limits.lookup('2001:db8:0:1:ffff::1')).toBeGreaterThan(0);
      expect(await limits.lookup('2001:db8:0:2::1')).toBe(0);
    });
  });

  describe('per source: a growing delay after failures', async () => {
    it('5 failures are free; then 2 s, 4 s, 8 s ... after the last one, at most 10 min; it drains', async () => {
      let t = 0;
      const limits = make(() => t);
      const fail = () => limits.verification('9.9.9.9').failed(undefined, false);
      for (let i = 0; i < 5; i++) {
        expect(await limits.lookup('9.9.9.9')).toBe(0);
        await fail();
      }
      expect(await limits.lookup('9.9.9.9')).toBe(0);
      await fail(); // the 6th
      expect(await limits.lookup('9.9.9.9')).toBe(2);
      t += 2000;
      expect(await limits.lookup('9.9.9.9')).toBe(0);
      await fail(); // the 7th
      expect(await limits.lookup('9.9.9.9')).toBe(4);
      for (let i = 0; i < 20; i++) await fail();
      expect(await limits.lookup('9.9.9.9')).toBe(600); // capped: a delay, never a lock-out
      t += 10 * MIN;
      expect(await limits.lookup('9.9.9.9')).toBe(0);
      // the level drains by one every 10 min: a day later the source starts afresh
      t += 24 * 60 * MIN;
      await fail();
      expect(await limits.lookup('9.9.9.9')).toBe(0);
      // someone else is not delayed by it
      expect(await limits.lookup('9.9.9.10')).toBe(0);
    });

    it('a verified buyer is not delayed by successes', async () => {
      const limits = make(() => 0);
      for (let i = 0; i < 25; i++) await limits.verification('7.7.7.7').verified(`K${i}`);
      expect(await limits.lookup('7.7.7.7')).toBe(0);
    });
  });

  describe('per order: a higher bar that counts failures against the resolved order', async () => {
    it('below 20 failures every source may try; from 20 a source that failed twice on it may not; others still may', async () => {
      let t = 0;
      const limits = make(() => t);
      const from = (i: number) => limits.verification(`10.${i}.0.1`);
      for (let i = 0; i < 19; i++) {
        expect(await from(i).admit('K1')).toBe(true);
        await from(i).failed('K1', false);
      }
      // one network failing twice below the bar is still admitted
      expect(await from(0).admit('K1')).toBe(true);
      await from(0).failed('K1', false); // the 20th: the order is guarded now
      expect(await from(0).admit('K1')).toBe(false);
      expect(await from(1).admit('K1')).toBe(true); // failed once: one more try (a typo is not a lock-out)
      expect(await from(200).admit('K1')).toBe(true); // the real buyer, from anywhere else
      expect(await from(0).admit('K2')).toBe(true); // another order is another matter
      // the order's level drains (one per 15 min): a day later the guard is off
      t += 24 * 60 * MIN;
      expect(await from(0).admit('K1')).toBe(true);
    });

    it('from 100 failures only networks that opened the order before may try: guesses per order are bounded, whatever the addresses', async () => {
      const limits = make(() => 0);
      await limits.verification('198.51.100.7').verified('K1'); // the buyer, earlier today
      let admitted = 0;
      for (let i = 0; i < 1000; i++) {
        const g = limits.verification(`10.${i % 250}.${Math.floor(i / 250)}.1`);
        if (!(await g.admit('K1'))) {
          await g.failed('K1', true);
          continue;
        }
        admitted++;
        await g.failed('K1', false);
      }
      expect(admitted).toBe(100);
      expect(await limits.verification('192.0.2.1').admit('K1')).toBe(false);
      expect(await limits.verification('198.51.100.99').admit('K1')).toBe(true); // the buyer's network
    });

    it('refused tries delay the source but do not count against the order', async () => {
      const limits = make(() => 0);
      for (let i = 0; i < 20; i++) await limits.verification(`10.${i}.0.1`).failed('K1', false);
      const g = limits.verification('10.0.0.1');
      await g.failed('K1', false);
      for (let i = 0; i < 50; i++) await g.failed('K1', true);
      expect(await limits.lookup('10.0.0.1')).toBeGreaterThan(0);
      // 71 failures were refused or counted once per network: the order is guarded, not closed
      expect(await limits.verification('10.250.0.1').admit('K1')).toBe(true);
    });

    it('counts failures per order and says how many', async () => {
      const limits = make(() => 0);
      expect(await limits.verification('1.1.1.1').failed('K1', false)).toBe(1);
      expect(await limits.verification('1.1.1.2').failed('K1', false)).toBe(2);
      expect(await limits.verification('1.1.1.2').failed(undefined, false)).toBeUndefined();
    });
  });

  describe('reveals', async () => {
    it('8 per 10 minutes per order and source, 40 per source', async () => {
      const limits = make(() => 0);
      for (let i = 0; i < 8; i++) expect(await limits.reveal('1.1.1.1', 'K1')).toBe(0);
      expect(await limits.reveal('1.1.1.1', 'K1')).toBeGreaterThan(0);
      for (let o = 2; o <= 5; o++) for (let i = 0; i < 8; i++) await limits.reveal('1.1.1.1', `K${o}`);
      expect(await limits.reveal('1.1.1.1', 'K6')).toBeGreaterThan(0);
    });
  });
}

describe('in memory (one process; PGlite)', () => {
  policy(() => (now) => createBuyerLimits(true, now));
});

describe.skipIf(!PG)('shared through Postgres (every process on the database)', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await freshPostgres(POSTGRES_URL!);
  });
  afterAll(async () => {
    await tdb?.drop();
  });
  beforeEach(async () => {
    await tdb.database.db.execute(sql`truncate buyer_limits`);
  });
  policy(() => (now) => createBuyerLimits(true, now, { store: postgresLimitStore(tdb.database) }));
});

describe('memory', () => {
  it('stays bounded however many sources and orders come by (IPv6 included)', async () => {
    const limits = createBuyerLimits(true, () => 0, { maxEntries: 1000 });
    for (let i = 0; i < 20_000; i++) {
      const ip = `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`;
      await limits.lookup(ip);
      await limits.verification(ip).failed(`K${i}`, false);
      await limits.reveal(ip, `K${i}`);
    }
    expect(await limits.tracked()).toBeLessThanOrEqual(7 * 1000);
  });
});

describe('RATE_LIMITS=off', () => {
  it('lifts them all', async () => {
    const limits = createBuyerLimits(false);
    for (let i = 0; i < 200; i++) {
      expect(await limits.lookup('1.1.1.1')).toBe(0);
      expect(await limits.verification('1.1.1.1').admit('K1')).toBe(true);
      await limits.verification('1.1.1.1').failed('K1', false);
      expect(await limits.reveal('1.1.1.1', 'K1')).toBe(0);
    }
  });
});
