/** The lookup form: order number (or the gateway's transaction number) and the query secret. */
import { QUERY_SECRET_MAX } from '../schemas.ts';
import { CsrfField, Notice } from './layout.tsx';
import { strings, withLang, type Lang } from './strings.ts';

export interface LookupProps {
  lang: Lang;
  csrf: string;
  error?: string;
  /** what the buyer typed (never the secret) */
  orderNo?: string;
}

export function LookupForm(p: LookupProps) {
  const t = strings(p.lang);
  return (
    <>
      <h1>{t.siteTitle}</h1>
      <p class="lead">{t.intro}</p>
      {p.error ? <Notice kind="error">{p.error}</Notice> : null}
      <form method="post" action={withLang('/lookup', p.lang)} class="card lookup" autocomplete="off">
        <CsrfField token={p.csrf} />
        <div class="field">
          <label for="orderNo">{t.orderNo}</label>
          <input
            id="orderNo" name="orderNo" type="text" inputmode="text" required maxlength={64} autocapitalize="characters"
            spellcheck={false} value={p.orderNo ?? ''} aria-describedby="orderNo-hint" autofocus={!p.orderNo}
          />
          <p id="orderNo-hint" class="hint">{t.orderNoHint}</p>
        </div>
        <div class="field">
          <label for="secret">{t.secret}</label>
          {/* with the order number pre-filled (the buyer's email links here), the secret is what is left to type */}
          <input
            id="secret" name="secret" type="password" required maxlength={QUERY_SECRET_MAX} autocomplete="off" aria-describedby="secret-hint"
            autofocus={!!p.orderNo}
          />
          <p id="secret-hint" class="hint">{t.secretHint}</p>
        </div>
        <button type="submit" class="primary">{t.submit}</button>
      </form>
      <details class="card lost" id="lost-secret">
        <summary>{t.lostTitle}</summary>
        {t.lostBody.map((line) => <p>{line}</p>)}
      </details>
    </>
  );
}
