/**
 * Delivers grouped updates: merges them with what each Pushgateway group holds
 * (cumulative counters), adds counts carried from earlier failed pushes, pushes,
 * and carries what could not be delivered. Also renders the same families as
 * one exposition document for `metrics-file`.
 */
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { pendingAfter, type CarriedEntry, type CarryStore } from '../state/carry.js';
import { METRICS } from './definitions.js';
import { renderExposition, type MetricFamily, type Sample } from './exposition.js';
import { describeGroup, type GroupingKey } from './pushgateway.js';
import type { MetricsSink } from './sink.js';
import {
  carriedUpdates,
  mergeUpdates,
  unusableCounter,
  wholeGroup,
  type ExistingGroup,
  type ExistingSamples,
  type SeriesUpdate,
} from './series.js';

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

  const marker = markerOf(existing.samples);
  const pending = pendingAfter(carriedAll, marker);
  // Cumulative series must move forward in time: never at or before the group's last write.
  const writeAt = marker !== undefined ? Math.max(at, Math.floor(marker * 1000) + 1) : at;
  const updates: SeriesUpdate[] = [
    ...plan.updates,
    ...pending.flatMap((e) => e.updates),
    {
      definition: METRICS.countersUpdated,
      name: METRICS.countersUpdated.name,
      labels: {},
      // Not before now: carried counts recorded up to this push are delivered by it.
      value: Math.max(o.clock.now(), writeAt) / 1000,
    },
  ];
  const families = mergeUpdates(updates, existing.samples);
  // PUT the whole group so stale latest-deployment gauges go; POST when it cannot be written back whole.
  const whole =
    (plan.replaceGroup ?? o.replaceGroup) && sink.replacesGroups
      ? wholeGroup(families, existing, o.deploymentId)
      : undefined;
  if (whole && whole.dropped.length > 0) {
    o.logger.info(
      `Dropping gauges of an earlier deployment that this one did not set: ${whole.dropped.join(', ')}`,
    );
  }
  try {
    await sink.write(plan.key, whole?.families ?? families, o.deadline, {
      method: whole ? 'PUT' : 'POST',
      at: writeAt,
    });
  } catch (error) {
    const carriedOut = carryOpen() && (await saveCarried(o.store, groupId, [...pending, mine], o.logger));
    return {
      key: plan.key,
      sink,
      families,
      pushed: false,
      cumulative: true,
      carriedIn: 0,
      carriedOut,
      problem: (error as Error).message,
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
      if (family.name === METRICS.countersUpdated.name || family.name === METRICS.summaryCountedAttempt.name)
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
