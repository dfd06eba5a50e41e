import type { Services } from '../services.ts';
import type { BuyerLimits } from './rate-limits.ts';

/** What every request handler can reach through c.get(). */
export type AppEnv = {
  Variables: {
    svc: Services;
    limits: BuyerLimits;
    /** more facts for /healthz (the sweep's last run) */
    healthExtras?: () => Promise<Record<string, unknown>>;
  };
};
