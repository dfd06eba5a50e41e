/**
 * A scratch database for a bench, made next to an admin URL on the same Postgres server and dropped
 * (even with connections still open) when the bench is done with it.
 *
 * @example
 * const scratch = await scratchPostgres('postgres://postgres@127.0.0.1:5432/postgres', 'od_bench');
 * try { ... scratch.url ... } finally { await scratch.drop(); }
 */
import postgres from 'postgres';

export async function scratchPostgres(adminUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  // two benches (or one bench's two servers) started in the same millisecond get different names
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (err) {
    await admin.end();
    throw err;
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
      await admin.end();
    },
  };
}
