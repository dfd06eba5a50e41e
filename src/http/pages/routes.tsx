/**
 * The buyer's "check my order" page: GET / (form), POST /lookup (verify + diagnose + act, then
 * 303 to GET /order), POST /reveal (audited, JSON for the script, HTML without it),
 * POST /feedback ("did this solve it?"), GET /ticket, POST /ticket/reply (the buyer writes to
 * support: tickets/buyer-messages.ts), and the two static assets.
 * Forms only POST, so the query secret never lands in a URL; keys never do either.
 */
import { readFileSync } from 'node:fs';
import { bundledAsset } from './bundled-assets.ts';
import type { Context } from 'hono';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { readForm } from './form.ts';
import { and, eq } from 'drizzle-orm';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { customerCheck, revealKeys } from '../../engine/customer-check.ts';
import { escalate } from '../../actions/escalate.ts';
import { audit } from '../../actions/audit.ts';
import { BUYER_NOT_SOLVED, BUYER_SOLVED } from '../../reports/feedback.ts';
import { isOrderNo } from '../../domain/order-number.ts';
import { tickets } from '../../db/schema.ts';
import type { Services } from '../../services.ts';
import type { AppEnv } from '../env.ts';
import { clientIp } from '../client-ip.ts';
import { lineLogger } from '../../observability/logger.ts';
import { isQuerySecret } from '../schemas.ts';
import { databaseFaultPage } from '../errors.ts';
import { Answer, type AnswerProps } from './answer.tsx';
import { loadAnswer, ticketView } from './answer-model.ts';
import { csrfOk, csrfToken } from './csrf.ts';
import { noStore, pageSecureHeaders } from './headers.ts';
import { Layout } from './layout.tsx';
import { LookupForm } from './lookup.tsx';
import { readSession, startSession } from './session.ts';
import { DEFAULT_SUPPORT, langOf, strings, withLang, type Lang, type SupportChannel } from './strings.ts';
import { TicketPage, type TicketNote } from './ticket.tsx';
import { addBuyerMessage, BUYER_MESSAGE_MAX, BuyerMessageError, buyerMayWrite } from '../../tickets/buyer-messages.ts';

export interface PageOptions {
  support?: SupportChannel;
}

const POST_PATHS = ['/lookup', '/reveal', '/feedback', '/ticket/reply'];
const GET_PATHS = ['/', '/order', '/ticket'];
const PAGE_PATHS = [...GET_PATHS, ...POST_PATHS];
/** the page's forms carry three short fields */
const PAGE_BODY_LIMIT = 8 * 1024;
/** a buyer's message: BUYER_MESSAGE_MAX characters of Chinese are 9 bytes each once form-encoded */
const MESSAGE_BODY_LIMIT = 24 * 1024;

const asset = (name: string) => bundledAsset(name) ?? readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');

type Status = 200 | 400 | 401 | 403 | 404 | 405 | 413 | 429 | 503;

export function mountPages(app: OpenAPIHono<AppEnv>, svc: Services, opts: PageOptions = {}): void {
  const support = opts.support ?? DEFAULT_SUPPORT;
  const js = asset('page.js');
  const css = asset('page.css');

  for (const p of [...PAGE_PATHS, '/assets/*']) app.use(p, pageSecureHeaders);
  for (const p of PAGE_PATHS) app.use(p, noStore);
  // an over-long form is answered with the page, before a byte more is read
  const pageBodyLimit = bodyLimit({
    maxSize: PAGE_BODY_LIMIT,
    onError: (c) => lookupPage(c, 413, langOf(c.req.query('lang')), strings(langOf(c.req.query('lang'))).tooLong),
  });
  app.post('/ticket/reply', bodyLimit({
    maxSize: MESSAGE_BODY_LIMIT,
    onError: (c) => lookupPage(c, 413, langOf(c.req.query('lang')), strings(langOf(c.req.query('lang'))).tooLong),
  }));
  for (const p of PAGE_PATHS) if (p !== '/ticket/reply') app.post(p, pageBodyLimit);

  const render = (c: Context, status: Status, lang: Lang, title: string, switchPath: string, body: JSX.Element) =>
    c.html(
      <Layout lang={lang} title={title} switchPath={switchPath} support={support}>
        {body}
      </Layout>,
      status,
    );

  const lookupPage = (c: Context, status: Status, lang: Lang, error?: string) =>
    render(c, status, lang, strings(lang).submit, '/', <LookupForm lang={lang} csrf={csrfToken(c)} error={error} />);

  const answerPage = (c: Context, lang: Lang, props: Omit<AnswerProps, 'lang' | 'csrf'>) =>
    render(c, 200, lang, `${strings(lang).order} ${props.model.orderNo}`, '/order', <Answer {...props} lang={lang} csrf={csrfToken(c)} />);

  const tooMany = (c: Context, seconds: number) => c.header('retry-after', String(seconds));

  // a database (ours or the shop's) that cannot answer: the page, saying so in the buyer's language
  for (const p of PAGE_PATHS) {
    app.use(p, databaseFaultPage((c) => {
      const lang = langOf(c.req.query('lang'));
      return lookupPage(c, 503, lang, strings(lang).unavailable);
    }));
  }

  app.get('/assets/page.js', (c) =>
    c.body(js, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600' }),
  );
  app.get('/assets/page.css', (c) =>
    c.body(css, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }),
  );

  app.get('/', (c) => {
    const lang = langOf(c.req.query('lang'));
    // the buyer's email links here with the order number to pre-fill (mail/outbox.ts); anything else is ignored
    const q = c.req.query('orderNo');
    const orderNo = q !== undefined && isOrderNo(q) ? q : undefined;
    const here = orderNo ? `/?orderNo=${orderNo}` : '/';
    return render(c, 200, lang, strings(lang).submit, here, <LookupForm lang={lang} csrf={csrfToken(c)} orderNo={orderNo} />);
  });

  app.post('/lookup', async (c) => {
    const lang = langOf(c.req.query('lang'));
    const t = strings(lang);
    const form = await readForm(c);
    if (!csrfOk(c, form.csrf)) return lookupPage(c, 403, lang, t.csrf);
    const orderNo = typeof form.orderNo === 'string' ? form.orderNo.trim() : '';
    const secret = typeof form.secret === 'string' ? form.secret.trim() : '';
    if (!orderNo || !secret) return lookupPage(c, 400, lang, t.missingInput);
    // what cannot be an order number or a secret (the API's rules) is no order: the same answer,
    // decided before the limits and the lookup ever see it
    if (!isOrderNo(orderNo) || !isQuerySecret(secret)) return lookupPage(c, 404, lang, t.failed);
    const ip = clientIp(c);
    const limits = c.get('limits');
    const wait = await limits.lookup(ip);
    if (wait) {
      tooMany(c, wait);
      return lookupPage(c, 429, lang, t.rateLimited(wait));
    }
    // unknown order, wrong secret, a try the limits refused: one answer (the order number is not
    // echoed, so bodies match)
    const out = await customerCheck(svc, { orderNo, secret, ip, guard: limits.verification(ip), via: 'page', log: lineLogger(svc.logger, { ...c.get('logContext'), event: 'verification_failed' }), logContext: c.get('logContext') });
    if (!out.ok) return lookupPage(c, 404, lang, t.failed);
    await startSession(c, svc, out.result.orderNo, out.result.id);
    return c.redirect(withLang('/order', lang), 303);
  });

  app.get('/order', async (c) => {
    const lang = langOf(c.req.query('lang'));
    const session = await readSession(c, svc);
    const loaded = session ? await loadAnswer(svc, session) : null;
    if (!loaded) return lookupPage(c, 401, lang, strings(lang).expired);
    return answerPage(c, lang, { model: loaded.model });
  });

  app.post('/reveal', async (c) => {
    const lang = langOf(c.req.query('lang'));
    const t = strings(lang);
    const wantsJson = (c.req.header('accept') ?? '').includes('application/json');
    const fail = (status: 401 | 403 | 404 | 429, message: string) =>
      wantsJson ? c.json({ message }, status) : lookupPage(c, status, lang, message);
    const form = await readForm(c);
    if (!csrfOk(c, form.csrf)) return fail(403, t.csrf);
    const session = await readSession(c, svc);
    const loaded = session ? await loadAnswer(svc, session) : null;
    if (!session || !loaded) return fail(401, t.expired);
    const ip = clientIp(c);
    const wait = await c.get('limits').reveal(ip, session.orderNo);
    if (wait) {
      tooMany(c, wait);
      return fail(429, t.rateLimited(wait));
    }
    // one key (the buttons name their slot) or, without a slot, all of them; a slot the order does
    // not hold reveals nothing and is audited as nothing
    const asked = form.slot;
    const slot = asked === undefined ? undefined : typeof asked === 'string' && /^[1-9]\d{0,3}$/.test(asked) ? Number(asked) : NaN;
    if (Number.isNaN(slot)) return fail(404, t.noSuchKey);
    const shown = await revealKeys(svc, { lookup: loaded.lookup, ip, diagnosisId: session.diagnosisId, via: 'page', slot });
    if (slot !== undefined && shown.length === 0) return fail(404, t.noSuchKey);
    if (wantsJson) return c.json({ keys: shown.map((k) => ({ slot: k.slot, secret: k.secret })) }, 200);
    const bySlot = new Map(shown.map((k) => [k.slot, k.secret]));
    const keys = loaded.model.keys.map((k) => (bySlot.has(k.slot) ? { ...k, secret: bySlot.get(k.slot) } : k));
    return answerPage(c, lang, { model: { ...loaded.model, keys } });
  });

  app.post('/feedback', async (c) => {
    const lang = langOf(c.req.query('lang'));
    const t = strings(lang);
    const form = await readForm(c);
    if (!csrfOk(c, form.csrf)) return lookupPage(c, 403, lang, t.csrf);
    const session = await readSession(c, svc);
    const loaded = session ? await loadAnswer(svc, session) : null;
    if (!session || !loaded) return lookupPage(c, 401, lang, t.expired);
    if (form.answer !== 'no') {
      // the buyer's answer, counted by the outcome report (src/reports/feedback.ts)
      if (form.answer === 'yes') {
        await audit(svc.database.db, {
          at: svc.now(), actor: { kind: 'customer', id: clientIp(c) }, action: BUYER_SOLVED, orderNo: session.orderNo,
          diagnosisId: session.diagnosisId, detail: {},
        });
      }
      return answerPage(c, lang, { model: loaded.model, solved: true });
    }
    // "not solved": a ticket with the diagnosis the buyer saw attached (reused while one is open)
    const ticket = await svc.database.db.transaction(async (tx) => {
      // the answer itself, whatever becomes of the ticket (opened, reused, reopened): the outcome report counts it
      await audit(tx, {
        at: svc.now(), actor: { kind: 'customer', id: clientIp(c) }, action: BUYER_NOT_SOLVED, orderNo: session.orderNo,
        diagnosisId: session.diagnosisId, detail: {},
      });
      return escalate(tx, {
        orderNo: session.orderNo, reason: BUYER_NOT_SOLVED, source: 'buyer', now: svc.now(),
        actor: { kind: 'customer', id: clientIp(c) }, diagnosisId: session.diagnosisId,
      });
    });
    const model = { ...loaded.model, ticket: { number: ticket.number, status: ticket.status, openedAt: ticket.openedAt, dueAt: ticket.dueAt, replies: loaded.model.ticket?.replies ?? [] } };
    return answerPage(c, lang, { model, ticketJustOpened: true });
  });

  /** The verified buyer's own ticket, or nothing: only they learn anything, even that it exists. */
  const buyersTicket = async (orderNo: string | undefined, no: string) => {
    const [row] = orderNo && /^T[0-9A-Z-]{4,32}$/.test(no)
      ? await svc.database.db.select().from(tickets).where(and(eq(tickets.number, no), eq(tickets.orderNo, orderNo))).limit(1)
      : [];
    return row;
  };
  const ticketPage = async (c: Context, status: Status, lang: Lang, no: string, orderNo: string | undefined, extra: { note?: TicketNote; draft?: string } = {}) => {
    const row = await buyersTicket(orderNo, no);
    const title = strings(lang).ticketTitle;
    if (!row) return render(c, 404, lang, title, '/', <TicketPage lang={lang} note={extra.note} />);
    return render(c, status, lang, title, `/ticket?no=${encodeURIComponent(no)}`, (
      <TicketPage lang={lang} orderNo={row.orderNo} ticket={await ticketView(svc, row)} csrf={csrfToken(c)} canWrite={buyerMayWrite(row, svc.now())} {...extra} />
    ));
  };

  app.get('/ticket', async (c) => {
    const lang = langOf(c.req.query('lang'));
    const t = strings(lang);
    const sent = c.req.query('sent');
    const note: TicketNote | undefined = sent === 'reopened' ? { kind: 'info', text: t.ticketSentReopened } : sent === '1' ? { kind: 'info', text: t.ticketSent } : undefined;
    const session = await readSession(c, svc);
    return ticketPage(c, 200, lang, c.req.query('no') ?? '', session?.orderNo, { note });
  });

  app.post('/ticket/reply', async (c) => {
    const lang = langOf(c.req.query('lang'));
    const t = strings(lang);
    const no = c.req.query('no') ?? '';
    const form = await readForm(c);
    if (!csrfOk(c, form.csrf)) return lookupPage(c, 403, lang, t.csrf);
    const session = await readSession(c, svc);
    if (!session) return lookupPage(c, 401, lang, t.expired);
    const draft = typeof form.body === 'string' ? form.body.slice(0, BUYER_MESSAGE_MAX) : '';
    try {
      const out = await addBuyerMessage(svc, { number: no, orderNo: session.orderNo, body: form.body, actor: { kind: 'customer', id: clientIp(c) } });
      return c.redirect(withLang(`/ticket?no=${encodeURIComponent(out.ticket.number)}&sent=${out.reopened ? 'reopened' : '1'}`, lang), 303);
    } catch (err) {
      if (!(err instanceof BuyerMessageError)) throw err;
      switch (err.kind) {
        case 'not_found':
          return ticketPage(c, 404, lang, no, undefined);
        case 'invalid':
          return ticketPage(c, 400, lang, no, session.orderNo, { note: { kind: 'error', text: t.ticketMessageInvalid(BUYER_MESSAGE_MAX) }, draft });
        case 'too_many':
          tooMany(c, err.retryAfterS ?? 600);
          return ticketPage(c, 429, lang, no, session.orderNo, { note: { kind: 'error', text: t.ticketMessageTooMany(err.retryAfterS ?? 600) }, draft });
        case 'closed':
          return ticketPage(c, 403, lang, no, session.orderNo, { note: { kind: 'error', text: t.ticketClosedLong } });
      }
    }
  });

  // a page path asked with another method: the page, 405 and Allow (never JSON to a browser)
  const wrongMethod = (allow: string) => (c: Context) => {
    c.header('allow', allow);
    return lookupPage(c, 405, langOf(c.req.query('lang')));
  };
  for (const p of POST_PATHS) app.all(p, wrongMethod('POST'));
  for (const p of GET_PATHS) app.all(p, wrongMethod('GET, HEAD'));
}
