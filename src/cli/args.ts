/** Argument helpers every command shares: strict parsing, and the error that means "bad input" (exit 2). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isOrderNo, ORDER_NO_RULE } from '../domain/order-number.ts';

/** Bad input: one line naming what is wrong, exit code 2, nothing written. */
export class UsageError extends Error {}

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
