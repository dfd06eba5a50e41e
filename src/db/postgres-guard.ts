/**
 * postgres.js 3.4.9 with the fix for its process-killing write on a dead connection, applied in
 * memory when a client is built: never to node_modules, no install script, no other copy on disk.
 *
 * **The bug** (porsager/postgres#1208, #1154, #1066; fixes proposed in PRs #1209, #1168, #1176, none
 * released: 3.4.9 is the newest version on the registry). When Postgres drops a connection
 * (`pg_terminate_backend`, a failover, a pooler restart), `closed()` sets the connection's `socket`
 * to null. A transaction's own ROLLBACK (`sql.begin`), or the next query on a reserved connection,
 * is then written to that connection: `write()` buffers it and schedules `nextWrite` with
 * `setImmediate`, which calls `socket.write` on null. The TypeError is thrown from the immediate, out
 * of reach of any `try`, and the process exits (issue 10, defect 1: 4 of 4 runs at 8 clients).
 * A second defect sits next to it (LanternOps/breeze#3225): `closed()` and `terminate()` cancel the
 * scheduled write without forgetting it, so a connection that closed with a write pending never
 * schedules one again (its next startup message waits forever) and could send the dead session's
 * bytes to the next one.
 *
 * **The other one** (porsager/postgres#1192, #1205, #1223; #279 closed in 2022 as not reproducible):
 * every new connection first fetches the array types (`fetch_types`) from an async function whose
 * promise `ReadyForQuery` drops. A connection terminated during that fetch rejects it, nobody
 * handles the rejection, and Node exits (found by test/db/terminate.pg.test.ts once the first bug
 * was fixed). And the terminated backend's error response, kept in `errorResponse` across the
 * reconnect, is replayed onto the first query of the new session.
 *
 * **The fix**, exact text replacements in `connection.js` (each must match once, else
 * `guardedPostgres` throws naming this file: after a postgres upgrade, check whether the release
 * fixed these and delete this file, or re-fit the replacements):
 * 1. `write()` on a connection without a socket buffers nothing; on the next turn (as the buffered
 *    write would have failed) the queries waiting on that dead session are rejected with
 *    `CONNECTION_CLOSED`, a catchable error, and the connection goes back to the pool's closed ones
 *    (so a reserved or transaction connection is not left counted as busy forever).
 * 2. `nextWrite()` without a socket drops its chunk (defensive: after 1 it is not reached).
 * 3. `closed()` and `terminate()` forget the pending write (`nextWriteTimer = chunk = null`), and
 *    `closed()` the dead session's error response (`errorResponse = null`).
 * 4. The array-type fetch's promise is handled (`.catch(noop)`): its failure already reaches the
 *    query that opened the connection, through `errored()`.
 * 5. `closed()` after a socket error also fails the queries still on the connection: the 'error'
 *    handler rejected those it saw, but a query handed to the connection between the 'error' and
 *    the 'close' events (the pool still counted it open) was written to a dead socket and waited
 *    forever. And the settled query is forgotten, or `end()` waits for it forever (near
 *    porsager/postgres#1130 / PR #1142, #1097 and #1186).
 *
 * **How**: the package's CommonJS build (`cjs/src`, the same code as its ESM build) is compiled with
 * `vm.compileFunction`: `connection.js` from the patched text, `index.js` with a `require` that hands
 * it that `connection.js`; every other file is the package's own, loaded normally. Each client gets
 * its own compiled pair, because the same `require` also gives `connection.js` the sockets of a
 * reply watch (below) with that client's deadline.
 *
 * **Reply watch** (not a bug fix: the client-side half of the statement deadline). Postgres enforces
 * `statement_timeout` itself, but a server that stopped answering (hung, partitioned, a proxy that
 * accepts and forwards nothing) enforces nothing, and TCP keepalive takes minutes to notice. Every
 * socket the driver opens is watched: a request written and no reply for `replyDeadlineMs` ends that
 * socket with a `DATABASE_NO_REPLY` error, which fails the queries on it like any dropped connection.
 * "Owed" is simple: any write starts the wait, a read ending in ReadyForQuery ends it, any other
 * read restarts it. A pipelined query behind one that was answered is caught by the next write.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { dirname, join } from 'node:path';
import tls from 'node:tls';
import { compileFunction } from 'node:vm';
import type postgresType from 'postgres';
import { NO_REPLY_CODE } from './faults.ts';

export type Postgres = typeof postgresType;

const REPLACEMENTS: ReadonlyArray<readonly [name: string, from: string, to: string]> = [
  ['state', '\n    , nextWriteTimer = null\n', '\n    , nextWriteTimer = null\n    , orphanTimer = null\n'],
  [
    'write',
    '\n  function write(x, fn) {\n',
    `
  function settleOrphans() {                       // [order-doctor guard] see src/db/postgres-guard.ts
    orphanTimer = null
    const err = Errors.connection('CONNECTION_CLOSED', options)
    query && queryError(query, err)
    while (sent.length)
      queryError(sent.shift(), err)
    query = null
    initial || ending || terminated || onclose(connection, err)
  }

  function write(x, fn) {
    if (socket === null) {                         // [order-doctor guard] the session is gone
      fn && process.nextTick(fn, Errors.connection('CONNECTION_CLOSED', options))
      orphanTimer === null && (orphanTimer = setImmediate(settleOrphans))
      return true
    }
`,
  ],
  [
    'nextWrite',
    '\n  function nextWrite(fn) {\n',
    `
  function nextWrite(fn) {
    if (socket === null) {                         // [order-doctor guard]
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      return false
    }
`,
  ],
  [
    'terminate',
    '\n    clearImmediate(nextWriteTimer)\n    if (socket) {\n',
    '\n    clearImmediate(nextWriteTimer)\n    nextWriteTimer = chunk = null                 // [order-doctor guard]\n    if (socket) {\n',
  ],
  [
    'closed',
    '\n    clearImmediate(nextWriteTimer)\n    socket.removeListener(\'data\', data)\n',
    '\n    clearImmediate(nextWriteTimer)\n    nextWriteTimer = chunk = errorResponse = null // [order-doctor guard]\n    socket.removeListener(\'data\', data)\n',
  ],
  [
    'closedAfterError',
    "\n    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n",
    // (an `if`: this source has no semicolons, and a line opening with `(` would call the line above)
    "\n    if (query || sent.length) error(Errors.connection('CONNECTION_CLOSED', options, socket)) // [order-doctor guard] after an 'error' too\n    query = null                                   // [order-doctor guard] settled: end() must not wait for it\n",
  ],
  [
    'fetchArrayTypes',
    '\n        return fetchArrayTypes()\n',
    '\n        return fetchArrayTypes().catch(noop)      // [order-doctor guard] its failure reaches `initial` through errored()\n',
  ],
];

const require = createRequire(import.meta.url);
/** the package's CommonJS sources: cjs/src */
const cjsDir = dirname(require.resolve('postgres'));
let sources: { connection: string; index: string; version: string } | null = null;

function patchedSources() {
  if (sources) return sources;
  const version = (JSON.parse(readFileSync(join(cjsDir, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  let connection = readFileSync(join(cjsDir, 'connection.js'), 'utf8');
  for (const [name, from, to] of REPLACEMENTS) {
    const at = connection.indexOf(from);
    if (at === -1 || connection.indexOf(from, at + 1) !== -1) {
      throw new Error(
        `postgres ${version}: the '${name}' replacement of src/db/postgres-guard.ts no longer fits its connection.js ` +
          `(${at === -1 ? 'not found' : 'found twice'}). Check whether this release fixed porsager/postgres#1208 and remove the guard, or re-fit it.`,
      );
    }
    connection = connection.slice(0, at) + to + connection.slice(at + from.length);
  }
  sources = { connection, index: readFileSync(join(cjsDir, 'index.js'), 'utf8'), version };
  return sources;
}

type Loader = (id: string) => unknown;

function compileCommonJs(file: string, source: string, load: Loader): unknown {
  const module = { exports: {} as unknown };
  const fn = compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
  fn.call(module.exports, module.exports, load, module, file, dirname(file));
  return module.exports;
}

export interface GuardedPostgres {
  /** the postgres.js factory, guarded, its sockets watched */
  postgres: Postgres;
  /** stops the reply watch's timer (the sockets themselves close with the client) */
  stop(): void;
}

/**
 * A postgres.js factory with the guard applied and every socket under the reply watch.
 *
 * @example
 * const { postgres, stop } = guardedPostgres({ replyDeadlineMs: 20_000 });
 * const sql = postgres(url, { connect_timeout: 5 });
 */
export function guardedPostgres(opts: { replyDeadlineMs: number }): GuardedPostgres {
  const { connection, index } = patchedSources();
  const watch = replyWatch(opts.replyDeadlineMs);
  const packageRequire = createRequire(join(cjsDir, 'index.js'));
  const netShim = { ...net, Socket: watch.Socket };
  const tlsShim = { ...tls, connect: watch.tlsConnect };
  const Connection = compileCommonJs(join(cjsDir, 'connection.js'), connection, (id) =>
    id === 'net' ? netShim : id === 'tls' ? tlsShim : packageRequire(id),
  );
  const postgres = compileCommonJs(join(cjsDir, 'index.js'), index, (id) => (id === './connection.js' ? Connection : packageRequire(id)));
  return { postgres: postgres as Postgres, stop: watch.stop };
}

/** true when a chunk from the server ends with ReadyForQuery ('Z', length 5, status): it is done */
function endsReady(chunk: Buffer): boolean {
  const n = chunk.length;
  return n >= 6 && chunk[n - 6] === 0x5a && chunk.readUInt32BE(n - 5) === 5;
}

function replyWatch(deadlineMs: number) {
  /** per watched socket: since when a reply is owed (0: nothing owed) */
  const owed = new Map<net.Socket, number>();
  let timer: ReturnType<typeof setInterval> | null = null;

  const tick = () => {
    const now = performance.now();
    for (const [socket, since] of owed) {
      if (socket.destroyed) owed.delete(socket);
      else if (since && now - since >= deadlineMs) {
        owed.delete(socket);
        const err = Object.assign(new Error(`the database owed a reply for ${Math.round((now - since) / 1000)} s: connection dropped`), { code: NO_REPLY_CODE });
        // postgres.js listens for 'error' on its sockets; without a listener, an error event would throw
        socket.listenerCount('error') > 0 ? socket.destroy(err) : socket.destroy();
      }
    }
    if (owed.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };

  const watch = (socket: net.Socket) => {
    owed.set(socket, 0);
    const owe = () => {
      if (owed.get(socket) === 0) owed.set(socket, performance.now());
    };
    // the stream's own write hooks: `net.Socket#connect` resets an overridden `write`, not these
    const { _write: write, _writev: writev } = socket as unknown as Record<'_write' | '_writev', (...a: unknown[]) => void>;
    Object.assign(socket, {
      _write(this: net.Socket, ...args: unknown[]) {
        owe();
        write.apply(this, args);
      },
      ...(writev ? {
        _writev(this: net.Socket, ...args: unknown[]) {
          owe();
          writev.apply(this, args);
        },
      } : {}),
    });
    socket.on('data', (chunk: Buffer) => {
      if (!owed.has(socket)) return;
      if (endsReady(chunk)) owed.set(socket, 0);
      else if (owed.get(socket)) owed.set(socket, performance.now()); // still answering: the wait starts again
    });
    timer ??= setInterval(tick, Math.max(50, Math.min(1000, deadlineMs / 4))).unref();
  };

  class WatchedSocket extends net.Socket {
    constructor(options?: net.SocketConstructorOpts) {
      super(options);
      watch(this);
    }
  }

  return {
    Socket: WatchedSocket,
    /** TLS is layered on the watched plain socket: from then on, the TLS socket is the one watched */
    tlsConnect(options: tls.ConnectionOptions) {
      const secure = tls.connect(options);
      if (options.socket) owed.delete(options.socket as net.Socket);
      watch(secure);
      return secure;
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      owed.clear();
    },
  };
}
