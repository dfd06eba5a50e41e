/**
 * Stands in for undici on Workers (wrangler.toml `[alias]`): net/http-client.ts hands fetch an
 * undici Agent for its keep-alive pool and connect/header/body deadlines, which only Node has.
 * Workers pool outbound connections themselves, and the client's own attempt deadline (an abort
 * signal from connect to the last body byte) still bounds every call, so the pool has nothing to
 * do here. workerd ignores the unknown `dispatcher` field of the request init.
 */
export class Agent {
  constructor(_opts?: unknown) {}
  async close(): Promise<void> {}
}
