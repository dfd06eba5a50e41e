/**
 * Is this error the database being unavailable (as opposed to a bug, or a bad statement)? The HTTP
 * layer answers those with 503 and Retry-After instead of 500 (src/http/errors.ts), and they are
 * what a retry or the sweep's next run can get past.
 *
 * Errors arrive wrapped: drizzle puts the driver's error in `DrizzleQueryError.cause`, our own code
 * sometimes in another `cause`, so the whole chain is walked.
 *
 * @example
 * try { await db.select()... } catch (err) { if (isDatabaseFault(err)) return problem(c, 'unavailable') }
 */
/** The error code of a connection the client dropped because the server owed a reply too long (src/db/postgres-guard.ts). */
export const NO_REPLY_CODE = 'DATABASE_NO_REPLY';

/** Node's socket and DNS errors: the server cannot be reached, or the connection broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN',
  'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL',
]);

/**
 * mysql2's, for a connected shop on MySQL/MariaDB (shops/mysql/pool.ts): the connection lost or
 * past its statement deadline, the server refusing more connections, shutting down, ending a lock
 * wait or a statement at its own deadline, or refusing our credentials or database. (Any error
 * mysql2 marks `fatal` also lost its connection: see isFaultItself.)
 */
const MYSQL_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED', 'ER_QUERY_INTERRUPTED', 'ER_LOCK_WAIT_TIMEOUT', 'ER_QUERY_TIMEOUT',
  'ER_STATEMENT_TIMEOUT', 'ER_NET_READ_ERROR', 'ER_NET_READ_INTERRUPTED', 'ER_NET_WRITE_INTERRUPTED',
  'ER_NET_ERROR_ON_WRITE', 'ER_HOST_IS_BLOCKED', 'ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR',
]);

/** postgres.js's own connection errors, and the reply watch's. */
const DRIVER_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT', NO_REPLY_CODE]);

/**
 * SQLSTATEs that mean "not now" rather than "never": class 08 connection exceptions, class 53
 * insufficient resources (53300 too_many_connections, disk full, out of memory), 57P01..57P05
 * (admin/crash shutdown, cannot connect now (starting up, recovering), idle session timeout),
 * 57014 query_canceled (our statement deadline, or an operator's cancel), 55P03 lock_not_available,
 * 28000/28P01 and 3D000 (the server refuses our credentials or has no such database: nothing a
 * buyer did, and the service cannot work until an operator fixes it).
 */
function isUnavailableState(code: string): boolean {
  return code.startsWith('08') || code.startsWith('53') || /^57P0[1-5]$/.test(code) || code === '57014' || code === '55P03'
    || code === '28000' || code === '28P01' || code === '3D000';
}

/** The errors of a chain: err, err.cause, ... (bounded, cycle-safe); AggregateError's members too. */
export function causeChain(err: unknown, limit = 8): unknown[] {
  const out: unknown[] = [];
  const queue: unknown[] = [err];
  while (queue.length && out.length < limit) {
    const e = queue.shift();
    if (e === undefined || e === null || out.includes(e)) continue;
    out.push(e);
    if (typeof e === 'object') {
      const { cause, errors } = e as { cause?: unknown; errors?: unknown };
      if (cause !== undefined) queue.push(cause);
      if (Array.isArray(errors)) queue.push(...errors);
    }
  }
  return out;
}

function isFaultItself(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  // mysql2's "Can't add new command when connection is in closed state" has no code, only this
  if (isMysqlFatal(e)) return true;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  if (NETWORK_CODES.has(code) || DRIVER_CODES.has(code) || MYSQL_CODES.has(code)) return true;
  // a PostgresError (postgres.js) or a PGlite/pg DatabaseError: a five-character SQLSTATE
  return /^[0-9A-Z]{5}$/.test(code) && isUnavailableState(code);
}

/** mysql2 marks an error `fatal` when the connection it came from is gone. */
function isMysqlFatal(e: object): boolean {
  return (e as { fatal?: unknown }).fatal === true;
}

/** Errors that end the session itself (the connection is gone), as opposed to one statement failing. */
function isSessionLost(e: unknown): boolean {
  if (typeof e === 'object' && e !== null && isMysqlFatal(e)) return true;
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  if (typeof code !== 'string') return false;
  return NETWORK_CODES.has(code) || DRIVER_CODES.has(code) || code.startsWith('08') || /^57P0[1-3]$/.test(code);
}

/** true when the error says the connection itself was lost (its session, locks and transaction with it). */
export function isConnectionLost(err: unknown): boolean {
  return causeChain(err).some(isSessionLost);
}

/** true when the error, or anything in its `cause` chain, says the database is unavailable. */
export function isDatabaseFault(err: unknown): boolean {
  return causeChain(err).some(isFaultItself);
}
