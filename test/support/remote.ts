/**
 * The bindings @hono/node-server hands an app for one request, reduced to the socket's address:
 * `app.request(path, init, from('203.0.113.7'))` is a request from that address, as the server
 * would see it (getConnInfo reads `incoming.socket`), without a socket of its own.
 */
export function from(address: string) {
  return { incoming: { socket: { remoteAddress: address, remotePort: 50_000, remoteFamily: address.includes(':') ? 'IPv6' : 'IPv4' } } };
}

/** A request from this machine. */
export const LOOPBACK = from('127.0.0.1');
