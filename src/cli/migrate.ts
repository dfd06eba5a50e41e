import type { Config } from '../config.ts';
import { openConfiguredDatabase } from '../services.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { parse, UsageError } from './args.ts';

export async function migrateCommand(args: string[], config: Config): Promise<number> {
  const { positionals } = parse(args, {});
  if (positionals.length) throw new UsageError(`migrate: unexpected argument '${positionals[0]}'`);
  const database = await openConfiguredDatabase(config);
  try {
    await migrateDatabase(database);
    console.log(`migrations applied (${database.kind})`);
    return 0;
  } finally {
    await database.close();
  }
}
