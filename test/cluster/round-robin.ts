/**
 * A small round-robin proxy on loopback, as a load balancer in front of N processes: each request
 * goes to the next backend, with the client's address in X-Forwarded-For as a proxy writes it (the
 * backends run with TRUST_PROXY=on). The test stands in for many clients: it names the address a
 * request comes from in `x-client-ip`. Each answer says which backend gave it (`x-backend`).
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobin {
  url: string;
  close(): Promise<void>;
}

export async function roundRobin(ports: number[]): Promise<RoundRobin> {
  let next = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const backend = next++ % ports.length;
    const { 'x-client-ip': client, ...headers } = req.headers;
    headers['x-forwarded-for'] = String(client ?? req.socket.remoteAddress);
    const upstream = request({ host: '127.0.0.1', port: ports[backend], method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-backend': String(backend) });
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
