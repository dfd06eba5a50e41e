import { useStrings } from '../strings.ts';
import { Csrf, Notice } from './layout.tsx';

export function SignIn(p: { csrf: string; error?: string }) {
  const t = useStrings();
  return (
    <section class="card narrow" aria-labelledby="signin-h">
      <h1 id="signin-h">{t.signIn}</h1>
      {p.error ? <Notice kind="error">{p.error}</Notice> : null}
      <form method="post" action="/agent/sign-in">
        <Csrf token={p.csrf} />
        <label for="token">{t.tokenLabel}</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required spellcheck={false} />
        <p class="hint">{t.tokenHint}</p>
        <button class="primary" type="submit">{t.signIn}</button>
      </form>
    </section>
  );
}
