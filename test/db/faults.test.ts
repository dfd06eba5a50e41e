/**
 * Which errors are "the database is unavailable" (db/faults.ts), and what the HTTP error handler
 * makes of them and of everything else (http/errors.ts): the answer, and the log line, which
 * carries the cause chain but never a query's parameters.
 */
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { isConnectionLost, isDatabaseFault } from '../../src/db/faults.ts';
import { describeError, onAppError } from '../../src/http/errors.ts';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });
const wrapped = (cause: unknown) => new DrizzleQueryError('select * from orders where query_secret_hash = $1', ['5937-secret'], cause as Error);

describe('isDatabaseFault', () => {
  it.each([
    ['ECONNREFUSED', coded('ECONNREFUSED')],
    ['ECONNRESET', coded('ECONNRESET')],
    ['postgres.js CONNECTION_CLOSED', coded('CONNECTION_CLOSED')],
    ['postgres.js CONNECT_TIMEOUT', coded('CONNECT_TIMEOUT')],
    ['the reply watch', coded('DATABASE_NO_REPLY')],
    ['57P01 admin_shutdown', coded('57P01')],
    ['57P03 cannot_connect_now', coded('57P03')],
    ['53300 too_many_connections', coded('53300')],
    ['08006 connection_failure', coded('08006')],
    ['57014 query_canceled (statement_timeout)', coded('57014')],
    ['28P01 password refused', coded('28P01')],
    ['wrapped by drizzle', wrapped(coded('57P01'))],
    ['two causes deep', new Error('diagnosis failed', { cause: wrapped(coded('ECONNRESET')) })],
    ['an AggregateError of refusals (IPv4 and IPv6)', Object.assign(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]), { code: 'ECONNREFUSED' })],
    // a connected shop on MySQL/MariaDB (mysql2)
    ['mysql2: the server closed the connection', wrapped(Object.assign(coded('PROTOCOL_CONNECTION_LOST'), { fatal: true }))],
    ['mysql2: past the statement deadline', wrapped(coded('PROTOCOL_SEQUENCE_TIMEOUT'))],
    ['MariaDB: a lock wait past innodb_lock_wait_timeout', coded('ER_LOCK_WAIT_TIMEOUT')],
    ['MariaDB: too many connections', coded('ER_CON_COUNT_ERROR')],
    ['mysql2: a command on a connection already closed (no code, fatal)', Object.assign(new Error("Can't add new command when connection is in closed state"), { fatal: true })],
  ])('%s is a fault', (_name, err) => {
    expect(isDatabaseFault(err)).toBe(true);
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a unique violation', wrapped(coded('23505'))],
    ['a syntax error', wrapped(coded('42601'))],
    ['a deadlock (ours to fix, not to retry blindly)', coded('40P01')],
    ['a MariaDB deadlock, likewise', coded('ER_LOCK_DEADLOCK')],
    ['a MariaDB duplicate key', wrapped(coded('ER_DUP_ENTRY'))],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
  ])('%s is not', (_name, err) => {
    expect(isDatabaseFault(err)).toBe(false);
  });

  it('a cause chain that loops ends', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isDatabaseFault(a)).toBe(false);
  });

  it('a lost connection is a fault; a cancelled statement is a fault but not a lost connection', () => {
    expect(isConnectionLost(wrapped(coded('CONNECTION_CLOSED')))).toBe(true);
    expect(isConnectionLost(coded('57014'))).toBe(false);
  });
});

describe('onAppError', () => {
  function appThrowing(err: unknown, lines: string[]) {
    const app = new Hono();
    app.get('/x/:orderNo', () => { throw err; });
    app.onError((e, c) => onAppError(e, c, (l) => lines.push(l)));
    return app;
  }

  it('a database fault: 503 problem+json, Retry-After, nothing of the fault in the body; one log line with the cause', async () => {
    const lines: string[] = [];
    const res = await appThrowing(wrapped(coded('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.7:5432')), lines).request('/x/K1');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({
      type: 'https://order-doctor.dev/problems/unavailable', title: 'The service is temporarily unavailable', status: 503, code: 'unavailable',
    });
    expect(body).not.toMatch(/10\.0\.0\.7|ECONNREFUSED|select/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('GET /x/K1: database unavailable');
    expect(lines[0]).toContain('caused by: Error [ECONNREFUSED]: connect ECONNREFUSED 10.0.0.7:5432');
    expect(lines[0]).toContain('Failed query: select * from orders');
    expect(lines[0]).not.toContain('5937-secret');
  });

  it('anything else: 500 internal; the log has the stack and the causes, never the parameters', async () => {
    const lines: string[] = [];
    const err = new Error('diagnose failed', { cause: wrapped(coded('23505', 'duplicate key value violates unique constraint "x"')) });
    const res = await appThrowing(err, lines).request('/x/K1');
    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toEqual({ type: 'https://order-doctor.dev/problems/internal', title: 'Something went wrong on our side', status: 500, code: 'internal' });
    const log = lines.join('\n');
    expect(log).toContain('GET /x/K1 failed: Error: diagnose failed');
    expect(log).toContain('caused by: DrizzleQueryError: Failed query: select * from orders where query_secret_hash = $1');
    expect(log).toContain('caused by: Error [23505]: duplicate key value');
    expect(log).toMatch(/\n\s+at /); // frames
    expect(log).not.toContain('5937-secret');
    expect(log).not.toContain('params:');
  });

  it('an HTTPException below 500 keeps its own problem, as before', async () => {
    const lines: string[] = [];
    const res401 = await appThrowing(new HTTPException(401, { message: 'no token' }), lines).request('/x/K1');
    expect(res401.status).toBe(401);
    expect((await res401.json()).code).toBe('unauthorized');
    const res400 = await appThrowing(new HTTPException(400, { message: 'bad' }), lines).request('/x/K1');
    expect(res400.status).toBe(400);
    expect((await res400.json())).toMatchObject({ code: 'invalid_request', detail: 'bad' });
    expect(lines).toEqual([]);
  });

  it('describeError: a thrown string as it is, anything else not an Error by its type only', () => {
    expect(describeError('ECONNREFUSED 5937', { stacks: true })).toBe('thrown: ECONNREFUSED 5937');
    expect(describeError({ secret: 'x' }, { stacks: true })).toBe('thrown: object');
  });
});
