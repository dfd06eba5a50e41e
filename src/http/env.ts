import type { Services } from '../services.ts';
import type { BuyerLimits } from './rate-limits.ts';
import type { LogContext } from '../observability/context.ts';

/** What every request handler can reach through c.get(). */
export type AppEnv = {
  Variables: {
    svc: Services;
    limits: BuyerLimits;
    /** the request's id, for every log line written for it (observability/http.ts) */
    logContext: LogContext;
    /** more facts for /healthz (the sweep's last run) */
    healthExtras?: () => Promise<Record<string, unknown>>;
  };
};
