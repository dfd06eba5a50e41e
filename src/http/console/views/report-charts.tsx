/**
 * Charts drawn on the server as inline SVG: no chart script, nothing the CSP has to allow (colours
 * and fonts are presentation attributes, not style). Each is an image with a title and a description
 * that says every value, and the page puts the same figures in a table beside it.
 */

export interface Bar {
  label: string;
  value: number;
  /** what the bar's end says (e.g. `2 of 3 (66.7%)`); the value when absent */
  text?: string;
  /** a colour from PALETTE */
  tone?: keyof typeof PALETTE;
}

export const PALETTE = {
  blue: '#0b57d0',
  green: '#1e7d32',
  red: '#b3261e',
  amber: '#a15c00',
  grey: '#5f6368',
} as const;

const INK = '#1b1b1f';
const FONT = 'system-ui, -apple-system, sans-serif';

/** one sentence listing every bar, for the description (read by screen readers) */
export function describeBars(bars: Bar[]): string {
  return bars.length === 0 ? 'No data in this period.' : bars.map((b) => `${b.label}: ${b.text ?? b.value}`).join('; ') + '.';
}

/** Horizontal bars, one a row, longest = the largest value (or `max`). */
export function BarChart(p: { id: string; title: string; bars: Bar[]; max?: number; labelWidth?: number }) {
  const width = 560;
  const row = 28;
  const labelWidth = p.labelWidth ?? 190;
  const textRoom = 110;
  const plot = width - labelWidth - textRoom;
  const height = Math.max(1, p.bars.length) * row + 8;
  const max = Math.max(p.max ?? 0, ...p.bars.map((b) => b.value), 0);
  return (
    <svg class="chart" data-chart={p.id} viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img"
      aria-labelledby={`${p.id}-title ${p.id}-desc`} xmlns="http://www.w3.org/2000/svg" font-family={FONT} font-size="13">
      <title id={`${p.id}-title`}>{p.title}</title>
      <desc id={`${p.id}-desc`}>{describeBars(p.bars)}</desc>
      {p.bars.length === 0 ? <text x="0" y="20" fill={INK}>No data in this period.</text> : null}
      {p.bars.map((b, i) => {
        const y = 4 + i * row;
        const w = max > 0 ? Math.max(b.value > 0 ? 2 : 0, Math.round((b.value / max) * plot)) : 0;
        return (
          <g data-bar={b.label} data-value={String(b.value)}>
            <text x={labelWidth - 8} y={y + 17} text-anchor="end" fill={INK}>{b.label}</text>
            <rect x={labelWidth} y={y + 3} width={w} height={row - 8} rx="3" fill={PALETTE[b.tone ?? 'blue']} />
            <text x={labelWidth + w + 6} y={y + 17} fill={INK}>{b.text ?? String(b.value)}</text>
          </g>
        );
      })}
    </svg>
  );
}

export interface Column {
  label: string;
  values: number[];
}

/**
 * Grouped columns over time (diagnoses, automatic fixes, escalations per day or hour), with a
 * legend, a y axis from 0 to the largest value, and as many x labels as fit.
 */
export function ColumnChart(p: { id: string; title: string; series: { name: string; tone: keyof typeof PALETTE }[]; columns: Column[]; desc: string }) {
  const width = 540;
  const height = 220;
  const left = 36;
  const bottom = 36;
  const top = 28;
  const plotW = width - left - 8;
  const plotH = height - top - bottom;
  const n = Math.max(1, p.columns.length);
  const slot = plotW / n;
  const barW = Math.max(1, (slot * 0.8) / p.series.length);
  const max = Math.max(1, ...p.columns.flatMap((c) => c.values));
  const every = Math.max(1, Math.ceil(n / Math.floor(plotW / 70)));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  return (
    <svg class="chart" data-chart={p.id} viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img"
      aria-labelledby={`${p.id}-title ${p.id}-desc`} xmlns="http://www.w3.org/2000/svg" font-family={FONT} font-size="12">
      <title id={`${p.id}-title`}>{p.title}</title>
      <desc id={`${p.id}-desc`}>{p.desc}</desc>
      {p.series.map((s, i) => {
        // legend entries side by side, each as wide as its name (about 7 px a character)
        const x = left + p.series.slice(0, i).reduce((w, e) => w + e.name.length * 7 + 36, 0);
        return (
          <g>
            <rect x={x} y="6" width="12" height="12" fill={PALETTE[s.tone]} />
            <text x={x + 18} y="16" fill={INK}>{s.name}</text>
          </g>
        );
      })}
      <line x1={left} y1={top + plotH} x2={width - 8} y2={top + plotH} stroke="#767b84" />
      <line x1={left} y1={top} x2={left} y2={top + plotH} stroke="#767b84" />
      <text x={left - 4} y={top + 4} text-anchor="end" fill={INK}>{String(max)}</text>
      <text x={left - 4} y={top + plotH} text-anchor="end" fill={INK}>0</text>
      {p.columns.map((c, i) => (
        <g data-column={c.label}>
          {c.values.map((v, j) => (
            <rect x={(left + i * slot + slot * 0.1 + j * barW).toFixed(1)} y={y(v).toFixed(1)} width={barW.toFixed(1)}
              height={(top + plotH - y(v)).toFixed(1)} fill={PALETTE[p.series[j]!.tone]} />
          ))}
          {i % every === 0 ? (
            <text x={(left + i * slot + slot / 2).toFixed(1)} y={height - bottom + 16} text-anchor="middle" fill={INK}>{c.label}</text>
          ) : null}
        </g>
      ))}
    </svg>
  );
}
