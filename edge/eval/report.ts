/** The `edge eval` report: counts per clip and type, totals, unmet thresholds; as a table or JSON. */
import type { ViolationType } from '../../contract/index.js';
import { counts, unmetThresholds, VIOLATION_TYPES, type ClipScore, type Counts, type Thresholds } from './score.js';

export interface EvalReport {
  clips: { id: string; types: Record<ViolationType, Counts>; total: Counts }[];
  types: Record<ViolationType, Counts>;
  total: Counts;
  /** One sentence per threshold the totals miss; the command exits 1 when there is any. */
  unmet: string[];
}

const perType = (scores: readonly ClipScore[]) =>
  Object.fromEntries(VIOLATION_TYPES.map((t) => [t, counts(scores, t)])) as Record<ViolationType, Counts>;

export function evalReport(clips: readonly { id: string; score: ClipScore }[], thresholds: Thresholds): EvalReport {
  const scores = clips.map((c) => c.score);
  const total = counts(scores);
  return {
    clips: clips.map((c) => ({ id: c.id, types: perType([c.score]), total: counts([c.score]) })),
    types: perType(scores),
    total,
    unmet: unmetThresholds(total, thresholds),
  };
}

const ratio = (v: number | null) => (v === null ? '—' : v.toFixed(2));
const delay = (d: Counts['delay']) => (d === null ? '—' : `${d.mean.toFixed(1)} / ${d.max.toFixed(1)}`);

const seen = (c: Counts) => c.tp + c.fp + c.misses > 0;

/**
 * A fixed-width table: one row per clip and type that was labelled or detected there, then the
 * totals per type (those of the set) and overall.
 */
export function formatReport(r: EvalReport): string {
  const rows = [
    ['clip', 'type', 'TP', 'FP', 'miss', 'precision', 'recall', 'delay s (mean / max)'],
    ...r.clips.flatMap((c) => VIOLATION_TYPES.filter((t) => seen(c.types[t])).map((t) => row(c.id, t, c.types[t]))),
    ...VIOLATION_TYPES.filter((t) => seen(r.types[t])).map((t) => row('total', t, r.types[t])),
    row('total', 'all', r.total),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((cells) => cells[i].length)));
  const lines = rows.map((cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  lines.push('', r.unmet.length ? `thresholds not met: ${r.unmet.join('; ')}` : 'thresholds met');
  return lines.join('\n');
}

function row(clip: string, type: string, c: Counts): string[] {
  return [clip, type, String(c.tp), String(c.fp), String(c.misses), ratio(c.precision), ratio(c.recall), delay(c.delay)];
}
