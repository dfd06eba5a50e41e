/**
 * drizzle sends every query through postgres.js `unsafe(..., { prepare: false })`. Unprepared, a
 * query with parameters costs postgres.js TWO round trips (Parse/Describe to learn the parameter
 * types, then Bind/Execute) and Postgres a parse and plan every time. Our query texts are a small
 * fixed set, so we let each connection prepare them once: one round trip per query after that.
 * The proxy reaches transactions and savepoints too (their scoped `sql` is a different object).
 */
import type { Sql } from 'postgres';

type Scoped = (sql: Sql) => unknown;

export function preparedByDefault<T extends Sql>(sql: T): T {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      switch (prop) {
        case 'unsafe':
          return (query: string, args?: unknown[], options?: Record<string, unknown>) =>
            target.unsafe(query, args as never, { ...options, prepare: true });
        case 'begin':
        case 'savepoint':
          return (...params: unknown[]) => {
            const fn = params.pop() as Scoped;
            return (value as (...a: unknown[]) => unknown).call(target, ...params, (scoped: Sql) => fn(preparedByDefault(scoped)));
          };
        default:
          return (value as (...a: unknown[]) => unknown).bind(target);
      }
    },
  });
}
