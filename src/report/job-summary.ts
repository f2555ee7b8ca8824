/**
 * The track-mode job summary: outcome, stage table (durations, status, slow
 * marks, thresholds), a Mermaid gantt of the stages, failure details and where
 * the metrics went. Pure: returns Markdown.
 */
import type { DeploymentResult, StageResult } from '../model/deployment.js';
import { formatDuration } from '../model/timing.js';
import { knownErrorType } from '../model/error-types.js';
import { cell, code, link, markdownLine, mermaidText } from './markdown.js';

export interface DeliveryLine {
  readonly ok: boolean;
  readonly text: string;
}

export interface TrackSummaryInput {
  readonly deployment: DeploymentResult;
  readonly deploymentId: string;
  readonly environment: string;
  readonly service: string;
  readonly branch: string;
  readonly runUrl: string | undefined;
  /**
   * Where the metrics went (Pushgateway groups, metrics file, carried counts). Text with `code`
   * in backticks; the rest (a receiver's error body) is escaped when rendered.
   */
  readonly delivery: readonly DeliveryLine[];
  /** What live tracking did (one line), when it ran or was turned off. */
  readonly live?: string;
  /** Problems met on the way (API, reported lines), shown so nothing is silently lost. */
  readonly notes: readonly string[];
  /** False when the API's steps could not be read. */
  readonly stagesKnown: boolean;
}

/** GitHub's limit is 1 MiB a step; stay far below it whatever the step names are. */
const MAX_ROWS = 60;

function statusIcon(stage: StageResult): string {
  if (stage.status === 'failure')
    return stage.conclusion === 'cancelled' ? '❌ failure (time limit)' : '❌ failure';
  if (stage.status === 'cancelled') return '⛔ cancelled';
  return '✅ success';
}

const HOUR_SECONDS = 3_600;
/** A day, in seconds: up to it, gantt times are `HH:mm:ss` from the deployment's first start. */
const DAY_SECONDS = 86_400;

/**
 * Gantt times as Mermaid reads them: seconds from the first stage's start written as a clock time,
 * `HH:mm:ss` (Mermaid parses it as that time of the viewer's day and draws the axis in the same
 * zone, so the axis shows elapsed time, `mm:ss` under an hour). Mermaid 11.12 and later draw every
 * bar of `dateFormat X` (Unix seconds) from 0, while 10.x and 11.11 drew them right; this form draws
 * the same on all of them (__tests__/e2e/render.e2e.test.ts). A deployment of a day or more
 * (self-hosted runners) is dated from 2000-01-01 instead, with the day of the month on the axis.
 */
function ganttClock(spanSeconds: number): {
  dateFormat: string;
  axisFormat: string;
  at: (s: number) => string;
} {
  if (spanSeconds < DAY_SECONDS) {
    const two = (n: number): string => String(n).padStart(2, '0');
    return {
      dateFormat: 'HH:mm:ss',
      axisFormat: spanSeconds < HOUR_SECONDS ? '%M:%S' : '%H:%M',
      at: (s) => `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`,
    };
  }
  return {
    dateFormat: 'YYYY-MM-DD HH:mm:ss',
    axisFormat: '%d %H:%M',
    at: (s) => new Date(Date.UTC(2000, 0, 1) + s * 1000).toISOString().slice(0, 19).replace('T', ' '),
  };
}

function gantt(input: TrackSummaryInput): string {
  const stages = input.deployment.stages.slice(0, 30);
  if (stages.length === 0) return '';
  const origin = Math.min(...stages.map((s) => s.startedAt));
  const times = stages.map((stage) => {
    const start = Math.round((stage.startedAt - origin) / 1000);
    return { start, end: Math.max(start + 1, Math.round((stage.completedAt - origin) / 1000)) };
  });
  const clock = ganttClock(Math.max(...times.map((t) => t.end)));
  const lines = [
    '```mermaid',
    'gantt',
    `  title ${mermaidText(`${input.service} deployment ${input.deploymentId}`)}`,
    `  dateFormat ${clock.dateFormat}`,
    `  axisFormat ${clock.axisFormat}`,
  ];
  // Name each section once: repeated section names misplace labels in GitHub's Mermaid
  // (docs/platform.md, "Network and rendering").
  const services = [...new Set(stages.map((s) => s.service))];
  let n = 0;
  for (const service of services) {
    lines.push(`  section ${mermaidText(service)}`);
    for (const [i, stage] of stages.entries()) {
      if (stage.service !== service) continue;
      const { start, end } = times[i]!;
      const tags = [stage.status !== 'success' ? 'crit' : stage.slow ? 'active' : 'done', `s${n++}`].join(
        ', ',
      );
      lines.push(`  ${mermaidText(stage.stage)} :${tags}, ${clock.at(start)}, ${clock.at(end)}`);
    }
  }
  lines.push('```');
  return lines.join('\n');
}

/** Renders the job summary Markdown. */
export function renderTrackSummary(input: TrackSummaryInput): string {
  const d = input.deployment;
  const out: string[] = [];
  const where = `${cell(input.service)} · ${cell(input.environment)}`;
  const headline =
    d.status === 'success'
      ? `## ✅ Deployment succeeded: ${where}`
      : d.status === 'cancelled'
        ? `## ⛔ Deployment cancelled${d.cancelledStage ? ` at ${cell(d.cancelledStage.stage)}` : ''}: ${where}`
        : `## ❌ Deployment failed${d.failedStage ? ` at ${cell(d.failedStage.stage)}` : ''}: ${where}`;
  out.push(headline, '');
  const total =
    d.totalThresholdSeconds !== undefined
      ? `${formatDuration(d.durationSeconds)} of ${formatDuration(d.totalThresholdSeconds)} allowed${d.slow ? ' 🐢 **over the SLO**' : ''}`
      : formatDuration(d.durationSeconds);
  const run = input.runUrl ? ` · ${link('run', input.runUrl)}` : '';
  out.push(
    `Deployment ${code(input.deploymentId)} · ${total} · branch ${code(input.branch || 'unknown')}${run}`,
    '',
  );

  if (!input.stagesKnown) {
    out.push(
      '> Stages are not shown: the job\u2019s steps could not be read from the GitHub API (see the notes below).',
      '',
    );
  } else if (d.stages.length === 0) {
    out.push(
      '> No step of this job maps to a deployment stage. Name your steps (build, deploy, health check…) or set the `stages` input.',
      '',
    );
  } else {
    out.push('| Stage | Service | Status | Duration | Threshold | Slow |', '|---|---|---|---:|---:|---|');
    for (const stage of d.stages.slice(0, MAX_ROWS)) {
      out.push(
        `| ${cell(stage.stage)} | ${cell(stage.service)} | ${statusIcon(stage)} | ${formatDuration(stage.durationSeconds)}${stage.complete ? '' : ' (still running)'} | ${
          stage.thresholdSeconds !== undefined ? formatDuration(stage.thresholdSeconds) : '—'
        } | ${stage.slow ? '🐢 slow' : ''} |`,
      );
    }
    if (d.stages.length > MAX_ROWS) out.push(`| … ${d.stages.length - MAX_ROWS} more stages | | | | | |`);
    out.push('', gantt(input), '');
  }

  if (d.status === 'failure') {
    out.push('### Failure', '');
    out.push(
      `- **Stage:** ${d.failedStage ? `${cell(d.failedStage.stage)} (${cell(d.failedStage.service)})` : 'none of the mapped stages'}`,
    );
    out.push(`- **Error type:** ${code(knownErrorType(d.errorType) ?? 'unknown')}`);
    if (d.failureMessage) out.push(`- **Message:** ${cell(d.failureMessage, 400)}`);
    if (d.rollback)
      out.push(`- **Rollback:** ran, ${d.rollback.status} (${formatDuration(d.rollback.durationSeconds)})`);
    out.push('');
  } else if (d.status === 'cancelled') {
    out.push('### Cancelled', '');
    out.push(
      `- **Stage:** ${d.cancelledStage ? `${cell(d.cancelledStage.stage)} (${cell(d.cancelledStage.service)})` : 'none of the mapped stages'}`,
    );
    if (d.cancelMessage) out.push(`- **Message:** ${cell(d.cancelMessage, 400)}`);
    if (d.rollback)
      out.push(`- **Rollback:** ran, ${d.rollback.status} (${formatDuration(d.rollback.durationSeconds)})`);
    out.push(
      '- Counted under `status="cancelled"`: not a failure, no page, and left out of the success rate and the error budget.',
      '',
    );
  }

  out.push('### Metrics', '');
  if (input.live) out.push(`- 📡 ${markdownLine(input.live)}`);
  for (const line of input.delivery) out.push(`- ${line.ok ? '✔' : '⚠️'} ${markdownLine(line.text)}`);
  out.push('');
  if (input.notes.length > 0) {
    out.push('<details><summary>Notes</summary>', '');
    for (const note of input.notes.slice(0, 50)) out.push(`- ${cell(note, 500)}`);
    if (input.notes.length > 50) out.push(`- … ${input.notes.length - 50} more`);
    out.push('', '</details>', '');
  }
  return out.join('\n');
}
