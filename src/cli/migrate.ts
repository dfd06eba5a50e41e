import type { Config } from '../config.ts';
import { openConfiguredDatabase } from '../services.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { parse } from './args.ts';

export async function migrateCommand(args: string[], config: Config): Promise<number> {
  parse(args, {});
  const database = await openConfiguredDatabase(config);
  try {
    await migrateDatabase(database);
    console.log(`migrations applied (${database.kind})`);
    return 0;
  } finally {
    await database.close();
  }
}
