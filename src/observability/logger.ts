/**
 * The logger: pino, built once per Services (services.ts), never a module-level instance.
 *
 * - `serve` writes one JSON object a line to stdout (level, time, pid, hostname, reqId or runId,
 *   msg and the line's own fields); the CLI's default writes the message alone to stderr, from
 *   `warn` up, as its console.error did; tests inject memoryLogger() or silentLogger().
 * - A line written for a request or a sweep run carries its id (reqId, runId): the work's LogContext
 *   (context.ts) is spread into the line's fields by whoever writes it.
 * - Secrets are kept out in three layers. First and foremost, code never hands the logger a key, a
 *   query secret, a token or a credential. Then fields named like one (secret, key(s), token,
 *   authorization, password, search_pwd, merchant_key, merchant_pem, private keys, smtpUrl, ...)
 *   are censored at any depth. Last, every finished line is scrubbed of what looks like one of our
 *   card keys (`S100-DM01-7C3L-7ZD8`), an agent token (`od_...`), credentials inside a URL
 *   (`smtps://user:pass@`) and secret query parameters (`?key=`, `&sign=`): a defence for the
 *   mistake the first layer missed, not a licence to log values.
 *
 * @example
 * const logger = createLogger({ format: 'json' });            // serve
 * logger.info({ route, status, ms }, 'request');
 * const { logger, lines } = memoryLogger();                    // tests
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { describeError } from './errors.ts';

export type { Logger };

export interface LoggerOptions {
  /** default: 'info' for json, 'warn' for lines */
  level?: LevelWithSilent;
  /** 'json': one JSON object a line (serve); 'lines': the message alone (the CLI) */
  format?: 'json' | 'lines';
  /**
   * where finished lines go; default: stdout (json), or the console by level (lines: error and
   * fatal through console.error, warn through console.warn, anything else console.log)
   */
  destination?: { write(line: string): unknown };
  /** tests only: skip the last-line scrub, to see what the code itself hands the logger */
  unscrubbed?: boolean;
}

/** The placeholder of a censored field. */
export const REDACTED = '[redacted]';

/**
 * Field names that hold a secret, compared without case, `-` or `_`: exact names, and names that
 * end like one (`appSecret`, `merchantPrivateKey`, `access_token`).
 */
const SECRET_NAMES = new Set([
  'secret', 'secrets', 'key', 'keys', 'token', 'tokens', 'authorization', 'proxyauthorization', 'password', 'passwd',
  'pwd', 'searchpwd', 'merchantkey', 'merchantpem', 'cardkeysecret', 'querysecret', 'smtpurl', 'cookie', 'setcookie',
  'cardpwd', 'keysenc', 'apikey', 'sign', 'signature', 'credentials',
]);
const SECRET_ENDINGS = ['secret', 'token', 'password', 'privatekey', 'pwd', 'pem', 'apikey'];

/** Field names are a small fixed set, asked about on every line: remembered (bounded, in case they are not). */
const secretNameSeen = new Map<string, boolean>();

export function isSecretName(name: string): boolean {
  let secret = secretNameSeen.get(name);
  if (secret === undefined) {
    const n = name.toLowerCase().replace(/[-_]/g, '');
    secret = SECRET_NAMES.has(n) || SECRET_ENDINGS.some((e) => n.endsWith(e));
    if (secretNameSeen.size < 4096) secretNameSeen.set(name, secret);
  }
  return secret;
}

/**
 * Censors secret-named fields at any depth (nine levels: deeper than we ever log), and writes an
 * error, wherever it is, as its cause chain (never its enumerable fields: a drizzle error's
 * `params` are the query's values). Copies; never mutates.
 */
function censor(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return describeError(value, { stacks: true });
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => censor(v, depth + 1));
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretName(k) ? REDACTED : censor(v, depth + 1);
  return out;
}

/**
 * The last line of defence, on every finished line: what looks like a card key (groups of 4+
 * capitals or digits joined by `-`, three or more: `S100-DM01-7C3L-7ZD8`), an agent token, a
 * URL's user:password, a secret query parameter.
 */
const SCRUBS: Array<[RegExp, string]> = [
  [/(?<![A-Za-z0-9-])[A-Z0-9]{4,}(?:-[A-Z0-9]{4,}){2,}(?![A-Za-z0-9-])/g, '[key?]'],
  [/\bod_[A-Za-z0-9_-]{16,}/g, 'od_[redacted]'],
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:"]+:[^\s/@"]*@/gi, `$1${REDACTED}@`],
  [/([?&](?:key|sign|secret|token|access_token|password|pwd|search_pwd)=)[^&\s"\\]*/gi, `$1${REDACTED}`],
];

export function scrubLine(line: string): string {
  let out = line;
  for (const [re, to] of SCRUBS) out = out.replace(re, to);
  return out;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const format = opts.format ?? 'json';
  const level = opts.level ?? (format === 'json' ? 'info' : 'warn');
  const sink = opts.destination ?? (format === 'json' ? process.stdout : null);
  const scrub = opts.unscrubbed ? (line: string) => line : scrubLine;
  const destination = {
    write(line: string) {
      if (format === 'json') sink!.write(scrub(line));
      else if (sink) sink.write(`${scrub(asText(line).text)}\n`);
      else {
        const { level: at, text } = asText(line);
        (at === 'error' || at === 'fatal' ? console.error : at === 'warn' ? console.warn : console.log)(scrub(text));
      }
    },
  };
  return pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      // an error is its cause chain, never pino's serializer (a drizzle error's message quotes its parameters)
      serializers: { err: (e: unknown) => (typeof e === 'string' ? e : describeError(e, { stacks: true })) },
      // Censoring is ours alone: pino's `redact` (fixed paths, two levels down) only re-censored
      // what censor() had already replaced, and was most of the logging's cost: a check's two
      // lines took ~110 µs of CPU with it, ~25 µs without (an in-process A/B, issue 10 item 12).
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => censor(obj) as Record<string, unknown>,
        bindings: (b) => censor(b) as Record<string, unknown>,
      },
    },
    destination,
  );
}

/** A JSON line as the CLI used to print it: the message, and the error when there is one. */
function asText(line: string): { level: string; text: string } {
  try {
    const o = JSON.parse(line) as { level?: unknown; msg?: unknown; error?: unknown; err?: unknown };
    const error = o.error ?? o.err;
    return { level: String(o.level), text: `${String(o.msg ?? '')}${typeof error === 'string' ? `: ${error}` : ''}` };
  } catch {
    return { level: 'info', text: line.trimEnd() };
  }
}

/** A logger that writes nothing. */
export function silentLogger(): Logger {
  return createLogger({ level: 'silent', destination: { write: () => {} } });
}

/**
 * A JSON logger into memory, for tests: every finished line, as written (`unscrubbed`: before the
 * last-line scrub, as the code and the field censor left it).
 */
export function memoryLogger(level: LevelWithSilent = 'trace', opts: { unscrubbed?: boolean } = {}): { logger: Logger; lines: string[]; records: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (l: string) => lines.push(l) }, unscrubbed: opts.unscrubbed });
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/**
 * A `(line) => void` for the code that reports in whole lines (the sweep, the mail dispatcher,
 * recovery), writing to the logger at `level` with `fields` on each line.
 */
export function lineLogger(logger: Logger, fields: Record<string, unknown>, level: 'info' | 'warn' | 'error' = 'warn'): (line: string) => void {
  return (line) => logger[level](fields, line);
}
