/**
 * The posted form's fields. A body that does not parse as the form it claims to be (a broken
 * multipart boundary, say) is an empty form: it then fails the CSRF check like any forged post
 * (403, the page, nothing written) instead of escaping as a 500.
 */
import type { Context } from 'hono';

export type Form = Record<string, string | File | (string | File)[]>;

export async function readForm(c: Context): Promise<Form> {
  try {
    return await c.req.parseBody();
  } catch {
    return {};
  }
}
