/**
 * Verify mode's job summary: the verdict and why, the gates, the probe
 * timeline, the error-rate series (a small Mermaid `xychart-beta`, which
 * GitHub's Mermaid renders — docs/platform.md), and where the metrics went. Pure.
 */
import { cell, code, codeCell, markdownLine } from '../report/markdown.js';
import type { DeliveryLine } from '../report/job-summary.js';
import type { Decision } from './decision.js';
import { formatMs, type VerifySchedule } from './schedule.js';
import type { ErrorRateSample, ProbeSample, VerifySample } from './timeline.js';

export interface VerifySummaryInput {
  readonly decision: Decision;
  readonly schedule: VerifySchedule;
  readonly service: string;
  readonly environment: string;
  readonly deploymentId: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly early: boolean;
  readonly timeline: readonly VerifySample[];
  /** Health URLs: name and how the URL is shown. */
  readonly targets: readonly { readonly name: string; readonly display: string }[];
  readonly errorRateQuery: string | undefined;
  readonly delivery: readonly DeliveryLine[];
  readonly notes: readonly string[];
}

/** Rows of the timeline table; a summary must stay far below GitHub's 1 MiB. */
const MAX_ROWS = 120;
/** Points of the chart: Mermaid diagrams have a text size limit (docs/platform.md). */
const MAX_POINTS = 60;

const HEADLINE: Record<Decision['verdict'], string> = {
  healthy: '✅ Verified healthy',
  degraded: '⚠️ Degraded, no rollback gate held',
  unhealthy: '❌ Rollback recommended',
  unknown: '❔ Health could not be confirmed',
};

function pct(v: number): string {
  return `${(Math.round(v * 10000) / 100).toFixed(2)} %`;
}

function probeCell(s: ProbeSample): string {
  const ms = `${Math.round(s.latencyMs)} ms`;
  if (s.status === 'healthy') return `✅ ${ms}`;
  if (s.status === 'degraded') return `🐢 ${ms}`;
  return `❌ ${cell(s.problem ?? 'unhealthy', 60)}`;
}

function rateCell(s: ErrorRateSample): string {
  if (s.value === undefined) return s.problem ? `⚠️ ${cell(s.problem, 60)}` : 'no data';
  const icon = s.value > 0.05 ? '❌' : s.value >= 0.01 ? '⚠️' : '✅';
  return `${icon} ${pct(s.value)}`;
}

function timelineTable(input: VerifySummaryInput): string[] {
  const { timeline, schedule, startedAt } = input;
  if (timeline.length === 0) return ['No sample was taken.', ''];
  const columns = [...input.targets.map((t) => t.name), ...(input.errorRateQuery ? ['error rate'] : [])];
  // One row per tick of the schedule; each source's sample sits in the row of the tick it started at.
  const rows = new Map<number, Map<string, VerifySample>>();
  for (const s of timeline) {
    const tick = Math.round((s.at - startedAt) / schedule.intervalMs);
    let row = rows.get(tick);
    if (!row) rows.set(tick, (row = new Map()));
    row.set(s.source, s);
  }
  const ticks = [...rows.keys()].sort((a, b) => a - b);
  const out = [
    `| time | ${columns.map((c) => cell(c, 40)).join(' | ')} |`,
    `|---:|${columns.map(() => '---').join('|')}|`,
  ];
  for (const tick of ticks.slice(0, MAX_ROWS)) {
    const row = rows.get(tick) as Map<string, VerifySample>;
    const cells = columns.map((c) => {
      const s = row.get(c);
      if (!s) return '—';
      return s.kind === 'probe' ? probeCell(s) : rateCell(s);
    });
    out.push(`| +${formatMs(tick * schedule.intervalMs)} | ${cells.join(' | ')} |`);
  }
  if (ticks.length > MAX_ROWS)
    out.push(`| … ${ticks.length - MAX_ROWS} more | ${columns.map(() => '').join(' | ')} |`);
  out.push('');
  return out;
}

/** A small xychart-beta of the error rate (percent) with the 5 % gate, or nothing without data. */
export function errorRateChart(input: Pick<VerifySummaryInput, 'timeline' | 'startedAt'>): string {
  const points = input.timeline
    .filter((s): s is ErrorRateSample => s.kind === 'error_rate' && s.value !== undefined)
    .sort((a, b) => a.at - b.at)
    .slice(-MAX_POINTS);
  if (points.length < 2) return '';
  const xs = points.map((p) => Math.round((p.at - input.startedAt) / 1000));
  const ys = points.map((p) => Math.round((p.value as number) * 10000) / 100);
  const top = Math.max(6, Math.ceil(Math.max(...ys) * 1.1));
  return [
    '```mermaid',
    'xychart-beta',
    '  title "Error rate after the deploy (%), gate at 5 %"',
    `  x-axis "seconds" [${xs.join(', ')}]`,
    `  y-axis "error rate (%)" 0 --> ${top}`,
    `  line [${ys.join(', ')}]`,
    `  line [${ys.map(() => 5).join(', ')}]`,
    '```',
    '',
  ].join('\n');
}

function probeTotals(input: VerifySummaryInput): string[] {
  if (input.targets.length === 0) return [];
  const out = [
    '| health URL | checks | failed | degraded | latest | latency (latest) |',
    '|---|---:|---:|---:|---|---:|',
  ];
  for (const t of input.targets) {
    const probes = input.timeline
      .filter((s): s is ProbeSample => s.kind === 'probe' && s.source === t.name)
      .sort((a, b) => a.at - b.at);
    const last = probes[probes.length - 1];
    out.push(
      `| ${cell(t.name, 40)} ${codeCell(t.display, 100)} | ${probes.length} | ${probes.filter((p) => p.status === 'unhealthy').length} | ${
        probes.filter((p) => p.status === 'degraded').length
      } | ${last ? last.status : '—'} | ${last ? `${Math.round(last.latencyMs)} ms` : '—'} |`,
    );
  }
  out.push('');
  return out;
}

export function renderVerifySummary(input: VerifySummaryInput): string {
  const d = input.decision;
  const s = input.schedule;
  const out: string[] = [];
  out.push(`## ${HEADLINE[d.verdict]}: ${cell(input.service)} · ${cell(input.environment)}`, '');
  const watched = formatMs(input.endedAt - input.startedAt);
  out.push(
    `Deployment ${code(input.deploymentId)} · watched ${watched} of ${formatMs(s.windowMs)}${input.early ? ' (**ended early**: a gate held)' : ''} · a sample every ${formatMs(s.intervalMs)}`,
    '',
  );
  out.push(
    `| output | value |`,
    `|---|---|`,
    `| \`healthy\` | \`${d.healthy}\` |`,
    `| \`rollback-recommended\` | \`${d.rollbackRecommended}\` |`,
    '',
  );
  if (d.reasons.length > 0) {
    out.push(...d.reasons.map((r) => `- ${cell(r, 300)}`), '');
  }
  out.push(
    `Gates: error rate over 5 % for ${formatMs(s.errorGateMs)}; a health URL failing for ${formatMs(s.healthGateMs)} (the design's 2 and 5 minutes, at most half the window). Healthy: every check passed, latest error rate under 1 %.`,
    '',
  );
  out.push(...probeTotals(input));
  out.push('### Timeline', '', ...timelineTable(input));
  if (input.errorRateQuery) {
    out.push('### Error rate', '', `Query: ${code(input.errorRateQuery, 400)}`, '');
    const chart = errorRateChart(input);
    if (chart) out.push(chart);
  }
  if (input.delivery.length > 0) {
    out.push(
      '### Metrics',
      '',
      ...input.delivery.map((l) => `- ${l.ok ? '✅' : '⚠️'} ${markdownLine(l.text)}`),
      '',
    );
  }
  if (input.notes.length > 0) {
    out.push('### Notes', '', ...input.notes.slice(0, 20).map((n) => `- ${cell(n, 400)}`), '');
  }
  return out.join('\n');
}
