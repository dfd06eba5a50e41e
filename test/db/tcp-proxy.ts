/**
 * A TCP proxy in front of a real server whose behaviour a test switches, to play a database that
 * goes away and comes back: `forward` (a plain pipe), `refuse` (every connection dropped, the port
 * closed: ECONNREFUSED), `blackhole` (connections stay open and nothing moves either way: a hung
 * server or a network partition). Leaving `blackhole` drops the frozen connections.
 */
import net from 'node:net';

export type ProxyMode = 'forward' | 'refuse' | 'blackhole';

export interface TcpProxy {
  port: number;
  mode(next: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
}

export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let current: ProxyMode = 'forward';
  const pairs = new Set<Pair>();
  const drop = (p: Pair) => {
    p.client.destroy();
    p.upstream?.destroy();
    pairs.delete(p);
  };
  const server = net.createServer((client) => {
    const pair: Pair = { client };
    pairs.add(pair);
    client.on('error', () => drop(pair));
    client.on('close', () => drop(pair));
    if (current === 'blackhole') {
      client.pause();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on('error', () => drop(pair));
    upstream.on('close', () => drop(pair));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    async mode(next) {
      if (next === current) return;
      const previous = current;
      current = next;
      if (next === 'blackhole') {
        // nothing moves any more, but nothing is closed: bytes wait in the kernel's buffers
        for (const p of pairs) {
          p.client.unpipe();
          p.upstream?.unpipe();
          p.client.pause();
          p.upstream?.pause();
        }
        if (previous === 'refuse') await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
        return;
      }
      for (const p of [...pairs]) drop(p);
      if (next === 'refuse') await new Promise<void>((r) => server.close(() => r()));
      else if (previous === 'refuse') await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    },
    async close() {
      for (const p of [...pairs]) drop(p);
      if (server.listening) await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
