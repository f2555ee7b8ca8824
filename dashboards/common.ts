/**
 * Shared pieces of the dashboards: the datasource and template variables, label
 * selectors, PromQL helpers, and the thresholds read from action.yml (the
 * action's own defaults), so a dashboard cannot drift from what the action
 * marks as slow or what its SLO inputs say.
 *
 * Metric names come from the one metric table (src/metrics/definitions.ts);
 * recording rules are named as deploy/prometheus/rules defines them (the unit
 * test checks that every name a panel uses exists in one of the two).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  AnnotationQueryBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  DashboardBuilder,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { MappingType } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import {
  GraphThresholdsStyleConfigBuilder,
  ReduceDataOptionsBuilder,
  type GraphThresholdsStyleMode,
} from '@grafana/grafana-foundation-sdk/common';
import { ALL_METRICS, METRICS, type MetricDefinition } from '../src/metrics/definitions.js';

export { METRICS };

/**
 * Which data the dashboards are generated for:
 * - `pushgateway`: metrics scraped from a Pushgateway (dense series), in
 *   deploy/grafana/dashboards/;
 * - `remote-write`: metrics delivered by Prometheus remote write (sparse: one
 *   sample per series per write), in deploy/grafana/dashboards-remote-write/.
 *   The same panels, each raw metric read as its densified series
 *   `remote_write:<metric>` (recorded by the densify group of
 *   deploy/prometheus/remote-write/rules/, which scripts/remote-write-rules.ts
 *   extends with every metric these dashboards read), except the range reads
 *   of per-deployment series that are right on sparse data ({@link selRaw}).
 */
export type Flavour = 'pushgateway' | 'remote-write';
export const FLAVOURS: readonly Flavour[] = ['pushgateway', 'remote-write'];

/** Prefix of the densified series (scripts/remote-write-rules.ts records them with the same one). */
export const REMOTE_WRITE_PREFIX = 'remote_write:';

/** Where a flavour's JSON goes (relative to deploy/grafana/dashboards/: the remote-write flavour beside it, outside the folder the example stack's provider reads), and how its uids and titles differ. */
export const FLAVOUR_OUTPUT: Readonly<
  Record<Flavour, { subdir: string; uidSuffix: string; titleSuffix: string; tags: string[] }>
> = {
  pushgateway: { subdir: '', uidSuffix: '', titleSuffix: '', tags: [] },
  'remote-write': {
    subdir: '../dashboards-remote-write',
    uidSuffix: '-remote-write',
    titleSuffix: ' (remote write)',
    tags: ['remote-write'],
  },
};

let current: Flavour = 'pushgateway';

/** The flavour being built (see {@link withFlavour}). */
export function flavour(): Flavour {
  return current;
}

/** Builds dashboards for `f`: every selector made inside `build` reads that flavour's series. */
export function withFlavour<T>(f: Flavour, build: () => T): T {
  const previous = current;
  current = f;
  try {
    return build();
  } finally {
    current = previous;
  }
}

/** Exposition names of the metric table (a histogram has three): the raw series the action writes. */
export const RAW_NAMES: ReadonlySet<string> = new Set(
  ALL_METRICS.flatMap((m) =>
    m.type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
  ),
);

/**
 * The series a panel reads for a metric of the table in the current flavour:
 * the raw name for the Pushgateway, `remote_write:<name>` for remote write.
 * Recording rules (`deployment:*`) are the same in both.
 */
export function metric(m: MetricDefinition | string): string {
  const name = typeof m === 'string' ? m : m.name;
  return current === 'remote-write' && RAW_NAMES.has(name) ? `${REMOTE_WRITE_PREFIX}${name}` : name;
}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Panels query the Prometheus chosen in the `datasource` variable. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** Label matchers of the two template variables. */
export const ENV = 'environment=~"$environment"';
export const ENV_SERVICE = `${ENV}, service=~"$service"`;

/** `metric{environment=~"$environment", service=~"$service", extra}`. */
export function sel(m: MetricDefinition | string, extra = '', matchers = ENV_SERVICE): string {
  return `${metric(m)}{${[matchers, extra].filter((s) => s !== '').join(', ')}}`;
}

/**
 * The raw series of a per-deployment gauge (one with a `deployment_id`) in
 * every flavour, for a range function over it (`last_over_time(…[$__range])`,
 * `quantile_over_time`): each deployment keeps its own series, so the range
 * reads each deployment's value whether the series is scraped (dense) or
 * remote-written (one sample per deployment). Do not use it for an instant
 * read: a remote-written sample is visible to one for 5 minutes only.
 */
export function selRaw(m: MetricDefinition, extra = '', matchers = ENV_SERVICE): string {
  if (!m.labels.includes('deployment_id'))
    throw new Error(`${m.name} has no deployment_id: read it with sel(), not as a raw range`);
  return `${m.name}{${[matchers, extra].filter((s) => s !== '').join(', ')}}`;
}

/** `metric{environment=~"$environment", extra}`: for series without a `service` label. */
export function selEnv(m: MetricDefinition | string, extra = ''): string {
  return sel(m, extra, ENV);
}

/** The bucket series of a histogram in the table. */
export function bucket(metric: MetricDefinition): string {
  if (metric.type !== 'histogram') throw new Error(`${metric.name} is not a histogram`);
  return `${metric.name}_bucket`;
}

/**
 * Events a cumulative counter counted within `window`, exactly, as the shipped
 * recording rules count them: per series, its value now minus its value
 * `window` ago (the last sample up to an hour before that instant); after a
 * reset within the window (a Pushgateway restart) its value now plus what it
 * had counted before; a series new within the window (a first-ever failure)
 * its value now. No increase(): it extrapolates to the window's edges, so one
 * verify run of 10 checks read as 11.6 in a short window. With `$__interval`,
 * the step of a time series panel, each point holds the events since the
 * previous point: the points add up to the total.
 */
export function events(series: string, by: string, window = '$__range'): string {
  const before = `last_over_time(${series}[1h] offset ${window})`;
  return (
    `sum${by ? ` by (${by})` : ''} (\n` +
    `    (${series} - ${before}) >= 0\n` +
    `  or\n` +
    `    ${series} + (max_over_time(${series}[${window}]) - ${before})\n` +
    `  or\n` +
    `    ${series}\n` +
    `)`
  );
}

/**
 * The buckets of a classic histogram counted within `window` as {@link events}
 * counts a counter, by `le`, whichever way its `le` is spelt: Prometheus 3
 * writes a scraped bucket's bound as a float ("60" becomes "60.0"), so each
 * bucket is read under its bound without a trailing ".0" (the label `bound`,
 * the max of both spellings), and the counts go on across an upgrade instead of
 * the new spelling counting every run as new. The result's `le` is the bound.
 */
export function bucketEvents(series: string, window = '$__range'): string {
  const bound = (s: string): string =>
    `max without (le) (label_replace(${s}, "bound", "$1", "le", "(.+?)(?:\\\\.0+)?"))`;
  const now = bound(series);
  const before = bound(`last_over_time(${series}[1h] offset ${window})`);
  const peak = bound(`max_over_time(${series}[${window}])`);
  return (
    `sum by (le) (\n` +
    `  label_replace(\n` +
    `      (${now} - ${before}) >= 0\n` +
    `    or\n` +
    `      ${now} + (${peak} - ${before})\n` +
    `    or\n` +
    `      ${now},\n` +
    `    "le", "$1", "bound", "(.*)"\n` +
    `  )\n` +
    `)`
  );
}

/**
 * The deployments (environment, deployment_id) that started within `window`
 * (`seconds` long, ending at the query's time): their start time, from the
 * per-deployment start gauge read over the window (right on sparse,
 * remote-written data too). A per-deployment gauge joined with it counts only
 * the deployments of the window, not the latest deployment's value that a
 * Pushgateway keeps exposing through quiet days.
 */
export function startedWithin(window: string, seconds: string): string {
  return `(max by (environment, deployment_id) (last_over_time(${selRaw(METRICS.startTimestamp)}[${window}])) > time() - ${seconds})`;
}

/** The action's input defaults that the dashboards draw lines at. */
export interface ActionDefaults {
  /** Seconds per stage (and `total`), from the `thresholds` input. */
  readonly thresholds: Readonly<Record<string, number>>;
  /** `slo-success-rate`, e.g. 0.995. */
  readonly sloSuccessRate: number;
  /** `slo-ttd-p95-seconds`, e.g. 720. */
  readonly sloTtdP95Seconds: number;
}

export function actionDefaults(file = path.join(REPO_ROOT, 'action.yml')): ActionDefaults {
  const action = parse(readFileSync(file, 'utf8')) as { inputs: Record<string, { default?: string }> };
  const input = (name: string): string => {
    const value = action.inputs[name]?.default;
    if (value === undefined) throw new Error(`action.yml has no default for the input ${name}`);
    return value;
  };
  const thresholds: Record<string, number> = {};
  for (const pair of input('thresholds').split(/\s+/).filter(Boolean)) {
    const [stage, seconds] = pair.split('=');
    if (!stage || !seconds || !Number.isFinite(Number(seconds)))
      throw new Error(`action.yml: bad thresholds entry ${pair}`);
    thresholds[stage] = Number(seconds);
  }
  return {
    thresholds,
    sloSuccessRate: Number(input('slo-success-rate')),
    sloTtdP95Seconds: Number(input('slo-ttd-p95-seconds')),
  };
}

/** The action's default threshold of a stage (or `total`), in seconds; throws when action.yml has none. */
export function threshold(stage: string): number {
  const seconds = actionDefaults().thresholds[stage];
  if (seconds === undefined) throw new Error(`action.yml's thresholds input has no ${stage}`);
  return seconds;
}

/** A PromQL target. `instant` for stats and tables of the current state. */
export function query(
  expr: string,
  legend = '',
  o: { instant?: boolean; table?: boolean; heatmap?: boolean; refId?: string } = {},
): DataqueryBuilder {
  const q = new DataqueryBuilder().expr(expr).datasource(DATASOURCE);
  if (legend) q.legendFormat(legend);
  if (o.instant || o.table) q.instant();
  else q.range();
  if (o.table) q.format(PromQueryFormat.Table);
  if (o.heatmap) q.format(PromQueryFormat.Heatmap);
  if (o.refId) q.refId(o.refId);
  return q;
}

/** Threshold steps, lowest first: `[color, from]`; the first has no lower bound. */
export function steps(...s: [string, number | null][]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps(s.map(([color, value], i) => ({ color, value: i === 0 ? null : value })));
}

/** Value-to-text mappings for stat panels. */
export function valueText(map: Record<string, [string, string]>): ValueMapping[] {
  return [
    {
      type: MappingType.ValueToText,
      options: Object.fromEntries(
        Object.entries(map).map(([value, [text, color]], index) => [value, { text, color, index }]),
      ),
    },
  ];
}

export const lastValue = (): ReduceDataOptionsBuilder =>
  new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);

/** Applies the variables every dashboard has: datasource, environment, service. */
export function withVariables(d: DashboardBuilder): DashboardBuilder {
  return d
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'))
    .withVariable(
      new QueryVariableBuilder('environment')
        .label('Environment')
        .description('The environment label of the deployments (the action’s environment input).')
        .datasource(DATASOURCE)
        .query(`label_values(${metric(METRICS.deploymentRunsTotal)}, environment)`)
        .definition(`label_values(${metric(METRICS.deploymentRunsTotal)}, environment)`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc),
    )
    .withVariable(
      new QueryVariableBuilder('service')
        .label('Service')
        .description('The service label (api, web, database, …): the Pushgateway group of a deploy job.')
        .datasource(DATASOURCE)
        .query(`label_values(${metric(METRICS.deploymentRunsTotal)}{${ENV}}, service)`)
        .definition(`label_values(${metric(METRICS.deploymentRunsTotal)}{${ENV}}, service)`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*')
        .current({ text: 'All', value: '$__all' }),
    );
}

/**
 * Deployment starts as annotations: the start timestamp gauge's value is the
 * time (`useValueForTime`, milliseconds), one per deployment id.
 */
export function deploymentAnnotation(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('Deployments')
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor('blue')
    .expr(`max by (service, deployment_id) (${sel(METRICS.startTimestamp)}) * 1000`)
    .useValueForTime(true)
    .step('60s')
    .titleFormat('Deployment {{deployment_id}}')
    .textFormat('{{service}} started');
}

/** Draws a time series panel's thresholds as lines or areas. */
export const thresholdLines = (mode: GraphThresholdsStyleMode): GraphThresholdsStyleConfigBuilder =>
  new GraphThresholdsStyleConfigBuilder().mode(mode);

/** What sets one dashboard apart from the others in its header. */
export interface DashboardHeader {
  readonly title: string;
  readonly uid: string;
  readonly description: string;
  readonly tags: string[];
  /** Start of the default time range, e.g. `now-30d`; it always ends `now`. */
  readonly from: string;
  readonly refresh: string;
}

/** What the remote-write flavour adds to each dashboard's description. */
export const REMOTE_WRITE_DESCRIPTION =
  ' For metrics delivered by remote write: panels read the densified remote_write:<metric> series of deploy/prometheus/remote-write/rules/ (load those rules, not deploy/prometheus/rules/).';

/**
 * A dashboard with the shared variables and the deployment-start annotation;
 * in the remote-write flavour, its uid and title suffixed.
 */
export function deploymentDashboard(h: DashboardHeader): DashboardBuilder {
  const out = FLAVOUR_OUTPUT[current];
  return withVariables(
    new DashboardBuilder(`${h.title}${out.titleSuffix}`)
      .uid(`${h.uid}${out.uidSuffix}`)
      .description(current === 'remote-write' ? `${h.description}${REMOTE_WRITE_DESCRIPTION}` : h.description)
      .tags([...h.tags, ...out.tags])
      .time({ from: h.from, to: 'now' })
      .refresh(h.refresh)
      .annotation(deploymentAnnotation()),
  );
}
