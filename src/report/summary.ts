/**
 * The track-mode job summary: outcome, stage table (durations, status, slow
 * marks, thresholds), a Mermaid gantt of the stages, failure details and where
 * the metrics went. Pure: returns Markdown.
 */
import type { DeploymentResult, StageResult } from '../model/deployment.js';
import { formatDuration } from '../model/timing.js';
import { cell, code, mermaidText } from './markdown.js';

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
  /** Where the metrics went (Pushgateway groups, metrics file, carried counts). */
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
  if (stage.status === 'failure') return stage.conclusion === 'cancelled' ? '⛔ cancelled' : '❌ failure';
  return '✅ success';
}

function gantt(input: TrackSummaryInput): string {
  const stages = input.deployment.stages.slice(0, 30);
  if (stages.length === 0) return '';
  const origin = Math.min(...stages.map((s) => s.startedAt));
  const lines = [
    '```mermaid',
    'gantt',
    `  title ${mermaidText(`${input.service} deployment ${input.deploymentId}`)}`,
    '  dateFormat X',
    '  axisFormat %H:%M:%S',
  ];
  // Name each section once: repeated section names misplace labels in GitHub's Mermaid
  // (docs/platform.md, "Network and rendering").
  const services = [...new Set(stages.map((s) => s.service))];
  let n = 0;
  for (const service of services) {
    lines.push(`  section ${mermaidText(service)}`);
    for (const stage of stages.filter((s) => s.service === service)) {
      const start = Math.round((stage.startedAt - origin) / 1000);
      const end = Math.max(start + 1, Math.round((stage.completedAt - origin) / 1000));
      const tags = [stage.status === 'failure' ? 'crit' : stage.slow ? 'active' : 'done', `s${n++}`].join(
        ', ',
      );
      lines.push(`  ${mermaidText(stage.stage)} :${tags}, ${start}, ${end}`);
    }
  }
  lines.push('```');
  return lines.join('\n');
}

/** Renders the job summary Markdown. */
export function renderTrackSummary(input: TrackSummaryInput): string {
  const d = input.deployment;
  const out: string[] = [];
  const headline =
    d.status === 'success'
      ? `## ✅ Deployment succeeded: ${cell(input.service)} · ${cell(input.environment)}`
      : `## ❌ Deployment failed${d.failedStage ? ` at ${cell(d.failedStage.stage)}` : ''}: ${cell(input.service)} · ${cell(input.environment)}`;
  out.push(headline, '');
  const total =
    d.totalThresholdSeconds !== undefined
      ? `${formatDuration(d.durationSeconds)} of ${formatDuration(d.totalThresholdSeconds)} allowed${d.slow ? ' 🐢 **over the SLO**' : ''}`
      : formatDuration(d.durationSeconds);
  const run = input.runUrl ? ` · [run](${input.runUrl})` : '';
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
    out.push(`- **Error type:** ${code(d.errorType ?? 'unknown')}`);
    if (d.failureMessage) out.push(`- **Message:** ${cell(d.failureMessage, 400)}`);
    if (d.rollback)
      out.push(`- **Rollback:** ran, ${d.rollback.status} (${formatDuration(d.rollback.durationSeconds)})`);
    out.push('');
  }

  out.push('### Metrics', '');
  if (input.live) out.push(`- 📡 ${input.live}`);
  for (const line of input.delivery) out.push(`- ${line.ok ? '✔' : '⚠️'} ${line.text}`);
  out.push('');
  if (input.notes.length > 0) {
    out.push('<details><summary>Notes</summary>', '');
    for (const note of input.notes.slice(0, 50)) out.push(`- ${cell(note, 500)}`);
    if (input.notes.length > 50) out.push(`- … ${input.notes.length - 50} more`);
    out.push('', '</details>', '');
  }
  return out.join('\n');
}
