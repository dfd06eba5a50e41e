/**
 * Real SMTP servers for the mail tests, in the test process on 127.0.0.1:0: one that asks for a
 * login and records what it accepts (optionally refusing some commands first), one that accepts
 * the connection and never says a word, and an address where nothing listens.
 */
import net, { type AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export const SMTP_USER = 'shop@shop.example';
/** a password that must be percent-encoded in the URL: the transport has to decode it */
export const SMTP_PASS = 'p@ss w:rd/1';

export interface ReceivedMail {
  user: string;
  from: string;
  to: string[];
  /** the message as it crossed the wire */
  raw: string;
  subject: string;
  /** the decoded text and HTML parts, one after the other */
  body: string;
}

/** Which command to refuse, with what reply, on the next `times` sessions that reach it. */
export interface Refusal {
  at: 'mail' | 'rcpt' | 'data';
  code: number;
  times?: number;
}

export interface TestSmtp {
  /** smtp(s)://user:pass@127.0.0.1:port */
  url: string;
  received: ReceivedMail[];
  /** login attempts, good or bad */
  logins: number;
  refuse(r: Refusal): void;
  /** from now on, take the message body and never answer it */
  hangAfterData(on: boolean): void;
  close(): Promise<void>;
}

export async function startSmtp(opts: { secure?: boolean; password?: string; replyDelayMs?: number } = {}): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  let refusal: Required<Refusal> | null = null;
  let hang = false;
  const state = { logins: 0 };
  const refused = (at: Refusal['at']): Error | null => {
    if (!refusal || refusal.at !== at || refusal.times <= 0) return null;
    refusal.times--;
    return Object.assign(new Error(`refused by the test (${at}) for <buyer@example.com>`), { responseCode: refusal.code });
  };

  const options: SMTPServerOptions = {
    secure: opts.secure ?? false,
    // smtp-server's built-in self-signed certificate serves smtps://; plain smtp:// offers no STARTTLS
    disabledCommands: opts.secure ? [] : ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    logger: false,
    onAuth(auth, _session, cb) {
      state.logins++;
      if (auth.username === SMTP_USER && auth.password === (opts.password ?? SMTP_PASS)) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onMailFrom(_a, _s, cb) {
      cb(refused('mail'));
    },
    onRcptTo(_a, _s, cb) {
      cb(refused('rcpt'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (hang) return; // the body arrived; the reply never comes
        const err = refused('data');
        if (err) return cb(err);
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({
          user: String(session.user),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...decode(raw),
        });
        setTimeout(() => cb(null, 'Queued'), opts.replyDelayMs ?? 0);
      });
    },
  };
  const server = new SMTPServer(options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const scheme = opts.secure ? 'smtps' : 'smtp';
  return {
    url: `${scheme}://${encodeURIComponent(SMTP_USER)}:${encodeURIComponent(SMTP_PASS)}@127.0.0.1:${port}`,
    received,
    get logins() {
      return state.logins;
    },
    refuse: (r) => {
      refusal = { times: 1, ...r };
    },
    hangAfterData: (on) => {
      hang = on;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A server that accepts connections and never sends its greeting. */
export async function startSilentServer(): Promise<{ url: string; connections: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `smtp://${encodeURIComponent(SMTP_USER)}:${encodeURIComponent(SMTP_PASS)}@127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An address where nothing listens (a port that was just free). */
export async function deadAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `smtp://${encodeURIComponent(SMTP_USER)}:${encodeURIComponent(SMTP_PASS)}@127.0.0.1:${port}`;
}

/**
 * Just enough MIME to read what the buyer reads: the Subject (RFC 2047 words) and every text part,
 * undone from quoted-printable or base64.
 */
function decode(raw: string): { subject: string; body: string } {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const subject = decodeWords(/^Subject: (.*)$/im.exec(unfolded)?.[1] ?? '');
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(unfolded)?.[1];
  const parts = boundary ? raw.split(`--${boundary}`).slice(1, -1) : [`${head}\r\n\r\n${rest.join('\r\n\r\n')}`];
  const body = parts
    .map((part) => {
      const split = /\r?\n\r?\n/.exec(part);
      if (!split) return '';
      const headers = part.slice(0, split.index);
      const content = part.slice(split.index + split[0].length);
      const cte = /Content-Transfer-Encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
      if (cte === 'base64') return Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8');
      if (cte === 'quoted-printable') return quotedPrintable(content);
      return content;
    })
    .join('\n');
  return { subject, body };
}

function quotedPrintable(s: string): string {
  const bytes: number[] = [];
  const soft = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeWords(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : quotedPrintable(text.replace(/_/g, ' ')));
}
