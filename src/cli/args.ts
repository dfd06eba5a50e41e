/** Argument helpers every command shares: strict parsing, and the error that means "bad input" (exit 2). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isOrderNo, ORDER_NO_RULE } from '../domain/order-number.ts';

/** Bad input: one line naming what is wrong, exit code 2, nothing written. */
export class UsageError extends Error {}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A message as the one line it must be on a terminal: the control characters an argument may carry
 * (a newline, an escape sequence) shown escaped rather than acted on.
 * @example oneLine("'K1\nK2': not an order number") // "'K1\\nK2': not an order number"
 */
export function oneLine(message: string): string {
  return message.replace(/[\p{Cc}\u2028\u2029]/gu, (ch) => ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse(args: string[], options: Options) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
}

/** The order number rule of the API and the page, for a positional argument. */
export function orderNoArg(value: string): string {
  if (!isOrderNo(value)) throw new UsageError(`'${value}': not an order number (${ORDER_NO_RULE})`);
  return value;
}
