/**
 * Hand-drawn SVG charts for the KPI screen (no chart library, nothing loaded from elsewhere):
 * lines over time with an optional target line, and horizontal bars by camera.
 */
import { niceMax } from '../chart-scale';

export interface LineSeries {
  name: string;
  tone: string;
  values: ReadonlyArray<number | null>;
}

const W = 800;
const H = 260;
const M = { top: 28, right: 36, bottom: 36, left: 52 };
const TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];

/**
 * One line per series over the labels; gaps where a value is null; `target` as a dashed red line.
 * The y axis runs from 0 to `max`, or to a round number above the data and the target.
 */
export function LineChart({ labels, series, target, max: fixedMax, unit, testId }: { labels: readonly string[]; series: readonly LineSeries[]; target?: { value: number; label: string }; max?: number; unit: string; testId: string }) {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = fixedMax ?? niceMax(Math.max(target?.value ?? 0, ...all, 1));
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const x = (i: number) => M.left + (labels.length <= 1 ? iw / 2 : (i / (labels.length - 1)) * iw);
  const y = (v: number) => M.top + ih - (v / max) * ih;
  const every = Math.max(1, Math.ceil(labels.length / 12));
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} data-testid={testId} role="img">
      {TICKS.map((f) => (
        <g key={f} class="tick">
          <line x1={M.left} x2={W - M.right} y1={y(max * f)} y2={y(max * f)} />
          <text x={M.left - 8} y={y(max * f)} dy="0.35em" text-anchor="end">{+(max * f).toFixed(1)}</text>
        </g>
      ))}
      <text class="unit" x={8} y={M.top - 14} text-anchor="start">{unit}</text>
      {labels.map((l, i) => (i % every === 0 ? <text key={l} class="xlabel" x={x(i)} y={H - 12} text-anchor="middle">{l}</text> : null))}
      {target && (
        <g class="target">
          <line x1={M.left} x2={W - M.right} y1={y(target.value)} y2={y(target.value)} />
          <text x={W - M.right} y={y(target.value) - 6} text-anchor="end">{target.label}</text>
        </g>
      )}
      {series.map((s) => (
        <g key={s.name} class={`series ${s.tone}`}>
          <path d={linePath(s.values, x, y)} />
          {s.values.map((v, i) => (v === null ? null : <circle key={i} cx={x(i)} cy={y(v)} r={4}><title>{`${s.name} ${labels[i]}: ${v.toFixed(1)} ${unit}`}</title></circle>))}
        </g>
      ))}
    </svg>
  );
}

function linePath(values: ReadonlyArray<number | null>, x: (i: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  return d;
}

export interface Bar {
  label: string;
  value: number;
  /** Shown at the bar's end instead of the value. */
  text: string;
  alarm?: boolean;
}

/** Horizontal bars, one per row, longest scale at `max` (default: the largest value). */
export function BarChart({ bars, max, testId }: { bars: readonly Bar[]; max?: number; testId: string }) {
  const rowH = 30;
  const labelW = 220;
  const h = Math.max(rowH, bars.length * rowH) + 8;
  const top = max ?? niceMax(Math.max(1, ...bars.map((b) => b.value)));
  const bw = W - labelW - 90;
  return (
    <svg class="chart bars" viewBox={`0 0 ${W} ${h}`} data-testid={testId} role="img">
      {bars.map((b, i) => (
        <g key={b.label} transform={`translate(0,${i * rowH + 4})`} class={b.alarm ? 'alarm' : ''} data-testid="bar" data-label={b.label}>
          <text class="blabel" x={labelW - 10} y={rowH / 2} dy="0.35em" text-anchor="end">{b.label}</text>
          <rect x={labelW} y={5} height={rowH - 10} width={Math.max(2, (b.value / top) * bw)} />
          <text class="bvalue" x={labelW + Math.max(2, (b.value / top) * bw) + 8} y={rowH / 2} dy="0.35em">{b.text}</text>
        </g>
      ))}
    </svg>
  );
}
