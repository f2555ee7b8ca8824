/**
 * The series summary mode pushes into the `job`/`repository`/`workflow` group
 * (docs/summary-mode.md, "Metrics"). Pure.
 *
 * Counters (`github_workflow_runs_total`, the `time_to_deploy_seconds`
 * histogram) are added only for an attempt not counted before; the caller
 * decides that from the history, or from {@link COUNTED_MARKER} when there is
 * no history.
 */
import { METRICS, TIME_TO_DEPLOY_BUCKETS, type MetricDefinition } from '../metrics/definitions.js';
import type { Sample } from '../metrics/exposition.js';
import type { SeriesUpdate } from '../metrics/series.js';
import type { FrequencyPeriod } from './figures.js';
import type { RunRecord } from './record.js';

/**
 * The last attempt whose counters this group holds, as `run id × 1000 + attempt`
 * (exact below 2^53 for any run id GitHub hands out). Only moves forward (`max`).
 * Used when the history is unavailable: an attempt at or below it is not
 * counted again. Defined in the one metric table.
 */
export const COUNTED_MARKER: MetricDefinition = METRICS.summaryCountedAttempt;

export function markerValue(r: Pick<RunRecord, 'runId' | 'attempt'>): number {
  return r.runId * 1000 + Math.min(r.attempt, 999);
}

export interface RunLabels {
  readonly workflow: string;
  readonly repository: string;
  readonly environment: string;
}

/** Histogram bucket deltas of one observation: cumulative `_bucket{le}`, `_sum`, `_count`. */
export function histogramObservation(
  definition: MetricDefinition,
  labels: Readonly<Record<string, string>>,
  value: number,
): SeriesUpdate[] {
  const buckets = definition.buckets ?? TIME_TO_DEPLOY_BUCKETS;
  return [
    ...[...buckets.map(String), '+Inf'].map((le, i) => ({
      definition,
      name: `${definition.name}_bucket`,
      labels: { ...labels, le },
      value: i === buckets.length || value <= (buckets[i] as number) ? 1 : 0,
    })),
    { definition, name: `${definition.name}_sum`, labels, value },
    { definition, name: `${definition.name}_count`, labels, value: 1 },
  ];
}

/**
 * The updates of one summary: the latest duration, frequency gauges, the
 * marker, and — when `count` — this attempt's counters.
 * `otherDurations`: the group's current `github_action_duration_seconds`
 * samples, kept (a POST replaces the whole family).
 */
export function summaryUpdates(
  record: RunRecord,
  labels: RunLabels,
  frequency: Readonly<Record<FrequencyPeriod, number>>,
  count: boolean,
  otherDurations: readonly Sample[] = [],
): SeriesUpdate[] {
  const runLabels = {
    workflow: labels.workflow,
    repository: labels.repository,
    branch: record.branch,
    conclusion: record.conclusion,
  };
  const d = METRICS.actionDuration;
  const mine = JSON.stringify(runLabels);
  const kept: SeriesUpdate[] = otherDurations
    .map((s) => ({
      definition: d,
      name: d.name,
      labels: Object.fromEntries(d.labels.map((l) => [l, s.labels[l] ?? ''])),
      value: s.value,
    }))
    .filter((u) => JSON.stringify(u.labels) !== mine);
  const updates: SeriesUpdate[] = [
    ...kept,
    { definition: d, name: d.name, labels: runLabels, value: record.durationSeconds },
    ...(Object.entries(frequency) as [FrequencyPeriod, number][]).map(([period, value]) => ({
      definition: METRICS.deploymentFrequency,
      name: METRICS.deploymentFrequency.name,
      labels: { environment: labels.environment, service: 'all', period },
      value,
    })),
    { definition: COUNTED_MARKER, name: COUNTED_MARKER.name, labels: {}, value: markerValue(record) },
  ];
  if (count) {
    updates.push({
      definition: METRICS.workflowRunsTotal,
      name: METRICS.workflowRunsTotal.name,
      labels: runLabels,
      value: 1,
    });
    if (record.ttdSeconds !== undefined)
      updates.push(
        ...histogramObservation(METRICS.timeToDeploy, { environment: labels.environment }, record.ttdSeconds),
      );
  }
  return updates;
}
