/**
 * Delivers grouped updates: merges them with what each Pushgateway group holds
 * (cumulative counters), adds counts carried from earlier failed pushes, pushes,
 * and carries what could not be delivered. Also renders the same families as
 * one exposition document for `metrics-file`.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { pendingAfter, type CarriedEntry, type CarryStore } from './carry.js';
import { METRICS, type MetricDefinition } from '../metrics/definitions.js';
import { renderExposition, type MetricFamily, type Sample } from '../metrics/exposition.js';
import { describeGroup, type GroupingKey, type MetricsSink } from './sink.js';
import {
  carriedUpdates,
  mergeUpdates,
  unusableCounter,
  wholeGroup,
  type ExistingGroup,
  type ExistingSamples,
  type SeriesUpdate,
} from '../metrics/series.js';

export interface GroupPlan {
  readonly key: GroupingKey;
  readonly updates: readonly SeriesUpdate[];
  /**
   * Whether this group may be written back whole (PUT), overriding
   * {@link PublishOptions.replaceGroup}: track's post replaces only the groups
   * of its own deployment, and only adds to any other group it writes (POST),
   * so another job's running deployment there keeps its gauges.
   */
  readonly replaceGroup?: boolean;
}

export interface GroupOutcome {
  readonly key: GroupingKey;
  /** Where it went (undefined: no sink configured). */
  readonly sink: MetricsSink | undefined;
  readonly families: readonly MetricFamily[];
  readonly pushed: boolean;
  /** Counters were merged with the group's current values (else they are this deployment's own counts). */
  readonly cumulative: boolean;
  readonly carriedIn: number;
  readonly carriedOut: boolean;
  readonly problem: string | undefined;
}

export interface PublishOptions {
  readonly client: MetricsSink | undefined;
  readonly store: CarryStore | undefined;
  readonly deploymentId: string;
  readonly deadline: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Read the group first and keep counters cumulative (post); false for pre's gauges-only push. */
  readonly cumulative: boolean;
  /**
   * Write the whole group back (PUT) so gauges of an earlier deployment that this
   * one did not set go (track's post). False: POST only the updated families and
   * leave everything else in the group as it is (verify mode: docs/verify-mode.md, "Metrics").
   */
  readonly replaceGroup?: boolean;
  /**
   * When the deployment happened (ms; default now): remote write timestamps the
   * group's series with it. Pushgateway samples carry no timestamps.
   */
  readonly at?: number;
  /**
   * No carry-store call starts after this (ms; default: no limit). A group
   * whose turn comes past {@link deadline} is not pushed; past this one, its
   * counts are not kept either (said in its outcome).
   */
  readonly carryDeadline?: number;
  /**
   * Another deployment of the group was seen running (pre): check the write against concurrent
   * writers even when the group's read does not show it.
   */
  readonly contested?: boolean;
  /** This push's token in `deployment_observability_applied` (default: random; tests fix it). */
  readonly pushToken?: string;
}

function markerOf(existing: ExistingSamples): number | undefined {
  const sample = existing.get(METRICS.countersUpdated.name)?.[0];
  return sample && Number.isFinite(sample.value) ? sample.value : undefined;
}

async function loadCarried(
  store: CarryStore | undefined,
  groupId: string,
  logger: Logger,
): Promise<CarriedEntry[]> {
  if (!store) return [];
  try {
    return await store.load(groupId);
  } catch (error) {
    logger.warning(
      `Could not read counts carried from earlier failed pushes in ${store.description}: ${(error as Error).message}`,
    );
    return [];
  }
}

async function saveCarried(
  store: CarryStore | undefined,
  groupId: string,
  entries: readonly CarriedEntry[],
  logger: Logger,
): Promise<boolean> {
  if (!store) return false;
  try {
    await store.save(groupId, entries);
    return true;
  } catch (error) {
    logger.warning(
      `Could not keep counts for the next push in ${store.description}: ${(error as Error).message}`,
    );
    return false;
  }
}

/** How many times a push is rebuilt on a newer read of its group (another writer intervened). */
const MAX_REAPPLY = 3;
/** How long after its write a push looks again when another deployment of the group is running. */
const SETTLE_MS = 1500;
/** A deployment still `in progress` after this long is taken for one whose runner died. */
const IN_PROGRESS_MAX_AGE_MS = 6 * 3600 * 1000;

/**
 * Other deployments the group shows running: `deployment_in_progress` 1 with another
 * `deployment_id`, started (its `deployment_start_timestamp_seconds`) less than 6 h before `now`.
 */
export function othersInProgress(group: ExistingGroup, deploymentId: string, now: number): string[] {
  const started = new Map(
    (group.samples.get(METRICS.startTimestamp.name) ?? []).map((s) => [s.labels.deployment_id, s.value]),
  );
  const ids = new Set<string>();
  for (const s of group.samples.get(METRICS.inProgress.name) ?? []) {
    const id = s.labels.deployment_id;
    if (s.value !== 1 || id === undefined || id === deploymentId) continue;
    const at = started.get(id);
    if (at !== undefined && Number.isFinite(at) && now - at * 1000 < IN_PROGRESS_MAX_AGE_MS) ids.add(id);
  }
  return [...ids];
}

/** How many pushes' tokens a group keeps in `deployment_observability_applied`. */
export const APPLIED_KEPT = 20;

/**
 * The action's bookkeeping of which pushes a group's counters include (Pushgateway only): one
 * series per push, `deployment_id` and a random `push` token, valued at the push's time. Not in
 * the metric table: nothing reads it but the action.
 */
export const APPLIED: MetricDefinition = Object.freeze({
  name: 'deployment_observability_applied',
  type: 'gauge',
  help: 'Pushes whose counts this group\u2019s counters include (the last 20), by deployment and push token; value: when.',
  labels: Object.freeze(['deployment_id', 'push']),
  modes: Object.freeze(['track', 'verify', 'summary'] as const),
  source: 'action',
  merge: 'replace',
});

function newPushToken(): string {
  return randomBytes(6).toString('hex');
}

/** The push tokens a group's counters include. */
export function appliedTokens(group: ExistingGroup): Set<string> {
  return new Set(
    (group.samples.get(APPLIED.name) ?? []).map((s) => s.labels.push).filter((t): t is string => !!t),
  );
}

/** What identifies the writes a group has seen: its applied tokens and its marker. */
function appliedSignature(group: ExistingGroup): string {
  return `${[...appliedTokens(group)].sort().join(',')}|${markerOf(group.samples) ?? ''}`;
}

async function readQuietly(
  sink: MetricsSink,
  key: GroupingKey,
  deadline: number,
): Promise<ExistingGroup | undefined> {
  try {
    const group = await sink.readGroup(key, deadline);
    return unusableCounter(group, new Set()) ? undefined : group;
  } catch {
    return undefined;
  }
}

/**
 * `deployment_observability_applied` after this push: the newest {@link APPLIED_KEPT} - 1
 * entries the group holds, and this push's.
 */
export function appliedUpdates(
  existing: ExistingSamples,
  deploymentId: string,
  token: string,
  nowSeconds: number,
): SeriesUpdate[] {
  const kept = [...(existing.get(APPLIED.name) ?? [])]
    .filter((s) => s.labels.push && s.labels.push !== token && Number.isFinite(s.value))
    .sort((a, b) => b.value - a.value)
    .slice(0, APPLIED_KEPT - 1);
  return [
    ...kept.map((s) => ({
      definition: APPLIED,
      name: APPLIED.name,
      labels: { deployment_id: s.labels.deployment_id ?? '', push: s.labels.push as string },
      value: s.value,
    })),
    {
      definition: APPLIED,
      name: APPLIED.name,
      labels: { deployment_id: deploymentId, push: token },
      value: nowSeconds,
    },
  ];
}

interface Built {
  readonly families: MetricFamily[];
  readonly whole: { families: MetricFamily[]; dropped: string[] } | undefined;
  readonly writeAt: number;
  readonly pending: CarriedEntry[];
}

/** The write of this push on top of `existing`: its counts, carried counts the group lacks, the marker. */
function buildWrite(
  plan: GroupPlan,
  o: PublishOptions,
  existing: ExistingGroup,
  carriedAll: readonly CarriedEntry[],
  at: number,
  token: string,
  applied: boolean,
): Built {
  const marker = markerOf(existing.samples);
  const pending = pendingAfter([...carriedAll], marker);
  // Cumulative series must move forward in time: never at or before the group's last write.
  const writeAt = marker !== undefined ? Math.max(at, Math.floor(marker * 1000) + 1) : at;
  // Not before now: carried counts recorded up to this push are delivered by it.
  const stamp = Math.max(o.clock.now(), writeAt) / 1000;
  const updates: SeriesUpdate[] = [
    ...plan.updates,
    ...pending.flatMap((e) => e.updates),
    { definition: METRICS.countersUpdated, name: METRICS.countersUpdated.name, labels: {}, value: stamp },
    ...(applied ? appliedUpdates(existing.samples, o.deploymentId, token, stamp) : []),
  ];
  const families = mergeUpdates(updates, existing.samples);
  // PUT the whole group so stale latest-deployment gauges go; POST when it cannot be written back whole.
  const whole =
    (plan.replaceGroup ?? o.replaceGroup) && o.client?.replacesGroups
      ? wholeGroup(families, existing, o.deploymentId)
      : undefined;
  return { families, whole, writeAt, pending };
}

/** Publishes every group; never throws — problems are in the outcomes. */
export async function publishGroups(
  plans: readonly GroupPlan[],
  options: PublishOptions,
): Promise<GroupOutcome[]> {
  const outcomes: GroupOutcome[] = [];
  for (const plan of plans) outcomes.push(await publishGroup(plan, options));
  return outcomes;
}

async function publishGroup(plan: GroupPlan, o: PublishOptions): Promise<GroupOutcome> {
  const sink = o.client;
  const groupId = `${sink?.carryPrefix ?? ''}${describeGroup(plan.key)}`;
  const at = o.at ?? o.clock.now();
  const carryOpen = (): boolean => o.clock.now() < (o.carryDeadline ?? Infinity);
  if (sink && o.clock.now() >= o.deadline) {
    // The time budget is spent: no request is started any more for this group.
    const families = mergeUpdates(plan.updates, undefined);
    let carriedOut = false;
    if (o.cumulative && carryOpen()) {
      const carriedAll = await loadCarried(o.store, groupId, o.logger);
      const mine: CarriedEntry = {
        deploymentId: o.deploymentId,
        recordedAt: o.clock.now(),
        updates: carriedUpdates(plan.updates),
      };
      carriedOut = carryOpen() && (await saveCarried(o.store, groupId, [...carriedAll, mine], o.logger));
    }
    return {
      key: plan.key,
      sink,
      families,
      pushed: false,
      cumulative: false,
      carriedIn: 0,
      carriedOut,
      problem: 'the time budget was spent before this group\u2019s turn',
    };
  }
  if (!sink) {
    return {
      key: plan.key,
      sink,
      families: mergeUpdates(plan.updates, undefined),
      pushed: false,
      cumulative: false,
      carriedIn: 0,
      carriedOut: false,
      problem: undefined,
    };
  }
  if (!o.cumulative) {
    const families = mergeUpdates(plan.updates, undefined);
    try {
      await sink.write(plan.key, families, o.deadline, { method: 'POST', at });
      return {
        key: plan.key,
        sink,
        families,
        pushed: true,
        cumulative: false,
        carriedIn: 0,
        carriedOut: false,
        problem: undefined,
      };
    } catch (error) {
      return {
        key: plan.key,
        sink,
        families,
        pushed: false,
        cumulative: false,
        carriedIn: 0,
        carriedOut: false,
        problem: (error as Error).message,
      };
    }
  }

  const carriedAll = await loadCarried(o.store, groupId, o.logger);
  let existing: ExistingGroup | undefined;
  let readProblem: string | undefined;
  try {
    existing = await sink.readGroup(plan.key, o.deadline);
  } catch (error) {
    readProblem = (error as Error).message;
  }
  // A counter holding NaN, ±Inf or a value past 2^53 cannot be added to: treat the group as
  // unreadable for counters (gauges only, counts carried), never push a sum made from it.
  const unusable =
    existing &&
    unusableCounter(
      existing,
      new Set(plan.updates.filter((u) => u.definition.merge === 'sum').map((u) => u.definition.name)),
    );
  if (unusable) {
    readProblem = unusable;
    existing = undefined;
  }
  const mine: CarriedEntry = {
    deploymentId: o.deploymentId,
    recordedAt: o.clock.now(),
    updates: carriedUpdates(plan.updates),
  };

  if (!existing) {
    // Without the group's current values, pushing counters would reset them: push the
    // gauges only and keep the counts for the next push.
    const gauges = plan.updates.filter((u) => u.definition.merge === 'replace');
    const families = mergeUpdates(plan.updates, undefined);
    let pushProblem: string | undefined;
    if (gauges.length > 0) {
      try {
        await sink.write(plan.key, mergeUpdates(gauges, undefined), o.deadline, { method: 'POST', at });
      } catch (error) {
        pushProblem = (error as Error).message;
      }
    }
    const carriedOut = carryOpen() && (await saveCarried(o.store, groupId, [...carriedAll, mine], o.logger));
    return {
      key: plan.key,
      sink,
      families,
      pushed: false,
      cumulative: false,
      carriedIn: 0,
      carriedOut,
      problem: [readProblem, pushProblem].filter(Boolean).join('; '),
    };
  }

  // Two posts of one group can overlap (concurrent deploys of a service): each reads, adds and
  // writes back. A write built on a read that another writer has since overtaken would set the
  // other writer's counts back, so the group is read again just before writing, and after it: a
  // write that was overwritten is re-applied on top of what the group holds then. Each push leaves
  // its token in `deployment_observability_applied`, so its counts are added exactly once.
  const token = o.pushToken ?? newPushToken();
  const checked = sink.replacesGroups;
  // Another deployment of the group is running (the group shows it, or pre saw it): its post may
  // read before our write and write just after it, so the check after writing is repeated.
  const contested =
    o.contested === true || othersInProgress(existing, o.deploymentId, o.clock.now()).length > 0;
  let current = existing;
  let built: Built | undefined;
  let attempts = 0;
  let writeProblem: string | undefined;
  let told = false;
  for (;;) {
    built = buildWrite(plan, o, current, carriedAll, at, token, checked);
    if (checked && o.clock.now() < o.deadline) {
      // Just before writing: has another writer written since our read?
      const fresh = await readQuietly(sink, plan.key, o.deadline);
      if (fresh && appliedSignature(fresh) !== appliedSignature(current) && attempts < MAX_REAPPLY) {
        attempts++;
        current = fresh;
        continue;
      }
    }
    if (built.whole && built.whole.dropped.length > 0 && !told) {
      told = true;
      o.logger.info(
        `Dropping gauges of an earlier deployment that this one did not set: ${built.whole.dropped.join(', ')}`,
      );
    }
    try {
      await sink.write(plan.key, built.whole?.families ?? built.families, o.deadline, {
        method: built.whole ? 'PUT' : 'POST',
        at: built.writeAt,
      });
    } catch (error) {
      writeProblem = (error as Error).message;
      break;
    }
    if (!checked || attempts >= MAX_REAPPLY || o.clock.now() >= o.deadline) break;
    // After writing: did another writer's write, built on an older read, replace ours? Checked at
    // once, and again a moment later (the other post may have read before our write and write
    // just after it).
    let after = await readQuietly(sink, plan.key, o.deadline);
    if (after && appliedTokens(after).has(token) && contested && o.clock.now() + SETTLE_MS < o.deadline) {
      await o.clock.sleep(SETTLE_MS);
      after = await readQuietly(sink, plan.key, o.deadline);
    }
    // Our token is there: our counts are in. The group exactly as before our write: the write is
    // not visible to reads at all (nothing to build on); leave it.
    if (!after || appliedTokens(after).has(token)) break;
    if (appliedSignature(after) === appliedSignature(current)) break;
    attempts++;
    o.logger.info(
      `Another deployment wrote {${describeGroup(plan.key)}} at the same time; adding this deployment\u2019s counts again on top of it (use concurrency: to serialise deploys of one service).`,
    );
    current = after;
  }
  const { families, pending } = built;
  if (writeProblem !== undefined) {
    const carriedOut = carryOpen() && (await saveCarried(o.store, groupId, [...pending, mine], o.logger));
    return {
      key: plan.key,
      sink,
      families,
      pushed: false,
      cumulative: true,
      carriedIn: 0,
      carriedOut,
      problem: writeProblem,
    };
  }
  if (carriedAll.length > 0 && carryOpen()) await saveCarried(o.store, groupId, [], o.logger);
  return {
    key: plan.key,
    sink,
    families,
    pushed: true,
    cumulative: true,
    carriedIn: pending.length,
    carriedOut: false,
    problem: undefined,
  };
}

/**
 * All groups' families as one valid exposition document: families of the same
 * name are joined, and each sample gets its group's `service` when it has none
 * (as Prometheus will see it after scraping the Pushgateway).
 */
export function combinedExposition(outcomes: readonly GroupOutcome[]): string {
  const byName = new Map<string, { family: MetricFamily; samples: Sample[] }>();
  for (const outcome of outcomes) {
    const service = outcome.key.find(([l]) => l === 'service')?.[1];
    for (const family of outcome.families) {
      // The action's own bookkeeping gauges are not part of this job's metrics.
      if (
        family.name === METRICS.countersUpdated.name ||
        family.name === METRICS.summaryCountedAttempt.name ||
        family.name === APPLIED.name
      )
        continue;
      let entry = byName.get(family.name);
      if (!entry) {
        entry = { family, samples: [] };
        byName.set(family.name, entry);
      }
      for (const s of family.samples) {
        const labels =
          service !== undefined && s.labels.service === undefined ? { ...s.labels, service } : s.labels;
        entry.samples.push({ ...s, labels });
      }
    }
  }
  return renderExposition([...byName.values()].map(({ family, samples }) => ({ ...family, samples })));
}
