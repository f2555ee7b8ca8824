/**
 * What remote write sends and reads back, as pure functions: families of one
 * group become time series with the labels Prometheus would store after
 * scraping the Pushgateway (`job` and the grouping labels on every series),
 * and the backend's answer to the group's query becomes the same
 * {@link ExistingGroup} a Pushgateway read gives, so counters merge the same way.
 */
import { METRICS, metricByName } from '../../metrics/definitions.js';
import { STAGE_STATES } from '../../model/stage-state.js';
import type { MetricFamily, Sample } from '../../metrics/exposition.js';
import { type GroupingKey } from '../sink.js';
import type { ExistingGroup } from '../../metrics/series.js';
import { METADATA_TYPE, type WireLabel, type WireSeries, type WriteRequest } from './wire.js';

/**
 * How far back a sample may be timestamped. Receivers refuse samples older than
 * their head block allows (Prometheus: "out of bounds" past about an hour);
 * a deployment written later than this is written at now minus this.
 */
export const MAX_SAMPLE_AGE_MS = 50 * 60 * 1000;

/**
 * How far back the group's last counter totals are looked up: 90 days, or 7
 * when the backend refuses that long a query (query-length limits). A group
 * quiet for longer starts its counters again from this deployment, which
 * `increase()` and `rate()` read as a counter reset.
 */
export const TOTALS_LOOKBACK_DAYS = [90, 7] as const;

export interface WriteTimes {
  /** When the group's own series (counters, timestamps, marker) are written, in ms. */
  readonly at: number;
  /** The current time, in ms. */
  readonly now: number;
}

function sortedLabels(labels: Record<string, string>): WireLabel[] {
  return Object.keys(labels)
    .filter((name) => labels[name] !== '')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => ({ name, value: labels[name] as string }));
}

/**
 * One write request for a group's families. Every series once (a duplicate
 * keeps its last value), labels sorted by name, empty label values left out
 * (Prometheus treats them as absent), one sample each. A sample keeps its own
 * time (a stage's end) when it has one, else the group's write time; neither
 * goes further back than {@link MAX_SAMPLE_AGE_MS}.
 */
export function toWriteRequest(
  key: GroupingKey,
  families: readonly MetricFamily[],
  times: WriteTimes,
): WriteRequest {
  const oldest = times.now - MAX_SAMPLE_AGE_MS;
  const series = new Map<string, WireSeries>();
  const metadata = [];
  for (const family of families) {
    if (family.samples.length === 0) continue;
    metadata.push({
      type: METADATA_TYPE[family.type],
      metricFamilyName: family.name,
      help: family.help,
      unit: '',
    });
    for (const sample of withStateZeros(family)) {
      const labels: Record<string, string> = { ...sample.labels };
      // The grouping key wins, as it does on the Pushgateway.
      for (const [name, value] of key) labels[name] = value;
      labels.__name__ = sample.name;
      const wireLabels = sortedLabels(labels);
      const id = wireLabels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(',');
      const timestamp = Math.round(Math.max(oldest, Math.min(sample.timestampMs ?? times.at, times.at)));
      series.set(id, { labels: wireLabels, samples: [{ value: sample.value, timestamp }] });
    }
  }
  return { timeseries: [...series.values()], metadata };
}

/**
 * `deployment_stage_state` is one series per stage on the Pushgateway (its
 * family is replaced whole). Remote-written series are never replaced: a
 * stage that went from running to success would keep its `running` series at
 * 1 until it goes stale. So each write also sets the stage's other states to
 * 0, and the latest sample of every state series is right.
 */
function withStateZeros(family: MetricFamily): readonly Sample[] {
  if (family.name !== METRICS.stageState.name) return family.samples;
  const written = new Set(family.samples.map((s) => JSON.stringify(Object.entries(s.labels).sort())));
  const out: Sample[] = [...family.samples];
  for (const sample of family.samples) {
    if (sample.value !== 1) continue;
    for (const state of STAGE_STATES) {
      const labels = { ...sample.labels, state };
      const id = JSON.stringify(Object.entries(labels).sort());
      if (written.has(id)) continue;
      written.add(id);
      out.push({ ...sample, labels, value: 0 });
    }
  }
  return out;
}

function promqlString(value: string): string {
  // JSON string escapes are valid PromQL (Go) string escapes.
  return JSON.stringify(value);
}

/**
 * The query that reads back a group's counters, timestamps and marker: the
 * last value of each of its series that has no `deployment_id` (those are the
 * cumulative ones), over `days` days ({@link TOTALS_LOOKBACK_DAYS}).
 */
export function groupTotalsQuery(
  key: GroupingKey,
  rangeOnly = false,
  days: number = TOTALS_LOOKBACK_DAYS[0],
): string {
  const matchers = key.map(([name, value]) => `${name}=${promqlString(value)}`);
  const selector = `{${[...matchers, 'deployment_id=""'].join(',')}}[${days}d]`;
  return rangeOnly ? selector : `last_over_time(${selector})`;
}

/** The family a series belongs to: a table histogram's `_bucket`/`_sum`/`_count` are its family's. */
function familyOf(name: string): string {
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m && metricByName(m[1] as string)?.type === 'histogram') return m[1] as string;
  return name;
}

interface PromResult {
  metric?: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export class QueryAnswerError extends Error {}

/**
 * The group as the backend holds it, from an instant query's JSON answer
 * (a vector of last values, or a matrix whose last sample is used).
 * Throws {@link QueryAnswerError} when the answer is not a usable result, or
 * when series come back without their name (some engines drop it for
 * `last_over_time`; the caller then asks for the raw samples).
 */
export function existingFromQuery(body: unknown): ExistingGroup {
  const data = (body as { status?: string; data?: { resultType?: string; result?: unknown } })?.data;
  if ((body as { status?: string })?.status !== 'success' || !data || !Array.isArray(data.result)) {
    throw new QueryAnswerError('the query API did not answer with a result');
  }
  const samples = new Map<string, Sample[]>();
  for (const r of data.result as PromResult[]) {
    const { __name__: name, ...labels } = r.metric ?? {};
    if (!name) throw new QueryAnswerError('the query API answered series without their metric name');
    const last = r.value ?? r.values?.[r.values.length - 1];
    if (!last) continue;
    const value = Number(last[1]);
    const family = familyOf(name);
    const list = samples.get(family) ?? [];
    list.push({ name, labels, value });
    samples.set(family, list);
  }
  return { samples, types: new Map() };
}
