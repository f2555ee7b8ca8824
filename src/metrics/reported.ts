/**
 * What steps append to DEPLOY_METRICS_FILE: Prometheus text-exposition lines,
 * validated one by one. A bad line is skipped with a message naming the file
 * and the line; every other line still counts (README, "Reporting from steps").
 *
 * The file is written by any step, so it is bounded: at most
 * {@link MAX_REPORT_LINES} lines and {@link MAX_REPORTED_SERIES} distinct
 * series; series only for the services the job may write; a counter may grow
 * by at most {@link MAX_COUNTER_INCREMENT} per deployment; every token echoed
 * in a message is cut to {@link MAX_ECHO} characters. Lines skipped for the
 * same reason in bulk (another service, past the series limit) make one
 * message, so a hostile file cannot flood the log.
 */
import { METRIC_NAME_RE, parseExpositionLine, seriesKey, type Labels } from './exposition.js';
import { metricByName, type MetricDefinition } from './definitions.js';
import { reportedLabelProblem } from '../model/error-types.js';

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

export interface ReportOptions {
  /**
   * The services this job may write (its own and those its stage map names):
   * a series for any other service is skipped. Undefined: every service.
   */
  readonly services?: ReadonlySet<string>;
  /** The job's service: where a series without a `service` label goes. */
  readonly service?: string;
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
/** Distinct series one job may report (repeated lines of a series count once). */
export const MAX_REPORTED_SERIES = 1000;
/** The most a step may add to one counter series in one deployment. */
export const MAX_COUNTER_INCREMENT = 1e6;
/** Tokens echoed in a message (names, values, a parser's complaint) are cut to this many characters. */
export const MAX_ECHO = 80;
/** Line numbers listed in a message about many lines. */
const LISTED_LINES = 10;
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

/** A token for a message: one line, at most {@link MAX_ECHO} characters (cut with …). */
export function echo(text: string, max = MAX_ECHO): string {
  // eslint-disable-next-line no-control-regex
  const oneLine = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** A parser's complaint with every long token in it cut (it may quote what the step wrote). */
function echoMessage(message: string): string {
  return echo(
    message.replace(/[^\s"]{81,}/g, (token) => echo(token)),
    4 * MAX_ECHO,
  );
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Lines skipped for one reason in bulk: said once, at the first of them. */
class Bulk {
  private readonly lines: number[] = [];
  private total = 0;
  /** Where the message goes in the problem list (in line order). */
  private slot = -1;
  readonly values = new Set<string>();

  add(problems: string[], line: number, value?: string): void {
    if (this.slot < 0) {
      this.slot = problems.length;
      problems.push('');
    }
    this.total++;
    if (this.lines.length < LISTED_LINES + 1) this.lines.push(line);
    if (value !== undefined && this.values.size < LISTED_LINES + 1) this.values.add(value);
  }

  /** Writes the message into its slot: `first` is its head, `more` names the other lines. */
  finish(problems: string[], head: (firstLine: number) => string, more: string): void {
    if (this.slot < 0) return;
    const [first, ...rest] = this.lines as [number, ...number[]];
    let text = `${head(first)}; line skipped`;
    if (this.total > 1) {
      const listed = rest.slice(0, LISTED_LINES - 1);
      const others = this.total - 1;
      text += `, and ${count(others)} more ${others === 1 ? 'line' : 'lines'} ${more} (lines ${listed.join(', ')}${others > listed.length ? ', …' : ''})`;
    }
    problems[this.slot] = text;
  }
}

/** Parses and validates the file's text. Never throws. */
export function parseReportedMetrics(
  text: string,
  fileLabel: string,
  options: ReportOptions = {},
): ReportedMetrics {
  const problems: string[] = [];
  const merged = new Map<string, ReportedSeries>();
  const errorTypesByStage = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  // A file that ends with a new line has no line after it.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length > MAX_REPORT_LINES) {
    problems.push(`${fileLabel}: ${lines.length} lines; only the first ${MAX_REPORT_LINES} are read`);
  }
  const foreign = new Bulk();
  const overflow = new Bulk();
  lines.slice(0, MAX_REPORT_LINES).forEach((line, index) => {
    const where = `${fileLabel} line ${index + 1}`;
    const parsed = parseExpositionLine(line);
    if (parsed.kind === 'blank' || parsed.kind === 'comment') return;
    if (parsed.kind === 'error') {
      problems.push(`${where}: ${echoMessage(parsed.message)}; line skipped`);
      return;
    }
    const { value } = parsed.sample;
    const name = parsed.sample.name;
    const shownName = echo(name);
    const known = metricByName(name);
    if (known && known.source === 'action') {
      problems.push(`${where}: ${shownName} is computed by the action and cannot be reported; line skipped`);
      return;
    }
    if (
      !known &&
      (!METRIC_NAME_RE.test(name) || /_(bucket|sum|count)$/.test(name) || name.startsWith('__'))
    ) {
      problems.push(
        `${where}: ${shownName} cannot be reported (histogram parts and reserved names are not accepted); line skipped`,
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
        problems.push(
          `${where}: label ${echo(label)} is longer than ${MAX_LABEL_VALUE} characters; line skipped`,
        );
        return;
      }
      // error_type and service are read back into outputs, annotations and grouping keys.
      const refused = reportedLabelProblem(where, label, labelValue);
      if (refused) {
        problems.push(refused);
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
          `${where}: ${shownName} has no label ${echo(unknown.join(', '))} (it takes ${allowed.join(', ') || 'none'}); line skipped`,
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
      problems.push(`${where}: ${shownName} is a counter and cannot go down (${value}); line skipped`);
      return;
    }
    if (definition.type === 'counter' && value > MAX_COUNTER_INCREMENT) {
      problems.push(
        `${where}: ${shownName} is a counter and a step may add at most ${count(MAX_COUNTER_INCREMENT)} to it in one deployment (${value}); line skipped`,
      );
      return;
    }
    // Only the services this job may write: another service's group is another job's.
    const service = definition.labels.includes('service')
      ? (labels.service ?? options.service)
      : options.service;
    if (options.services && service !== undefined && !options.services.has(service)) {
      foreign.add(problems, index + 1, service);
      return;
    }
    const key = seriesKey(name, labels);
    const previous = merged.get(key);
    if (!previous && merged.size >= MAX_REPORTED_SERIES) {
      overflow.add(problems, index + 1);
      return;
    }
    if (previous && definition.type !== previous.definition.type) {
      problems.push(`${where}: ${shownName} was reported with another type before; line skipped`);
      return;
    }
    const total = previous && definition.merge === 'sum' ? previous.value + value : value;
    if (definition.type === 'counter' && total > MAX_COUNTER_INCREMENT) {
      problems.push(
        `${where}: ${shownName} would add up to ${total} in this deployment; a step may add at most ${count(MAX_COUNTER_INCREMENT)} to a counter; line skipped`,
      );
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
    merged.set(key, {
      definition: previous?.definition ?? definition,
      custom: !known,
      labels,
      value: total,
    });
  });
  const allowed = [...(options.services ?? [])].sort();
  const allowedText = `${allowed.slice(0, LISTED_LINES).join(', ')}${allowed.length > LISTED_LINES ? `, … (${allowed.length} in all)` : ''}`;
  const firstForeign = [...foreign.values][0] ?? '';
  const otherServices = [...foreign.values].slice(1, LISTED_LINES);
  foreign.finish(
    problems,
    (line) =>
      `${fileLabel} line ${line}: service "${echo(firstForeign)}" is not one this job writes (it may write ${allowedText}: its own service and those its stage map names)`,
    `for services it does not write${otherServices.length > 0 ? `, e.g. ${otherServices.map((s) => `"${echo(s, 40)}"`).join(', ')}` : ''}`,
  );
  overflow.finish(
    problems,
    (line) => `${fileLabel} line ${line}: more than ${count(MAX_REPORTED_SERIES)} distinct series reported`,
    'of new series',
  );
  return {
    series: [...merged.values()],
    problems,
    errorTypesByStage,
    lineCount: Math.min(lines.length, MAX_REPORT_LINES),
  };
}
