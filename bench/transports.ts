/**
 * CPU per upstream call of the HTTP client's two transports (net/transports.ts): node:http (Node's
 * default) and fetch (what a Worker uses), against a local server in a child process whose CPU is
 * not counted. Rounds alternate the two, so a busy machine weighs on both alike. Prints numbers.
 *
 *   node bin/run-ts.js bench/transports.ts [--calls 3000] [--rounds 5] [--concurrency 8]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fetchTransport, nodeTransport, type Transport } from '../src/net/transports.ts';

const { values: args } = parseArgs({
  options: { calls: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '8' } },
});

/** the child: a gateway-sized JSON answer to every request; prints its port */
const SERVER = `
const body = JSON.stringify({ alipay_trade_query_response: { code: '10000', msg: 'Success', trade_status: 'TRADE_SUCCESS', out_trade_no: 'B2026112200001', total_amount: '100.00' }, sign: 'A'.repeat(344) });
const server = require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' }).end(body)); });
server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;

const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
const url = `http://127.0.0.1:${port}/gateway.do`;
const body = `app_id=2021000000000000&method=alipay.trade.query&biz_content=${encodeURIComponent('{"out_trade_no":"B2026112200001"}')}&sign=${'A'.repeat(344)}`;
const limits = { maxConnections: 16, connectTimeoutMs: 3000, headersTimeoutMs: 8000, bodyTimeoutMs: 8000 };
const transports: Record<string, Transport> = { 'node:http': nodeTransport(limits), fetch: fetchTransport((u, i) => fetch(u, i), limits) };
const headers = { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' };

async function cpuPerCall(t: Transport, calls: number): Promise<number> {
  const before = process.cpuUsage();
  let next = 0;
  await Promise.all(Array.from({ length: Number(args.concurrency) }, async () => {
    while (next++ < calls) {
      const ac = new AbortController();
      await t.send({ method: 'POST', url, headers, body }, ac.signal);
    }
  }));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / calls;
}

for (const t of Object.values(transports)) await cpuPerCall(t, 500); // warm up
const results: Record<string, number[]> = { 'node:http': [], fetch: [] };
for (let r = 0; r < Number(args.rounds); r++) {
  for (const [name, t] of Object.entries(transports)) results[name]!.push(await cpuPerCall(t, Number(args.calls)));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`upstream call, CPU ms per call (this process), ${args.rounds} rounds of ${args.calls} calls, concurrency ${args.concurrency}, node ${process.version}`);
for (const [name, xs] of Object.entries(results)) console.log(`  ${name.padEnd(10)} median ${median(xs).toFixed(3)}  (rounds: ${xs.map((x) => x.toFixed(3)).join(' ')})`);
await Promise.all(Object.values(transports).map((t) => t.close()));
child.kill();
