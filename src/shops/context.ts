import type { Database } from '../db/client.ts';
import type { SecretBox } from '../crypto/secret-box.ts';

/**
 * What every shop adapter's context carries besides its own database handle, built once at
 * connect (each adapter's index.ts): each adapter's context extends this with its tables and server.
 */
export interface ShopContext {
  box: SecretBox;
  now: () => Date;
  autoWindowMs: number;
  manualWindowMs: number;
  /** order-doctor's own database: where the selection cursor over the shop's orders is kept */
  own: Database;
  /** names this shop's database in order-doctor's own records (the cursor's key) */
  identity: string;
}
