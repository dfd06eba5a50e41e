/** A shop's webhook endpoint on a real loopback port: records every request, answers as told. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** the statuses to answer with, in order; when empty, `fallback` */
  script: number[];
  fallback: number;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hooks/order-doctor'): Promise<Receiver> {
  const r = { received: [] as Received[], script: [] as number[], fallback: 200 } as Receiver;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(r.script.shift() ?? r.fallback, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  r.close = () => new Promise((resolve) => server.close(() => resolve()));
  return r;
}
