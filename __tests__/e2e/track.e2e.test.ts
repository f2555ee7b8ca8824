/**
 * Whole deploy jobs through the real dist/ bundles under the runner emulator,
 * against the fake GitHub API and a real Pushgateway; values read back from
 * the Pushgateway's own API and asserted exactly.
 */
import { readFileSync } from 'node:fs';
import { pushgatewayMetrics } from '../../tools/services/index.js';
import {
  apiSteps,
  API_STAGE_MAP,
  databaseSteps,
  runTrackedJob,
  webSteps,
} from '../../tools/scenarios/index.js';
import {
  gatewayValue,
  gatewayValues,
  newRunId,
  promtoolCheckMetrics,
  startBed,
  type Bed,
} from './helpers.js';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.close();
});

const base = (environment: string): Record<string, string> => ({
  environment,
  'pushgateway-url': bed.pg.url,
});

interface StageJson {
  service: string;
  stage: string;
  status: string;
  duration_seconds: number;
  slow: boolean;
}

test('API deployment that succeeds: stages, outputs, summary, metrics file and exact values in the Pushgateway', async () => {
  const before = Date.now() / 1000;
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { ...base('e2e-success'), stages: API_STAGE_MAP },
  });
  expect(job.result.status).toBe('success');
  expect(job.pre?.exitCode).toBe(0);
  expect(job.post?.exitCode).toBe(0);
  const out = job.post?.outputs ?? {};
  expect(out.status).toBe('success');
  expect(out['failed-stage']).toBe('');
  expect(out['error-type']).toBe('');
  const stages = JSON.parse(out['stages-json'] ?? '[]') as StageJson[];
  expect(stages.map((s) => [s.stage, s.status, s.duration_seconds, s.slow])).toEqual([
    ['build', 'success', 95, false],
    ['push', 'success', 45, false],
    ['deploy_railway', 'success', 150, false],
    ['health_check', 'success', 8, false],
    ['migration', 'success', 23, false],
    ['smoke_test', 'success', 52, false],
  ]);
  // No warning: a clean deployment is quiet.
  expect(job.result.annotations.filter((a) => a.level !== 'notice')).toEqual([]);

  const url = bed.pg.url;
  const group = { job: 'deployment', environment: 'e2e-success', service: 'api' };
  expect(await gatewayValue(url, 'deployment_runs_total', { ...group, status: 'success' })).toBe(1);
  for (const stage of ['build', 'push', 'deploy_railway', 'health_check', 'migration', 'smoke_test']) {
    expect(await gatewayValue(url, 'deployment_total', { ...group, stage, status: 'success' })).toBe(1);
  }
  expect(
    await gatewayValue(url, 'deployment_stage_duration_seconds', {
      ...group,
      stage: 'deploy_railway',
      deployment_id: out['deployment-id'] as string,
    }),
  ).toBe(150);
  expect(
    await gatewayValue(url, 'deployment_in_progress', {
      ...group,
      deployment_id: out['deployment-id'] as string,
      branch: 'main',
    }),
  ).toBe(0);
  const lastSuccess = await gatewayValue(url, 'deployment_last_success_timestamp_seconds', group);
  expect(lastSuccess).toBeGreaterThanOrEqual(Math.floor(before));
  expect(lastSuccess).toBeLessThanOrEqual(Date.now() / 1000 + 1);
  expect(await gatewayValues(url, 'deployment_last_failure_timestamp_seconds', group)).toEqual([]);
  expect(await gatewayValue(url, 'api_health_check_latency_ms', { ...group, status: 'healthy' })).toBe(42);
  expect(await gatewayValue(url, 'database_migration_lag_seconds', { ...group, migration_count: '5' })).toBe(
    23.4,
  );
  expect(await gatewayValue(url, 'smoke_test_total', { ...group, test_name: '/health' })).toBe(1);
  expect(await gatewayValue(url, 'migration_success_total', group)).toBe(1);
  expect(
    await gatewayValue(url, 'deployment_infrastructure_cost', { ...group, resource: 'railway_compute' }),
  ).toBe(2.5);
  expect(await gatewayValue(url, 'railway_deployment_cpu_percent', group)).toBe(75.2);

  const summary = job.post?.summary ?? '';
  expect(summary).toContain('## ✅ Deployment succeeded: api · e2e-success');
  expect(summary).toContain('| deploy_railway | api | ✅ success | 2m 30s | 3m 00s |  |');
  expect(summary).toContain('```mermaid\ngantt');
  // `http\://`: escaped so that GitHub does not autolink the URL.
  expect(summary).toContain(`Pushed to the Pushgateway ${url.replace('://', '\\://')}`);

  const metricsText = readFileSync(out['metrics-file'] as string, 'utf8');
  expect(metricsText).toContain(
    'deployment_runs_total{environment="e2e-success",service="api",status="success"} 1',
  );
  expect(() => promtoolCheckMetrics(metricsText)).not.toThrow();
});

test('counters accumulate over a sequence of deployments; latest-deployment gauges keep one deployment_id', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const job = await runTrackedJob({
      gh: bed.gh,
      runId: newRunId(),
      job: 'deploy-api',
      steps: apiSteps(),
      stateDir: bed.stateDir,
      with: { ...base('e2e-sequence'), stages: API_STAGE_MAP },
    });
    expect(job.post?.exitCode).toBe(0);
    ids.push(job.post?.outputs['deployment-id'] as string);
  }
  const group = { job: 'deployment', environment: 'e2e-sequence', service: 'api' };
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'success' })).toBe(3);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_total', { ...group, stage: 'build', status: 'success' }),
  ).toBe(3);
  expect(await gatewayValue(bed.pg.url, 'migration_success_total', group)).toBe(3);
  expect(await gatewayValue(bed.pg.url, 'smoke_test_total', { ...group, test_name: '/health' })).toBe(3);
  // Gauges of the latest deployment only: one series, with the last id.
  const inProgress = await gatewayValues(bed.pg.url, 'deployment_in_progress', group);
  expect(inProgress).toEqual([0]);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_in_progress', { ...group, deployment_id: ids[2] as string }),
  ).toBe(0);
  expect(
    await gatewayValues(bed.pg.url, 'deployment_stage_duration_seconds', {
      ...group,
      deployment_id: ids[0] as string,
    }),
  ).toEqual([]);
});

test('health-check failure followed by a rollback: failed stage, error type, rollback, timestamps', async () => {
  const group = { job: 'deployment', environment: 'e2e-rollback', service: 'api' };
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps({ healthFails: true }),
    stateDir: bed.stateDir,
    with: { ...base('e2e-rollback'), stages: API_STAGE_MAP },
  });
  expect(job.result.status).toBe('failure');
  expect(job.post?.exitCode).toBe(0);
  const out = job.post?.outputs ?? {};
  expect([out.status, out['failed-stage'], out['error-type']]).toEqual([
    'failure',
    'health_check',
    'health_check_failed',
  ]);
  const stages = JSON.parse(out['stages-json'] ?? '[]') as StageJson[];
  expect(stages.map((s) => `${s.stage}:${s.status}`)).toEqual([
    'build:success',
    'push:success',
    'deploy_railway:success',
    'health_check:failure',
    'rollback:success',
  ]);
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'failure' })).toBe(1);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_errors_total', {
      ...group,
      stage: 'health_check',
      error_type: 'health_check_failed',
    }),
  ).toBe(1);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_errors_total', {
      ...group,
      stage: 'rollback',
      error_type: 'rollback_triggered',
    }),
  ).toBe(1);
  // The step reported its rollback: counted once, not again by inference.
  expect(await gatewayValues(bed.pg.url, 'deployment_rollback_total', group)).toEqual([1]);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_rollback_total', {
      ...group,
      reason: 'health_check_failed',
      status: 'success',
    }),
  ).toBe(1);
  const lastFailure = await gatewayValue(bed.pg.url, 'deployment_last_failure_timestamp_seconds', group);
  expect(await gatewayValues(bed.pg.url, 'deployment_last_success_timestamp_seconds', group)).toEqual([]);
  const errors = job.result.annotations.filter((a) => a.level === 'error');
  expect(errors.map((a) => a.properties?.title)).toEqual(['Deployment failed at health_check (api)']);
  expect(job.post?.summary).toContain('- **Error type:** `health_check_failed`');
  expect(job.post?.summary).toContain('- **Rollback:** ran, success (30s)');

  // A success afterwards sets the last success and leaves the last failure alone.
  const next = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { ...base('e2e-rollback'), stages: API_STAGE_MAP },
  });
  expect(next.post?.outputs.status).toBe('success');
  expect(await gatewayValue(bed.pg.url, 'deployment_last_failure_timestamp_seconds', group)).toBe(
    lastFailure,
  );
  expect(
    await gatewayValue(bed.pg.url, 'deployment_last_success_timestamp_seconds', group),
  ).toBeGreaterThanOrEqual(lastFailure);
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'success' })).toBe(1);
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'failure' })).toBe(1);
});

test('slow Vercel deploy of the web job: stages inferred, slow stage marked and annotated', async () => {
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-web',
    steps: webSteps({ vercelSeconds: 250 }),
    stateDir: bed.stateDir,
    with: base('e2e-web'),
  });
  expect(job.post?.exitCode).toBe(0);
  const stages = JSON.parse(job.post?.outputs['stages-json'] ?? '[]') as StageJson[];
  expect(stages.map((s) => [s.service, s.stage, s.duration_seconds, s.slow])).toEqual([
    ['web', 'install', 35, false],
    ['web', 'build', 90, false],
    ['web', 'deploy_vercel', 250, true],
    ['web', 'verification', 10, false],
  ]);
  const warnings = job.result.annotations.filter((a) => a.level === 'warning');
  expect(warnings.map((a) => a.properties?.title)).toEqual(['Slow stage: deploy_vercel']);
  expect(warnings[0]?.message).toBe('deploy_vercel (web) took 4m 10s, over its 3m 00s threshold');
  expect(job.post?.summary).toContain('| deploy_vercel | web | ✅ success | 4m 10s | 3m 00s | 🐢 slow |');
  expect(
    await gatewayValue(bed.pg.url, 'deployment_stage_duration_seconds', {
      environment: 'e2e-web',
      service: 'web',
      stage: 'deploy_vercel',
    }),
  ).toBe(250);
});

test('migration failure in the database job: the step\u2019s reported error type, counted once', async () => {
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'migrate',
    steps: databaseSteps({ applyFails: true }),
    stateDir: bed.stateDir,
    with: base('e2e-db'),
  });
  expect(job.post?.exitCode).toBe(0);
  const out = job.post?.outputs ?? {};
  expect([out.status, out['failed-stage'], out['error-type']]).toEqual([
    'failure',
    'migration_apply',
    'migration_failed',
  ]);
  const group = { environment: 'e2e-db', service: 'database' };
  expect(await gatewayValues(bed.pg.url, 'deployment_errors_total', group)).toEqual([1]);
  expect(await gatewayValue(bed.pg.url, 'migration_failure_total', group)).toBe(1);
  expect(await gatewayValues(bed.pg.url, 'migration_success_total', group)).toEqual([]);
});

test('a step that hit its timeout-minutes: the runner fails it, and its annotation makes the error type timeout', async () => {
  const steps = apiSteps();
  steps[3] = { name: 'Deploy to Railway', run: 'true', durationSeconds: 600, stepTimeout: true };
  const before = bed.gh.requests.length;
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps,
    stateDir: bed.stateDir,
    with: { ...base('e2e-timeout'), stages: API_STAGE_MAP },
  });
  expect(job.result.steps.find((s) => s.name === 'Deploy to Railway')?.conclusion).toBe('failure');
  const out = job.post?.outputs ?? {};
  expect([out.status, out['failed-stage'], out['error-type']]).toEqual([
    'failure',
    'deploy_railway',
    'timeout',
  ]);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_errors_total', {
      environment: 'e2e-timeout',
      stage: 'deploy_railway',
      error_type: 'timeout',
    }),
  ).toBe(1);
  // One read of the job's check run annotations, first page only.
  const reads = bed.gh.requests.slice(before).filter((r) => r.path.includes('/annotations'));
  expect(reads.map((r) => r.path)).toEqual([
    `/repos/octo-org/octo-repo/check-runs/${job.jobId}/annotations?per_page=100`,
  ]);
});

test('a person cancels mid-deploy: cancelled, not failed — no failure timestamp, no error, no page', async () => {
  const group = { environment: 'e2e-cancel', service: 'api' };
  // An earlier failed deployment of the group: the cancel must leave its failure timestamp alone.
  await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps({ healthFails: true }),
    stateDir: bed.stateDir,
    with: { ...base('e2e-cancel'), stages: API_STAGE_MAP },
  });
  const failedAt = await gatewayValue(bed.pg.url, 'deployment_last_failure_timestamp_seconds', group);
  const errorsBefore = await gatewayValues(bed.pg.url, 'deployment_errors_total', group);

  const steps = apiSteps();
  steps[3] = { name: 'Deploy to Railway', run: 'true', durationSeconds: 70, cancelJob: true };
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps,
    stateDir: bed.stateDir,
    with: { ...base('e2e-cancel'), stages: API_STAGE_MAP },
  });
  expect(job.result.status).toBe('cancelled');
  expect(job.post?.exitCode).toBe(0);
  const out = job.post?.outputs ?? {};
  expect([out.status, out['failed-stage'], out['error-type']]).toEqual(['cancelled', '', '']);
  const stages = JSON.parse(out['stages-json'] ?? '[]') as StageJson[];
  expect(stages.map((s) => [s.stage, s.status])).toEqual([
    ['build', 'success'],
    ['push', 'success'],
    ['deploy_railway', 'cancelled'],
  ]);

  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'cancelled' })).toBe(1);
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'failure' })).toBe(1);
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'success' })).toBe(0);
  expect(await gatewayValue(bed.pg.url, 'deployment_last_failure_timestamp_seconds', group)).toBe(failedAt);
  expect(await gatewayValues(bed.pg.url, 'deployment_last_success_timestamp_seconds', group)).toEqual([]);
  expect(await gatewayValues(bed.pg.url, 'deployment_errors_total', group)).toEqual(errorsBefore);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_total', {
      ...group,
      stage: 'deploy_railway',
      status: 'cancelled',
    }),
  ).toBe(1);
  const id = out['deployment-id'] as string;
  expect(
    await gatewayValue(bed.pg.url, 'deployment_stage_duration_seconds', {
      ...group,
      deployment_id: id,
      stage: 'deploy_railway',
      status: 'cancelled',
    }),
  ).toBe(70);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_stage_state', {
      ...group,
      deployment_id: id,
      stage: 'deploy_railway',
      state: 'cancelled',
    }),
  ).toBe(1);
  expect(await gatewayValue(bed.pg.url, 'deployment_in_progress', { ...group, deployment_id: id })).toBe(0);

  // A notice, not an error; no warning either.
  const own = job.result.annotations.filter((a) => a.phase === 'post');
  expect(own.map((a) => [a.level, a.properties?.title])).toEqual([
    ['notice', 'Deployment cancelled at deploy_railway (api)'],
  ]);
  expect(job.post?.summary.split('\n')[0]).toBe(
    '## ⛔ Deployment cancelled at deploy_railway: api · e2e-cancel',
  );
  expect(job.post?.summary).toContain('| deploy_railway | api | ⛔ cancelled | 1m 10s | 3m 00s |  |');
});

test('the job hits its timeout-minutes mid-deploy: a failed deployment with error type timeout', async () => {
  const steps = apiSteps();
  steps[3] = { name: 'Deploy to Railway', run: 'true', durationSeconds: 900, jobTimeout: true };
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps,
    stateDir: bed.stateDir,
    with: { ...base('e2e-job-timeout'), stages: API_STAGE_MAP },
  });
  // The runner cancels the job: the steps alone cannot tell it from a person's cancel.
  expect(job.result.status).toBe('cancelled');
  expect(job.result.steps.find((s) => s.name === 'Deploy to Railway')?.conclusion).toBe('cancelled');
  const out = job.post?.outputs ?? {};
  expect([out.status, out['failed-stage'], out['error-type']]).toEqual([
    'failure',
    'deploy_railway',
    'timeout',
  ]);
  const group = { environment: 'e2e-job-timeout', service: 'api' };
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'failure' })).toBe(1);
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'cancelled' })).toBe(0);
  expect(await gatewayValues(bed.pg.url, 'deployment_last_failure_timestamp_seconds', group)).toHaveLength(1);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_errors_total', {
      ...group,
      stage: 'deploy_railway',
      error_type: 'timeout',
    }),
  ).toBe(1);
  expect(job.result.annotations.filter((a) => a.phase === 'post' && a.level !== 'warning')).toEqual([
    expect.objectContaining({
      level: 'error',
      message: expect.stringMatching(/time limit.*Error type: timeout\.$/),
    }),
  ]);
});

test('annotations not readable (403 without `checks: read`): a time-limit cancel counts as cancelled, a step timeout keeps its usual type, no warning', async () => {
  // Every read of the annotations is refused while these two jobs run.
  bed.gh.inject({ route: /\/check-runs\/\d+\/annotations$/, kind: 'status', status: 403, times: Infinity });
  const before = bed.gh.requests.length;
  const limit = apiSteps();
  limit[3] = { name: 'Deploy to Railway', run: 'true', durationSeconds: 170, jobTimeout: true };
  const cancelled = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: limit,
    stateDir: bed.stateDir,
    with: { ...base('e2e-annotations-403'), stages: API_STAGE_MAP },
  });
  const own = apiSteps();
  own[3] = { name: 'Deploy to Railway', run: 'true', durationSeconds: 170, stepTimeout: true };
  const failed = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: own,
    stateDir: bed.stateDir,
    with: { ...base('e2e-annotations-403'), stages: API_STAGE_MAP },
  });
  bed.gh.clearFaults();
  const outcome = (j: typeof failed): (string | undefined)[] => [
    j.post?.outputs.status,
    j.post?.outputs['failed-stage'],
    j.post?.outputs['error-type'],
  ];
  expect(outcome(cancelled)).toEqual(['cancelled', '', '']);
  expect(outcome(failed)).toEqual(['failure', 'deploy_railway', 'unknown']);
  for (const j of [cancelled, failed]) {
    expect(j.post?.exitCode).toBe(0);
    expect(j.result.annotations.filter((a) => a.level === 'warning')).toEqual([]);
    expect(j.post?.summary).not.toMatch(/annotations could not be read/);
  }
  // Each job asked once and was refused: the fallback was taken, not skipped, and a refusal for want
  // of a permission is not retried (two reads in all are the two jobs' one each).
  const reads = bed.gh.requests.slice(before).filter((r) => r.path.includes('/annotations'));
  for (const j of [cancelled, failed])
    expect(reads.filter((r) => r.path.includes(`/check-runs/${j.jobId}/`)).length).toBe(1);
  expect(reads.every((r) => r.status === 403)).toBe(true);
});

test('API lag: post waits until the steps show completed, without a fixed sleep', async () => {
  bed.gh.lagPolls = 2;
  try {
    const before = bed.gh.requests.length;
    const job = await runTrackedJob({
      gh: bed.gh,
      runId: newRunId(),
      job: 'deploy-api',
      steps: apiSteps(),
      stateDir: bed.stateDir,
      with: { ...base('e2e-lag'), stages: API_STAGE_MAP },
    });
    const jobRequests = bed.gh.requests
      .slice(before)
      .filter((r) => r.path.includes(`/actions/jobs/${job.jobId}`));
    expect(jobRequests.length).toBe(3);
    const stages = JSON.parse(job.post?.outputs['stages-json'] ?? '[]') as StageJson[];
    expect(stages.find((s) => s.stage === 'smoke_test')).toMatchObject({
      status: 'success',
      duration_seconds: 52,
    });
  } finally {
    bed.gh.lagPolls = 0;
  }
});

test('a later instance (if: always()) sets the outputs in its main step, where later steps and jobs can read them', async () => {
  const { repoActionDir } = await import('../../tools/runner-emulator/index.js');
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: [
      ...apiSteps({ healthFails: true }),
      {
        uses: repoActionDir(),
        id: 'result',
        name: 'Deployment result',
        label: 'acme/deployment-observability@v1',
        if: 'always',
        with: { environment: 'e2e-outputs', stages: API_STAGE_MAP },
      },
      {
        name: 'Use the outputs',
        if: 'always',
        run: 'echo "failed at ${{ steps.result.outputs.failed-stage }}"',
      },
    ],
    stateDir: bed.stateDir,
    with: { ...base('e2e-outputs'), stages: API_STAGE_MAP },
  });
  const outputs = job.result.outputs.result ?? {};
  expect([outputs.status, outputs['failed-stage'], outputs['error-type']]).toEqual([
    'failure',
    'health_check',
    'health_check_failed',
  ]);
  const stages = JSON.parse(outputs['stages-json'] ?? '[]') as StageJson[];
  expect(stages.map((s) => s.stage)).toEqual(['build', 'push', 'deploy_railway', 'health_check', 'rollback']);
  expect(job.result.log).toContain('failed at health_check');
  // The owner still does the post work; the later instance pushes nothing.
  expect(job.post?.outputs.status).toBe('failure');
  expect(
    await gatewayValue(bed.pg.url, 'deployment_runs_total', {
      environment: 'e2e-outputs',
      status: 'failure',
    }),
  ).toBe(1);
  // The owner's main sets what it knows at the start.
  expect(job.result.outputs.track?.['deployment-id']).toBe(job.post?.outputs['deployment-id']);
});

test('a gauge a step reported for an earlier deployment does not pass for the next one', async () => {
  const group = { environment: 'e2e-stale', service: 'api' };
  const first = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { ...base('e2e-stale'), stages: API_STAGE_MAP },
  });
  expect(
    await gatewayValue(bed.pg.url, 'database_migration_lag_seconds', {
      ...group,
      deployment_id: first.post?.outputs['deployment-id'] as string,
    }),
  ).toBe(23.4);
  // The next deployment fails its health check: migrations never run, nothing reports their lag.
  await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps({ healthFails: true }),
    stateDir: bed.stateDir,
    with: { ...base('e2e-stale'), stages: API_STAGE_MAP },
  });
  expect(await gatewayValues(bed.pg.url, 'database_migration_lag_seconds', group)).toEqual([]);
  // Everything cumulative is still there.
  expect(
    await gatewayValue(bed.pg.url, 'deployment_total', { ...group, stage: 'migration', status: 'success' }),
  ).toBe(1);
  expect(await gatewayValue(bed.pg.url, 'migration_success_total', group)).toBe(1);
  expect(await gatewayValues(bed.pg.url, 'deployment_last_success_timestamp_seconds', group)).toHaveLength(1);
});

test('a job id naming no service with a stage map naming one: one deployment, one group', async () => {
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { ...base('one-group'), stages: API_STAGE_MAP },
  });
  expect(job.post?.exitCode).toBe(0);
  const groups = (await pushgatewayMetrics(bed.pg.url)).filter((g) => g.labels.environment === 'one-group');
  expect(groups.map((g) => g.labels.service)).toEqual(['api']);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_runs_total', {
      environment: 'one-group',
      service: 'api',
      status: 'success',
    }),
  ).toBe(1);
});
