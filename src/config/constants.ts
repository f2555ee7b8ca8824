/** Names the action shares with the runner: inputs, outputs, saved state and environment. */

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
} as const;

export const Outputs = {
  DeploymentId: 'deployment-id',
  Status: 'status',
  FailedStage: 'failed-stage',
  ErrorType: 'error-type',
  DurationSeconds: 'duration-seconds',
  MetricsFile: 'metrics-file',
  StagesJson: 'stages-json',
} as const;

/** Saved with core.saveState in pre/main, read back as STATE_<name> by the same instance's post. */
export const State = {
  Role: 'role',
  StartedAt: 'started-at',
  DeploymentId: 'deployment-id',
  Service: 'service',
  MetricsReportFile: 'report-file',
  /** The live reporter's pid, its bundle and its status file (post stops it and reads what it did). */
  LivePid: 'live-pid',
  LiveScript: 'live-script',
  LiveStatusFile: 'live-status-file',
  /** Pre saw another deployment of the group in progress: post checks its writes against it. */
  ConcurrentSeen: 'concurrent-seen',
} as const;

/** Environment the action exports to later steps of the job (GITHUB_ENV). */
export const ExportedEnv = {
  MetricsFile: 'DEPLOY_METRICS_FILE',
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
