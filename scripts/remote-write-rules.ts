/**
 * The remote-write variant of the shipped Prometheus rules
 * (deploy/prometheus/remote-write/rules/), generated from the shipped ones
 * (deploy/prometheus/rules/) so the two cannot drift. `npm run rules` writes
 * the files, `npm run rules -- --check` fails when the committed ones are
 * stale (scripts/gen-remote-write-rules.ts).
 *
 * Remote-written data is sparse (one sample per series per write), so the
 * variant adds a "densify" group that turns each raw metric the rules read
 * into a dense recorded series `remote_write:<metric>`, and copies every
 * shipped rule with the metric names it reads replaced by the densified ones.
 * docs/remote-write-rules.md explains why and what each window costs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { isMap, isScalar, isSeq, parseDocument, visit, type Document, type YAMLMap } from 'yaml';
import { ALL_METRICS, METRICS, type MetricDefinition } from '../src/metrics/definitions.js';
import { densifiedByDashboards } from '../dashboards/index.js';
import { FLAVOUR_OUTPUT } from '../dashboards/common.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SHIPPED_RULES_DIR = path.join(REPO_ROOT, 'deploy', 'prometheus', 'rules');
export const REMOTE_WRITE_DIR = path.join(REPO_ROOT, 'deploy', 'prometheus', 'remote-write');
export const REMOTE_WRITE_RULES_DIR = path.join(REMOTE_WRITE_DIR, 'rules');

/** Name of the densify group. */
export const DENSIFY_GROUP = 'remote-write-densify';

/**
 * Name of the group that reads the long raw window (RAW) of the counters and
 * group timestamps, at its own, slower interval (RESTORE_INTERVAL): what the
 * densify group falls back to when neither a recent sample nor its own
 * previous value is there (a first load of the rules, an evaluation gap longer
 * than CHAIN).
 */
export const RESTORE_GROUP = 'remote-write-densify-restore';

/** Prefix of every densified series. */
export const PREFIX = 'remote_write:';

/**
 * Windows of the densify groups (see the header of deployment-densify.yml):
 * - RAW: how far back a counter or group timestamp is read from the raw
 *   samples by the restore group, every RESTORE_INTERVAL. Covers the 30-day
 *   recording windows with room.
 * - RESTORE_INTERVAL: the restore group's interval (1 m or slower: each of its
 *   evaluations reads RAW of raw samples, on Mimir/Cortex from the
 *   store-gateways); the densify group reads its results over RESTORE_READ.
 * - RECENT: how far back the densify group itself reads a counter's or group
 *   timestamp's raw samples, every evaluation: the action writes no sample
 *   more than 50 minutes back, so a sample that arrives late is still read.
 * - CHAIN: how far back each densified series reads its own previous value
 *   (self-sustaining beyond RAW). Must exceed the evaluation interval and any
 *   gap between two evaluations that should not lose the chain.
 * - START: how far back deployment starts (and deployment_in_progress) are
 *   read from the raw samples.
 * - GAUGE: how long a latest-deployment gauge sample is considered.
 * - WRITTEN_STEP: the step of the subquery that finds each gauge series' last
 *   sample time (timestamp() at every step, over GAUGE). Must stay under the
 *   query lookback (5 minutes by default) so no sample falls between steps.
 */
export const WINDOWS = {
  RAW: '35d',
  RESTORE_INTERVAL: '5m',
  RESTORE_READ: '15m',
  RECENT: '1h',
  CHAIN: '1h',
  START: '1d',
  GAUGE: '3h',
  WRITTEN_STEP: '1m',
} as const;

/** The raw metric whose value is the time of the group's last write (replaces push_time_seconds). */
const MARKER = METRICS.countersUpdated.name;
const START = METRICS.startTimestamp.name;
const IN_PROGRESS = METRICS.inProgress.name;

/** Shipped alerts that have no meaning on remote-written data: left out, with the reason. */
export const OMITTED_ALERTS: Readonly<Record<string, string>> = {
  DeploymentMetricsPushFailing:
    'reads push_failure_time_seconds, which only a Pushgateway writes; a remote write the backend ' +
    'refuses never reaches it (the action warns in the job and carries the counts to its next write)',
  DeploymentPushgatewayDown:
    'reads the up series of the Pushgateway scrape; with remote write nothing is scraped',
};

/** Shipped rule groups whose rules keep reading raw series (by metric name), with the reason. */
const RAW_READS: Readonly<Record<string, readonly string[]>> = {
  // last_over_time(deployment_stage_duration_seconds[7d]) wants one value per deployment: the raw
  // remote-written series of every deployment_id persist, so the raw metric gives exactly that.
  'deployment-stages': [METRICS.stageDuration.name],
};

/** Series the Pushgateway adds, and what the variant reads instead. */
const PUSHGATEWAY_SERIES: Readonly<Record<string, string>> = {
  // The counter alerts' freshness guard: "the group got a write within W".
  push_time_seconds: `${PREFIX}${MARKER}`,
};

/** Where the runbooks and the Grafana the alerts link to are published (`npm run rules -- --runbook-base …`). */
export interface LinkBases {
  /** Replaces `docs/runbooks` in every runbook_url, e.g. https://github.com/acme/deployment-observability/blob/v1/docs/runbooks */
  readonly runbookBase?: string;
  /** Prefixes every dashboard_url (a Grafana path, /d/<uid>…), e.g. https://grafana.example.com */
  readonly dashboardBase?: string;
}

/**
 * A rule file's text with its runbook_url and dashboard_url made absolute:
 * `runbook_url: docs/runbooks/X.md` becomes `<runbookBase>/X.md`, a
 * dashboard_url `/d/…` becomes `<dashboardBase>/d/…` (each only when its base
 * is given).
 */
export function withAbsoluteLinks(text: string, bases: LinkBases): string {
  const trim = (u: string): string => u.replace(/\/+$/, '');
  const quote = (u: string): string => `'${u.replace(/'/g, "''")}'`;
  let out = text;
  if (bases.runbookBase) {
    const base = trim(bases.runbookBase);
    out = out.replace(
      /^(\s*)runbook_url: docs\/runbooks\/([A-Za-z0-9]+\.md)$/gm,
      (_m, indent: string, file: string) => `${indent}runbook_url: ${quote(`${base}/${file}`)}`,
    );
  }
  if (bases.dashboardBase) {
    const base = trim(bases.dashboardBase);
    // a quoted value may be folded over several lines (a line break and its indentation are a space)
    out = out.replace(
      /^([ \t]*)dashboard_url: (?:'((?:[^']|'')*)'|(\/d\/\S*))$/gm,
      (_m, indent: string, quoted: string | undefined, plain: string | undefined) => {
        const url =
          quoted !== undefined ? quoted.replace(/\n[ \t]*/g, ' ').replace(/''/g, "'") : (plain ?? '');
        return `${indent}dashboard_url: ${quote(`${base}${url}`)}`;
      },
    );
  }
  return out;
}

export interface RenderedFile {
  /** Path relative to the repository root. */
  readonly file: string;
  readonly path: string;
  readonly text: string;
}

type Kind = 'cumulative' | 'latest-start' | 'in-progress' | 'deployment-gauge';

/** The labels that identify a deployment's write: the grouping labels and deployment_id. */
const DEPLOYMENT_LABELS = ['job', 'environment', 'service', 'deployment_id'] as const;

/**
 * Per-deployment gauges whose samples carry their own time rather than the
 * write's: post stamps each stage duration with its stage's end, so the
 * series of one write have different times, and "the series written last"
 * would keep the last stage only. Each deployment_id (run id and attempt)
 * writes them once, in post's write, so there is nothing stale to drop.
 */
const OWN_SAMPLE_TIME: ReadonlySet<string> = new Set([METRICS.stageDuration.name]);

/**
 * Whether a per-deployment gauge keeps only the series its deployment wrote
 * last (a Pushgateway push replaces the whole family): only when it can have
 * several series per deployment (labels beyond the deployment's own) and its
 * sample times are write times.
 */
function keepsLastWrite(m: MetricDefinition): boolean {
  if (OWN_SAMPLE_TIME.has(m.name)) return false;
  const own = new Set<string>(DEPLOYMENT_LABELS);
  return m.labels.some((l) => !own.has(l));
}

function kindOf(m: MetricDefinition): Kind {
  if (m.name === START) return 'latest-start';
  if (m.name === IN_PROGRESS) return 'in-progress';
  if (m.labels.includes('deployment_id')) return 'deployment-gauge';
  // counters, histograms, the group's timestamps (last success/failure, the write marker) and the
  // thresholds in force (deployment_stage_threshold_seconds, written at each deployment's start and
  // end, read between them): one series per group and label values, no deployment_id, so their
  // number stays bounded
  return 'cumulative';
}

/** Exposition names of a definition (a histogram has three). */
function seriesNames(m: MetricDefinition): string[] {
  return m.type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name];
}

const NAME_CHARS = 'A-Za-z0-9_:';
function nameRegExp(name: string): RegExp {
  return new RegExp(
    `(?<![${NAME_CHARS}])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![${NAME_CHARS}])`,
    'g',
  );
}

interface RawMetric {
  readonly name: string;
  readonly definition: MetricDefinition;
}

const RAW_METRICS: readonly RawMetric[] = ALL_METRICS.flatMap((definition) =>
  seriesNames(definition).map((name) => ({ name, definition })),
);

/** Raw metric names a PromQL text (an expression or an annotation template) mentions. */
function mentioned(text: string, names: readonly string[]): string[] {
  return names.filter((n) => nameRegExp(n).test(text));
}

function replaceNames(text: string, names: readonly string[]): string {
  let out = text;
  for (const n of names) out = out.replace(nameRegExp(n), `${PREFIX}${n}`);
  for (const [pg, instead] of Object.entries(PUSHGATEWAY_SERIES)) out = out.replace(nameRegExp(pg), instead);
  return out;
}

function readShipped(file: string): Document {
  return parseDocument(readFileSync(path.join(SHIPPED_RULES_DIR, file), 'utf8'));
}

function str(map: YAMLMap, key: string): string | undefined {
  const v = map.get(key);
  return typeof v === 'string' ? v : undefined;
}

/** Drops every comment: the shipped file's comments speak of the Pushgateway. */
function stripComments(doc: Document): void {
  doc.commentBefore = null;
  doc.comment = null;
  visit(doc, {
    Node(_key, node) {
      node.commentBefore = undefined;
      node.comment = undefined;
    },
    Pair(_key, pair) {
      if (isScalar(pair.key)) {
        pair.key.commentBefore = undefined;
        pair.key.comment = undefined;
      }
    },
  });
}

interface Rewritten {
  readonly doc: Document;
  /** Raw metric names the copied rules read through the densify group. */
  readonly densified: Set<string>;
}

/**
 * Copies a shipped rule file with the metric names replaced. Every expression
 * and annotation is rewritten; a rule reading a series that neither the action
 * writes nor the variant knows how to replace stops the generator.
 */
function rewrite(file: string, overrides: Readonly<Record<string, (rule: YAMLMap) => void>>): Rewritten {
  const doc = readShipped(file);
  stripComments(doc);
  const densified = new Set<string>();
  const rawNames = RAW_METRICS.map((m) => m.name);
  const groups = doc.get('groups');
  if (!isSeq(groups)) throw new Error(`${file}: no groups`);
  for (const group of groups.items) {
    if (!isMap(group)) throw new Error(`${file}: a group is not a map`);
    const groupName = str(group, 'name') ?? '';
    const keepRaw = RAW_READS[groupName] ?? [];
    const rules = group.get('rules');
    if (!isSeq(rules)) throw new Error(`${file}: group ${groupName} has no rules`);
    rules.items = rules.items.filter((rule) => {
      if (!isMap(rule)) throw new Error(`${file}: a rule of ${groupName} is not a map`);
      const alert = str(rule, 'alert');
      return !(alert && alert in OMITTED_ALERTS);
    });
    for (const rule of rules.items as YAMLMap[]) {
      // dashboard_url: the remote-write flavour of the dashboard (its uid suffixed)
      const dashboard = rule.getIn(['annotations', 'dashboard_url'], true);
      if (isScalar(dashboard) && typeof dashboard.value === 'string') {
        dashboard.value = dashboard.value.replace(
          /^\/d\/([a-z-]+)/,
          (_m, uid: string) => `/d/${uid}${FLAVOUR_OUTPUT['remote-write'].uidSuffix}`,
        );
      }
      const name = str(rule, 'alert') ?? str(rule, 'record') ?? '';
      const override = overrides[name];
      if (override) {
        override(rule);
        continue;
      }
      const texts: { node: unknown }[] = [{ node: rule.get('expr', true) }];
      const annotations = rule.get('annotations');
      if (isMap(annotations)) for (const pair of annotations.items) texts.push({ node: pair.value });
      for (const { node } of texts) {
        if (!isScalar(node) || typeof node.value !== 'string') continue;
        const text = node.value;
        const names = mentioned(text, rawNames).filter((n) => !keepRaw.includes(n));
        for (const n of names) densified.add(n);
        for (const pg of Object.keys(PUSHGATEWAY_SERIES))
          if (nameRegExp(pg).test(text)) densified.add(MARKER);
        const replaced = replaceNames(text, names);
        node.value = replaced;
        for (const unknown of ['push_failure_time_seconds', 'up']) {
          if (nameRegExp(unknown).test(replaced) && node === rule.get('expr', true)) {
            throw new Error(`${file}: ${name} reads ${unknown}, which remote write has no equivalent of`);
          }
        }
      }
    }
  }
  return { doc, densified };
}

/** DeploymentMetricsNotPushed on the write marker instead of push_time_seconds. */
function notPushed(rule: YAMLMap): void {
  const expr = rule.get('expr', true);
  const annotations = rule.get('annotations');
  if (!isScalar(expr) || !isMap(annotations)) throw new Error('DeploymentMetricsNotPushed: unexpected shape');
  expr.value =
    `time() - last_over_time(${MARKER}{job="deployment"}[9d]) > 2 * 86400\n` +
    `and\n` +
    `  count_over_time(${MARKER}{job="deployment"}[7d] offset 2d) >= 7\n`;
  rule.commentBefore =
    " Remote write: the raw write marker (one sample per write that brings the group's counters up\n" +
    ' to date: the end of each deployment, each verify and summary run), counted directly: at least\n' +
    ' 7 writes in the week before (about a deployment a day; the Pushgateway rule counts 14 pushes,\n' +
    ' pre and post) and none for 2 days. Reads raw samples, so it needs no recorded history.';
  const description = annotations.get('description', true);
  if (!isScalar(description) || typeof description.value !== 'string') {
    throw new Error('DeploymentMetricsNotPushed: no description');
  }
  description.value = description.value
    .replace('got its last push', 'got its last write')
    .replace('the action stopped pushing', 'the action stopped writing');
}

/** One recording rule of the densify group. */
interface DensifyRule {
  readonly record: string;
  readonly expr: string;
}

function densifyRules(densified: ReadonlySet<string>): {
  rules: DensifyRule[];
  comments: Map<string, string>;
} {
  const rules: DensifyRule[] = [];
  const comments = new Map<string, string>();
  const { RECENT, RESTORE_READ, CHAIN, START: W_START, GAUGE, WRITTEN_STEP } = WINDOWS;
  const wanted = RAW_METRICS.filter((m) => densified.has(m.name));
  const kinds = new Map(wanted.map((m) => [m.name, kindOf(m.definition)]));
  const has = (k: Kind): boolean => [...kinds.values()].includes(k);
  const latestStartNeeded = has('latest-start') || has('in-progress') || has('deployment-gauge');

  if (latestStartNeeded) {
    comments.set(
      `${PREFIX}${START}`,
      ' The latest deployment of each group (job, environment, service): the greatest start time.\n' +
        ` Raw starts of the last ${W_START}, or the previous value (kept while no newer deployment starts).`,
    );
    rules.push({
      record: `${PREFIX}${START}`,
      expr:
        `topk by (job, environment, service) (1,\n` +
        `    last_over_time(${START}[${W_START}])\n` +
        `  or\n` +
        `    last_over_time(${PREFIX}${START}[${CHAIN}])\n` +
        `)\n`,
    });
  }
  if (has('in-progress')) {
    comments.set(
      `${PREFIX}${IN_PROGRESS}`,
      " The latest deployment's deployment_in_progress: 1 from its start until its end writes 0. A\n" +
        ' runner that died before post leaves 1, kept until a newer deployment of the group starts.',
    );
    rules.push({
      record: `${PREFIX}${IN_PROGRESS}`,
      expr:
        `(\n` +
        `    last_over_time(${IN_PROGRESS}[${W_START}])\n` +
        `  or\n` +
        `    last_over_time(${PREFIX}${IN_PROGRESS}[${CHAIN}])\n` +
        `)\n` +
        `and on(job, environment, service, deployment_id) ${PREFIX}${START}\n`,
    });
  }
  const gauges = wanted.filter((m) => kinds.get(m.name) === 'deployment-gauge');
  if (gauges.length > 0) {
    const byDeployment = `${PREFIX}${START}:by_deployment`;
    comments.set(
      byDeployment,
      ' Start time of each deployment (job, environment, deployment_id; without service, as a stage\n' +
        " the stage map puts in another service's group carries its job's deployment_id).",
    );
    rules.push({
      record: byDeployment,
      expr:
        `max by (job, environment, deployment_id) (\n` +
        `    last_over_time(${START}[${W_START}])\n` +
        `  or\n` +
        `    ${PREFIX}${START}\n` +
        `)\n`,
    });
    for (const g of gauges) {
      const helper = `${PREFIX}${g.name}:deployment_start`;
      comments.set(
        helper,
        ` ${g.name}: per group, each deployment with a sample in the last ${GAUGE},\n` +
          ' valued by its start time.',
      );
      rules.push({
        record: helper,
        expr:
          `count by (job, environment, service, deployment_id) (last_over_time(${g.name}[${GAUGE}])) * 0\n` +
          `  + on(job, environment, deployment_id) group_left()\n` +
          `${byDeployment}\n`,
      });
      const latest =
        `(\n` +
        `  ${helper}\n` +
        `    == on(job, environment, service) group_left()\n` +
        `  max by (job, environment, service) (${helper})\n` +
        `)\n`;
      if (!keepsLastWrite(g.definition)) {
        comments.set(
          `${PREFIX}${g.name}`,
          ` ${g.name} of the latest deployment (greatest start) of each group that\n` +
            ` wrote it, for ${GAUGE} after its sample: a Pushgateway group holds only the latest one's.` +
            (OWN_SAMPLE_TIME.has(g.name)
              ? "\n Every series of that deployment: each is stamped with its stage's end, and post writes\n" +
                ' them once per deployment_id.'
              : ''),
        );
        rules.push({
          record: `${PREFIX}${g.name}`,
          expr: `last_over_time(${g.name}[${GAUGE}])\n  and on(job, environment, service, deployment_id)\n${latest}`,
        });
        continue;
      }
      const written = `${PREFIX}${g.name}:written`;
      const by = DEPLOYMENT_LABELS.join(', ');
      comments.set(
        written,
        ` ${g.name}: the time of each raw series' last sample in the last ${GAUGE}\n` +
          ` (timestamp() gives a sample's own time while it is within the lookback: now, and at every\n` +
          ` ${WRITTEN_STEP} step of the subquery, which also sees samples that arrived late).`,
      );
      rules.push({
        record: written,
        expr:
          `timestamp(${g.name})\n` +
          `  or\n` +
          `max_over_time(timestamp(${g.name})[${GAUGE}:${WRITTEN_STEP}])\n`,
      });
      comments.set(
        `${PREFIX}${g.name}`,
        ` ${g.name} of the latest deployment (greatest start) of each group that\n` +
          ` wrote it, for ${GAUGE} after its sample: a Pushgateway group holds only the latest one's.\n` +
          ` Of that deployment, only the series it wrote last (a push replaces the family): a series\n` +
          ' written before another of the same deployment is dropped; series of one write (same time)\n' +
          ' all stay, and a series without a written time stays.',
      );
      rules.push({
        record: `${PREFIX}${g.name}`,
        expr:
          `(\n` +
          `    last_over_time(${g.name}[${GAUGE}])\n` +
          `  unless\n` +
          `    ${written}\n` +
          `      < on(${by}) group_left()\n` +
          `    max by (${by}) (${written})\n` +
          `)\n` +
          `  and on(${by})\n` +
          latest,
      });
    }
  }
  for (const m of wanted.filter((x) => kinds.get(x.name) === 'cumulative')) {
    rules.push({
      record: `${PREFIX}${m.name}`,
      expr:
        `last_over_time(${m.name}[${RECENT}])\n` +
        `  or\n` +
        `last_over_time(${PREFIX}${m.name}[${CHAIN}])\n` +
        `  or\n` +
        `last_over_time(${restoreName(m.name)}[${RESTORE_READ}])\n`,
    });
  }
  return { rules, comments };
}

/** The restore group's series of a counter or group timestamp. */
export function restoreName(metric: string): string {
  return `${PREFIX}${metric}:${WINDOWS.RAW}`;
}

/** The restore group's rules: the last raw value of the long window of every cumulative metric the densify group records. */
function restoreRules(densify: readonly DensifyRule[]): DensifyRule[] {
  return densify
    .map((r) => r.record.slice(PREFIX.length))
    .filter((name) => RAW_METRICS.some((m) => m.name === name && kindOf(m.definition) === 'cumulative'))
    .map((name) => ({ record: restoreName(name), expr: `last_over_time(${name}[${WINDOWS.RAW}])\n` }));
}

const GENERATED = (from: string): string =>
  ' GENERATED by scripts/gen-remote-write-rules.ts: do not edit.\n' +
  ` Generated from ${from}.\n` +
  ' Change the shipped file or the generator and run `npm run rules`; CI runs `npm run rules -- --check`.';

const ALERTS_HEADER = (): string =>
  `${GENERATED('deploy/prometheus/rules/deployment-alerts.yml')}
 docs/remote-write-rules.md explains this variant.

 The shipped alerts for metrics delivered by Prometheus REMOTE WRITE (Mimir, Thanos Receive,
 Cortex, VictoriaMetrics, Grafana Cloud, Prometheus --web.enable-remote-write-receiver) instead of
 a scraped Pushgateway. Load it with deployment-densify.yml and deployment-recording.yml of this
 folder, and not together with deploy/prometheus/rules/ (both record the same names).

 Every rule is the shipped rule of the same name, with the same labels, severity and runbook_url,
 reading the dense remote_write:<metric> series of deployment-densify.yml instead of the sparse
 raw samples; the shipped file's comments explain each rule. Instead of the Pushgateway's
 push_time_seconds (the freshness guard of the counter alerts) they read the time of the group's
 last write, remote_write:${MARKER}. Differences:
${Object.entries(OMITTED_ALERTS)
  .map(([alert, why]) => ` ${wrap(`- ${alert} is left out: it ${why}.`, '   ')}`)
  .join('\n')}
 - DeploymentMetricsNotPushed counts the raw write marker instead of push_time_seconds (see its
   comment).`;

const RECORDING_HEADER = (): string =>
  `${GENERATED('deploy/prometheus/rules/deployment-recording.yml')}
 docs/remote-write-rules.md explains this variant.

 The shipped recording rules (the SLIs, same names and labels, so dashboards work unchanged) on
 remote-written data: each reads the dense remote_write:<metric> series of deployment-densify.yml,
 except deployment-stages, which reads the raw deployment_stage_duration_seconds: every
 deployment's series persists there with its own deployment_id, which is what its last_over_time
 over 7 days wants (one value per deployment). The 30-day windows need 30 days of the densified
 series (counters read as lifetime figures until then), as the shipped rules need 30 days of
 scraped history.`;

const DENSIFY_HEADER = (): string =>
  `${GENERATED(
    'the metrics the shipped rules and the remote-write dashboards read, by their type in\n src/metrics/definitions.ts',
  )}
 docs/remote-write-rules.md explains this variant.

 Remote-written deployment metrics are sparse: one sample per series per write, nothing re-sent
 between deployments. An instant selector sees a sample for the 5-minute lookback only, x offset 1h
 is usually empty, increase() over a few samples extrapolates, and the series of an older
 deployment (another deployment_id) persist instead of being replaced. This group turns each raw
 metric the rules read into a dense series remote_write:<metric>, recorded at every evaluation, with
 the labels the shipped rules expect from a Pushgateway scrape; the rules of
 deployment-alerts.yml and deployment-recording.yml of this folder read those.

 - Counters, histogram buckets, the group timestamps (last success, last failure, the write
   marker) and the thresholds input in force (deployment_stage_threshold_seconds, written at each
   deployment's start and end, read by the stage alerts in between and after): the last raw value
   of the last ${WINDOWS.RECENT} (the action writes nothing further back than 50 minutes, so a sample that
   arrives late is read too), else the series' own previous value (last ${WINDOWS.CHAIN}), else the last raw
   value of the last ${WINDOWS.RAW}, which the group ${RESTORE_GROUP} reads every
   ${WINDOWS.RESTORE_INTERVAL} (each of its evaluations reads ${WINDOWS.RAW} of samples: not every 15 s). The chain keeps a
   counter alive through any quiet period, so it never reappears and passes for a first-ever value
   (the counter alerts count a series that appeared within their window); ${WINDOWS.RAW} covers the
   30-day windows and restores the series at a first load of the rules or after an evaluation gap
   longer than ${WINDOWS.CHAIN} (a ruler restart). The raw part comes first so a new sample wins. \`or\` ignores
   __name__ when it matches.
 - deployment_start_timestamp_seconds: per group, the deployment with the greatest start time
   (raw starts of the last ${WINDOWS.START}, else the previous value).
 - deployment_in_progress: that deployment's series only, kept as long as it is the latest, so a
   runner that died before post keeps DeploymentTakingTooLong firing until a newer deployment
   starts, as with the Pushgateway.
 - Gauges with a deployment_id (stage durations, health latency, error rate, migration lag): per
   group, the series of the latest deployment (greatest start) that wrote the gauge, for
   ${WINDOWS.GAUGE} after its sample: long enough for the alerts that consider them for 2 h after
   the start and for DeploymentFailed's stage (1 h after the failure). Of that deployment, a gauge
   with labels of its own (latency status, migration count, cost resource) keeps only the series
   written last, as a push replaces the family: each raw series' last sample time is recorded as
   remote_write:<metric>:written, and a series written before another of its deployment is
   dropped (series of one write share the time and all stay; one without a written time stays).
   Stage durations keep every stage: each is stamped with its stage's end, written once.

 The rules at the end, after the comment that says so, are for the remote-write flavour of the
 Grafana dashboards (deploy/grafana/dashboards-remote-write/): metrics their panels read that no
 rule reads, densified the same way by their type. The dashboards code decides which
 (dashboards/common.ts); \`npm run rules\` adds them here.

 Evaluate ${DENSIFY_GROUP} at the global interval (15 s in deploy/prometheus/prometheus.yml); it must
 stay well under ${WINDOWS.CHAIN}. Rules of a group run in order, so each reads this evaluation's values of
 the rules above it. With more than one ruler evaluating these files (an HA pair), deduplicate their
 results on the replica label in the query path, or every count doubles
 (docs/remote-write-rules.md, "High availability").`;

/** Wraps a comment line at 100 characters, continuing with `indent`. */
function wrap(line: string, indent: string): string {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && `${current} ${word}`.length > 100) {
      out.push(current);
      current = `${indent}${word}`;
    } else current = current ? `${current} ${word}` : word;
  }
  out.push(current);
  return out.join('\n');
}

async function formatYaml(text: string, file: string): Promise<string> {
  const config = (await resolveConfig(file)) ?? {};
  return format(text, { ...config, filepath: file });
}

function withHeader(header: string, body: string): string {
  const comment = header
    .split('\n')
    .map((l) => `#${l}`.trimEnd())
    .join('\n');
  return `${comment}\n\n${body}`;
}

/** The three files of deploy/prometheus/remote-write/rules/, formatted as prettier would. */
export async function renderRemoteWriteRules(): Promise<RenderedFile[]> {
  const alerts = rewrite('deployment-alerts.yml', { DeploymentMetricsNotPushed: notPushed });
  const recording = rewrite('deployment-recording.yml', {});
  const densified = new Set([...alerts.densified, ...recording.densified]);
  const { rules, comments } = densifyRules(densified);
  // The dashboards' metrics that the rules do not read, after the rules' own (which stay as they are).
  const forDashboards = densifyRules(new Set([...densified, ...densifiedByDashboards()]));
  const recorded = new Set(rules.map((r) => r.record));
  const extra = forDashboards.rules.filter((r) => !recorded.has(r.record));
  if (extra[0]) {
    const first = extra[0].record;
    const own = forDashboards.comments.get(first);
    comments.set(
      first,
      ' For the remote-write dashboards (deploy/grafana/dashboards-remote-write/): metrics their\n' +
        ' panels read that no rule above records (dashboards/index.ts densifiedByDashboards()).' +
        (own ? `\n\n${own}` : ''),
    );
    for (const r of extra.slice(1)) {
      const c = forDashboards.comments.get(r.record);
      if (c) comments.set(r.record, c);
    }
    rules.push(...extra);
  }

  const densifyDoc = parseDocument(
    `groups:\n  - name: ${RESTORE_GROUP}\n    interval: ${WINDOWS.RESTORE_INTERVAL}\n    rules: []\n` +
      `  - name: ${DENSIFY_GROUP}\n    rules: []\n`,
  ) as Document.Parsed;
  const restore = restoreRules(rules);
  const groupComments = [
    ` The long raw window (${WINDOWS.RAW}) of each counter and group timestamp, every ${WINDOWS.RESTORE_INTERVAL}: what the\n` +
      ` group below falls back to when it has neither a sample of the last ${WINDOWS.RECENT} nor its own previous\n` +
      ` value (a first load of the rules, an evaluation gap longer than ${WINDOWS.CHAIN}). Each evaluation reads\n` +
      ` ${WINDOWS.RAW} of raw samples (on Mimir or Cortex from the store-gateways), so it is not repeated at\n` +
      ' the 15 s of the group below.',
    undefined,
  ];
  for (const [i, list] of [restore, rules].entries()) {
    const seq = densifyDoc.getIn(['groups', i, 'rules']);
    if (!isSeq(seq)) throw new Error('densify: no rules');
    seq.flow = false;
    const group = densifyDoc.getIn(['groups', i], true);
    const groupComment = groupComments[i];
    if (groupComment && group && typeof group === 'object') (group as YAMLMap).commentBefore = groupComment;
    for (const r of list) {
      const node = densifyDoc.createNode({ record: r.record, expr: r.expr }) as YAMLMap;
      const expr = node.get('expr', true);
      if (isScalar(expr)) expr.type = 'BLOCK_LITERAL';
      const comment = comments.get(r.record);
      if (comment) node.commentBefore = comment;
      seq.items.push(node);
    }
  }

  const files: [string, string, Document][] = [
    ['deployment-densify.yml', DENSIFY_HEADER(), densifyDoc],
    ['deployment-recording.yml', RECORDING_HEADER(), recording.doc],
    ['deployment-alerts.yml', ALERTS_HEADER(), alerts.doc],
  ];
  return Promise.all(
    files.map(async ([name, header, doc]) => {
      const p = path.join(REMOTE_WRITE_RULES_DIR, name);
      const body = doc.toString({ lineWidth: 100, minContentWidth: 60 });
      return {
        file: path.relative(REPO_ROOT, p),
        path: p,
        text: await formatYaml(withHeader(header, body), p),
      };
    }),
  );
}

/**
 * The shipped rules and the remote-write variant with absolute links
 * (`npm run rules -- --runbook-base <url> --dashboard-base <url> --out <dir>`):
 * `<dir>/rules/*.yml` and `<dir>/remote-write/rules/*.yml`, each with a line
 * saying where its links point. Load these instead of the committed files.
 */
export async function renderWithLinks(bases: LinkBases, outDir: string): Promise<RenderedFile[]> {
  const note =
    '# Copied by `npm run rules` with absolute links' +
    (bases.runbookBase ? ` (runbooks: ${bases.runbookBase})` : '') +
    (bases.dashboardBase ? ` (dashboards: ${bases.dashboardBase})` : '') +
    '.\n';
  const shipped = ['deployment-recording.yml', 'deployment-alerts.yml'].map((name) => ({
    rel: path.join('rules', name),
    text: readFileSync(path.join(SHIPPED_RULES_DIR, name), 'utf8'),
  }));
  const variant = (await renderRemoteWriteRules()).map((r) => ({
    rel: path.join('remote-write', 'rules', path.basename(r.path)),
    text: r.text,
  }));
  return [...shipped, ...variant].map(({ rel, text }) => {
    const p = path.resolve(outDir, rel);
    return { file: p, path: p, text: note + withAbsoluteLinks(text, bases) };
  });
}
