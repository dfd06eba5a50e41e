import { defineConfig } from 'drizzle-kit';

// Migrations are generated from src/db/schema.ts and applied by src/db/migrate.ts to both
// PGlite and Postgres.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './migrations',
});
