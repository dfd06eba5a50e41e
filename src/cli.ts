/**
 * `order-doctor`: serve, migrate, diagnose, scenarios, agents create (sweep and report arrive
 * with their own issues). Bad input: one line naming what is wrong, a non-zero exit, nothing written.
 */
import { runCli } from './cli/main.ts';

process.exitCode = await runCli(process.argv.slice(2));
