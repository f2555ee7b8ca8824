/**
 * The metrics of one tracked deployment, as updates per Pushgateway group
 * (one group per service). Pure: built from the deployment model, what steps
 * reported, and the run's context.
 */
import type { DeploymentResult, DeploymentStatus } from '../model/deployment.js';
import type { StageProgress } from '../model/stage-state.js';
import { METRICS, type MetricDefinition } from './definitions.js';
import type { Labels } from './exposition.js';
import type { ReportedMetrics } from './reported.js';
import type { SeriesUpdate } from './series.js';

export interface TrackContext {
  readonly environment: string;
  readonly deploymentId: string;
  /** The job's service: the primary group, and the service of everything not named otherwise. */
  readonly service: string;
  readonly branch: string;
  readonly triggeredBy: string;
}

/** Updates by service (the grouping key's `service`). */
export type GroupedUpdates = Map<string, SeriesUpdate[]>;

const MIGRATION_STAGES = new Set(['migration', 'migration_apply']);

/** The `status` values of `deployment_runs_total`. */
const RUN_STATUSES: readonly DeploymentStatus[] = Object.freeze(['success', 'failure', 'cancelled']);

function update(def: MetricDefinition, labels: Labels, value: number, at?: number): SeriesUpdate {
  return at === undefined
    ? { definition: def, name: def.name, labels, value }
    : { definition: def, name: def.name, labels, value, at };
}

function push(groups: GroupedUpdates, service: string, u: SeriesUpdate): void {
  const list = groups.get(service);
  if (list) list.push(u);
  else groups.set(service, [u]);
}

/** `triggered_by` as the design names it, from the event that started the run. */
export function triggeredBy(eventName: string): string {
  if (eventName === 'workflow_dispatch') return 'manual';
  if (eventName === 'repository_dispatch') return 'webhook';
  return 'github_actions';
}

/** The gauges pre pushes when the deployment starts: visible live, so a hung deployment shows. */
export function startUpdates(
  ctx: TrackContext,
  startedAtMs: number,
  thresholds: Readonly<Record<string, number>> = {},
): SeriesUpdate[] {
  const env = ctx.environment;
  return [
    ...thresholdUpdates(ctx, ctx.service, thresholds),
    update(
      METRICS.inProgress,
      {
        environment: env,
        deployment_id: ctx.deploymentId,
        service: ctx.service,
        branch: ctx.branch,
        triggered_by: ctx.triggeredBy,
      },
      1,
    ),
    update(
      METRICS.startTimestamp,
      { environment: env, deployment_id: ctx.deploymentId, service: ctx.service },
      startedAtMs / 1000,
    ),
  ];
}

/**
 * When the deployment started and finished on the runner's clock (ms). The
 * timestamps alerts compare with `time()` come from here, not from the API's
 * step times (1 s resolution, and a lagging view of the job).
 */
export interface RunnerTimes {
  /** pre's recorded start: the same value pre pushed as deployment_start_timestamp_seconds. */
  readonly startedAt: number;
  /** When post ran: the deployment's last step had finished. */
  readonly finishedAt: number;
  /** Every stage's final state (post's final word on `deployment_stage_state`). */
  readonly stageStates?: readonly StageProgress[];
  /** The `thresholds` input, written to every group the deployment writes. */
  readonly thresholds?: Readonly<Record<string, number>>;
}

/** Everything post pushes for a finished deployment, grouped by service. */
export function finishUpdates(
  ctx: TrackContext,
  deployment: DeploymentResult,
  reported: ReportedMetrics,
  times: RunnerTimes,
): GroupedUpdates {
  const groups: GroupedUpdates = new Map();
  const env = ctx.environment;
  const id = ctx.deploymentId;
  const primary = ctx.service;
  const add = (service: string, def: MetricDefinition, labels: Labels, value: number, at?: number): void =>
    push(groups, service, update(def, labels, value, at));

  // Run-level metrics live in the primary group.
  // Every outcome's series exists from the first deployment on, the others at 0 (adding 0 keeps a
  // count the group holds): increase() then sees the first failure as 0 → 1, not a series
  // appearing at 1.
  for (const status of RUN_STATUSES)
    add(
      primary,
      METRICS.deploymentRunsTotal,
      { environment: env, service: primary, status },
      status === deployment.status ? 1 : 0,
    );
  add(
    primary,
    METRICS.inProgress,
    {
      environment: env,
      deployment_id: id,
      service: primary,
      branch: ctx.branch,
      triggered_by: ctx.triggeredBy,
    },
    0,
  );
  add(
    primary,
    METRICS.startTimestamp,
    { environment: env, deployment_id: id, service: primary },
    times.startedAt / 1000,
  );
  // A cancelled deployment moves neither timestamp: it neither pages nor resolves DeploymentFailed.
  if (deployment.status !== 'cancelled')
    add(
      primary,
      deployment.status === 'success' ? METRICS.lastSuccessTimestamp : METRICS.lastFailureTimestamp,
      { environment: env, service: primary },
      times.finishedAt / 1000,
    );

  const reportedNames = new Set(reported.series.map((s) => s.definition.name));
  const reportedErrorStages = new Set(
    reported.series.filter((s) => s.definition === METRICS.deploymentErrorsTotal).map((s) => s.labels.stage),
  );

  for (const stage of deployment.stages) {
    const s = stage.service;
    add(
      s,
      METRICS.deploymentTotal,
      { environment: env, service: s, stage: stage.stage, status: stage.status },
      1,
    );
    add(
      s,
      METRICS.stageDuration,
      { environment: env, deployment_id: id, service: s, stage: stage.stage, status: stage.status },
      Math.round(stage.durationSeconds * 1000) / 1000,
      // Remote write puts the duration where the stage ended, not where post ran.
      stage.completedAt,
    );
  }

  const failed = deployment.failedStage;
  if (failed && deployment.errorType && !reportedErrorStages.has(failed.stage)) {
    add(
      failed.service,
      METRICS.deploymentErrorsTotal,
      {
        environment: env,
        service: failed.service,
        stage: failed.stage,
        error_type: deployment.errorType,
      },
      1,
    );
  }
  const rollback = deployment.rollback;
  if (rollback) {
    // A cancelled deployment counts no error, the rollback a cancel ran included.
    if (!reportedErrorStages.has('rollback') && failed !== rollback && deployment.status !== 'cancelled') {
      add(
        rollback.service,
        METRICS.deploymentErrorsTotal,
        {
          environment: env,
          service: rollback.service,
          stage: 'rollback',
          error_type: 'rollback_triggered',
        },
        1,
      );
    }
    if (!reportedNames.has(METRICS.deploymentRollbackTotal.name)) {
      add(
        rollback.service,
        METRICS.deploymentRollbackTotal,
        {
          environment: env,
          service: rollback.service,
          reason:
            deployment.errorType && deployment.errorType !== 'rollback_triggered'
              ? deployment.errorType
              : 'manual',
          status: rollback.status,
        },
        1,
      );
    }
  }

  // A stage a cancel interrupted neither passed nor failed: it counts in neither pair of counters.
  const migration = deployment.stages.find((st) => MIGRATION_STAGES.has(st.stage));
  if (
    migration &&
    migration.status !== 'cancelled' &&
    !reportedNames.has(METRICS.migrationSuccessTotal.name) &&
    !reportedNames.has(METRICS.migrationFailureTotal.name)
  ) {
    add(
      migration.service,
      migration.status === 'success' ? METRICS.migrationSuccessTotal : METRICS.migrationFailureTotal,
      { environment: env },
      1,
    );
  }

  const smoke = deployment.stages.find((st) => st.stage === 'smoke_test');
  if (
    smoke &&
    smoke.status !== 'cancelled' &&
    !reportedNames.has(METRICS.smokeTestTotal.name) &&
    !reportedNames.has(METRICS.smokeTestFailuresTotal.name)
  ) {
    const labels = { environment: env, service: smoke.service, test_name: 'all' };
    add(smoke.service, METRICS.smokeTestTotal, labels, 1);
    if (smoke.status === 'failure') add(smoke.service, METRICS.smokeTestFailuresTotal, labels, 1);
  }

  addReported(groups, ctx, reported.series);
  for (const u of stageStateUpdates(ctx, times.stageStates ?? [])) push(groups, u.service, u.update);
  // Every group of this deployment's own carries the thresholds its stages are judged by; a group it
  // only adds to (a step's series, a stage that never ran) keeps its own.
  const own = ownServices(ctx, deployment);
  for (const service of groups.keys())
    if (own.has(service))
      for (const u of thresholdUpdates(ctx, service, times.thresholds ?? {})) push(groups, service, u);

  return groups;
}

/**
 * The services whose groups belong to this deployment: the job's own and
 * those of the stages that ran. Post writes these whole (PUT); any other
 * group it writes — a service a step reported for, or whose mapped stages
 * never ran — it only adds to (POST), so another job's deployment of that
 * service keeps its gauges.
 */
export function ownServices(ctx: TrackContext, deployment: DeploymentResult): Set<string> {
  return new Set([ctx.service, ...deployment.stages.map((st) => st.service)]);
}

/**
 * What steps reported, with the standard labels set, into the group of the
 * series' own `service` (else the job's). `only` keeps the series for which it
 * returns true (the live reporter pushes gauges only).
 */
export function addReported(
  groups: GroupedUpdates,
  ctx: TrackContext,
  series: ReportedMetrics['series'],
  only: (s: ReportedMetrics['series'][number]) => boolean = () => true,
): void {
  for (const s of series) {
    if (!only(s)) continue;
    const def = s.definition;
    const service = s.labels.service ?? ctx.service;
    const labels: Record<string, string> = { ...s.labels };
    if (def.labels.includes('environment')) labels.environment = ctx.environment;
    if (def.labels.includes('deployment_id')) labels.deployment_id = ctx.deploymentId;
    if (def.labels.includes('service')) labels.service = service;
    else delete labels.service;
    push(groups, def.labels.includes('service') ? service : ctx.service, update(def, labels, s.value));
  }
}

/**
 * `deployment_stage_state` (1 on the stage's current state) and
 * `deployment_stage_start_timestamp_seconds` of every stage, each for its
 * service's group.
 */
export function stageStateUpdates(
  ctx: TrackContext,
  stages: readonly StageProgress[],
): { service: string; update: SeriesUpdate }[] {
  const out: { service: string; update: SeriesUpdate }[] = [];
  for (const p of stages) {
    const base = { environment: ctx.environment, deployment_id: ctx.deploymentId, service: p.service };
    out.push({
      service: p.service,
      update: update(METRICS.stageState, { ...base, stage: p.stage, state: p.state }, 1),
    });
    if (p.startedAt !== undefined)
      out.push({
        service: p.service,
        update: update(METRICS.stageStartTimestamp, { ...base, stage: p.stage }, p.startedAt / 1000),
      });
  }
  return out;
}

/** `deployment_stage_threshold_seconds` of every stage in the `thresholds` input, for one group. */
function thresholdUpdates(
  ctx: TrackContext,
  service: string,
  thresholds: Readonly<Record<string, number>>,
): SeriesUpdate[] {
  return Object.entries(thresholds).map(([stage, seconds]) =>
    update(METRICS.stageThreshold, { environment: ctx.environment, service, stage }, seconds),
  );
}
