/**
 * Stands in for PGlite on Workers (wrangler.toml `[alias]`): a Worker has no disk for the embedded
 * database and always runs on Postgres through Hyperdrive, so the 700 KB of PGlite stay out of the
 * bundle. Reached only by a mistake, which says so.
 */
export class PGlite {
  constructor() {
    throw new Error('PGlite is not available on Workers: bind Hyperdrive (DATABASE_URL) instead');
  }
}

/** drizzle's PGlite driver reads the type ids at load time; never used without a PGlite. */
export const types = {};
