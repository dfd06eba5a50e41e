/**
 * Each checker's evidence as the diagnosis recorded it: ok or why not, how long it took, what it
 * found, and for upstream calls each exchange (what was asked, the answer, whether its signature
 * verified, attempts, timings). Secrets were redacted by the adapters before this was stored.
 */
import type { CheckerView, FindingsView } from '../../../engine/findings-view.ts';
import type { Exchange } from '../../../domain/payment.ts';

const NAMES = { payment: 'Payment gateway', issuance: 'Card-key issuance', migration: 'Legacy migration' } as const;

export function Evidence(p: { findings: FindingsView }) {
  const f = p.findings;
  return (
    <div class="evidence">
      {(['payment', 'issuance', 'migration'] as const).map((name) => {
        const v = f[name];
        return v ? <Checker name={name} view={v} /> : (
          <section class="checker" data-checker={name}><h4>{NAMES[name]}</h4><p class="meta">Not needed for this verdict.</p></section>
        );
      })}
    </div>
  );
}

function Checker(p: { name: keyof typeof NAMES; view: CheckerView }) {
  const v = p.view;
  const status = v.ok ? 'answered' : v.skipped ? `skipped: ${v.error}` : `failed: ${v.error}`;
  const data = v.data && typeof v.data === 'object' ? (v.data as Record<string, unknown>) : undefined;
  const exchanges = Array.isArray(v.evidence) ? (v.evidence as Exchange[]) : undefined;
  return (
    <section class={`checker ${v.ok ? 'ok' : 'failed'}`} data-checker={p.name}>
      <h4>{NAMES[p.name]} <span class="meta">{`${status} · ${v.ms} ms`}</span></h4>
      {data ? <Fields data={data} /> : null}
      {exchanges ? exchanges.map((x, i) => <ExchangeView x={x} n={i + 1} />) : null}
      {v.evidence && !exchanges ? <pre tabindex={0}>{JSON.stringify(v.evidence, null, 2)}</pre> : null}
    </section>
  );
}

function Fields(p: { data: Record<string, unknown> }) {
  const entries = Object.entries(p.data).filter(([, value]) => value !== undefined);
  return (
    <dl class="facts">
      {entries.map(([k, value]) => (
        <>
          <dt>{k}</dt>
          <dd>{value !== null && typeof value === 'object' ? <code>{JSON.stringify(value)}</code> : String(value)}</dd>
        </>
      ))}
    </dl>
  );
}

function ExchangeView(p: { x: Exchange; n: number }) {
  const x = p.x;
  return (
    <details class="exchange" open={p.n === 1}>
      <summary>
        {`Call ${p.n}: ${x.method} ${x.url}`}
        <span class="meta">{` · ${x.status ?? 'no answer'} · signature ${x.signature ?? 'n/a'} · ${x.ms} ms`}</span>
      </summary>
      {x.error ? <p class="notice error">{x.error}</p> : null}
      {x.requestBody ? <><h5>Asked</h5><pre tabindex={0}>{x.requestBody}</pre></> : null}
      {x.responseBody ? <><h5>Answer</h5><pre tabindex={0}>{x.responseBody}</pre></> : null}
    </details>
  );
}
