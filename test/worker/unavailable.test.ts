/**
 * When the database or the configuration fails a Worker invocation, the buyer still gets
 * problem+json: a database that refuses connections is a 503 with Retry-After, a configuration the
 * Worker cannot run with a 500 naming nothing, a database the Worker could not migrate a 503 (the
 * next request tries again), never a 500. The Worker's own fetch handler, run in Node:
 * `wrangler dev`'s local Hyperdrive stand-in itself crashes when the database refuses it, so the
 * runtime test cannot play this.
 */
import { describe, expect, it } from 'vitest';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import { MigrationFailed } from '../../src/db/migrate.ts';
import { handleFetch } from '../../src/worker/fetch.ts';
import { unavailable } from '../../src/worker/unavailable.ts';

// port 9 (discard): nothing listens on it here, so every connection is refused at once
const DEAD = { connectionString: 'postgres://u:p@127.0.0.1:9/od' };

async function check(env: Record<string, unknown>): Promise<Response> {
  const waits: Promise<unknown>[] = [];
  const res = await handleFetch(new Request('http://worker.test/api/v1/orders/K2026112210001/check', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: '4821' }),
  }), env, { waitUntil: (p) => waits.push(p) });
  await Promise.all(waits);
  return res;
}

describe('the Worker\'s fetch when it cannot work', () => {
  it('answers 503 problem+json with Retry-After when the database refuses connections', async () => {
    const res = await check({ HYPERDRIVE: DEAD, CARD_KEY_SECRET: newMasterKey(), RATE_LIMITS: 'off' });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.text()).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|u:p/);
  });

  it('answers 500 problem+json naming nothing when the master key is missing', async () => {
    const res = await check({ HYPERDRIVE: DEAD });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.text()).not.toContain('CARD_KEY_SECRET');
  });

  it('answers 503 problem+json with Retry-After when the database could not be migrated, naming nothing', async () => {
    const failed = new MigrationFailed(Object.assign(new Error('relation "agents" already exists'), { code: '42P07' }));
    const res = await unavailable(failed).fetch(new Request('http://worker.test/api/v1/orders/K2026112210001/check', { method: 'POST' }));
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.text()).not.toMatch(/agents|42P07|migrat/);
  });
});
