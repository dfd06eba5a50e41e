/**
 * How the gateway sandboxes play the faults that have no protocol body: a connection that drops,
 * an answer that never comes. Shared so every protocol fails the same way (latency: ../latency.ts).
 */
import type { Context } from 'hono';

/** How long a "timeout" answer hangs at most, so tests and scenario runs always end. */
const MAX_HANG_MS = 60_000;

/** "Connection refused/reset" as faithfully as an in-process server can: kill the socket. */
export function dropConnection(c: Context): Response {
  const socket = (c.env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming?.socket;
  if (socket) {
    socket.destroy();
    return new Response(null, { status: 500 }); // never reaches the client
  }
  // Served without a socket (app.request, Workers): the closest is an answer that is no answer.
  return Response.error();
}

/**
 * No answer within any sane timeout: resolves once the client gives up (its request aborts or,
 * with `watchSocket`, its socket closes), or after MAX_HANG_MS.
 */
export async function untilClientGivesUp(c: Context, opts: { watchSocket?: boolean } = {}): Promise<void> {
  const signal = c.req.raw.signal;
  const socket = opts.watchSocket
    ? (c.env as { incoming?: { socket?: NodeJS.EventEmitter } } | undefined)?.incoming?.socket
    : undefined;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket?.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, MAX_HANG_MS);
    signal.addEventListener('abort', done, { once: true });
    socket?.once('close', done);
  });
}

/**
 * The two faults below every protocol, played the same way by every sandbox: `unreachable` drops
 * the connection, `timeout` answers nothing until the client gives up (then a bare 504 from the
 * gateway's front, or with `dropAfterTimeout` the socket simply closes). Other states: undefined.
 */
export function transportFault(
  c: Context,
  state: string,
  opts: { dropAfterTimeout?: boolean } = {},
): Response | Promise<Response> | undefined {
  if (state === 'unreachable') return dropConnection(c);
  if (state !== 'timeout') return undefined;
  return opts.dropAfterTimeout
    ? untilClientGivesUp(c, { watchSocket: true }).then(() => dropConnection(c))
    : untilClientGivesUp(c).then(() => c.body(null, 504));
}
