/**
 * The one table of metric definitions. Code (building, validation of what steps
 * report), docs and dashboards read names, types and labels from here; nothing
 * else spells a metric name.
 *
 * Semantics (README, "Metrics and their semantics, and why"): every job is a short-lived process
 * pushing to a Pushgateway, so counters are cumulative across deployments (the
 * action adds this deployment's counts to what the group already holds) and
 * carry no `deployment_id`; per-deployment values are gauges of the latest
 * deployment with `deployment_id`.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Who writes a metric: the action computes it, or a step may report it through DEPLOY_METRICS_FILE. */
export type MetricSource = 'action' | 'reported' | 'both';

export interface MetricDefinition {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Every label the series carries, in the order they are written. */
  readonly labels: readonly string[];
  readonly buckets?: readonly number[];
  /** Which mode pushes it. */
  readonly modes: readonly ('track' | 'summary' | 'verify')[];
  readonly source: MetricSource;
  /**
   * How a value is merged with what the Pushgateway group already holds:
   * `sum` (cumulative counter), `max` (a timestamp that only moves forward),
   * `replace` (a gauge of the latest deployment).
   */
  readonly merge: 'sum' | 'max' | 'replace';
}

function def(d: MetricDefinition): MetricDefinition {
  return Object.freeze({ ...d, labels: Object.freeze([...d.labels]) });
}

/** Buckets of `time_to_deploy_seconds` (README, "The metric table"). */
export const TIME_TO_DEPLOY_BUCKETS = Object.freeze([60, 300, 480, 600, 720, 900, 1200, 1500, 1800]);

export const METRICS = Object.freeze({
  deploymentTotal: def({
    name: 'deployment_total',
    type: 'counter',
    help: 'Deployment stage completions, cumulative across deployments (one per stage that ran).',
    labels: ['environment', 'service', 'stage', 'status'],
    modes: ['track'],
    source: 'action',
    merge: 'sum',
  }),
  deploymentRunsTotal: def({
    name: 'deployment_runs_total',
    type: 'counter',
    help: 'Whole deployments (one per tracked deploy job) by outcome (success, failure, cancelled), cumulative across deployments.',
    labels: ['environment', 'service', 'status'],
    modes: ['track'],
    source: 'action',
    merge: 'sum',
  }),
  deploymentErrorsTotal: def({
    name: 'deployment_errors_total',
    type: 'counter',
    help: 'Failed deployment stages by error type, cumulative across deployments.',
    labels: ['environment', 'service', 'stage', 'error_type'],
    modes: ['track'],
    source: 'both',
    merge: 'sum',
  }),
  deploymentRollbackTotal: def({
    name: 'deployment_rollback_total',
    type: 'counter',
    help: 'Rollbacks by reason and outcome, cumulative across deployments.',
    labels: ['environment', 'service', 'reason', 'status'],
    modes: ['track'],
    source: 'both',
    merge: 'sum',
  }),
  stageDuration: def({
    name: 'deployment_stage_duration_seconds',
    type: 'gauge',
    help: 'Duration of each stage of the latest deployment, in seconds.',
    labels: ['environment', 'deployment_id', 'service', 'stage', 'status'],
    modes: ['track'],
    source: 'action',
    merge: 'replace',
  }),
  stageState: def({
    name: 'deployment_stage_state',
    type: 'gauge',
    help: 'Current state of each stage of the latest deployment: 1 on the series whose state label is waiting, running, success, failure, cancelled or skipped.',
    labels: ['environment', 'deployment_id', 'service', 'stage', 'state'],
    modes: ['track'],
    source: 'action',
    merge: 'replace',
  }),
  stageStartTimestamp: def({
    name: 'deployment_stage_start_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time each started stage of the latest deployment began (elapsed of a running stage: time() minus it).',
    labels: ['environment', 'deployment_id', 'service', 'stage'],
    modes: ['track'],
    source: 'action',
    merge: 'replace',
  }),
  stageThreshold: def({
    name: 'deployment_stage_threshold_seconds',
    type: 'gauge',
    help: 'The thresholds input in force: seconds a stage may take before it is slow (stage="total": the whole deployment).',
    labels: ['environment', 'service', 'stage'],
    modes: ['track'],
    source: 'action',
    merge: 'replace',
  }),
  inProgress: def({
    name: 'deployment_in_progress',
    type: 'gauge',
    help: '1 while the latest deployment runs, 0 once its job has finished.',
    labels: ['environment', 'deployment_id', 'service', 'branch', 'triggered_by'],
    modes: ['track'],
    source: 'action',
    merge: 'replace',
  }),
  startTimestamp: def({
    name: 'deployment_start_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time the latest deployment started.',
    labels: ['environment', 'deployment_id', 'service'],
    modes: ['track'],
    source: 'action',
    merge: 'replace',
  }),
  lastSuccessTimestamp: def({
    name: 'deployment_last_success_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time the last successful deployment finished; a failure never overwrites it.',
    labels: ['environment', 'service'],
    modes: ['track'],
    source: 'action',
    merge: 'max',
  }),
  lastFailureTimestamp: def({
    name: 'deployment_last_failure_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time the last failed deployment finished (a cancelled one never moves it); alert on time() - x < window and changes(x[w]) > 0.',
    labels: ['environment', 'service'],
    modes: ['track'],
    source: 'action',
    merge: 'max',
  }),
  healthCheckLatency: def({
    name: 'api_health_check_latency_ms',
    type: 'gauge',
    help: 'Health endpoint response time of the latest deployment, in milliseconds.',
    labels: ['environment', 'deployment_id', 'status'],
    modes: ['track', 'verify'],
    source: 'both',
    merge: 'replace',
  }),
  healthCheckTotal: def({
    name: 'api_health_check_total',
    type: 'counter',
    help: 'Health checks made after deployments, cumulative.',
    labels: ['environment', 'service'],
    modes: ['track', 'verify'],
    source: 'both',
    merge: 'sum',
  }),
  healthCheckFailuresTotal: def({
    name: 'api_health_check_failures_total',
    type: 'counter',
    help: 'Health checks that failed after deployments, cumulative.',
    labels: ['environment', 'service'],
    modes: ['track', 'verify'],
    source: 'both',
    merge: 'sum',
  }),
  postDeploymentErrorRate: def({
    name: 'post_deployment_error_rate',
    type: 'gauge',
    help: 'Error ratio of the service in the window after the latest deployment.',
    labels: ['environment', 'deployment_id', 'service'],
    modes: ['track', 'verify'],
    source: 'both',
    merge: 'replace',
  }),
  migrationLag: def({
    name: 'database_migration_lag_seconds',
    type: 'gauge',
    help: 'How long the latest deployment migrations took, in seconds.',
    labels: ['environment', 'deployment_id', 'migration_count'],
    modes: ['track'],
    source: 'reported',
    merge: 'replace',
  }),
  migrationSuccessTotal: def({
    name: 'migration_success_total',
    type: 'counter',
    help: 'Successful database migration runs, cumulative.',
    labels: ['environment'],
    modes: ['track'],
    source: 'both',
    merge: 'sum',
  }),
  migrationFailureTotal: def({
    name: 'migration_failure_total',
    type: 'counter',
    help: 'Failed database migration runs, cumulative.',
    labels: ['environment'],
    modes: ['track'],
    source: 'both',
    merge: 'sum',
  }),
  smokeTestTotal: def({
    name: 'smoke_test_total',
    type: 'counter',
    help: 'Smoke tests run after deployments, cumulative.',
    labels: ['environment', 'service', 'test_name'],
    modes: ['track'],
    source: 'both',
    merge: 'sum',
  }),
  smokeTestFailuresTotal: def({
    name: 'smoke_test_failures_total',
    type: 'counter',
    help: 'Smoke tests that failed after deployments, cumulative.',
    labels: ['environment', 'service', 'test_name'],
    modes: ['track'],
    source: 'both',
    merge: 'sum',
  }),
  timeToDeploy: def({
    name: 'time_to_deploy_seconds',
    type: 'histogram',
    help: 'Time to deploy: workflow run trigger to its last deploy job finished, in seconds; cumulative.',
    labels: ['environment'],
    buckets: TIME_TO_DEPLOY_BUCKETS,
    modes: ['summary'],
    source: 'action',
    merge: 'sum',
  }),
  actionDuration: def({
    name: 'github_action_duration_seconds',
    type: 'gauge',
    help: 'Duration of the latest workflow run per workflow, branch and conclusion, in seconds.',
    labels: ['workflow', 'repository', 'branch', 'conclusion'],
    modes: ['summary'],
    source: 'action',
    merge: 'replace',
  }),
  workflowRunsTotal: def({
    name: 'github_workflow_runs_total',
    type: 'counter',
    help: 'Workflow run attempts, cumulative; each attempt counted once.',
    labels: ['workflow', 'repository', 'branch', 'conclusion'],
    modes: ['summary'],
    source: 'action',
    merge: 'sum',
  }),
  deploymentFrequency: def({
    name: 'deployment_frequency',
    type: 'gauge',
    help: 'Successful deployment runs completed within the period (DORA deployment frequency).',
    labels: ['environment', 'service', 'period'],
    modes: ['summary'],
    source: 'action',
    merge: 'replace',
  }),
  infrastructureCost: def({
    name: 'deployment_infrastructure_cost',
    type: 'gauge',
    help: 'Cost incurred by the latest deployment per resource.',
    labels: ['environment', 'deployment_id', 'resource'],
    modes: ['track'],
    source: 'reported',
    merge: 'replace',
  }),
  railwayMemory: def({
    name: 'railway_deployment_memory_mb',
    type: 'gauge',
    help: 'Peak memory of the latest deployment, in MB.',
    labels: ['environment', 'deployment_id'],
    modes: ['track'],
    source: 'reported',
    merge: 'replace',
  }),
  railwayCpu: def({
    name: 'railway_deployment_cpu_percent',
    type: 'gauge',
    help: 'Peak CPU of the latest deployment, in percent.',
    labels: ['environment', 'deployment_id'],
    modes: ['track'],
    source: 'reported',
    merge: 'replace',
  }),
  countersUpdated: def({
    name: 'deployment_observability_counters_updated_timestamp_seconds',
    type: 'gauge',
    help:
      'Unix time this group\u2019s cumulative counters were last brought up to date by the action; ' +
      'counts carried from an earlier failed push and recorded before it are included.',
    labels: [],
    modes: ['track', 'verify', 'summary'],
    source: 'action',
    merge: 'replace',
  }),
  summaryCountedAttempt: def({
    name: 'deployment_observability_summary_counted_attempt',
    type: 'gauge',
    help: 'The last run attempt (run id * 1000 + attempt) whose counts summary mode added to this group.',
    labels: [],
    modes: ['summary'],
    source: 'action',
    merge: 'max',
  }),
} as const);

/** Every definition, in table order. */
export const ALL_METRICS: readonly MetricDefinition[] = Object.freeze(Object.values(METRICS));

const byName = new Map(ALL_METRICS.map((m) => [m.name, m]));

/** The definition of a metric by its exposition name, if the table has it. */
export function metricByName(name: string): MetricDefinition | undefined {
  return byName.get(name);
}
