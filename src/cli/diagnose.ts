import type { Config } from '../config.ts';
import { createServices } from '../services.ts';
import { diagnose } from '../engine/diagnose.ts';
import { resolveOrder } from '../engine/resolve.ts';
import { NO_LOG_CONTEXT } from '../observability/context.ts';
import { orderNoArg, parse, UsageError } from './args.ts';

export async function diagnoseCommand(args: string[], config: Config): Promise<number> {
  const { positionals, values } = parse(args, { apply: { type: 'boolean' }, json: { type: 'boolean' } });
  if (!positionals[0] || positionals.length > 1) throw new UsageError('usage: order-doctor diagnose <orderNo> [--apply] [--json]');
  const orderNo = orderNoArg(positionals[0]);
  const svc = await createServices(config);
  try {
    const lookup = await resolveOrder(svc, orderNo, NO_LOG_CONTEXT);
    const r = await diagnose(svc, { orderNo, lookup, actor: { kind: 'agent', id: 'cli' }, apply: values.apply === true, logContext: NO_LOG_CONTEXT });
    if (values.json) {
      console.log(JSON.stringify(r));
      return 0;
    }
    console.log(`${r.orderNo}: ${r.verdict}  action=${r.action}${r.suggested ? ` suggested=${r.suggested}` : ''}  keys held=${r.keysHeld}  (${r.durationMs} ms)`);
    console.log(`  ${r.explanation.en}`);
    console.log(`  ${r.explanation['zh-CN']}`);
    for (const [name, f] of Object.entries(r.findings)) {
      if (name === 'order' || !f) continue;
      const v = f as { ok: boolean; ms: number; error?: string };
      console.log(`  ${name.padEnd(9)} ${v.ok ? 'ok' : 'no evidence'} ${v.ms} ms${v.error ? `: ${v.error}` : ''}`);
    }
    if (r.ticket) console.log(`  ticket ${r.ticket.number}, respond by ${r.ticket.dueAt}`);
    return 0;
  } finally {
    await svc.close();
  }
}
