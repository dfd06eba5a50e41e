/**
 * Where a `node --cpu-prof` profile spent its time, by self time: grouped by package (node_modules),
 * by our own source file, by node's internals, and the top functions. Used on the server's profile
 * from `npm run bench:load -- --latency 0 --cpu-prof DIR` to find the check's own costs.
 *
 *   node bin/run-ts.js bench/profile-summary.ts DIR/CPU.*.cpuprofile [--top 30]
 *
 * Idle time is left out of the percentages: they are shares of the time the process was busy.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

/** node_modules/<pkg> (scoped too), our src/bench file, node:internal, or the V8 pseudo-frame's name */
function groupOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `pkg ${nm[1]}`;
  const own = /\/((?:src|bench|bin)\/.*)$/.exec(url);
  if (own) return own[1]!;
  if (url.startsWith('node:')) return url.replace(/^node:internal\/(deps\/)?/, 'node ').replace(/\/.*$/, '');
  return url;
}

const { values: opts, positionals } = parseArgs({ options: { top: { type: 'string', default: '30' } }, allowPositionals: true });
if (positionals.length !== 1) {
  console.error('usage: profile-summary.ts FILE.cpuprofile [--top N]');
  process.exit(2);
}
const top = Number(opts.top);
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
/** the nearest frame in our own code at or above this node: who asked for the work */
function ownCaller(id: number): string {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
    const m = /\/(src\/.*)$/.exec(url);
    if (m) return `${functionName || '(anonymous)'}  ${m[1]}:${lineNumber + 1}`;
  }
  return '(no own caller: server, framework, timers)';
}

const groups = new Map<string, number>();
const callers = new Map<string, number>();
const functions = new Map<string, number>();
let busy = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  if (functionName === '(idle)') {
    idle += us;
    continue;
  }
  busy += us;
  const g = groupOf(url, functionName);
  groups.set(g, (groups.get(g) ?? 0) + us);
  const c = ownCaller(id);
  callers.set(c, (callers.get(c) ?? 0) + us);
  const f = `${functionName || '(anonymous)'}  ${g}:${lineNumber + 1}`;
  functions.set(f, (functions.get(f) ?? 0) + us);
}

const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
};
console.log(`profile ${positionals[0]}: busy ${(busy / 1e6).toFixed(1)} s, idle ${(idle / 1e6).toFixed(1)} s`);
print('self time by package / file', groups);
print('self time by function', functions);
print('self time by nearest own caller (src/*): what our code asked for, libraries included', callers);
