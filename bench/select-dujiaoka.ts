/**
 * `npm run bench:select [-- --orders 1000000 --days 60 --keep]`
 *
 * The sweep's selection on a big dujiaoka shop (MariaDB): a dujiaoka database built from our DDL
 * (fixtures/dujiaoka/schema.sql, nothing in it disabled) with N orders created over the last `days`
 * days in the shop's wall clock (Asia/Shanghai), ids ascending with time, in a realistic mix (~85%
 * completed with one key in info, ~10% expired, ~3% waiting, ~1.5% abnormal, ~0.5% manual goods
 * pending; paid through alipay, wepay, yipay and stripe rows). Then, with order-doctor's own
 * database on PGlite and again on Postgres (when reachable), times:
 *  (a) a sweeper's first selection, no cursor yet: the adapter's findStuck (binary search on the
 *      primary key to the 25 h window, then the walk of the window) and batch.done();
 *  (b) steady state: a minute later, after ~70 new orders (a busy shop's minute), from the cursor;
 *  (c) for comparison, the naive selection without a cursor: created_at > ? and status in (...),
 *      a full scan (dujiaoka has no index on created_at or status);
 *  (d) finding one order by order_sn (unique index) and by trade_no, without and with an index on
 *      trade_no (the index `shop check` recommends), median of 20.
 * "rows read" is the sum of the server's Handler_read_* counters over the step (rows the engine
 * handed out, by index or by scan), "statements" its Com_select: both server-wide, so another
 * client of the same server (a test suite) shows up in them; the counters' own reads add a few rows. The generated database is dropped at the end unless
 * `--keep`; a kept one is reused by the next run (its last order's time stands for "now").
 * MariaDB: TEST_SHOP_DATABASE_URL, else mysql://root@127.0.0.1:3306/; Postgres: DATABASE_URL,
 * else postgres://postgres@127.0.0.1:5432/postgres. Prints numbers; asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { drizzle } from 'drizzle-orm/mysql2';
import { loadConfig, type ShopConfig } from '../src/config.ts';
import { createSecretBox, newMasterKey, type SecretBox } from '../src/crypto/secret-box.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { sandboxKeys } from '../src/sandbox/credentials.ts';
import { fromShopTime, toShopTime } from '../src/shops/local-time.ts';
import { openDujiaokaShop, shopPool } from '../src/shops/dujiaoka/index.ts';
import { idBefore } from '../src/shops/dujiaoka/stuck.ts';
import { dujiaokaTables } from '../src/shops/dujiaoka/tables.ts';
import type { DujiaokaContext } from '../src/shops/dujiaoka/context.ts';
import type { ShopPort } from '../src/shops/port.ts';
import { scratchPostgres } from './scratch-postgres.ts';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '60' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(values.orders);
const DAYS = Number(values.days);
if (!Number.isInteger(N) || N < 1000) throw new Error('--orders: expected an integer >= 1000');
if (!(DAYS > 1)) throw new Error('--days: expected a number > 1');
const SERVER = process.env.TEST_SHOP_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/';
const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ZONE = 'Asia/Shanghai';
const HORIZON_MS = 25 * 3_600_000;
const NAME = `od_bench_select_${N}`;
const DDL = readFileSync(new URL('../fixtures/dujiaoka/schema.sql', import.meta.url), 'utf8');
const CHUNK = 50_000;
/** a busy shop's minute */
const PER_MINUTE = 70;
const STEADY_RUNS = 10;

const dbUrl = (() => {
  const u = new URL(SERVER);
  u.pathname = `/${NAME}`;
  return u.toString();
})();

// ---- generation ----

/**
 * The orders numbered by `source`'s seq, part of a run of `count` orders from `from` created evenly
 * from the wall-clock `start` over `spanSeconds` (so ids ascend with time). Everything else derives
 * from a hash of the sequence number.
 */
function insertOrdersSql(source: string, from: number, count: number, start: string, spanSeconds: number): string {
  // r: the status bucket (per mille); g: goods; p: pay channel (alipay 45%, wepay 25%, yipay 20%, stripe 10%)
  return `
insert into orders (order_sn, goods_id, coupon_id, title, type, goods_price, buy_amount, total_price, actual_price,
  search_pwd, email, info, pay_id, buy_ip, trade_no, status, created_at, updated_at)
select order_sn, goods_id, 0, concat('商品 #', goods_id, ' x 1'), type, price, 1, price, price,
  search_pwd, email,
  case when status = 4 and type = 1 then concat_ws('-', substr(k, 1, 4), substr(k, 5, 4), substr(k, 9, 4), substr(k, 13, 4))
       when status = 4 then concat('账号: ', email, ' 密码: ', substr(k, 1, 10))
       when status = 6 then '库存不足' end,
  pay_id, buy_ip,
  case when status not in (4, 6, 2) then ''
       when pay_id = 1 then concat(date_format(created_at, '%Y%m%d'), '22001', lpad(s, 15, '0'))
       when pay_id = 8 then concat('42000', lpad(s, 15, '0'), date_format(created_at, '%Y%m%d'))
       when pay_id = 14 then concat(date_format(created_at, '%Y%m%d%H%i%s'), lpad(s, 8, '0'))
       else concat('pi_', substr(k, 1, 24)) end,
  status, created_at, created_at + interval (h mod 300) second
from (
  select s, h, k, created_at, pay_id, status, search_pwd, email, buy_ip, order_sn,
    goods_id, if(goods_id > 16, 2, 1) as type, cast(goods_id * 10 as decimal(10, 2)) as price
  from (
    select s, h, k, created_at,
      case when (h div 1000) mod 20 < 9 then 1 when (h div 1000) mod 20 < 14 then 8 when (h div 1000) mod 20 < 18 then 14 else 21 end as pay_id,
      case when h mod 1000 < 850 then 4 when h mod 1000 < 950 then -1 when h mod 1000 < 980 then 1 when h mod 1000 < 995 then 6 else 2 end as status,
      case when h mod 1000 >= 995 then 17 + (h div 20000) mod 4        -- manual goods pending
           when h mod 1000 >= 980 then 1 + (h div 20000) mod 16        -- abnormal: automatic goods
           else 1 + (h div 20000) mod 20 end as goods_id,
      if(h mod 3 = 0, '', lpad((h div 7) mod 1000000, 6, '0')) as search_pwd,
      concat('buyer', (h div 11) mod 200000, '@example.com') as email,
      concat('10.', s mod 256, '.', (s div 256) mod 256, '.', (s div 65536) mod 256) as buy_ip,
      concat(upper(substr(k, 17, 8)), lpad(upper(conv(s, 10, 36)), 8, '0')) as order_sn
    from (
      select seq as s, crc32(concat('o', seq)) as h, md5(seq) as k,
        timestamp'${start}' + interval floor((seq - ${from}) * ${spanSeconds} / ${count}) second as created_at
      from ${source}
    ) base
  ) mixed
) shaped
order by s`;
}

async function hasSequenceEngine(conn: mysql.Connection): Promise<boolean> {
  const [rows] = await conn.query(`select 1 from information_schema.engines where engine = 'SEQUENCE' and support in ('YES', 'DEFAULT')`);
  return (rows as unknown[]).length > 0;
}

/** seq_a_to_b where MariaDB has its SEQUENCE engine, else a recursive CTE. */
async function sequenceSource(conn: mysql.Connection): Promise<(from: number, to: number) => { prefix: string; table: string }> {
  if (await hasSequenceEngine(conn)) return (from, to) => ({ prefix: '', table: `seq_${from}_to_${to}` });
  await conn.query('set session max_recursive_iterations = 10000000').catch(() => conn.query('set session cte_max_recursion_depth = 10000000'));
  return (from, to) => ({
    prefix: `with recursive seq_src(seq) as (select ${from} union all select seq + 1 from seq_src where seq < ${to}) `,
    table: 'seq_src',
  });
}

/** Orders `from..to`, created evenly from the wall-clock `start` over `spanSeconds`, in statements of CHUNK rows. */
async function insertOrders(conn: mysql.Connection, from: number, to: number, start: string, spanSeconds: number): Promise<void> {
  const source = await sequenceSource(conn);
  for (let a = from; a <= to; a += CHUNK) {
    const b = Math.min(to, a + CHUNK - 1);
    const { prefix, table } = source(a, b);
    const q = insertOrdersSql(table, from, to - from + 1, start, spanSeconds);
    // the CTE goes between INSERT's column list and its SELECT
    await conn.query(prefix ? q.replace('\nselect order_sn,', `\n${prefix}select order_sn,`) : q);
    if (to - from > CHUNK && process.stdout.isTTY) process.stdout.write(`\r  generating: ${b - from + 1} / ${to - from + 1}`);
  }
  if (to - from > CHUNK && process.stdout.isTTY) process.stdout.write("\n");
}

async function generate(admin: mysql.Connection): Promise<void> {
  await admin.query(`create database ${NAME} character set utf8mb4`);
  const conn = await mysql.createConnection({ uri: dbUrl, multipleStatements: true, dateStrings: true });
  try {
    await conn.query(DDL);
    const k = sandboxKeys;
    await conn.query(
      'insert into pays (id, pay_name, pay_check, pay_method, pay_client, merchant_id, merchant_key, merchant_pem, pay_handleroute, is_open) values ?',
      [[
        [1, '支付宝当面付', 'zfbf2f', 1, 1, k.alipay.appId, k.alipay.alipayPublicKey, k.alipay.merchantPrivateKey, '/pay/alipay', 1],
        [8, '微信扫码', 'wescan', 1, 1, k.wechatpayV2.appid, k.wechatpayV2.mchid, k.wechatpayV2.key, '/pay/wepay', 1],
        [14, '易支付-支付宝', 'alipay', 1, 1, k.epay.pid, 'https://pay.example.com/submit.php', k.epay.key, '/pay/yipay', 1],
        [21, 'Stripe[微信支付宝]', 'stripe', 1, 1, 'pk_live_x', null, 'sk_live_x', 'pay/stripe', 1],
      ]],
    );
    await conn.query(
      'insert into goods (id, gd_name, actual_price, type, in_stock, created_at, updated_at) values ?',
      [Array.from({ length: 20 }, (_, i) => [i + 1, `商品 #${i + 1}`, (i + 1) * 10, i + 1 > 16 ? 2 : 1, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00'])],
    );
    const end = new Date();
    const span = Math.round(DAYS * 86_400);
    await insertOrders(conn, 1, N, toShopTime(new Date(end.getTime() - span * 1000), ZONE), span);
    await conn.query('analyze table orders');
  } finally {
    await conn.end();
  }
}

// ---- measuring ----

/** Rows the server's storage engines handed out (every Handler_read_* counter) and SELECTs run, server-wide. */
async function status(pool: mysql.Pool): Promise<{ rowsRead: number; selects: number }> {
  const [rows] = await pool.query(`show global status where variable_name like 'Handler_read%' or variable_name = 'Com_select'`); // not itself a Com_select
  let rowsRead = 0;
  let selects = 0;
  for (const r of rows as { Variable_name: string; Value: string }[]) {
    if (/^com_select$/i.test(r.Variable_name)) selects = Number(r.Value);
    else rowsRead += Number(r.Value);
  }
  return { rowsRead, selects };
}

/** Times `fn`, with the rows the server read and the SELECTs it ran meanwhile, and this process's CPU time. */
async function timed<T>(pool: mysql.Pool, fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; rowsRead: number; selects: number; value: T }> {
  const before = await status(pool);
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = await fn();
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  const after = await status(pool);
  return { ms, cpuMs: (used.user + used.system) / 1000, rowsRead: after.rowsRead - before.rowsRead, selects: after.selects - before.selects, value };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const line = (k: string, v: string) => console.log(`  ${k.padEnd(44)} ${v}`);

type DujiaokaConfig = Extract<ShopConfig, { kind: 'dujiaoka' }>;
const shopConfig = loadConfig({ SHOP: 'dujiaoka', SHOP_DATABASE_URL: dbUrl, SHOP_TIMEZONE: ZONE }).shop as DujiaokaConfig;

async function openShop(database: Database, box: SecretBox, now: () => Date): Promise<ShopPort> {
  return openDujiaokaShop(shopConfig, { database, box, now });
}

/** The shop's clock: its last order's time (a freshly generated shop ends now). */
async function lastOrder(pool: mysql.Pool): Promise<{ id: number; at: Date }> {
  const [[row]] = (await pool.query('select id, created_at from orders order by id desc limit 1')) as unknown as [[{ id: number; created_at: string }]];
  return { id: Number(row.id), at: fromShopTime(row.created_at, ZONE)! };
}

/** (a) and (b) with order-doctor's own database `database` (the cursor lives there). */
async function selection(kind: string, database: Database, pool: mysql.Pool, box: SecretBox): Promise<void> {
  await migrateDatabase(database);
  const last = await lastOrder(pool);
  let now = new Date(last.at.getTime() + 1000);
  const shop = await openShop(database, box, () => now);
  console.log(`\n== selection, own database on ${kind}`);
  try {
    const horizonStart = toShopTime(new Date(now.getTime() - HORIZON_MS), ZONE);
    const ripe = toShopTime(new Date(now.getTime() - shopConfig.autoWindowMs), ZONE);
    const [[w]] = (await pool.query('select count(*) as n from orders where created_at > ? and created_at <= ?', [horizonStart, ripe])) as unknown as [[{ n: number }]];

    // the binary search alone: the adapter's own function, on the part of its context it reads
    const ctxPool = shopPool(dbUrl);
    const probe: Pick<DujiaokaContext, 'db' | 't' | 'zone'> = { db: drizzle({ client: ctxPool }), t: dujiaokaTables(''), zone: ZONE };
    const ctx = probe as DujiaokaContext;
    await idBefore(ctx, new Date(now.getTime() - HORIZON_MS)); // warm: connection
    const search = await timed(pool, () => idBefore(ctx, new Date(now.getTime() - HORIZON_MS)));
    await ctxPool.end();

    const first = await timed(pool, async () => {
      const batch = await shop.findStuck({ now, horizonMs: HORIZON_MS, limit: 100_000 });
      await batch.done();
      return batch.orders;
    });
    const reasons = new Map<string, number>();
    for (const o of first.value) reasons.set(o.reason, (reasons.get(o.reason) ?? 0) + 1);
    line('(a) first selection (no cursor): findStuck+done', `${ms(first.ms)} ms (${ms(first.cpuMs)} ms CPU in this process); ${w.n} orders in the 25 h window (ripe), ${first.value.length} candidates (${[...reasons].map(([r, n]) => `${r} ${n}`).join(', ')}); ${first.rowsRead} rows read, ${first.selects} statements`);
    line('    of which the binary search (idBefore)', `${ms(search.ms)} ms; ${search.rowsRead} rows read, ${search.selects} statements`);

    // (b) a minute at a time: ~70 new orders, then the sweeper's selection from its cursor
    const steady: { ms: number; cpuMs: number; rowsRead: number; selects: number; n: number }[] = [];
    const conn = await mysql.createConnection({ uri: dbUrl, dateStrings: true });
    try {
      let nextId = last.id + 1;
      for (let m = 0; m < STEADY_RUNS; m++) {
        await insertOrders(conn, nextId, nextId + PER_MINUTE - 1, toShopTime(new Date(now.getTime() + 1000), ZONE), 59);
        nextId += PER_MINUTE;
        now = new Date(now.getTime() + 60_000);
        const r = await timed(pool, async () => {
          const batch = await shop.findStuck({ now, horizonMs: HORIZON_MS, limit: 100_000 });
          await batch.done();
          return batch.orders.length;
        });
        steady.push({ ms: r.ms, cpuMs: r.cpuMs, rowsRead: r.rowsRead, selects: r.selects, n: r.value });
      }
      // leave the shop as generated
      await conn.query('delete from orders where id > ?', [last.id]);
    } finally {
      await conn.end();
    }
    const s0 = steady[0]!;
    line(`(b) steady state, 1 min later, +${PER_MINUTE} orders`, `${ms(s0.ms)} ms (${ms(s0.cpuMs)} ms CPU); ${s0.n} candidate(s); ${s0.rowsRead} rows read, ${s0.selects} statements`);
    line(`    ${STEADY_RUNS} such minutes: median / max`, `${ms(median(steady.map((x) => x.ms)))} / ${ms(Math.max(...steady.map((x) => x.ms)))} ms; rows read median ${median(steady.map((x) => x.rowsRead))}`);
  } finally {
    await shop.close();
  }
}

/** (c) and (d): the shop's own queries, whatever order-doctor's database. */
async function scans(pool: mysql.Pool, database: Database, box: SecretBox): Promise<void> {
  const last = await lastOrder(pool);
  const now = new Date(last.at.getTime() + 1000);
  console.log('\n== without the cursor, and lookups of one order');
  const horizonStart = toShopTime(new Date(now.getTime() - HORIZON_MS), ZONE);
  const naive = `select o.id, o.order_sn, o.goods_id, o.type, o.status, o.buy_amount, o.created_at, o.deleted_at, p.pay_handleroute,
      case when o.status = 4 and o.type = 1 then char_length(trim(o.info)) - char_length(replace(trim(o.info), '\\n', '')) + (trim(o.info) <> '') end as info_lines
    from orders o left join pays p on p.id = o.pay_id
    where o.created_at > ? and o.status in (-1, 1, 2, 4, 6)`;
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await timed(pool, async () => ((await pool.query(naive, [horizonStart]))[0] as unknown[]).length));
  line('(c) naive scan: created_at > ? and status in', `${runs.map((r) => ms(r.ms)).join(' / ')} ms (3 runs); ${runs[0]!.value} rows returned, ${runs[0]!.rowsRead} rows read`);

  // (d) lookups: 20 orders anywhere for order_sn; 20 recent ones (last 25 h) and 20 unknown numbers for trade_no
  const pick = async (lo: number, hi: number, col: 'order_sn' | 'trade_no'): Promise<string[]> => {
    const out: string[] = [];
    for (let i = 0; out.length < 20 && i < 1000; i++) {
      const id = lo + Math.floor(Math.random() * (hi - lo));
      const [[r]] = (await pool.query(`select ${col} as v from orders where id >= ? order by id limit 1`, [id])) as unknown as [[{ v: string } | undefined]];
      if (r?.v) out.push(r.v);
    }
    return out;
  };
  const windowFirst = (await pool.query('select min(id) as id from orders where id > ? and created_at > ?', [Math.max(0, last.id - Math.ceil((N / DAYS) * 1.2)), horizonStart]) as unknown as [[{ id: number }]])[0][0].id;
  const sns = await pick(1, last.id, 'order_sn');
  const recentTrades = await pick(Number(windowFirst), last.id, 'trade_no');
  const unknownTrades = Array.from({ length: 20 }, (_, i) => `2026112222001${String(900_000_000_000_000 + i)}`);
  const each = async (xs: string[], fn: (x: string) => Promise<unknown>) => {
    const t: number[] = [];
    let rowsRead = 0;
    for (const x of xs) {
      const r = await timed(pool, () => fn(x));
      t.push(r.ms);
      rowsRead += r.rowsRead;
    }
    return `${ms(median(t))} ms median of ${xs.length} (max ${ms(Math.max(...t))}), ${Math.round(rowsRead / xs.length)} rows read each`;
  };
  const clock = () => now;
  let shop = await openShop(database, box, clock);
  try {
    await shop.find(sns[0]!);
    line('(d) by order_sn (adapter: shop.find)', await each(sns, (sn) => shop.find(sn)));
  } finally {
    await shop.close();
  }
  // what a lookup by trade_no costs the shop without an index: the adapter does not issue it then (it
  // asks the gateways instead), so this is the adapter's query by hand
  const byTrade = `select o.id, o.order_sn, o.status, o.info, g.gd_name, p.pay_handleroute
    from orders o left join goods g on g.id = o.goods_id left join pays p on p.id = o.pay_id
    where o.trade_no = ? and o.trade_no <> '' and o.deleted_at is null limit 1`;
  line('    by trade_no, no index, recent order (SQL)', await each(recentTrades, (t) => pool.query(byTrade, [t])));
  line('    by trade_no, no index, unknown number (SQL)', await each(unknownTrades, (t) => pool.query(byTrade, [t])));
  const index = await timed(pool, () => pool.query('alter table orders add index idx_trade_no (trade_no)'));
  line('    create index idx_trade_no (trade_no)', `${(index.ms / 1000).toFixed(1)} s`);
  try {
    shop = await openShop(database, box, clock);
    try {
      await shop.find(recentTrades[0]!);
      line('    by trade_no, indexed, recent (shop.find)', await each(recentTrades, (t) => shop.find(t)));
      line('    by trade_no, indexed, unknown (shop.find)', await each(unknownTrades, (t) => shop.find(t)));
    } finally {
      await shop.close();
    }
  } finally {
    // the shop as dujiaoka ships it again
    await pool.query('alter table orders drop index idx_trade_no');
  }
}

async function main() {
  const started = performance.now();
  const admin = await mysql.createConnection({ uri: SERVER, connectTimeout: 3000 });
  const [[v]] = (await admin.query('select version() as v, @@innodb_buffer_pool_size as bp')) as unknown as [[{ v: string; bp: string }]];
  console.log(`dujiaoka selection benchmark: ${N} orders over ${DAYS} days; MariaDB ${v.v} (innodb_buffer_pool_size ${Math.round(Number(v.bp) / 1048576)} MB); node ${process.version}; load average ${loadavg()[0]!.toFixed(1)}`);
  const [existing] = await admin.query('select schema_name from information_schema.schemata where schema_name = ?', [NAME]);
  let reuse = (existing as unknown[]).length > 0;
  if (reuse) {
    const [[c]] = (await admin.query(`select count(*) as n from ${NAME}.orders`).catch(() => [[{ n: 0 }]])) as unknown as [[{ n: number }]];
    if (Number(c.n) !== N) {
      await admin.query(`drop database ${NAME}`);
      reuse = false;
    }
  }
  try {
    if (reuse) {
      console.log(`  reusing the kept database ${NAME} (its last order's time stands for now)`);
    } else {
      const t = performance.now();
      await generate(admin);
      console.log(`  generated ${N} orders in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const pool = mysql.createPool({ uri: dbUrl, dateStrings: true, connectionLimit: 2 });
    try {
      const [[size]] = (await pool.query(
        `select data_length as d, index_length as i from information_schema.tables where table_schema = database() and table_name = 'orders'`,
      )) as unknown as [[{ d: number; i: number }]];
      const [[span]] = (await pool.query('select min(created_at) as a, max(created_at) as b, count(*) as n from orders')) as unknown as [[{ a: string; b: string; n: number }]];
      const [mix] = await pool.query('select status, count(*) as n from orders group by status order by n desc');
      console.log(`  orders: ${span.n} from ${span.a} to ${span.b} (${ZONE}); data ${Math.round(Number(size.d) / 1048576)} MB, indexes ${Math.round(Number(size.i) / 1048576)} MB`);
      console.log(`  statuses: ${(mix as { status: number; n: number }[]).map((r) => `${r.status}: ${(100 * Number(r.n) / Number(span.n)).toFixed(1)}%`).join(', ')}`);

      const box = await createSecretBox(newMasterKey());
      const pglite = await openDatabase({});
      await selection('PGlite', pglite, pool, box);
      let scratch: Awaited<ReturnType<typeof scratchPostgres>> | undefined;
      try {
        scratch = await scratchPostgres(PG, 'od_bench_select');
        const pg = await openDatabase({ url: scratch.url, maxConnections: 4 });
        try {
          await selection('Postgres', pg, pool, box);
        } finally {
          await pg.close();
        }
      } catch (err) {
        console.log(`\n== selection, own database on Postgres: skipped (${(err as Error).message})`);
      } finally {
        await scratch?.drop();
      }
      await scans(pool, pglite, box);
      await pglite.close();
    } finally {
      await pool.end();
    }
  } finally {
    if (values.keep) {
      console.log(`\n  kept ${NAME} (--keep): the next run reuses it`);
    } else {
      await admin.query(`drop database if exists ${NAME}`);
    }
    await admin.end();
  }
  console.log(`  total ${((performance.now() - started) / 1000).toFixed(0)} s; load average at the end ${loadavg()[0]!.toFixed(1)} (1 min; other work on the machine shows here)`);
}

await main();
