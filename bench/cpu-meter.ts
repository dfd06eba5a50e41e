/**
 * Where the machine's CPU went during a benchmark, by role: samples /proc every 500 ms and keeps
 * each process's last CPU time (user + system), so processes that exit mid-run (a sweeper, its
 * Postgres backends) still count up to their last sample. Linux only; elsewhere it reports nothing.
 */
import { cpus } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';

export type Role = 'sweeper' | 'sandbox' | 'postgres';

export interface CpuReport {
  /** CPU seconds by role */
  byRole: Record<Role, number>;
  /** CPU seconds the whole machine was busy (all processes, kernel included) */
  busy: number;
  wallSeconds: number;
  cores: number;
}

const TICK = 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

function roleOf(cmdline: string): Role | null {
  if (cmdline.includes('sandbox-server')) return 'sandbox';
  if (cmdline.includes('order-doctor.js')) return 'sweeper';
  if (cmdline.startsWith('postgres')) return 'postgres';
  return null;
}

function machineBusyTicks(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
  const n = fields.map(Number);
  const idle = (n[3] ?? 0) + (n[4] ?? 0); // idle + iowait
  return n.slice(0, 8).reduce((a, b) => a + b, 0) - idle;
}

export function startCpuMeter(): { stop(): CpuReport | null } {
  let supported = true;
  let busy0 = 0;
  try {
    busy0 = machineBusyTicks();
  } catch {
    supported = false;
  }
  const started = performance.now();
  const seen = new Map<number, { role: Role; first: number; last: number }>();
  const sample = () => {
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
        const known = seen.get(pid);
        if (known) {
          known.last = ticks;
          continue;
        }
        const role = roleOf(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
        // a process already running when the meter started counts from then on
        if (role) seen.set(pid, { role, first: performance.now() - started < 100 ? ticks : 0, last: ticks });
      } catch {
        // gone between listing and reading
      }
    }
  };
  if (supported) sample();
  const timer = supported ? setInterval(sample, 500) : undefined;
  return {
    stop() {
      if (!supported) return null;
      clearInterval(timer);
      sample();
      const byRole: Record<Role, number> = { sweeper: 0, sandbox: 0, postgres: 0 };
      for (const p of seen.values()) byRole[p.role] += (p.last - p.first) / TICK;
      return { byRole, busy: (machineBusyTicks() - busy0) / TICK, wallSeconds: (performance.now() - started) / 1000, cores: cpus().length };
    },
  };
}

/** Two lines for the benchmark's output: CPU per order by role, and what that cost allows on this machine. */
export function describeCpu(r: CpuReport | null, orders: number): string[] {
  if (!r) return ['  (CPU accounting needs Linux /proc)'];
  const ms = (s: number) => ((s * 1000) / orders).toFixed(2);
  const other = Math.max(0, r.busy - r.byRole.sweeper - r.byRole.sandbox - r.byRole.postgres);
  const perOrder = r.busy / orders;
  return [
    `  CPU per order: sweepers ${ms(r.byRole.sweeper)} ms, sandbox gateway ${ms(r.byRole.sandbox)} ms, postgres ${ms(r.byRole.postgres)} ms, other ${ms(other)} ms` +
      ` (machine busy ${((r.busy / (r.wallSeconds * r.cores)) * 100).toFixed(0)}% of ${r.cores} cores)`,
    `  at this cost the machine's ${r.cores} cores allow at most ${(r.cores / perOrder).toFixed(0)} orders/s; ` +
      `without the co-located sandbox ${(r.cores / ((r.busy - r.byRole.sandbox) / orders)).toFixed(0)} orders/s`,
  ];
}
