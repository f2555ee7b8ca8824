/**
 * The metrics of one tracked deployment, as updates per Pushgateway group
 * (one group per service). Pure: built from the deployment model, what steps
 * reported, and the run's context.
 */
import type { DeploymentResult } from '../model/deployment.js';
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
export function startUpdates(ctx: TrackContext, startedAtMs: number): SeriesUpdate[] {
  const env = ctx.environment;
  return [
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
  add(
    primary,
    METRICS.deploymentRunsTotal,
    { environment: env, service: primary, status: deployment.status },
    1,
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
    if (!reportedErrorStages.has('rollback') && failed !== rollback) {
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

  const migration = deployment.stages.find((st) => MIGRATION_STAGES.has(st.stage));
  if (
    migration &&
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
    !reportedNames.has(METRICS.smokeTestTotal.name) &&
    !reportedNames.has(METRICS.smokeTestFailuresTotal.name)
  ) {
    const labels = { environment: env, service: smoke.service, test_name: 'all' };
    add(smoke.service, METRICS.smokeTestTotal, labels, 1);
    if (smoke.status === 'failure') add(smoke.service, METRICS.smokeTestFailuresTotal, labels, 1);
  }

  for (const series of reported.series) {
    const def = series.definition;
    const service = series.labels.service ?? primary;
    const labels: Record<string, string> = { ...series.labels };
    if (def.labels.includes('environment')) labels.environment = env;
    if (def.labels.includes('deployment_id')) labels.deployment_id = id;
    if (def.labels.includes('service')) labels.service = service;
    else delete labels.service;
    add(def.labels.includes('service') ? service : primary, def, labels, series.value);
  }

  return groups;
}
