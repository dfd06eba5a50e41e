/**
 * The one SMTP client: nodemailer's SMTP connection and MIME composer, one connection per email,
 * every wait bounded (connecting, the greeting, an idle socket, and the whole send), so a dead or
 * silent server costs the dispatcher seconds, never a hang.
 *
 * It never throws: a send ends `sent`, `not_sent` (the server cannot have taken the message: safe to
 * try again) or `unknown` (it may have: trying again could send a second email). The line between
 * the last two is drawn by what actually left this process: until the server asks for the message
 * body (354 after DATA) nothing a server could deliver has gone out, and a refusal (4xx/5xx) means
 * the server did not take responsibility for it (RFC 5321 4.2.5). Anything else after the body
 * started, a dropped connection or a timeout waiting for the final reply, is unknown.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import MailComposer from 'nodemailer/lib/mail-composer';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { NodemailerError } from 'nodemailer';

export interface OutgoingMail {
  /** MAIL_FROM: an address, or `Name <address>` */
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** a stable Message-ID lets a receiver drop a duplicate, should one ever go out */
  messageId?: string;
}

export type SendOutcome =
  | { kind: 'sent'; response: string }
  | {
      kind: 'not_sent';
      /** false when trying again cannot help: the server refused the recipient for good (5xx to RCPT TO) */
      retryable: boolean;
      reason: string;
    }
  | { kind: 'unknown'; reason: string };

export interface MailTransport {
  send(mail: OutgoingMail): Promise<SendOutcome>;
}

export interface SmtpTimeouts {
  /** TCP (and TLS for smtps://) connect, DNS included */
  connectMs: number;
  /** the server's 220 greeting after connecting (and a STARTTLS upgrade) */
  greetingMs: number;
  /** silence on an open connection */
  socketMs: number;
  /** the whole send, whatever the server trickles: keeps a send far inside the dispatcher's lease */
  totalMs: number;
}

export const DEFAULT_SMTP_TIMEOUTS: SmtpTimeouts = { connectMs: 10_000, greetingMs: 10_000, socketMs: 30_000, totalMs: 120_000 };

export interface SmtpTransportOptions {
  timeouts?: Partial<SmtpTimeouts>;
  /** options for tls.connect (tests: a self-signed server) */
  tls?: ConnectionOptions;
  /**
   * Open the TCP connection to the server's NAME here, rather than let nodemailer resolve it and
   * connect to an address (Workers). workerd's TLS verifies the certificate against the host the
   * socket was opened to and ignores `servername`, so a real server's certificate, made out to its
   * name, would never match the address nodemailer connects to. Opened by name, workerd resolves
   * and verifies the name itself; smtps:// is then upgraded at once, STARTTLS as the server offers.
   */
  dialByName?: boolean;
}

/**
 * @example
 * const transport = createSmtpTransport('smtps://shop%40example.com:pw@smtp.example.com');
 * const out = await transport.send({ from: 'Shop <shop@example.com>', to, subject, text, html });
 */
export function createSmtpTransport(smtpUrl: string, opts: SmtpTransportOptions = {}): MailTransport {
  const t = { ...DEFAULT_SMTP_TIMEOUTS, ...opts.timeouts };
  // smtp:// or smtps://, credentials percent-decoded, query options (e.g. ?requireTLS=true) kept
  const { auth, ...url } = parseConnectionUrl(smtpUrl);
  const connectionOptions = {
    ...url,
    tls: { ...(url.tls as ConnectionOptions | undefined), ...opts.tls },
    connectionTimeout: t.connectMs,
    dnsTimeout: t.connectMs,
    greetingTimeout: t.greetingMs,
    socketTimeout: t.socketMs,
    logger: false,
  };

  return {
    async send(mail) {
      let raw: Buffer;
      let envelope: { from: string | false; to: string[] };
      try {
        const node = new MailComposer({
          from: mail.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: mail.messageId,
          // RFC 3834: an automatic message; vacation responders leave it alone
          headers: { 'Auto-Submitted': 'auto-generated' },
          disableFileAccess: true, disableUrlAccess: true,
        }).compile();
        envelope = node.getEnvelope();
        raw = await node.build();
      } catch (err) {
        return { kind: 'not_sent', retryable: true, reason: describe(err) };
      }
      if (!opts.dialByName) return deliver(() => connectionOptions, auth, envelope, raw, t.totalMs);
      const secure = Boolean(url.secure);
      const port = Number(url.port) || (secure ? 465 : 587);
      return deliver(() => ({ ...connectionOptions, connection: dial(String(url.host ?? 'localhost'), port) }), auth, envelope, raw, t.totalMs);
    },
  };
}

/** A TCP connection to host:port by name (see `dialByName`). */
function dial(host: string, port: number): Socket {
  const socket = connectTcp({ host, port });
  // workerd's net.Socket adds a 'timeout' listener at every read and write while a timeout is set
  // (its _unrefTimer), so one email passes Node's warning threshold of 10, and workerd's
  // process.emitWarning then throws an uncaught TypeError into the log. The socket lives for one email.
  socket.setMaxListeners(0);
  return socket;
}

function deliver(
  /** called once, in the promise: a connection opened here fails into the outcome, never out of it */
  connectionOptions: () => ConstructorParameters<typeof SMTPConnection>[0],
  auth: { user: string; pass: string } | undefined,
  envelope: { from: string | false; to: string[] },
  raw: Buffer,
  totalMs: number,
): Promise<SendOutcome> {
  return new Promise((resolve) => {
    // set when the connection first pulls the body, which it does only after the server's 354
    let bodyStarted = false;
    const body = new Readable({
      read() {
        bodyStarted = true;
        this.push(raw);
        this.push(null);
      },
    });
    let conn: SMTPConnection;
    try {
      conn = new SMTPConnection(connectionOptions());
    } catch (err) {
      return resolve(classify(err, false));
    }
    let done = false;
    const finish = (out: SendOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      conn.close();
      resolve(out);
    };
    const fail = (err: unknown) => finish(classify(err, bodyStarted));
    const deadline = setTimeout(() => {
      const reason = `gave up after ${totalMs} ms`;
      finish(bodyStarted ? { kind: 'unknown', reason } : { kind: 'not_sent', retryable: true, reason });
    }, totalMs);

    // the connection reports most failures as 'error' events, some through callbacks: both end here
    conn.on('error', fail);
    conn.connect((err) => {
      if (err) return fail(err);
      const send = () =>
        conn.send(envelope, body, (err, info) => (err ? fail(err) : finish({ kind: 'sent', response: redact(info.response) })));
      // as nodemailer's own transport: log in when the server offers AUTH (after STARTTLS, if any)
      if (auth && conn.allowsAuth) conn.login({ user: auth.user, pass: auth.pass }, (err) => (err ? fail(err) : send()));
      else send();
    });
  });
}

/** Whether a failed send can have reached the buyer (see the file's comment). */
export function classify(err: unknown, bodyStarted: boolean): SendOutcome {
  const e = (err ?? {}) as NodemailerError;
  const reason = describe(err);
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) {
    return { kind: 'not_sent', retryable: !(e.command === 'RCPT TO' && e.permanent === true), reason };
  }
  if (!bodyStarted) return { kind: 'not_sent', retryable: true, reason };
  return { kind: 'unknown', reason };
}

/** One line for last_error and logs: the code, the command, the server's words; no address. */
function describe(err: unknown): string {
  const e = (err ?? {}) as NodemailerError;
  const parts = [e.code, e.originalCode, e.timeoutType, e.command].filter((p): p is string => typeof p === 'string' && p !== '');
  const message = err instanceof Error ? err.message : String(err);
  return redact(`${parts.length ? `${[...new Set(parts)].join(' ')}: ` : ''}${message}`).slice(0, 500);
}

/** Servers echo addresses in their replies ("<buyer@example.com>: Recipient address rejected"). */
function redact(s: string): string {
  return s.replace(/[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g, '[address]');
}
