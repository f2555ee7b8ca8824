/**
 * Names the action shares with the runner: inputs, outputs, saved state and environment. Every
 * input and output of action.yml is here and nothing else (__tests__/unit/input-defaults.test.ts).
 */

export const Inputs = {
  Mode: 'mode',
  GitHubToken: 'github-token',
  Environment: 'environment',
  Service: 'service',
  Stages: 'stages',
  Thresholds: 'thresholds',
  PushgatewayUrl: 'pushgateway-url',
  PushgatewayAuth: 'pushgateway-auth',
  PushgatewayJob: 'pushgateway-job',
  RemoteWriteUrl: 'remote-write-url',
  RemoteWriteAuth: 'remote-write-auth',
  RemoteWriteHeaders: 'remote-write-headers',
  RemoteWriteQueryUrl: 'remote-write-query-url',
  MetricsFile: 'metrics-file',
  JobStatus: 'job-status',
  CheckRunId: 'check-run-id',
  Summary: 'summary',
  Annotations: 'annotations',
  FailOnError: 'fail-on-error',
  Live: 'live',
  LiveIntervalSeconds: 'live-interval-seconds',
  // Summary mode
  RunId: 'run-id',
  History: 'history',
  HistoryDays: 'history-days',
  SloSuccessRate: 'slo-success-rate',
  SloTtdP95Seconds: 'slo-ttd-p95-seconds',
  // Verify mode
  HealthUrls: 'health-urls',
  PrometheusUrl: 'prometheus-url',
  ErrorRateQuery: 'error-rate-query',
  VerifyWindowSeconds: 'verify-window-seconds',
  FailOnUnhealthy: 'fail-on-unhealthy',
  DeploymentId: 'deployment-id',
} as const;

/** Every output of action.yml. */
export const Outputs = {
  DeploymentId: 'deployment-id',
  Status: 'status',
  FailedStage: 'failed-stage',
  ErrorType: 'error-type',
  DurationSeconds: 'duration-seconds',
  MetricsFile: 'metrics-file',
  StagesJson: 'stages-json',
  // Verify mode
  Healthy: 'healthy',
  RollbackRecommended: 'rollback-recommended',
} as const;

/** Saved with core.saveState in pre/main, read back as STATE_<name> by the same instance's post. */
export const State = {
  Role: 'role',
  StartedAt: 'started-at',
  DeploymentId: 'deployment-id',
  Service: 'service',
  /** The file steps report to (`DEPLOY_METRICS_FILE`), not the `metrics-file` the action writes. */
  ReportFile: 'report-file',
  /** The live reporter's pid, its bundle and its status file (post stops it and reads what it did). */
  LivePid: 'live-pid',
  LiveScript: 'live-script',
  LiveStatusFile: 'live-status-file',
  /** Pre saw another deployment of the group in progress: post checks its writes against it. */
  ConcurrentSeen: 'concurrent-seen',
} as const;

/** Environment the action exports to later steps of the job (GITHUB_ENV). */
export const ExportedEnv = {
  /** The file steps report their own metrics to; the action writes its own to `metrics-file`. */
  ReportFile: 'DEPLOY_METRICS_FILE',
  DeploymentId: 'DEPLOYMENT_ID',
  /**
   * Set by the first track instance of a job: later instances see it and stay
   * passive, so exactly one instance (the first one in the job, whose post runs
   * last) does the post work.
   */
  Owner: 'DEPLOYMENT_OBSERVABILITY_OWNER',
} as const;

/** Where counts of a failed push wait for the next push (self-hosted runners, tests). */
export const STATE_DIR_ENV = 'DEPLOYMENT_OBSERVABILITY_STATE_DIR';

export const TRACK_ROLE_OWNER = 'owner' as const;
export const TRACK_ROLE_PASSIVE = 'passive' as const;
