/**
 * What the live reporter pushes while the deploy job runs, as updates per
 * group. Pure. Gauges only: counters stay post's alone, so counts stay exact
 * whatever the reporter managed to push.
 */
import type { StageResult } from '../model/deployment.js';
import type { StageProgress } from '../model/stage-state.js';
import { METRICS } from './definitions.js';
import type { ReportedMetrics } from './reported.js';
import type { SeriesUpdate } from './series.js';
import { addReported, stageStateUpdates, type GroupedUpdates, type TrackContext } from './track.js';

export interface LiveView {
  /** Every stage with its current state. */
  readonly progress: readonly StageProgress[];
  /** Stages of the steps finished so far, with their durations (the model's, as post computes them). */
  readonly finished: readonly StageResult[];
  readonly reported: ReportedMetrics;
  /** The services whose groups this job may write: its own and those its stage map names. */
  readonly services: ReadonlySet<string>;
}

function add(groups: GroupedUpdates, service: string, u: SeriesUpdate): void {
  const list = groups.get(service);
  if (list) list.push(u);
  else groups.set(service, [u]);
}

/**
 * The live gauges of a running deployment: each stage's state and start;
 * the duration of each finished stage (the value post will write, at the
 * stage's end); on a failed stage (not a cancelled one), the failure timestamp at the failed step's
 * end, so that DeploymentFailed pages while later steps (a rollback) still
 * run; and the gauge lines steps reported so far.
 */
export function liveUpdates(ctx: TrackContext, view: LiveView): GroupedUpdates {
  const groups: GroupedUpdates = new Map();
  const env = ctx.environment;
  for (const { service, update } of stageStateUpdates(ctx, view.progress)) add(groups, service, update);

  const final = new Map(
    view.progress
      .filter((p) => p.state === 'success' || p.state === 'failure' || p.state === 'cancelled')
      .map((p) => [`${p.service}/${p.stage}`, p]),
  );
  for (const stage of view.finished) {
    const p = final.get(`${stage.service}/${stage.stage}`);
    // Only a stage all of whose steps are over: its duration will not change any more.
    if (!p || p.state !== stage.status) continue;
    add(groups, stage.service, {
      definition: METRICS.stageDuration,
      name: METRICS.stageDuration.name,
      labels: {
        environment: env,
        deployment_id: ctx.deploymentId,
        service: stage.service,
        stage: stage.stage,
        status: stage.status,
      },
      value: Math.round(stage.durationSeconds * 1000) / 1000,
      at: stage.completedAt,
    });
  }

  // A cancel is not a failure, nor is what fails after it (an `if: always()` cleanup step): only a
  // failure that ended before the first cancelled step ended pages live; post decides the rest.
  const cancelledAt = view.progress
    .filter((p) => p.state === 'cancelled')
    .map((p) => p.completedAt ?? -Infinity)
    .sort((a, b) => a - b)[0];
  const failedAt = view.progress
    .map((p) => p.failedAt)
    .filter((t): t is number => t !== undefined && (cancelledAt === undefined || t < cancelledAt))
    .sort((a, b) => a - b)[0];
  if (failedAt !== undefined) {
    add(groups, ctx.service, {
      definition: METRICS.lastFailureTimestamp,
      name: METRICS.lastFailureTimestamp.name,
      labels: { environment: env, service: ctx.service },
      value: failedAt / 1000,
      at: failedAt,
    });
  }

  // Gauges steps reported so far, into the groups this job may write; counters wait for post.
  addReported(
    groups,
    ctx,
    view.reported.series,
    (s) =>
      s.definition.type === 'gauge' &&
      s.definition.merge === 'replace' &&
      view.services.has(s.labels.service ?? ctx.service),
  );
  for (const service of [...groups.keys()]) if (!view.services.has(service)) groups.delete(service);
  return groups;
}

/** A stable fingerprint of what would be pushed, to push only when something changed. */
export function fingerprint(groups: GroupedUpdates): string {
  return JSON.stringify(
    [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([service, updates]) => [
        service,
        updates.map((u) => `${u.name}${JSON.stringify(Object.entries(u.labels).sort())}=${u.value}`).sort(),
      ]),
  );
}
