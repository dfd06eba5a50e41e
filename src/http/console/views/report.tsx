/**
 * The outcome report page: the period chooser, the headline figures, and one section per question,
 * each a server-drawn chart beside a table of the same figures (report-charts.tsx).
 */
import { formatDuration } from '../../../cli/duration.ts';
import type { ConsoleReport } from '../../../reports/console-report.ts';
import { PRESETS } from '../../../reports/period.ts';
import { SLA_CLOCKS, type SlaClock, type SlaRow } from '../../../reports/sla.ts';
import { percent, share, slaText } from '../../../reports/words.ts';
import { toShopTime } from '../../../shops/local-time.ts';
import { BarChart, ColumnChart, describeBars, type Bar } from './report-charts.tsx';
import { Notice } from './layout.tsx';

const PRESET_NAMES: Record<keyof typeof PRESETS, string> = { '24h': 'Last 24 h', '7d': 'Last 7 days', '30d': 'Last 30 days' };


export interface PeriodInput {
  preset: string | null;
  from: string;
  to: string;
}

/** Presets as links, and a from/to form (GET: a period is a view, not an action; no CSRF needed). */
export function PeriodChooser(p: { input: PeriodInput; timeZone: string; error?: string }) {
  return (
    <section class="card report-period" aria-labelledby="period-h">
      <h1 id="period-h">Outcome report</h1>
      {p.error ? <Notice kind="error">{p.error}</Notice> : null}
      <nav aria-label="Period" class="presets">
        {(Object.keys(PRESETS) as (keyof typeof PRESETS)[]).map((k) => (
          <a href={`/agent/report?period=${k}`} class={p.input.preset === k ? 'button primary' : 'button'} aria-current={p.input.preset === k ? 'page' : undefined}>
            {PRESET_NAMES[k]}
          </a>
        ))}
      </nav>
      <form method="get" action="/agent/report" class="period-form">
        <div>
          <label for="from">From (day)</label>
          <input id="from" name="from" type="date" value={p.input.from} required />
        </div>
        <div>
          <label for="to">To (day, included)</label>
          <input id="to" name="to" type="date" value={p.input.to} required />
        </div>
        <button type="submit" class="primary">Show</button>
      </form>
      <p class="hint">{`Days are ${p.timeZone} days, the shop's time zone. A period that reaches past now ends now.`}</p>
    </section>
  );
}

function Section(p: { id: string; title: string; intro?: string; children?: unknown }) {
  return (
    <section class="card report-section" aria-labelledby={`${p.id}-h`} data-section={p.id}>
      <h2 id={`${p.id}-h`}>{p.title}</h2>
      {p.intro ? <p class="hint">{p.intro}</p> : null}
      {p.children as never}
    </section>
  );
}

/** A chart and, beside it, the table of its figures. */
function Figure(p: { caption: string; chart: unknown; table: unknown }) {
  return (
    <figure class="report-figure">
      <div class="chart-box">{p.chart as never}</div>
      <div class="table-box">{p.table as never}</div>
      <figcaption class="hint">{p.caption}</figcaption>
    </figure>
  );
}

function CountTable(p: { head: string; rows: [string, string][]; caption: string; valueHead?: string }) {
  return (
    <table>
      <caption class="sr-only">{p.caption}</caption>
      <thead><tr><th scope="col">{p.head}</th><th scope="col" class="num">{p.valueHead ?? 'Count'}</th></tr></thead>
      <tbody>
        {p.rows.length === 0 ? <tr><td colspan={2} class="meta">None in this period.</td></tr> : null}
        {p.rows.map(([k, v]) => <tr><th scope="row" class="mono">{k}</th><td class="num">{v}</td></tr>)}
      </tbody>
    </table>
  );
}

function bars(m: Record<string, number>, tone?: Bar['tone']): Bar[] {
  return Object.entries(m).map(([label, value]) => ({ label, value, tone }));
}

const CLOCK_NAMES: Record<SlaClock, string> = { firstResponse: 'First response', resolution: 'Resolution' };


/** One row per group, both clocks side by side (a two-row header: the clock, then its figures). */
function SlaTable(p: { label: string; rows: SlaRow[]; none: string; caption: string }) {
  return (
    <div class="scroll" tabindex={0} role="region" aria-label={`${p.caption}: table`}>
      <table data-sla={p.label}>
        <caption class="sr-only">{p.caption}</caption>
        <thead>
          <tr>
            <td></td><td></td>
            {SLA_CLOCKS.map((k) => <th scope="colgroup" colspan={4} class="num">{CLOCK_NAMES[k]}</th>)}
          </tr>
          <tr>
            <th scope="col">{p.label}</th><th scope="col" class="num">Tickets</th>
            {SLA_CLOCKS.map(() => <><th scope="col" class="num">Met</th><th scope="col" class="num">Breached</th><th scope="col" class="num">Running</th><th scope="col" class="num">SLA met</th></>)}
          </tr>
        </thead>
        <tbody>
          {p.rows.length === 0 ? <tr><td colspan={10} class="meta">No tickets opened in this period.</td></tr> : null}
          {p.rows.map((r) => (
            <tr data-sla-row={r.key ?? p.none}>
              <th scope="row">{r.key ?? p.none}</th><td class="num">{r.tickets}</td>
              {SLA_CLOCKS.map((k) => <><td class="num">{r[k].met}</td><td class="num">{r[k].breached}</td><td class="num">{r[k].running}</td><td class="num">{percent(r[k].rate)}</td></>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const shopTime = (iso: string, zone: string) => toShopTime(new Date(iso), zone).slice(0, 16);

export function ReportPage(p: { r: ConsoleReport; input: PeriodInput; query: string }) {
  const { r } = p;
  const zone = r.period.timeZone;
  const wait = r.keys.payToKeySeconds;
  const exportQuery = p.query ? `?${p.query}` : '';
  const verdictBars = bars(r.diagnoses.byVerdict);
  const actionBars = bars(r.diagnoses.byAction, 'green');
  const waitBars: Bar[] = wait
    ? [
      { label: 'p50 (median)', value: wait.p50, text: formatDuration(wait.p50) },
      { label: 'p90', value: wait.p90, text: formatDuration(wait.p90), tone: 'amber' },
      { label: 'slowest', value: wait.max, text: formatDuration(wait.max), tone: 'grey' },
    ]
    : [];
  const callbackBars: Bar[] = r.callbackFailures.map((c) => ({ label: c.channel, value: c.rate ?? 0, text: share(c.missed, c.confirmed, c.rate), tone: 'red' }));
  const o = r.sla.overall;
  const slaBars: Bar[] = o.tickets === 0 ? [] : SLA_CLOCKS.flatMap((k): Bar[] => {
    const name = CLOCK_NAMES[k].toLowerCase();
    return [
      { label: `${name}: met`, value: o[k].met, tone: 'green' },
      { label: `${name}: breached`, value: o[k].breached, tone: 'red' },
      { label: `${name}: running`, value: o[k].running, tone: 'grey' },
    ];
  });
  const a = r.buyerAnswers;
  const answerBars: Bar[] = a.solved + a.notSolved === 0 ? [] : [
    { label: 'solved', value: a.solved, tone: 'green' },
    { label: 'not solved', value: a.notSolved, tone: 'red' },
  ];
  const short = (label: string) => (r.series.unit === 'day' ? label.slice(5) : label.slice(11));
  const seriesDesc = r.series.points.map((pt) => `${pt.label}: ${pt.diagnoses} diagnoses, ${pt.autoFixed} fixed automatically, ${pt.escalated} escalated`).join('; ') + '.';
  return (
    <>
      <PeriodChooser input={p.input} timeZone={zone} />
      <section class="card" aria-labelledby="summary-h">
        <h2 id="summary-h">
          {`${shopTime(r.since, zone)} to ${shopTime(r.until, zone)} `}<span class="meta">{`(${zone})`}</span>
        </h2>
        <dl class="facts report-facts">
          <dt>Diagnoses</dt><dd data-figure="diagnoses">{`${r.diagnoses.total} on ${r.diagnoses.orders} orders`}</dd>
          <dt>Self-service</dt><dd data-figure="self-service">{`${share(r.selfService.closedWithoutAgent, r.selfService.ordersChecked, r.selfService.rate)} buyers' cases closed with no agent`}</dd>
          <dt>Keys issued</dt><dd data-figure="keys">{`${r.keys.issued} to ${r.keys.orders} orders`}</dd>
          <dt>Payment to key</dt><dd data-figure="pay-to-key">{wait ? `p50 ${formatDuration(wait.p50)}, p90 ${formatDuration(wait.p90)}` : '-'}</dd>
          <dt>Tickets</dt><dd data-figure="tickets">{`${r.tickets.opened} opened; ${r.tickets.openNow} open now, ${r.tickets.overdueNow} past their deadline`}</dd>
          <dt>SLA met</dt><dd data-figure="sla">{`first response ${slaText(o.firstResponse)}; resolution ${slaText(o.resolution)}`}</dd>
          <dt>Buyers' answers</dt><dd data-figure="answers">{`${a.solved} solved, ${a.notSolved} not solved (${percent(a.rate)} solved)`}</dd>
          <dt>Sweep</dt><dd data-figure="sweep">{`${r.sweep.runs} run${r.sweep.runs === 1 ? '' : 's'}`}</dd>
        </dl>
        <p>
          Export the same figures: <a href={`/agent/report.csv${exportQuery}`} download>CSV</a> · <a href={`/agent/report.json${exportQuery}`}>JSON</a>
          <span class="meta"> (the JSON holds <code>order-doctor report --json</code>'s fields for this window, and the rest of this page)</span>
        </p>
      </section>

      <Section id="over-time" title={r.series.unit === 'day' ? 'Diagnoses per day' : 'Diagnoses per hour'} intro="Automatic fixes: keys reissued or restored on a buyer's check or by the sweep, with no agent.">
        <Figure
          caption={`Per ${r.series.unit}, ${zone}.`}
          chart={<ColumnChart id="chart-series" title={`Diagnoses, automatic fixes and escalations per ${r.series.unit}`} desc={seriesDesc}
            series={[{ name: 'diagnoses', tone: 'blue' }, { name: 'fixed automatically', tone: 'green' }, { name: 'escalated', tone: 'red' }]}
            columns={r.series.points.map((pt) => ({ label: short(pt.label), values: [pt.diagnoses, pt.autoFixed, pt.escalated] }))} />}
          table={
            <div class="scroll" tabindex={0} role="region" aria-label={`Diagnoses per ${r.series.unit}: table`}>
              <table data-table="series">
                <caption class="sr-only">Diagnoses per {r.series.unit}</caption>
                <thead><tr><th scope="col">{r.series.unit === 'day' ? 'Day' : 'Hour'}</th><th scope="col" class="num">Diagnoses</th><th scope="col" class="num">Fixed automatically</th><th scope="col" class="num">Escalated</th></tr></thead>
                <tbody>
                  {r.series.points.map((pt) => <tr><th scope="row">{pt.label}</th><td class="num">{pt.diagnoses}</td><td class="num">{pt.autoFixed}</td><td class="num">{pt.escalated}</td></tr>)}
                </tbody>
              </table>
            </div>
          }
        />
      </Section>

      <Section id="verdicts" title="Verdicts and actions">
        <Figure caption="Diagnoses by verdict." chart={<BarChart id="chart-verdicts" title="Diagnoses by verdict" bars={verdictBars} />}
          table={<CountTable head="Verdict" caption="Diagnoses by verdict" rows={verdictBars.map((b) => [b.label, String(b.value)])} />} />
        <Figure caption="Diagnoses by the action taken (an agent's diagnosis only suggests: none until applied)." chart={<BarChart id="chart-actions" title="Diagnoses by action" bars={actionBars} />}
          table={<CountTable head="Action" caption="Diagnoses by action" rows={actionBars.map((b) => [b.label, String(b.value)])} />} />
      </Section>

      <Section id="pay-to-key" title="Payment to key" intro="Per order order-doctor delivered to: from the payment (as the gateway's verified evidence said) to its first key.">
        <Figure caption={`${r.keys.orders} order${r.keys.orders === 1 ? '' : 's'}.`} chart={<BarChart id="chart-pay-to-key" title="Payment to key: p50, p90 and slowest" bars={waitBars} labelWidth={120} />}
          table={<CountTable head="Wait" valueHead="Time" caption="Payment to key" rows={wait ? [['p50', formatDuration(wait.p50)], ['p90', formatDuration(wait.p90)], ['slowest', formatDuration(wait.max)]] : []} />} />
      </Section>

      <Section id="callbacks" title="Callback failures per gateway"
        intro="Orders whose gateway confirmed the payment (signed evidence, at a diagnosis in this period) and how many of them the shop's records still showed unpaid: the gateway's notification never arrived.">
        <Figure caption="Share of gateway-confirmed payments the shop missed." chart={<BarChart id="chart-callbacks" title="Callback failures per gateway" bars={callbackBars} max={1} labelWidth={100} />}
          table={
            <table data-table="callbacks">
              <caption class="sr-only">Callback failures per gateway</caption>
              <thead><tr><th scope="col">Gateway</th><th scope="col" class="num">Confirmed paid</th><th scope="col" class="num">Shop missed</th><th scope="col" class="num">Rate</th></tr></thead>
              <tbody>
                {r.callbackFailures.length === 0 ? <tr><td colspan={4} class="meta">No gateway-confirmed payment in this period.</td></tr> : null}
                {r.callbackFailures.map((c) => <tr><th scope="row">{c.channel}</th><td class="num">{c.confirmed}</td><td class="num">{c.missed}</td><td class="num">{percent(c.rate)}</td></tr>)}
              </tbody>
            </table>
          } />
      </Section>

      <Section id="sla" title="SLA met"
        intro="Tickets opened in this period, per clock: met when the clock stopped (first reply, or resolved) with no breach recorded; breached when a breach was recorded (the deadline passed with the clock running); running otherwise (open, or waiting on the buyer with the clocks paused). SLA met is met of met and breached.">
        <Figure caption={`${o.tickets} ticket${o.tickets === 1 ? '' : 's'} opened in this period.`} chart={<BarChart id="chart-sla" title="SLA: first response and resolution, met, breached and running" bars={slaBars} labelWidth={190} />}
          table={
            <>
              <SlaTable label="Priority" rows={r.sla.byPriority} none="none" caption="SLA met per priority, first response and resolution" />
              <SlaTable label="Agent" rows={r.sla.byAgent} none="unassigned" caption="SLA met per agent (the ticket's assignee), first response and resolution" />
            </>
          } />
      </Section>

      <Section id="answers" title={"Buyers' answers"} intro={"What buyers pressed under “did this solve it?” on the check page (one answer per diagnosis they saw)."}>
        <Figure caption={describeBars(answerBars)} chart={<BarChart id="chart-answers" title="Buyers' answers: solved or not" bars={answerBars} labelWidth={100} />}
          table={<CountTable head="Answer" caption="Buyers' answers" rows={[['solved', String(a.solved)], ['not solved', String(a.notSolved)]]} />} />
      </Section>
    </>
  );
}
