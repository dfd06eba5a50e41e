import { it } from 'vitest';
import { testDatabase } from '/work/main/test/support/db.ts';
import { Browser, ORDERS, pageApp, pageServices } from '/work/main/test/pages/support.ts';
import { createBuyerLimits } from '/work/main/src/http/rate-limits.ts';
it('t', async () => {
  const tdb = await testDatabase(); const svc = await pageServices(tdb.database);
  let t = 1_000_000;
  const b = new Browser(pageApp(svc, createBuyerLimits(true, () => t)));
  for (let i = 0; i < 5; i++) { const s = performance.now(); const r = await b.lookup(ORDERS.delivered.no, `0${i}`); console.log(r.status, performance.now() - s); }
  await svc.close(); await tdb.drop();
}, 60000);
