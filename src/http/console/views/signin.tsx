import { Csrf, Notice } from './layout.tsx';

export function SignIn(p: { csrf: string; error?: string }) {
  return (
    <section class="card narrow" aria-labelledby="signin-h">
      <h1 id="signin-h">Sign in</h1>
      {p.error ? <Notice kind="error">{p.error}</Notice> : null}
      <form method="post" action="/agent/sign-in">
        <Csrf token={p.csrf} />
        <label for="token">Agent token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required spellcheck={false} />
        <p class="hint">The token printed by <code>order-doctor agents create</code>. It is not kept in this browser: a session cookie is.</p>
        <button class="primary" type="submit">Sign in</button>
      </form>
    </section>
  );
}
