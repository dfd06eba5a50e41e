/**
 * Serves the sandbox on its own loopback port, so the real adapters reach it over real HTTP in
 * every process (serve, sweep, diagnose, scenarios), whether or not a public server runs.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { sandboxApp } from './app.ts';
import type { SandboxContext } from './types.ts';

/** Where the sandbox upstreams answer: a loopback port here, or in-process (sandbox/in-process.ts). */
export interface SandboxListener {
  baseUrl: string;
  /** what reaches `baseUrl` when the global fetch cannot (nothing listens on a socket) */
  fetch?: typeof fetch;
  close(): Promise<void>;
}

export async function listenSandbox(ctx: SandboxContext): Promise<SandboxListener> {
  const root = new Hono().route('/sandbox', sandboxApp(ctx));
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: root.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // hanging "timeout" answers must not keep the process alive
        (server as Server).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
