/**
 * The Cloudflare Workers entry: the same hono app (API, buyer page, agents' console) on `fetch`,
 * the same sweep verb on `scheduled`. Only this entry, the database set-up and the reading of the
 * configuration differ from Node (src/worker/).
 *
 * Services (and the postgres.js client under them) are built per invocation and closed after it:
 * an isolate's sockets belong to the request that opened them, so nothing is kept at global scope.
 */
import './worker/assets.ts';
import { scheduledHandler } from './jobs/scheduled.ts';
import { handleFetch } from './worker/fetch.ts';
import { workerServices } from './worker/services.ts';

export default {
  fetch: handleFetch,
  scheduled: scheduledHandler(workerServices),
};
