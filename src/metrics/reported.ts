/**
 * What steps append to DEPLOY_METRICS_FILE: Prometheus text-exposition lines,
 * validated one by one. A bad line is skipped with a message naming the file
 * and the line; every other line still counts (README, "Reporting from steps").
 */
import { METRIC_NAME_RE, parseExpositionLine, seriesKey, type Labels } from './exposition.js';
import { metricByName, type MetricDefinition } from './definitions.js';

/** One reported series after validation and merging of repeated lines. */
export interface ReportedSeries {
  /** The table's definition, or a custom one for a name the table does not have. */
  readonly definition: MetricDefinition;
  readonly custom: boolean;
  /** Labels as written by the step, without the standard ones the action sets. */
  readonly labels: Labels;
  /** Counters: the sum of the lines; gauges: the last line. */
  readonly value: number;
}

export interface ReportedMetrics {
  readonly series: readonly ReportedSeries[];
  /** Messages naming the file and line of each skipped line. */
  readonly problems: readonly string[];
  /** error_type of deployment_errors_total lines, by stage (first one wins). */
  readonly errorTypesByStage: ReadonlyMap<string, string>;
  readonly lineCount: number;
}

export const MAX_REPORT_LINES = 10000;
const MAX_LABEL_VALUE = 1024;
const MAX_CUSTOM_LABELS = 10;
/** Set by the action on every reported series; a step's own value is replaced. */
const ACTION_LABELS = new Set(['environment', 'deployment_id']);
const RESERVED_LABELS = new Set(['job', 'instance', 'le', 'quantile']);

export function customDefinition(name: string, labels: readonly string[]): MetricDefinition {
  const counter = name.endsWith('_total');
  const definition: MetricDefinition = {
    name,
    type: counter ? 'counter' : 'gauge',
    help: counter
      ? 'Reported by a deploy step through DEPLOY_METRICS_FILE; cumulative across deployments.'
      : 'Reported by a deploy step through DEPLOY_METRICS_FILE; value of the latest deployment.',
    labels: counter
      ? ['environment', 'service', ...labels]
      : ['environment', 'deployment_id', 'service', ...labels],
    modes: ['track'],
    source: 'reported',
    merge: counter ? 'sum' : 'replace',
  };
  return Object.freeze(definition);
}

/** Parses and validates the file's text. Never throws. */
export function parseReportedMetrics(text: string, fileLabel: string): ReportedMetrics {
  const problems: string[] = [];
  const merged = new Map<string, ReportedSeries>();
  const errorTypesByStage = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_REPORT_LINES) {
    problems.push(`${fileLabel}: ${lines.length} lines; only the first ${MAX_REPORT_LINES} are read`);
  }
  lines.slice(0, MAX_REPORT_LINES).forEach((line, index) => {
    const where = `${fileLabel} line ${index + 1}`;
    const parsed = parseExpositionLine(line);
    if (parsed.kind === 'blank' || parsed.kind === 'comment') return;
    if (parsed.kind === 'error') {
      problems.push(`${where}: ${parsed.message}; line skipped`);
      return;
    }
    const { name, value } = parsed.sample;
    const known = metricByName(name);
    if (known && known.source === 'action') {
      problems.push(`${where}: ${name} is computed by the action and cannot be reported; line skipped`);
      return;
    }
    if (
      !known &&
      (!METRIC_NAME_RE.test(name) || /_(bucket|sum|count)$/.test(name) || name.startsWith('__'))
    ) {
      problems.push(
        `${where}: ${name} cannot be reported (histogram parts and reserved names are not accepted); line skipped`,
      );
      return;
    }
    const labels: Record<string, string> = {};
    for (const [label, labelValue] of Object.entries(parsed.sample.labels)) {
      if (ACTION_LABELS.has(label)) continue;
      if (RESERVED_LABELS.has(label)) {
        problems.push(`${where}: label ${label} is reserved; line skipped`);
        return;
      }
      if (labelValue.length > MAX_LABEL_VALUE) {
        problems.push(`${where}: label ${label} is longer than ${MAX_LABEL_VALUE} characters; line skipped`);
        return;
      }
      labels[label] = labelValue;
    }
    let definition: MetricDefinition;
    if (known) {
      const allowed = known.labels.filter((l) => !ACTION_LABELS.has(l));
      const unknown = Object.keys(labels).filter((l) => !allowed.includes(l));
      if (unknown.length > 0) {
        problems.push(
          `${where}: ${name} has no label ${unknown.join(', ')} (it takes ${allowed.join(', ') || 'none'}); line skipped`,
        );
        return;
      }
      definition = known;
    } else {
      const extra = Object.keys(labels).filter((l) => l !== 'service');
      if (extra.length > MAX_CUSTOM_LABELS) {
        problems.push(`${where}: more than ${MAX_CUSTOM_LABELS} labels; line skipped`);
        return;
      }
      definition = customDefinition(name, extra.sort());
    }
    if (!Number.isFinite(value)) {
      problems.push(`${where}: value ${value} is not a finite number; line skipped`);
      return;
    }
    if (definition.type === 'counter' && value < 0) {
      problems.push(`${where}: ${name} is a counter and cannot go down (${value}); line skipped`);
      return;
    }
    if (
      name === 'deployment_errors_total' &&
      labels.stage &&
      labels.error_type &&
      !errorTypesByStage.has(labels.stage)
    ) {
      errorTypesByStage.set(labels.stage, labels.error_type);
    }
    const key = seriesKey(name, labels);
    const previous = merged.get(key);
    if (previous && definition.type !== previous.definition.type) {
      problems.push(`${where}: ${name} was reported with another type before; line skipped`);
      return;
    }
    const total = previous && definition.merge === 'sum' ? previous.value + value : value;
    if (!Number.isFinite(total)) {
      problems.push(`${where}: ${name} would add up past the largest number; line skipped`);
      return;
    }
    merged.set(key, {
      definition: previous?.definition ?? definition,
      custom: !known,
      labels,
      value: total,
    });
  });
  return {
    series: [...merged.values()],
    problems,
    errorTypesByStage,
    lineCount: Math.min(lines.length, MAX_REPORT_LINES),
  };
}
