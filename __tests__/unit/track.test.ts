/**
 * Track mode's metrics for one deployment, as updates per Pushgateway group (service).
 * docs/metrics.md: counters +1 per deployment without deployment_id, gauges of the latest
 * deployment with deployment_id, last success / last failure timestamps.
 */
import { describe, expect, test } from '@jest/globals';
import { METRICS } from '../../src/metrics/definitions.js';
import { parseReportedMetrics, type ReportedMetrics } from '../../src/metrics/reported.js';
import type { SeriesUpdate } from '../../src/metrics/series.js';
import {
  finishUpdates,
  ownServices,
  startUpdates,
  triggeredBy,
  type GroupedUpdates,
  type RunnerTimes,
  type TrackContext,
} from '../../src/metrics/track.js';
import {
  buildDeployment,
  type ApiStep,
  type DeploymentResult,
  type StageResult,
} from '../../src/model/deployment.js';
import { parseStageMap } from '../../src/model/stage-map.js';
import { DEFAULT_THRESHOLDS } from '../../src/config/inputs.js';
import { stage, T0 } from './builders.js';

const CTX: TrackContext = {
  environment: 'production',
  deploymentId: '9876543210-2',
  service: 'api',
  branch: 'main',
  triggeredBy: 'github_actions',
};
const NO_REPORT: ReportedMetrics = parseReportedMetrics('', 'file');
/** The runner's clock: pre's recorded start and when post ran (not the API's step times). */
const TIMES: RunnerTimes = { startedAt: T0 - 2_500, finishedAt: T0 + 307_000 };

function deployment(stages: StageResult[], over: Partial<DeploymentResult> = {}): DeploymentResult {
  const failedStage =
    stages.find((s) => s.status === 'failure' && s.stage !== 'rollback') ??
    stages.find((s) => s.status === 'failure');
  return {
    status: failedStage ? 'failure' : 'success',
    stages,
    failedStage,
    errorType: undefined,
    failureMessage: undefined,
    startedAt: T0,
    completedAt: T0 + 300_000,
    durationSeconds: 300,
    totalThresholdSeconds: 900,
    slow: false,
    rollback: stages.find((s) => s.stage === 'rollback'),
    mainSteps: [],
    ...over,
  };
}

type Row = [group: string, name: string, labels: Record<string, string>, value: number];

function rows(groups: GroupedUpdates): Row[] {
  const out: Row[] = [];
  for (const [group, updates] of groups)
    for (const u of updates) out.push([group, u.name, { ...u.labels }, u.value]);
  return out;
}

function named(groups: GroupedUpdates, name: string): Row[] {
  return rows(groups).filter((r) => r[1] === name);
}

const env = 'production';
const id = CTX.deploymentId;

describe('triggeredBy', () => {
  test.each([
    ['workflow_dispatch', 'manual'],
    ['repository_dispatch', 'webhook'],
    ['push', 'github_actions'],
    ['workflow_run', 'github_actions'],
    ['', 'github_actions'],
  ])('%s → %s', (event, value) => {
    expect(triggeredBy(event)).toBe(value);
  });
});

describe('startUpdates', () => {
  test('in progress = 1 and the start time in seconds, with deployment_id', () => {
    const updates = startUpdates(CTX, T0 + 500);
    expect(updates.map((u) => [u.definition, u.name, u.labels, u.value])).toEqual([
      [
        METRICS.inProgress,
        'deployment_in_progress',
        {
          environment: env,
          deployment_id: id,
          service: 'api',
          branch: 'main',
          triggered_by: 'github_actions',
        },
        1,
      ],
      [
        METRICS.startTimestamp,
        'deployment_start_timestamp_seconds',
        { environment: env, deployment_id: id, service: 'api' },
        T0 / 1000 + 0.5,
      ],
    ]);
  });
});

describe('finishUpdates: a successful deployment', () => {
  const d = deployment([
    stage({ stage: 'build', startedAt: T0, completedAt: T0 + 95_500, durationSeconds: 95.5 }),
    stage({ stage: 'push', startedAt: T0 + 95_500, completedAt: T0 + 120_000, durationSeconds: 24.5 }),
    stage({
      stage: 'deploy_railway',
      startedAt: T0 + 120_000,
      completedAt: T0 + 300_000,
      durationSeconds: 180.0004,
    }),
  ]);
  const groups = finishUpdates(CTX, d, NO_REPORT, TIMES);

  test('exactly these updates, all in the api group', () => {
    expect(rows(groups)).toEqual([
      ['api', 'deployment_runs_total', { environment: env, service: 'api', status: 'success' }, 1],
      // The other outcomes' series, at 0 until the first failure or cancel (adding 0 keeps a count).
      ['api', 'deployment_runs_total', { environment: env, service: 'api', status: 'failure' }, 0],
      ['api', 'deployment_runs_total', { environment: env, service: 'api', status: 'cancelled' }, 0],
      [
        'api',
        'deployment_in_progress',
        {
          environment: env,
          deployment_id: id,
          service: 'api',
          branch: 'main',
          triggered_by: 'github_actions',
        },
        0,
      ],
      [
        'api',
        'deployment_start_timestamp_seconds',
        { environment: env, deployment_id: id, service: 'api' },
        T0 / 1000 - 2.5,
      ],
      [
        'api',
        'deployment_last_success_timestamp_seconds',
        { environment: env, service: 'api' },
        T0 / 1000 + 307,
      ],
      ['api', 'deployment_total', { environment: env, service: 'api', stage: 'build', status: 'success' }, 1],
      [
        'api',
        'deployment_stage_duration_seconds',
        { environment: env, deployment_id: id, service: 'api', stage: 'build', status: 'success' },
        95.5,
      ],
      ['api', 'deployment_total', { environment: env, service: 'api', stage: 'push', status: 'success' }, 1],
      [
        'api',
        'deployment_stage_duration_seconds',
        { environment: env, deployment_id: id, service: 'api', stage: 'push', status: 'success' },
        24.5,
      ],
      [
        'api',
        'deployment_total',
        { environment: env, service: 'api', stage: 'deploy_railway', status: 'success' },
        1,
      ],
      [
        'api',
        'deployment_stage_duration_seconds',
        { environment: env, deployment_id: id, service: 'api', stage: 'deploy_railway', status: 'success' },
        180,
      ],
    ]);
  });

  test('no last-failure timestamp, no errors', () => {
    expect(named(groups, 'deployment_last_failure_timestamp_seconds')).toEqual([]);
    expect(named(groups, 'deployment_errors_total')).toEqual([]);
  });

  test('counters carry no deployment_id; per-deployment gauges do', () => {
    for (const [, , labels] of [
      ...named(groups, 'deployment_total'),
      ...named(groups, 'deployment_runs_total'),
    ]) {
      expect(labels).not.toHaveProperty('deployment_id');
    }
    for (const [, , labels] of named(groups, 'deployment_stage_duration_seconds'))
      expect(labels.deployment_id).toBe(id);
  });

  test('every update’s labels are exactly its definition’s labels', () => {
    for (const list of groups.values()) {
      for (const u of list) expect(Object.keys(u.labels).sort()).toEqual([...u.definition.labels].sort());
    }
  });
});

describe('finishUpdates: a failed deployment with a rollback', () => {
  const d = deployment(
    [
      stage({ stage: 'build' }),
      stage({ stage: 'deploy_railway' }),
      stage({ stage: 'health_check', status: 'failure', durationSeconds: 31 }),
      stage({ stage: 'rollback', status: 'success', durationSeconds: 12 }),
    ],
    { errorType: 'health_check_failed', completedAt: T0 + 400_000 },
  );
  const groups = finishUpdates(CTX, d, NO_REPORT, TIMES);

  test('runs_total counts a failure, and the failure timestamp moves (never the success one)', () => {
    expect(named(groups, 'deployment_runs_total')).toEqual([
      ['api', 'deployment_runs_total', { environment: env, service: 'api', status: 'success' }, 0],
      ['api', 'deployment_runs_total', { environment: env, service: 'api', status: 'failure' }, 1],
      ['api', 'deployment_runs_total', { environment: env, service: 'api', status: 'cancelled' }, 0],
    ]);
    expect(named(groups, 'deployment_last_failure_timestamp_seconds')).toEqual([
      [
        'api',
        'deployment_last_failure_timestamp_seconds',
        { environment: env, service: 'api' },
        T0 / 1000 + 307,
      ],
    ]);
    expect(named(groups, 'deployment_last_success_timestamp_seconds')).toEqual([]);
  });

  test('one deployment_total per stage with its status', () => {
    expect(named(groups, 'deployment_total').map((r) => [r[2].stage, r[2].status, r[3]])).toEqual([
      ['build', 'success', 1],
      ['deploy_railway', 'success', 1],
      ['health_check', 'failure', 1],
      ['rollback', 'success', 1],
    ]);
  });

  test('errors_total for the failed stage with its error type, and the rollback as rollback_triggered', () => {
    expect(named(groups, 'deployment_errors_total')).toEqual([
      [
        'api',
        'deployment_errors_total',
        { environment: env, service: 'api', stage: 'health_check', error_type: 'health_check_failed' },
        1,
      ],
      [
        'api',
        'deployment_errors_total',
        { environment: env, service: 'api', stage: 'rollback', error_type: 'rollback_triggered' },
        1,
      ],
    ]);
  });

  test('the rollback is counted with the failure as its reason and its own status', () => {
    expect(named(groups, 'deployment_rollback_total')).toEqual([
      [
        'api',
        'deployment_rollback_total',
        { environment: env, service: 'api', reason: 'health_check_failed', status: 'success' },
        1,
      ],
    ]);
  });
});

describe('finishUpdates: rollback variants', () => {
  test.each<[string, DeploymentResult, Record<string, string> | undefined, number]>([
    [
      'only the rollback failed: reason manual, no second rollback error',
      deployment([stage({ stage: 'build' }), stage({ stage: 'rollback', status: 'failure' })], {
        errorType: 'rollback_triggered',
      }),
      { environment: env, service: 'api', reason: 'manual', status: 'failure' },
      1,
    ],
    [
      'failed without a rollback: no rollback_total',
      deployment([stage({ stage: 'deploy_railway', status: 'failure' })], { errorType: 'unknown' }),
      undefined,
      1,
    ],
    [
      'reason is the deployment’s error type',
      deployment([stage({ stage: 'deploy_railway', status: 'failure' }), stage({ stage: 'rollback' })], {
        errorType: 'api_unreachable',
      }),
      { environment: env, service: 'api', reason: 'api_unreachable', status: 'success' },
      2,
    ],
  ])('%s', (_what, d, rollbackLabels, errorCount) => {
    const groups = finishUpdates(CTX, d, NO_REPORT, TIMES);
    const rollbacks = named(groups, 'deployment_rollback_total');
    expect(rollbacks.map((r) => r[2])).toEqual(rollbackLabels ? [rollbackLabels] : []);
    expect(named(groups, 'deployment_errors_total')).toHaveLength(errorCount);
  });

  test('a reported rollback line replaces the inferred one', () => {
    const d = deployment(
      [stage({ stage: 'health_check', status: 'failure' }), stage({ stage: 'rollback' })],
      { errorType: 'health_check_failed' },
    );
    const reported = parseReportedMetrics(
      'deployment_rollback_total{reason="health_check_failed",status="success"} 1',
      'file',
    );
    const rollbacks = named(finishUpdates(CTX, d, reported, TIMES), 'deployment_rollback_total');
    expect(rollbacks).toEqual([
      [
        'api',
        'deployment_rollback_total',
        { reason: 'health_check_failed', status: 'success', environment: env, service: 'api' },
        1,
      ],
    ]);
  });

  test('a reported rollback error replaces the inferred rollback_triggered error', () => {
    const d = deployment(
      [stage({ stage: 'health_check', status: 'failure' }), stage({ stage: 'rollback' })],
      { errorType: 'health_check_failed' },
    );
    const reported = parseReportedMetrics(
      'deployment_errors_total{stage="rollback",error_type="timeout"} 1',
      'file',
    );
    expect(
      named(finishUpdates(CTX, d, reported, TIMES), 'deployment_errors_total').map((r) => [
        r[2].stage,
        r[2].error_type,
      ]),
    ).toEqual([
      ['health_check', 'health_check_failed'],
      ['rollback', 'timeout'],
    ]);
  });
});

describe('finishUpdates: errors reported by steps', () => {
  test('a reported error for the failed stage replaces the inferred one (no double count)', () => {
    const d = deployment([stage({ stage: 'deploy_railway', status: 'failure' })], {
      errorType: 'api_unreachable',
    });
    const reported = parseReportedMetrics(
      'deployment_errors_total{stage="deploy_railway",error_type="api_unreachable"} 1',
      'file',
    );
    expect(named(finishUpdates(CTX, d, reported, TIMES), 'deployment_errors_total')).toEqual([
      [
        'api',
        'deployment_errors_total',
        { stage: 'deploy_railway', error_type: 'api_unreachable', environment: env, service: 'api' },
        1,
      ],
    ]);
  });

  test('a reported error for another stage leaves the inferred one', () => {
    const d = deployment([stage({ stage: 'deploy_railway', status: 'failure' })], { errorType: 'unknown' });
    const reported = parseReportedMetrics(
      'deployment_errors_total{stage="build",error_type="timeout"} 1',
      'file',
    );
    expect(
      named(finishUpdates(CTX, d, reported, TIMES), 'deployment_errors_total').map((r) => r[2].stage),
    ).toEqual(['deploy_railway', 'build']);
  });
});

describe('finishUpdates: migration and smoke test inference', () => {
  test.each<[string, StageResult[], string, Row[]]>([
    [
      'migration succeeded',
      [stage({ stage: 'migration' })],
      '',
      [['api', 'migration_success_total', { environment: env }, 1]],
    ],
    [
      'migration failed',
      [stage({ stage: 'migration', status: 'failure' })],
      '',
      [['api', 'migration_failure_total', { environment: env }, 1]],
    ],
    [
      'database migration_apply in the database group',
      [stage({ stage: 'migration_apply', service: 'database' })],
      '',
      [['database', 'migration_success_total', { environment: env }, 1]],
    ],
    [
      'migration_check alone is not a migration run',
      [stage({ stage: 'migration_check', service: 'database' })],
      '',
      [],
    ],
    ['no migration stage', [stage({ stage: 'build' })], '', []],
    [
      'reported success line: no inference',
      [stage({ stage: 'migration' })],
      'migration_success_total 1',
      [['api', 'migration_success_total', { environment: env }, 1]],
    ],
    [
      'reported failure line: no inference',
      [stage({ stage: 'migration' })],
      'migration_failure_total 2',
      [['api', 'migration_failure_total', { environment: env }, 2]],
    ],
  ])('%s', (_what, stages, report, expected) => {
    const groups = finishUpdates(
      CTX,
      deployment(stages, { errorType: 'migration_failed' }),
      parseReportedMetrics(report, 'file'),
      TIMES,
    );
    expect(rows(groups).filter((r) => r[1].startsWith('migration_'))).toEqual(expected);
  });

  test.each<[string, StageResult[], string, Row[]]>([
    [
      'smoke test passed',
      [stage({ stage: 'smoke_test' })],
      '',
      [['api', 'smoke_test_total', { environment: env, service: 'api', test_name: 'all' }, 1]],
    ],
    [
      'smoke test failed',
      [stage({ stage: 'smoke_test', status: 'failure' })],
      '',
      [
        ['api', 'smoke_test_total', { environment: env, service: 'api', test_name: 'all' }, 1],
        ['api', 'smoke_test_failures_total', { environment: env, service: 'api', test_name: 'all' }, 1],
      ],
    ],
    [
      'reported lines: no inference, the reported series instead',
      [stage({ stage: 'smoke_test', status: 'failure' })],
      'smoke_test_failures_total{test_name="/health"} 1',
      [['api', 'smoke_test_failures_total', { test_name: '/health', environment: env, service: 'api' }, 1]],
    ],
    ['no smoke stage', [stage({ stage: 'build' })], '', []],
  ])('%s', (_what, stages, report, expected) => {
    const groups = finishUpdates(
      CTX,
      deployment(stages, { errorType: 'test_failed' }),
      parseReportedMetrics(report, 'file'),
      TIMES,
    );
    expect(rows(groups).filter((r) => r[1].startsWith('smoke_test'))).toEqual(expected);
  });
});

describe('finishUpdates: reported series get the standard labels', () => {
  const report = [
    'api_health_check_latency_ms{status="healthy"} 42',
    'database_migration_lag_seconds{migration_count="5"} 23.4',
    'deployment_infrastructure_cost{resource="railway_compute"} 2.50',
    'smoke_test_total{service="web",test_name="/"} 3',
    'build_cache_hits_total{cache="docker"} 7',
    'bundle_size_bytes{service="web"} 123456',
    'railway_deployment_memory_mb{environment="staging",deployment_id="spoofed"} 512',
  ].join('\n');
  const groups = finishUpdates(CTX, deployment([]), parseReportedMetrics(report, 'file'), TIMES);

  test.each<[string, string, Record<string, string>, number]>([
    ['api_health_check_latency_ms', 'api', { status: 'healthy', environment: env, deployment_id: id }, 42],
    [
      'database_migration_lag_seconds',
      'api',
      { migration_count: '5', environment: env, deployment_id: id },
      23.4,
    ],
    [
      'deployment_infrastructure_cost',
      'api',
      { resource: 'railway_compute', environment: env, deployment_id: id },
      2.5,
    ],
    ['smoke_test_total', 'web', { service: 'web', test_name: '/', environment: env }, 3],
    ['build_cache_hits_total', 'api', { cache: 'docker', environment: env, service: 'api' }, 7],
    ['bundle_size_bytes', 'web', { service: 'web', environment: env, deployment_id: id }, 123456],
    ['railway_deployment_memory_mb', 'api', { environment: env, deployment_id: id }, 512],
  ])('%s → group %s with %j', (name, group, labels, value) => {
    expect(named(groups, name)).toEqual([[group, name, labels, value]]);
  });
});

describe('finishUpdates: several services', () => {
  test('stages of other services go to their own groups; run-level metrics stay in the primary group', () => {
    const d = deployment(
      [
        stage({ stage: 'build' }),
        stage({ stage: 'migration_apply', service: 'database' }),
        stage({ stage: 'deploy_vercel', service: 'web', status: 'failure' }),
      ],
      { errorType: 'unknown' },
    );
    const groups = finishUpdates(CTX, d, NO_REPORT, TIMES);
    expect([...groups.keys()]).toEqual(['api', 'database', 'web']);
    const byGroup = (g: string): string[] => (groups.get(g) ?? []).map((u: SeriesUpdate) => u.name);
    expect(byGroup('api')).toEqual([
      'deployment_runs_total',
      'deployment_runs_total',
      'deployment_runs_total',
      'deployment_in_progress',
      'deployment_start_timestamp_seconds',
      'deployment_last_failure_timestamp_seconds',
      'deployment_total',
      'deployment_stage_duration_seconds',
    ]);
    expect(byGroup('database')).toEqual([
      'deployment_total',
      'deployment_stage_duration_seconds',
      'migration_success_total',
    ]);
    expect(byGroup('web')).toEqual([
      'deployment_total',
      'deployment_stage_duration_seconds',
      'deployment_errors_total',
    ]);
    expect(named(groups, 'deployment_errors_total')[0]?.[2]).toEqual({
      environment: env,
      service: 'web',
      stage: 'deploy_vercel',
      error_type: 'unknown',
    });
  });
});

describe('finishUpdates: a group the deployment only reports into', () => {
  test('a step’s series for a service the map names gets its group, without this job’s thresholds; own groups get them', () => {
    const d = deployment([
      stage({ stage: 'build' }),
      stage({ stage: 'migration_apply', service: 'database' }),
    ]);
    const reported = parseReportedMetrics('api_note{service="web"} 1', 'file', {
      services: new Set(['api', 'database', 'web']),
      service: 'api',
    });
    const groups = finishUpdates(CTX, d, reported, { ...TIMES, thresholds: { build: 120 } });
    expect([...groups.keys()].sort()).toEqual(['api', 'database', 'web']);
    const names = (g: string): string[] => (groups.get(g) ?? []).map((x) => x.name);
    expect(names('web')).toEqual(['api_note']);
    expect(names('api')).toContain('deployment_stage_threshold_seconds');
    expect(names('database')).toContain('deployment_stage_threshold_seconds');
    expect([...ownServices(CTX, d)].sort()).toEqual(['api', 'database']);
  });
});

describe('finishUpdates from buildDeployment (steps as the REST API shows them)', () => {
  const s = (
    name: string,
    conclusion: string | null,
    start: string,
    end: string | null,
    status = 'completed',
  ): ApiStep => ({
    name,
    status,
    conclusion,
    started_at: start,
    completed_at: end,
  });
  const steps: ApiStep[] = [
    s('Set up job', 'success', '2024-01-01T02:00:00-08:00', '2024-01-01T02:00:02-08:00'),
    s('Run actions/checkout@v4', 'success', '2024-01-01T02:00:02-08:00', '2024-01-01T02:00:04-08:00'),
    s('Build Docker image', 'success', '2024-01-01T02:00:04-08:00', '2024-01-01T02:01:34-08:00'),
    s('Push image to registry', 'success', '2024-01-01T02:01:34-08:00', '2024-01-01T02:02:00-08:00'),
    s('Deploy to Railway', 'success', '2024-01-01T02:02:00-08:00', '2024-01-01T02:04:00-08:00'),
    s('Wait for health check', 'failure', '2024-01-01T02:04:00-08:00', '2024-01-01T02:04:45-08:00'),
    s('Run smoke tests', 'skipped', '2024-01-01T02:04:45-08:00', '2024-01-01T02:04:44-08:00'),
    s('Roll back deployment', 'success', '2024-01-01T02:04:45-08:00', '2024-01-01T02:05:05-08:00'),
  ];
  const rules = parseStageMap(
    [
      'Build Docker image => api/build',
      'Push image to registry => api/push',
      'Deploy to Railway => api/deploy_railway',
      '/health/i => api/health_check',
      'Run smoke tests => api/smoke_test',
      'Roll back deployment => api/rollback',
    ].join('\n'),
  ).rules;
  const d = buildDeployment({
    job: { started_at: '2024-01-01T10:00:00Z', steps },
    service: 'api',
    rules,
    thresholds: DEFAULT_THRESHOLDS,
    jobStatus: 'failure',
    reportedErrorTypes: new Map(),
    fallbackStart: T0,
    now: T0 + 3_600_000,
  });
  const groups = finishUpdates(CTX, d, NO_REPORT, TIMES);

  test('stage durations from mixed-offset timestamps', () => {
    expect(
      named(groups, 'deployment_stage_duration_seconds').map((r) => [r[2].stage, r[2].status, r[3]]),
    ).toEqual([
      ['build', 'success', 90],
      ['push', 'success', 26],
      ['deploy_railway', 'success', 120],
      ['health_check', 'failure', 45],
      ['rollback', 'success', 20],
    ]);
  });

  test('the skipped smoke test is not a stage, and not counted', () => {
    expect(named(groups, 'smoke_test_total')).toEqual([]);
    expect(named(groups, 'deployment_total').map((r) => r[2].stage)).not.toContain('smoke_test');
  });

  test('failure at health_check, its error, the rollback', () => {
    expect(named(groups, 'deployment_errors_total').map((r) => [r[2].stage, r[2].error_type])).toEqual([
      ['health_check', 'health_check_failed'],
      ['rollback', 'rollback_triggered'],
    ]);
    expect(named(groups, 'deployment_rollback_total').map((r) => r[2])).toEqual([
      { environment: env, service: 'api', reason: 'health_check_failed', status: 'success' },
    ]);
  });

  test('start and last-failure timestamps come from the runner’s clock, not the API’s step times', () => {
    expect(d.completedAt).toBe(T0 + 305_000);
    expect(named(groups, 'deployment_last_failure_timestamp_seconds').map((r) => r[3])).toEqual([
      TIMES.finishedAt / 1000,
    ]);
    expect(named(groups, 'deployment_start_timestamp_seconds').map((r) => r[3])).toEqual([
      TIMES.startedAt / 1000,
    ]);
  });
});
