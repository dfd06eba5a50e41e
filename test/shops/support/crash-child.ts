/**
 * The process every shop's crash suite kills (driven by crash.ts): it diagnoses one order of
 * whichever shop SHOP names (dujiaoka, acg-faka, dujiao-next) with apply, as the sweep (or the
 * buyer's check) would, and dies by SIGKILL at the point CRASH_AT names, with no chance to clean up:
 *   prepared        the journal entry is committed in our database, the shop's transaction is not;
 *   shop_committed  the shop has committed the delivery, our own transaction has not started;
 *   hold            after the journal entry, it waits (holding the shop's order row lock) for a line
 *                   on stdin, then finishes normally: a delivery in flight, for recovery to meet.
 * The seam is the shop port's `deliver` only (its journal wrapped): no production code changes, and
 * nothing here knows which shop it is.
 *
 * Run as `node bin/run-ts.js test/shops/support/crash-child.ts`, configured by the environment like
 * order-doctor itself, plus CRASH_AT, CRASH_NOW (the clock), CRASH_ORDER, CRASH_ACTOR
 * (sweep | customer) and CRASH_SECRET (the buyer's 查询密码, for customer).
 */
import { createInterface } from 'node:readline';
import { loadConfig } from '../../../src/config.ts';
import { createServices } from '../../../src/services.ts';
import { diagnose } from '../../../src/engine/diagnose.ts';
import { customerCheck } from '../../../src/engine/customer-check.ts';
import type { ShopPort } from '../../../src/shops/port.ts';
import { NO_LOG_CONTEXT } from '../../../src/observability/context.ts';

const at = process.env.CRASH_AT;
if (at !== 'prepared' && at !== 'shop_committed' && at !== 'hold') throw new Error(`CRASH_AT: expected prepared | shop_committed | hold, got ${at}`);
const orderNo = process.env.CRASH_ORDER!;
const now = new Date(process.env.CRASH_NOW!);

/** SIGKILL: no finally, no exit handler, no pool closing; the sockets simply drop. */
async function die(): Promise<never> {
  process.kill(process.pid, 'SIGKILL');
  return new Promise<never>(() => {});
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const svc = await createServices(loadConfig(process.env), { now: () => now, migrated: true });
const shop: ShopPort = svc.shop;
svc.shop = {
  ...shop,
  async deliver(req, dc) {
    const journal = {
      async prepare(entry: Parameters<typeof dc.journal.prepare>[0]) {
        await dc.journal.prepare(entry);
        if (at === 'prepared') await die();
        if (at === 'hold') {
          process.stdout.write(`prepared ${entry.id}\n`);
          await lines.next();
        }
      },
    };
    const out = await shop.deliver(req, { ...dc, journal });
    if (at === 'shop_committed') await die();
    return out;
  },
};

async function run(): Promise<{ verdict: string; action: string }> {
  if (process.env.CRASH_ACTOR !== 'customer') return diagnose(svc, { orderNo, actor: { kind: 'sweep', id: 'crash-child' }, apply: true, logContext: NO_LOG_CONTEXT });
  const out = await customerCheck(svc, { orderNo, secret: process.env.CRASH_SECRET ?? '', logContext: NO_LOG_CONTEXT });
  if (!out.ok) throw new Error(out.error);
  return out.result;
}
const { verdict, action } = await run();
process.stdout.write(`done ${verdict} ${action}\n`);
await svc.close();
process.exit(0);
