/**
 * What people read: the job summary (GitHub-flavoured Markdown with Mermaid
 * `xychart-beta` charts: docs/platform.md) and the check run's output and annotations.
 * Pure. Sizes are bounded whatever the history holds: tables list at most
 * {@link MAX_TABLE_ROWS} rows, charts a fixed number of points.
 */
import { TIME_TO_DEPLOY_BUCKETS } from '../metrics/definitions.js';
import { cell, codeCell, link } from '../report/markdown.js';
import { TTD_TARGETS, type DoraLevel, type ErrorBudget, type SummaryFigures } from './figures.js';
import type { RunRecord } from './record.js';

/** A job summary is at most 1 MiB per step (docs/platform.md, "The runner"); stay well under it. */
const MAX_SUMMARY_BYTES = 512 * 1024;
/** A check run's `summary`/`text` is at most 65,535 characters (docs/platform.md, "The REST API"). */
const MAX_CHECK_TEXT = 65_535;
/** Annotations per check-run request (docs/platform.md, "The REST API"). */
const ANNOTATIONS_PER_REQUEST = 50;
const MAX_TABLE_ROWS = 20;

export interface SummaryContext {
  readonly record: RunRecord;
  readonly figures: SummaryFigures;
  readonly workflow: string;
  readonly repository: string;
  readonly runUrl: string | undefined;
  readonly sloSuccessRate: number;
  readonly sloTtdP95Seconds: number;
  /** Seconds per job over which it is a slow stage (`thresholds` total). */
  readonly slowJobSeconds: number;
  /** Notes to show (history unavailable, bootstrap, …). */
  readonly notes: readonly string[];
  readonly pullRequest: number | undefined;
}

function formatSeconds(s: number | undefined): string {
  if (s === undefined) return '–';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

const pct = (v: number | undefined, digits = 1): string =>
  v === undefined ? '–' : Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : '∞';
const mark = (ok: boolean): string => (ok ? '✅' : '⚠️');
const LEVEL_LABEL: Record<DoraLevel, string> = { elite: 'Elite', high: 'High', medium: 'Medium', low: 'Low' };
const level = (l: DoraLevel | undefined): string => (l ? LEVEL_LABEL[l] : '–');

function ttdChart(values: readonly number[]): string {
  const edges = [...TIME_TO_DEPLOY_BUCKETS];
  const labels = edges.map((e) => `≤${e / 60}m`).concat(`>${(edges.at(-1) ?? 0) / 60}m`);
  const counts = labels.map(() => 0);
  for (const v of values) {
    const i = edges.findIndex((e) => v <= e);
    counts[i === -1 ? edges.length : i]! += 1;
  }
  return [
    '```mermaid',
    'xychart-beta',
    '  title "Time to deploy (successful runs)"',
    `  x-axis [${labels.map((l) => `"${l}"`).join(', ')}]`,
    '  y-axis "runs"',
    `  bar [${counts.join(', ')}]`,
    '```',
  ].join('\n');
}

/** A number of failures as the exact figure, to three significant digits: 0.005, 0.01, 2.5, 12.3. */
export function formatFailures(n: number): string {
  return Number.isFinite(n) ? String(Number(n.toPrecision(3))) : '∞';
}

const failuresText = (n: number): string => `${n} failure${n === 1 ? '' : 's'}`;

/**
 * What is left of the month's error budget, in words, with the exact numbers behind it:
 * `80% left (1 failure of 5 allowed)`, or `exhausted (1 failure, 0.01 allowed)` once the failures
 * reach the allowance. No percentage above 100 % is shown: 1 failure among 2 deployments at a
 * 99.5 % SLO is 100 times the allowance of 0.01 failures, which reads "exhausted", not "used 10000%".
 */
export function budgetText(b: ErrorBudget): string {
  if (b.deployments === 0) return '100% left (no deployments this month)';
  const allowed = b.allowedFailures > 0 ? `${formatFailures(b.allowedFailures)} allowed` : 'none allowed';
  if (b.failures > 0 && b.left < 1e-9) return `exhausted (${failuresText(b.failures)}, ${allowed})`;
  // Rounded down: a budget with a failure in it never shows as 100 % left. (`left` is within 1e-9 of
  // 0 when the failures equal the allowance: 0.995 is not exact in binary.)
  const left = b.failures > 0 ? Math.min(99, Math.floor(b.left * 100)) : 100;
  return `${left}% left (${failuresText(b.failures)} of ${allowed})`;
}

/**
 * The burndown: budget left at the start of the month (all of it) and at the end of each week so
 * far, as bars with a line over them. A chart of one point would draw nothing (a line needs two
 * points), so the month's start is always the first: early in the month the chart still shows
 * where the budget went. The line is the second plot, so it takes the palette's darker second colour.
 */
function burndownChart(figures: SummaryFigures): string {
  const weeks = figures.budget.burndown;
  const values = [100, ...weeks.map((w) => Math.floor(w.left * 100))];
  return [
    '```mermaid',
    'xychart-beta',
    '  title "Error budget left this month"',
    `  x-axis ["start", ${weeks.map((w) => `"week ${w.week}"`).join(', ')}]`,
    '  y-axis "budget left (%)" 0 --> 100',
    `  bar [${values.join(', ')}]`,
    `  line [${values.join(', ')}]`,
    '```',
  ].join('\n');
}

/** This run's failed stage and where it failed: `` `health_check` (`deploy-api/Wait for health check`) ``. */
function failedCell(r: RunRecord): string {
  const where = r.failedStep ? codeCell(r.failedStep, 120) : '';
  if (r.failedStage) return where ? `${codeCell(r.failedStage)} (${where})` : codeCell(r.failedStage);
  return where ? `no stage (${where})` : '–';
}

/** The job summary: stat cards, this run, stage durations, TTD, causes, burndown, DORA. */
export function renderJobSummary(c: SummaryContext): string {
  const { record: r, figures: f } = c;
  const b = f.budget;
  const icon = r.conclusion === 'success' ? '✅' : r.conclusion === 'failure' ? '❌' : '⚪';
  const lines: string[] = [
    `## ${icon} Deployment observability: ${cell(c.workflow)} run ${c.runUrl ? link(String(r.runId), c.runUrl) : r.runId}` +
      (r.attempt > 1 ? ` (attempt ${r.attempt})` : ''),
    '',
    ...c.notes.map((n) => `> [!NOTE]\n> ${cell(n, 400)}\n`),
    '| Success rate (month) | Rollbacks | Error budget left | TTD p95 | Deploys 1d / 7d / 30d |',
    '| :-: | :-: | :-: | :-: | :-: |',
    `| ${mark(b.met)} ${pct(b.successRate)} (SLO ${pct(c.sloSuccessRate)}) | ${f.rollbacks} | ${budgetText(b)} | ${mark(f.ttd.sloMet)} ${formatSeconds(f.ttd.p95)} (SLO ${formatSeconds(c.sloTtdP95Seconds)}) | ${f.frequency['1d']} / ${f.frequency['7d']} / ${f.frequency['30d']} |`,
    '',
    '### This run',
    '',
    '| Conclusion | Branch | Time to deploy | Queue | Duration | Failed stage |',
    '| --- | --- | --- | --- | --- | --- |',
    `| ${cell(r.conclusion)} | ${cell(r.branch)}${c.pullRequest ? ` (PR #${c.pullRequest})` : ''} | ${formatSeconds(r.ttdSeconds)} | ${formatSeconds(r.queueSeconds)} | ${formatSeconds(r.durationSeconds)} | ${failedCell(r)} |`,
    '',
  ];
  if (r.jobs.length > 0) {
    if (r.jobs.length > MAX_TABLE_ROWS)
      lines.push(`The first ${MAX_TABLE_ROWS} of ${r.jobs.length} jobs:`, '');
    lines.push('| Job | Conclusion | Duration |', '| --- | --- | --- |');
    for (const j of r.jobs.slice(0, MAX_TABLE_ROWS))
      lines.push(
        `| ${cell(j.name)} | ${cell(j.conclusion)} | ${formatSeconds(j.seconds)}${j.seconds > c.slowJobSeconds ? ' 🐢' : ''} |`,
      );
    lines.push('');
  }
  lines.push(`### Stage durations (last 10 deployments)`, '');
  if (f.stages.length === 0) lines.push('No deployments with job timings yet.', '');
  else {
    lines.push('| Stage | Runs | avg | p95 | max |', '| --- | --: | --: | --: | --: |');
    for (const s of f.stages.slice(0, MAX_TABLE_ROWS))
      lines.push(
        `| ${cell(s.name)} | ${s.count} | ${formatSeconds(s.avg)} | ${formatSeconds(s.p95)} | ${formatSeconds(s.max)} |`,
      );
    lines.push('');
  }
  const t = f.ttd;
  lines.push(
    `### Time to deploy (last ${f.days} days, ${t.count} successful runs)`,
    '',
    '| | value | design target |',
    '| --- | --: | --: |',
    `| p50 | ${formatSeconds(t.p50)} | ${mark(t.withinTargets.p50)} < ${formatSeconds(TTD_TARGETS.p50)} |`,
    `| p95 | ${formatSeconds(t.p95)} | ${mark(t.withinTargets.p95)} < ${formatSeconds(TTD_TARGETS.p95)} |`,
    `| p99 | ${formatSeconds(t.p99)} | ${mark(t.withinTargets.p99)} < ${formatSeconds(TTD_TARGETS.p99)} |`,
    '',
  );
  if (f.ttdValues.length > 0) lines.push(ttdChart(f.ttdValues), '');
  lines.push('### Failure root causes', '');
  if (f.causes.length === 0) lines.push('No failed deployments in the window.', '');
  else {
    lines.push('| Error type | Failures | Failed stages |', '| --- | --: | --- |');
    for (const cause of f.causes.slice(0, MAX_TABLE_ROWS))
      lines.push(
        `| ${cell(cause.errorType)} | ${cause.count} | ${cause.stages.map((s) => codeCell(s, 80)).join(', ')} |`,
      );
    lines.push('');
  }
  lines.push(
    `### Error budget (this month: ${b.deployments} deployments, ${b.failures} failed, ${formatFailures(b.allowedFailures)} allowed)`,
    '',
    `Budget left now: ${budgetText(b)}.`,
    '',
    burndownChart(f),
    '',
  );
  const d = f.dora;
  lines.push(
    `### DORA (last ${f.days} days): ${level(d.overall)}`,
    '',
    '| Key | Value | Level |',
    '| --- | --: | --- |',
    `| Deployment frequency | ${d.deploymentsPerDay.toFixed(2)} / day | ${level(d.levels.frequency)} |`,
    `| Lead time for changes | ${formatSeconds(d.leadTimeSeconds)} | ${level(d.levels.leadTime)} |`,
    `| Change failure rate | ${pct(d.changeFailureRate)} | ${level(d.levels.changeFailureRate)} |`,
    `| Time to restore | ${formatSeconds(d.timeToRestoreSeconds)} | ${level(d.levels.timeToRestore)} |`,
    '',
    `<sub>${f.records} run attempts in history window. Definitions: docs/summary-mode.md.</sub>`,
    '',
  );
  const text = lines.join('\n');
  return Buffer.byteLength(text) > MAX_SUMMARY_BYTES
    ? `${text.slice(0, MAX_SUMMARY_BYTES / 4)}\n\n…(cut to stay under the job summary limit)\n`
    : text;
}

export interface CheckAnnotation {
  readonly path: string;
  readonly start_line: number;
  readonly end_line: number;
  readonly annotation_level: 'notice' | 'warning' | 'failure';
  readonly title: string;
  readonly message: string;
}

/** Annotations for the failed stage, slow stages and SLO breaches, on the workflow file. */
export function checkAnnotations(c: SummaryContext, workflowPath: string): CheckAnnotation[] {
  const at = { path: workflowPath || '.github', start_line: 1, end_line: 1 };
  const out: CheckAnnotation[] = [];
  const r = c.record;
  if (r.failedStage || r.failedStep)
    out.push({
      ...at,
      annotation_level: 'failure',
      title: 'Deployment failed',
      message: `Failed stage: ${r.failedStage ?? 'no stage'}${r.failedStep ? ` (${r.failedStep})` : ''}`,
    });
  for (const j of r.jobs)
    if (j.seconds > c.slowJobSeconds)
      out.push({
        ...at,
        annotation_level: 'warning',
        title: 'Slow stage',
        message: `${j.name} took ${formatSeconds(j.seconds)} (threshold ${formatSeconds(c.slowJobSeconds)})`,
      });
  if (r.ttdSeconds !== undefined && r.ttdSeconds > c.sloTtdP95Seconds)
    out.push({
      ...at,
      annotation_level: 'warning',
      title: 'Time to deploy over SLO',
      message: `This run took ${formatSeconds(r.ttdSeconds)} to deploy; the p95 SLO is ${formatSeconds(c.sloTtdP95Seconds)}`,
    });
  if (!c.figures.ttd.sloMet)
    out.push({
      ...at,
      annotation_level: 'warning',
      title: 'TTD p95 SLO breached',
      message: `TTD p95 is ${formatSeconds(c.figures.ttd.p95)} over ${c.figures.days} days (SLO ${formatSeconds(c.sloTtdP95Seconds)})`,
    });
  if (!c.figures.budget.met)
    out.push({
      ...at,
      annotation_level: 'warning',
      title: 'Success-rate SLO breached',
      message: `Success rate this month is ${pct(c.figures.budget.successRate)} (SLO ${pct(c.sloSuccessRate)}); error budget ${budgetText(c.figures.budget)}`,
    });
  return out;
}

/** Splits annotations into request pages of at most 50. */
export function annotationPages<T>(annotations: readonly T[]): T[][] {
  const pages: T[][] = [];
  for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST)
    pages.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  return pages;
}

/** Check conclusions GitHub accepts; anything else (e.g. `startup_failure`) maps to failure or neutral. */
export function checkConclusion(runConclusion: string): string {
  const accepted = [
    'success',
    'failure',
    'cancelled',
    'neutral',
    'skipped',
    'timed_out',
    'action_required',
    'stale',
  ];
  if (accepted.includes(runConclusion)) return runConclusion;
  return runConclusion === 'startup_failure' ? 'failure' : 'neutral';
}

/** The check run's output: title, summary (≤ 65,535 characters). */
export function checkOutput(c: SummaryContext): { title: string; summary: string } {
  const r = c.record;
  const title = `${r.conclusion}: TTD ${formatSeconds(r.ttdSeconds)}, success rate ${pct(c.figures.budget.successRate)}, DORA ${level(c.figures.dora.overall)}`;
  const full = renderJobSummary({ ...c, notes: [] });
  const summary = full.length > MAX_CHECK_TEXT ? `${full.slice(0, MAX_CHECK_TEXT - 40)}\n\n…(cut)` : full;
  return { title: title.slice(0, 255), summary };
}
