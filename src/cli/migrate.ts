import type { Config } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { join } from 'node:path';
import { parse } from './main.ts';

export async function migrateCommand(args: string[], config: Config): Promise<number> {
  parse(args, {});
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.databaseUrl ? undefined : join(config.dataDir, 'pg') });
  try {
    await migrateDatabase(database);
    console.log(`migrations applied (${database.kind})`);
    return 0;
  } finally {
    await database.close();
  }
}
