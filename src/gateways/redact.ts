/**
 * Exchanges are shown to agents and stored with a diagnosis, so secrets in them (EPay V1 puts the
 * merchant key in the query string) are replaced before anything is recorded.
 */

export const REDACTED = '***';

/**
 * Replaces the values of the named query parameters. Leaves an unparsable URL untouched except
 * for a textual replacement, so a secret is never leaked because the URL was odd.
 * @example redactUrl('https://pay.example/api.php?act=order&key=s3cret', ['key'])
 *   // 'https://pay.example/api.php?act=order&key=***'
 */
export function redactUrl(url: string, secretParams: string[]): string {
  if (secretParams.length === 0) return url;
  const names = new Set(secretParams);
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hashAt = url.indexOf('#', q);
  const query = hashAt < 0 ? url.slice(q + 1) : url.slice(q + 1, hashAt);
  const fragment = hashAt < 0 ? '' : url.slice(hashAt);
  // Rewrite pair by pair instead of via URLSearchParams so the other values keep their exact
  // encoding (an agent comparing with gateway logs should see the bytes that were sent).
  const rewritten = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        /* keep the raw name */
      }
      return names.has(name) ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, q + 1)}${rewritten}${fragment}`;
}

/** Same as redactUrl for an application/x-www-form-urlencoded body. */
export function redactForm(body: string, secretParams: string[]): string {
  return redactUrl(`?${body}`, secretParams).slice(1);
}

/** Keeps recorded bodies small; marks the cut so nobody mistakes it for a malformed answer. */
export function truncateBody(s: string, max = 4096): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max)}…[truncated ${s.length - max} chars]`;
}
