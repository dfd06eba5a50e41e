/**
 * Every migrations/*.sql, bundled as text (wrangler.toml [[rules]] "Text"), by its journal tag.
 * Listed by hand because esbuild's glob imports bypass wrangler's module rules; a migration added
 * to the folder but not here fails test/worker/bundled-migrations.test.ts, and one the journal
 * names but this list lacks stops the Worker's migration (worker/migrations.ts) before it starts.
 */
import m0000 from '../../migrations/0000_init.sql';
import m0001 from '../../migrations/0001_sweep_runs.sql';
import m0002 from '../../migrations/0002_sweep_run_heartbeat.sql';
import m0003 from '../../migrations/0003_stock_fifo_index.sql';
import m0004 from '../../migrations/0004_shared_rate_limits.sql';
import m0005 from '../../migrations/0005_sweep_done_in_queue.sql';
import m0006 from '../../migrations/0006_shop_port.sql';
import m0007 from '../../migrations/0007_console.sql';
import m0008 from '../../migrations/0008_tickets_sla.sql';
import m0009 from '../../migrations/0009_shop_push.sql';
import m0010 from '../../migrations/0010_console_incidents.sql';
import m0011 from '../../migrations/0011_orders_gateway_order_no.sql';
import m0012 from '../../migrations/0012_shared_buyer_limits.sql';

export const MIGRATION_SQL: Record<string, string> = {
  '0000_init': m0000,
  '0001_sweep_runs': m0001,
  '0002_sweep_run_heartbeat': m0002,
  '0003_stock_fifo_index': m0003,
  '0004_shared_rate_limits': m0004,
  '0005_sweep_done_in_queue': m0005,
  '0006_shop_port': m0006,
  '0007_console': m0007,
  '0008_tickets_sla': m0008,
  '0009_shop_push': m0009,
  '0010_console_incidents': m0010,
  '0011_orders_gateway_order_no': m0011,
  '0012_shared_buyer_limits': m0012,
};
