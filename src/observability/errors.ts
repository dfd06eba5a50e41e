/**
 * How an error is written into a log line: its cause chain, each as name, code and message, with or
 * without stack frames. Never a query's parameters (drizzle's message and stack quote them, and
 * they can hold a query secret), never a Postgres error's `detail` (it quotes row values).
 */
import { causeChain } from '../db/faults.ts';

/**
 * An error and its causes (`caused by:`), each as name, code and message: on one line, or one per
 * line each followed by its stack frames. A failed drizzle query shows its SQL, never its
 * parameters; a Postgres error its SQLSTATE and message, never its `detail` (which quotes row values).
 */
export function describeError(err: unknown, opts: { stacks: boolean }): string {
  const chain = causeChain(err);
  if (!opts.stacks) return chain.map(headline).join('; caused by: ');
  return chain
    .map((e, i) => {
      const head = `${i ? 'caused by: ' : ''}${headline(e)}`;
      if (!(e instanceof Error) || !e.stack) return head;
      // only the frames: the stack's first lines repeat the message, which drizzle fills with parameters
      const frames = e.stack.split('\n').filter((l) => /^\s+at /.test(l));
      return [head, ...frames].join('\n');
    })
    .join('\n');
}

function headline(e: unknown): string {
  if (!(e instanceof Error)) return `thrown: ${typeof e === 'string' ? e : typeof e}`;
  const code = (e as { code?: unknown }).code;
  const tag = typeof code === 'string' || typeof code === 'number' ? ` [${code}]` : '';
  const query = (e as { query?: unknown }).query;
  // DrizzleQueryError: "Failed query: <sql>\nparams: <values>"; keep the SQL only
  const message = 'params' in e && typeof query === 'string' ? `Failed query: ${query}` : e.message;
  // drizzle's errors keep the name 'Error'; their class says more
  const name = e.name === 'Error' && e.constructor.name !== 'Error' ? e.constructor.name : e.name;
  return `${name}${tag}: ${message.replace(/\s+/g, ' ').trim()}`;
}
