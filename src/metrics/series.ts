/**
 * Series updates and how they merge with what a Pushgateway group already
 * holds: counters add (cumulative across deployments), `max` timestamps only
 * move forward, latest-deployment gauges replace. Pure.
 */
import { metricByName, type MetricDefinition } from './definitions.js';
import {
  formatLabels,
  formatValue,
  seriesKey,
  type Labels,
  type MetricFamily,
  type Sample,
} from './exposition.js';

export interface SeriesUpdate {
  readonly definition: MetricDefinition;
  /** Exposition name: the family name, or a histogram's `_bucket`/`_sum`/`_count`. */
  readonly name: string;
  readonly labels: Labels;
  /** sum: the amount to add; max/replace: the value. */
  readonly value: number;
  /** When a latest-deployment gauge's value was true (ms); remote write sends it. */
  readonly at?: number;
}

/** Samples a group already holds, by family name (labels as the Pushgateway lists them). */
export type ExistingSamples = ReadonlyMap<string, readonly Sample[]>;

/** What a group holds: samples, and each family's type (`COUNTER`, `GAUGE`, …) and help. */
export interface ExistingGroup {
  readonly samples: ExistingSamples;
  readonly types: ReadonlyMap<string, { readonly type: string; readonly help: string }>;
}

/** Families the Pushgateway keeps per group by itself. */
const PUSHGATEWAY_FAMILIES = new Set(['push_time_seconds', 'push_failure_time_seconds']);
const KEEPABLE_TYPES = new Set(['counter', 'gauge', 'histogram']);

/**
 * The whole group as it should be after this push: the updated families, every
 * other family as it was, except latest-deployment gauges (a `deployment_id`
 * other than this deployment's) that this deployment did not set — a value a
 * step reported last time, or stage durations of a deployment whose stages this
 * one could not read, must not pass for this deployment's. Undefined when the
 * group holds a family type that cannot be written back (then POST, no clean-up).
 */
export function wholeGroup(
  updated: readonly MetricFamily[],
  existing: ExistingGroup,
  deploymentId: string,
): { families: MetricFamily[]; dropped: string[] } | undefined {
  const names = new Set(updated.map((f) => f.name));
  const families = [...updated];
  const dropped: string[] = [];
  for (const [name, { type, help }] of existing.types) {
    if (names.has(name) || PUSHGATEWAY_FAMILIES.has(name)) continue;
    const t = type.toLowerCase();
    if (!KEEPABLE_TYPES.has(t)) return undefined;
    const samples = (existing.samples.get(name) ?? []).map((s) => ({
      ...s,
      labels: normalizeExistingLabels(s.labels, undefined),
    }));
    if (
      t === 'gauge' &&
      samples.some((s) => s.labels.deployment_id !== undefined && s.labels.deployment_id !== deploymentId)
    ) {
      dropped.push(name);
      continue;
    }
    families.push({
      name,
      type: t as MetricFamily['type'],
      help: help || metricByName(name)?.help || name,
      samples,
    });
  }
  return { families, dropped };
}

/** Family types whose samples are cumulative: a post adds to them. */
const CUMULATIVE_TYPES = new Set(['counter', 'histogram', 'summary']);

/**
 * Why the group's counters cannot be added to, if they cannot: a cumulative
 * sample holding NaN or ±Inf (a sum with it is NaN or Inf for good), or a
 * count past 2^53 (adding 1 to it is lost). `counters` names the families
 * this push adds to (a sink may not say which families are counters). The
 * group is then treated as unreadable for counters: gauges are pushed, the
 * counts carried, and nothing is pushed over the bad value.
 */
export function unusableCounter(existing: ExistingGroup, counters: ReadonlySet<string>): string | undefined {
  for (const [name, samples] of existing.samples) {
    const type = existing.types.get(name)?.type.toLowerCase() ?? metricByName(name)?.type;
    if (!counters.has(name) && !(type !== undefined && CUMULATIVE_TYPES.has(type))) continue;
    for (const s of samples) {
      const series = `${s.name}${formatLabels(normalizeExistingLabels(s.labels, undefined))}`;
      const shown = series.length > 120 ? `${series.slice(0, 119)}…` : series;
      if (!Number.isFinite(s.value))
        return `the group holds ${formatValue(s.value)} for ${shown}, a value no count can be added to (delete the group, or push a valid value, to resume counting)`;
      if (s.value > Number.MAX_SAFE_INTEGER)
        return `the group holds ${s.value} for ${shown}, past 2^53 where adding 1 is lost (delete the group, or push a valid value, to resume counting)`;
    }
  }
  return undefined;
}

/** Labels the Pushgateway adds to every sample of a group and that updates never carry. */
const PUSHGATEWAY_LABELS = new Set(['job', 'instance']);

/** Drops labels the Pushgateway added (job, instance, grouping labels the family does not have). */
export function normalizeExistingLabels(labels: Labels, keep: ReadonlySet<string> | undefined): Labels {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (PUSHGATEWAY_LABELS.has(name)) continue;
    if (keep && !keep.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function orderLabels(labels: Labels, definition: MetricDefinition): Labels {
  const out: Record<string, string> = {};
  for (const name of definition.labels) if (labels[name] !== undefined) out[name] = labels[name] as string;
  for (const name of Object.keys(labels).sort())
    if (out[name] === undefined) out[name] = labels[name] as string;
  return out;
}

/**
 * Merges updates with the group's existing samples into the families to push.
 * Only families that have an update are returned: a POST replaces just those,
 * so everything else in the group (a last success on a failed deployment, a
 * verify run's counters) stays as it was.
 */
export function mergeUpdates(
  updates: readonly SeriesUpdate[],
  existing: ExistingSamples | undefined,
): MetricFamily[] {
  const families = new Map<
    string,
    { definition: MetricDefinition; samples: Map<string, Sample>; before: ReadonlyMap<string, Sample> }
  >();
  for (const update of updates) {
    const def = update.definition;
    let family = families.get(def.name);
    if (!family) {
      family = { definition: def, samples: new Map(), before: new Map() };
      families.set(def.name, family);
      if (def.merge === 'sum' && existing) {
        // Table metrics drop the grouping labels they do not have; custom ones keep all but job/instance.
        const keep = metricByName(def.name) === def ? new Set([...def.labels, 'le']) : undefined;
        for (const sample of existing.get(def.name) ?? []) {
          const labels = orderLabels(normalizeExistingLabels(sample.labels, keep), def);
          family.samples.set(seriesKey(sample.name, labels), {
            name: sample.name,
            labels,
            value: sample.value,
          });
        }
        family.before = new Map(family.samples);
      }
    }
    const labels = orderLabels(update.labels, def);
    const key = seriesKey(update.name, labels);
    const current = family.samples.get(key) ?? seededBucket(family.before, update.name, labels);
    let value = update.value;
    if (def.merge === 'sum') {
      // A cumulative counter pushed as +Inf would stay +Inf for good: an overflowing add is left out.
      const sum = (current?.value ?? 0) + update.value;
      value = Number.isFinite(sum) ? sum : (current?.value ?? update.value);
    } else if (def.merge === 'max') {
      const before = existing
        ?.get(def.name)
        ?.find(
          (s) =>
            seriesKey(s.name, orderLabels(normalizeExistingLabels(s.labels, new Set(def.labels)), def)) ===
            key,
        );
      value = Math.max(current?.value ?? -Infinity, before?.value ?? -Infinity, update.value);
    }
    family.samples.set(
      key,
      update.at !== undefined && def.merge === 'replace'
        ? { name: update.name, labels, value, timestampMs: update.at }
        : { name: update.name, labels, value },
    );
  }
  return [...families.values()].map(({ definition, samples }) => ({
    name: definition.name,
    type: definition.type,
    help: definition.help,
    samples: sortSamples([...samples.values()]),
  }));
}

/**
 * A histogram bucket the group does not hold yet while it holds the series'
 * other buckets (buckets added in a later version, like 480 and 720 of
 * `time_to_deploy_seconds`): it starts from the next lower bucket's count, the
 * observations known to be below it, so the buckets stay cumulative and
 * quantiles stay sane; runs from the upgrade on are counted exactly.
 */
function seededBucket(
  samples: ReadonlyMap<string, Sample>,
  name: string,
  labels: Labels,
): Sample | undefined {
  if (!name.endsWith('_bucket') || labels.le === undefined || labels.le === '+Inf') return undefined;
  const bound = Number(labels.le);
  const sameSeries = seriesKey('', { ...labels, le: '' });
  let below: Sample | undefined;
  let known = false;
  for (const sample of samples.values()) {
    if (sample.name !== name || sample.labels.le === undefined) continue;
    if (seriesKey('', { ...sample.labels, le: '' }) !== sameSeries) continue;
    known = true;
    const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    if (le < bound && (below === undefined || le > Number(below.labels.le))) below = sample;
  }
  if (!known) return undefined;
  return { name, labels, value: below?.value ?? 0 };
}

function sortSamples(samples: Sample[]): Sample[] {
  const le = (s: Sample): number =>
    s.labels.le === undefined ? Infinity : s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
  return samples.sort((a, b) => {
    const ka = seriesKey('', { ...a.labels, le: '' });
    const kb = seriesKey('', { ...b.labels, le: '' });
    if (ka !== kb) return ka < kb ? -1 : 1;
    const rank = (s: Sample): number => (s.name.endsWith('_bucket') ? 0 : s.name.endsWith('_sum') ? 1 : 2);
    return rank(a) - rank(b) || le(a) - le(b);
  });
}

/** Counter and timestamp updates only: what a failed push carries to the next one. */
export function carriedUpdates(updates: readonly SeriesUpdate[]): SeriesUpdate[] {
  return updates.filter((u) => u.definition.merge === 'sum' || u.definition.merge === 'max');
}
