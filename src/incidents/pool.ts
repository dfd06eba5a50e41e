/**
 * Runs `fn` over `items`, at most `limit` at a time, results in input order. Bulk diagnoses each ask
 * a gateway and hold a database connection: an incident of 100 orders must not open 100 of each
 * (and a gateway that is already struggling should not be hit all at once).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
