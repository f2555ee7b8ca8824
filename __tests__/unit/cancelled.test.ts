/**
 * Cancelled is not failed: a job a person (or `cancel-in-progress`) cancelled is a cancelled
 * deployment; a step that hit its `timeout-minutes` (the runner fails it with "The action has
 * timed out.") and a job its time limit cancelled ("… has exceeded the maximum execution time …")
 * are failures with error type `timeout`. From the runner's annotations to the model, the metrics
 * and the reports.
 */
import { describe, expect, test } from '@jest/globals';
import {
  annotationsWorthReading,
  readRunnerTimeouts,
  timeoutsFromAnnotations,
} from '../../src/github/annotations.js';
import { GitHubApiError, GitHubClient, type CheckRunAnnotation } from '../../src/github/client.js';
import { parseReportedMetrics } from '../../src/metrics/reported.js';
import { finishUpdates, type GroupedUpdates, type TrackContext } from '../../src/metrics/track.js';
import { buildDeployment, type ApiStep, type RunnerTimeouts } from '../../src/model/deployment.js';
import { finalStates, stageProgress } from '../../src/model/stage-state.js';
import { parseStageMap } from '../../src/model/stage-map.js';
import { deploymentAnnotations } from '../../src/report/annotations.js';
import { setDeploymentOutputs } from '../../src/report/outputs.js';
import { renderTrackSummary } from '../../src/report/job-summary.js';
import { RecordingLogger } from '../support/recording.js';

const RULES = parseStageMap(
  [
    'Build Docker image      => api/build',
    'Deploy to Railway       => api/deploy_railway',
    'Run database migrations => api/migration',
    '/health/i               => api/health_check',
    'Run smoke tests         => api/smoke_test',
    'Roll back deployment    => api/rollback',
    'Notify                  => api/notify',
  ].join('\n'),
  'stages',
).rules;

const at = (s: number): string => new Date(Date.UTC(2026, 11, 2, 12, 0, s)).toISOString().replace('.000', '');
const ms = (s: number): number => Date.UTC(2026, 11, 2, 12, 0, s);
const done = (name: string, start: number, end: number, conclusion = 'success'): ApiStep => ({
  name,
  status: 'completed',
  conclusion,
  started_at: at(start),
  completed_at: at(end),
});
const skipped = (name: string, t: number): ApiStep => ({
  name,
  status: 'completed',
  conclusion: 'skipped',
  started_at: at(t),
  completed_at: at(t - 1),
});

function annotation(message: string): CheckRunAnnotation {
  return {
    path: '.github',
    start_line: 1,
    end_line: 1,
    annotation_level: 'failure',
    title: '',
    message,
    raw_details: '',
  };
}
const STEP_TIMED_OUT = annotation('The action has timed out.');
const JOB_TIMED_OUT = annotation(
  'The job running on runner GitHub Actions 2 has exceeded the maximum execution time of 30 minutes.',
);
const OPERATION_CANCELED = annotation('The operation was canceled.');

function model(steps: ApiStep[], jobStatus: string, timeouts?: RunnerTimeouts) {
  return buildDeployment({
    job: { started_at: at(0), steps },
    service: 'api',
    rules: RULES,
    thresholds: {},
    jobStatus,
    reportedErrorTypes: new Map(),
    fallbackStart: ms(0),
    now: ms(600),
    ...(timeouts ? { timeouts } : {}),
  });
}

/** Deploy to Railway interrupted at 70 s: what a person's cancel and the job's time limit both look like. */
const CANCELLED_DEPLOY: ApiStep[] = [
  done('Build Docker image', 0, 40),
  done('Deploy to Railway', 40, 110, 'cancelled'),
  skipped('Wait for health check', 110),
  skipped('Run smoke tests', 110),
];

describe('the runner\u2019s annotations', () => {
  test('only the runner\u2019s own timeout sentences count; a step\u2019s "health check has timed out" does not', () => {
    expect(timeoutsFromAnnotations([STEP_TIMED_OUT, OPERATION_CANCELED])).toEqual({
      stepTimeouts: 1,
      jobTimedOut: false,
    });
    expect(timeoutsFromAnnotations([JOB_TIMED_OUT, OPERATION_CANCELED])).toEqual({
      stepTimeouts: 0,
      jobTimedOut: true,
    });
    // Newer runners say the limit as a duration, without the runner's name.
    expect(
      timeoutsFromAnnotations([annotation('The job has exceeded the maximum execution time of 1h0m0s')]),
    ).toEqual({ stepTimeouts: 0, jobTimedOut: true });
    expect(
      timeoutsFromAnnotations([
        annotation('Health check has timed out.'),
        annotation('Process completed with exit code 1.'),
        { ...annotation('x'), message: null },
      ]),
    ).toEqual({ stepTimeouts: 0, jobTimedOut: false });
  });

  test('read only when a step failed or was cancelled, or the job was cancelled', () => {
    const ok = [{ conclusion: 'success' }, { conclusion: 'skipped' }, { conclusion: null }];
    expect(annotationsWorthReading(ok, 'success')).toBe(false);
    expect(annotationsWorthReading(ok, '')).toBe(false);
    expect(annotationsWorthReading(ok, 'cancelled')).toBe(true);
    expect(annotationsWorthReading([...ok, { conclusion: 'failure' }], 'failure')).toBe(true);
    expect(annotationsWorthReading([...ok, { conclusion: 'cancelled' }], '')).toBe(true);
  });

  test('a 403 (no `checks: read`) falls back quietly: a debug line, no note, no timeouts', async () => {
    const logger = new RecordingLogger();
    const result = await readRunnerTimeouts(
      {
        listCheckRunAnnotations: () =>
          Promise.reject(new GitHubApiError('GET annotations: HTTP 403 Resource not accessible', 403)),
      },
      42,
      Number.MAX_SAFE_INTEGER,
      logger,
    );
    expect(result).toEqual({ timeouts: undefined, note: undefined });
    expect(logger.messages('debug').join('\n')).toMatch(/checks: read/);
    expect(logger.entries.filter((e) => e.level !== 'debug')).toEqual([]);
  });

  test('any other error is a note for the summary, never thrown', async () => {
    const logger = new RecordingLogger();
    const result = await readRunnerTimeouts(
      { listCheckRunAnnotations: () => Promise.reject(new GitHubApiError('HTTP 502 Bad Gateway', 502)) },
      42,
      Number.MAX_SAFE_INTEGER,
      logger,
    );
    expect(result.timeouts).toBeUndefined();
    expect(result.note).toMatch(/annotations could not be read \(HTTP 502 Bad Gateway\)/);
    expect(logger.entries.filter((e) => e.level !== 'debug')).toEqual([]);
  });

  test('the client reads the first page of the job\u2019s check run, 100 a page, within the deadline', async () => {
    const urls: string[] = [];
    const client = new GitHubClient({
      apiUrl: 'http://api.test',
      token: 't',
      repository: 'octo-org/octo-repo',
      clock: { now: () => 0, sleep: () => Promise.resolve() },
      fetchImpl: (url) => {
        urls.push(url);
        return Promise.resolve(
          new Response(JSON.stringify([STEP_TIMED_OUT]), {
            status: 200,
            headers: { 'content-type': 'application/json; charset=utf-8' },
          }),
        );
      },
    });
    const result = await readRunnerTimeouts(client, 4242, 10_000, new RecordingLogger());
    expect(urls).toEqual([
      'http://api.test/repos/octo-org/octo-repo/check-runs/4242/annotations?per_page=100',
    ]);
    expect(result.timeouts).toEqual({ stepTimeouts: 1, jobTimedOut: false });
  });
});

describe('the model', () => {
  test('a person\u2019s cancel: cancelled, the interrupted stage cancelled, later stages not run, no error type', () => {
    const d = model(CANCELLED_DEPLOY, 'cancelled', timeoutsFromAnnotations([OPERATION_CANCELED]));
    expect(d.status).toBe('cancelled');
    expect(d.stages.map((s) => [s.stage, s.status])).toEqual([
      ['build', 'success'],
      ['deploy_railway', 'cancelled'],
    ]);
    expect([d.failedStage, d.errorType, d.failureMessage]).toEqual([undefined, undefined, undefined]);
    expect(d.cancelledStage?.stage).toBe('deploy_railway');
    expect(d.cancelMessage).toBe(
      'Stage deploy_railway (api) was cancelled after 70s in step "Deploy to Railway"',
    );
  });

  test('annotations unread (403, error, not there yet): a cancelled job is cancelled', () => {
    expect(model(CANCELLED_DEPLOY, 'cancelled').status).toBe('cancelled');
  });

  test('the job\u2019s time limit: a failed deployment, error type timeout, the interrupted stage failed', () => {
    const d = model(CANCELLED_DEPLOY, 'cancelled', timeoutsFromAnnotations([JOB_TIMED_OUT]));
    expect([d.status, d.failedStage?.stage, d.errorType]).toEqual(['failure', 'deploy_railway', 'timeout']);
    expect(d.stages.map((s) => [s.stage, s.status])).toEqual([
      ['build', 'success'],
      ['deploy_railway', 'failure'],
    ]);
    expect(d.failureMessage).toBe(
      'Stage deploy_railway (api) was cancelled by the job\u2019s time limit after 70s in step "Deploy to Railway"',
    );
  });

  test('the job\u2019s time limit, then a cleanup step fails: the interrupted stage is the failed one', () => {
    const steps = [...CANCELLED_DEPLOY, done('Notify', 110, 112, 'failure')];
    const d = model(steps, 'cancelled', { stepTimeouts: 0, jobTimedOut: true });
    expect([d.status, d.failedStage?.stage, d.errorType]).toEqual(['failure', 'deploy_railway', 'timeout']);
  });

  test('the job\u2019s time limit between stages (no step shows the cancel): failure, timeout, no stage', () => {
    const d = model([done('Build Docker image', 0, 40)], 'cancelled', { stepTimeouts: 0, jobTimedOut: true });
    expect([d.status, d.failedStage, d.errorType, d.failureMessage]).toEqual([
      'failure',
      undefined,
      'timeout',
      'The job was cancelled by its time limit',
    ]);
  });

  test('a step\u2019s own timeout-minutes: the runner fails it; its annotation makes the error type timeout', () => {
    const steps = [done('Build Docker image', 0, 40), done('Deploy to Railway', 40, 640, 'failure')];
    const d = model(steps, 'failure', timeoutsFromAnnotations([STEP_TIMED_OUT]));
    expect([d.status, d.failedStage?.stage, d.errorType]).toEqual(['failure', 'deploy_railway', 'timeout']);
    expect(d.failureMessage).toMatch(
      /^Stage deploy_railway \(api\) timed out \(timeout-minutes\) after 600s/,
    );
    // Without the annotation the same failure keeps the stage's usual error type.
    expect(model(steps, 'failure').errorType).toBe('unknown');
  });

  test('one "timed out" annotation and two failed steps: not known to be this failure\u2019s', () => {
    const steps = [
      done('Deploy to Railway', 0, 40, 'failure'),
      done('Wait for health check', 40, 60, 'failure'),
    ];
    const d = model(steps, 'failure', { stepTimeouts: 1, jobTimedOut: false });
    expect(d.errorType).toBe('unknown');
  });

  test('cancelled while the rollback ran after a failed health check: still a failure', () => {
    const steps = [
      done('Deploy to Railway', 0, 40),
      done('Wait for health check', 40, 60, 'failure'),
      done('Roll back deployment', 60, 70, 'cancelled'),
    ];
    const d = model(steps, 'cancelled');
    expect([d.status, d.failedStage?.stage, d.errorType]).toEqual([
      'failure',
      'health_check',
      'health_check_failed',
    ]);
    expect(d.stages.map((s) => [s.stage, s.status])).toEqual([
      ['deploy_railway', 'success'],
      ['health_check', 'failure'],
      ['rollback', 'cancelled'],
    ]);
    expect(d.cancelledStage).toBeUndefined();
  });

  test('a cleanup step (if: always()) failing after the cancel does not make it a failure', () => {
    const steps = [...CANCELLED_DEPLOY, done('Notify', 110, 112, 'failure')];
    const d = model(steps, 'cancelled');
    expect(d.status).toBe('cancelled');
    expect(d.stages.map((s) => [s.stage, s.status])).toEqual([
      ['build', 'success'],
      ['deploy_railway', 'cancelled'],
      ['notify', 'failure'],
    ]);
  });

  test('the API still shows the interrupted step running: it is the cancelled one', () => {
    const steps: ApiStep[] = [
      done('Build Docker image', 0, 40),
      {
        name: 'Deploy to Railway',
        status: 'in_progress',
        conclusion: null,
        started_at: at(40),
        completed_at: null,
      },
    ];
    const d = model(steps, 'cancelled');
    expect([d.status, d.cancelledStage?.stage, d.cancelledStage?.complete]).toEqual([
      'cancelled',
      'deploy_railway',
      false,
    ]);
  });

  test('post\u2019s final stage states: cancelled stays cancelled, the stage the time limit cut failed', () => {
    const progress = stageProgress({ steps: CANCELLED_DEPLOY, service: 'api', rules: RULES });
    const person = model(CANCELLED_DEPLOY, 'cancelled');
    const limit = model(CANCELLED_DEPLOY, 'cancelled', { stepTimeouts: 0, jobTimedOut: true });
    const final = (d: typeof person) =>
      finalStates(progress, (svc, stage) => d.stages.find((s) => s.stage === stage)?.status).map((p) => [
        p.stage,
        p.state,
      ]);
    expect(final(person)).toEqual([
      ['build', 'success'],
      ['deploy_railway', 'cancelled'],
      ['health_check', 'skipped'],
      ['smoke_test', 'skipped'],
    ]);
    expect(final(limit)).toContainEqual(['deploy_railway', 'failure']);
  });
});

const CTX: TrackContext = {
  environment: 'production',
  deploymentId: '777',
  service: 'api',
  branch: 'main',
  triggeredBy: 'github_actions',
};

function rowsOf(groups: GroupedUpdates, name: string): [Record<string, string>, number][] {
  return [...groups.values()]
    .flat()
    .filter((u) => u.name === name)
    .map((u) => [{ ...u.labels }, u.value]);
}

describe('the metrics of a cancelled deployment', () => {
  const steps = [
    done('Build Docker image', 0, 40),
    done('Run database migrations', 40, 50, 'cancelled'),
    skipped('Run smoke tests', 50),
    done('Roll back deployment', 50, 60),
  ];
  const d = model(steps, 'cancelled');
  const groups = finishUpdates(CTX, d, parseReportedMetrics('', 'f'), {
    startedAt: ms(0),
    finishedAt: ms(61),
    stageStates: finalStates(
      stageProgress({ steps, service: 'api', rules: RULES }),
      (_svc, stage) => d.stages.find((s) => s.stage === stage)?.status,
    ),
  });
  const env = 'production';

  test('runs_total{status="cancelled"} 1, success and failure at 0; in progress 0', () => {
    expect(d.status).toBe('cancelled');
    expect(rowsOf(groups, 'deployment_runs_total')).toEqual([
      [{ environment: env, service: 'api', status: 'success' }, 0],
      [{ environment: env, service: 'api', status: 'failure' }, 0],
      [{ environment: env, service: 'api', status: 'cancelled' }, 1],
    ]);
    expect(rowsOf(groups, 'deployment_in_progress').map(([, v]) => v)).toEqual([0]);
  });

  test('neither the last failure nor the last success moves', () => {
    expect(rowsOf(groups, 'deployment_last_failure_timestamp_seconds')).toEqual([]);
    expect(rowsOf(groups, 'deployment_last_success_timestamp_seconds')).toEqual([]);
  });

  test('the interrupted stage counts and lasts under status="cancelled"; no error, not even the rollback\u2019s', () => {
    expect(rowsOf(groups, 'deployment_total').map(([l, v]) => [l.stage, l.status, v])).toEqual([
      ['build', 'success', 1],
      ['migration', 'cancelled', 1],
      ['rollback', 'success', 1],
    ]);
    expect(
      rowsOf(groups, 'deployment_stage_duration_seconds').map(([l, v]) => [l.stage, l.status, v]),
    ).toEqual([
      ['build', 'success', 40],
      ['migration', 'cancelled', 10],
      ['rollback', 'success', 10],
    ]);
    expect(rowsOf(groups, 'deployment_errors_total')).toEqual([]);
  });

  test('an interrupted migration is neither a success nor a failure', () => {
    expect(rowsOf(groups, 'migration_success_total')).toEqual([]);
    expect(rowsOf(groups, 'migration_failure_total')).toEqual([]);
  });

  test('deployment_stage_state says cancelled', () => {
    expect(
      rowsOf(groups, 'deployment_stage_state')
        .filter(([, v]) => v === 1)
        .map(([l]) => `${l.stage}:${l.state}`),
    ).toEqual(['build:success', 'migration:cancelled', 'smoke_test:skipped', 'rollback:success']);
  });

  test('the job\u2019s time limit instead: a failure that moves the failure timestamp and counts a timeout', () => {
    const limit = model(steps, 'cancelled', { stepTimeouts: 0, jobTimedOut: true });
    const g = finishUpdates(CTX, limit, parseReportedMetrics('', 'f'), {
      startedAt: ms(0),
      finishedAt: ms(61),
    });
    expect(rowsOf(g, 'deployment_runs_total').filter(([, v]) => v === 1)).toEqual([
      [{ environment: env, service: 'api', status: 'failure' }, 1],
    ]);
    expect(rowsOf(g, 'deployment_last_failure_timestamp_seconds').map(([, v]) => v)).toEqual([ms(61) / 1000]);
    expect(rowsOf(g, 'deployment_errors_total').map(([l]) => [l.stage, l.error_type])).toEqual([
      ['migration', 'timeout'],
      ['rollback', 'rollback_triggered'],
    ]);
    expect(rowsOf(g, 'migration_failure_total').map(([, v]) => v)).toEqual([1]);
  });
});

describe('what people read about a cancelled deployment', () => {
  const d = model(CANCELLED_DEPLOY, 'cancelled');

  test('outputs: status cancelled, failed-stage and error-type empty', () => {
    const outputs: Record<string, string> = {};
    setDeploymentOutputs({ setOutput: (n, v) => (outputs[n] = v) }, d, '777', '/tmp/m.prom');
    expect([outputs.status, outputs['failed-stage'], outputs['error-type']]).toEqual(['cancelled', '', '']);
    expect(JSON.parse(outputs['stages-json'] ?? '[]')).toContainEqual(
      expect.objectContaining({ stage: 'deploy_railway', status: 'cancelled' }),
    );
  });

  test('one notice, no error', () => {
    expect(deploymentAnnotations(d, 'api')).toEqual([
      {
        level: 'notice',
        title: 'Deployment cancelled at deploy_railway (api)',
        message:
          'Stage deploy_railway (api) was cancelled after 70s in step "Deploy to Railway". Counted as cancelled, not as a failure.',
      },
    ]);
  });

  test('the summary says cancelled, not failed', () => {
    const md = renderTrackSummary({
      deployment: d,
      deploymentId: '777',
      environment: 'production',
      service: 'api',
      branch: 'main',
      runUrl: undefined,
      delivery: [],
      notes: [],
      stagesKnown: true,
    });
    expect(md.split('\n')[0]).toBe('## ⛔ Deployment cancelled at deploy_railway: api · production');
    expect(md).toContain('| deploy_railway | api | ⛔ cancelled | 1m 10s | — |  |');
    expect(md).toContain('### Cancelled');
    expect(md).not.toContain('### Failure');
    expect(md).not.toMatch(/failed/i);
  });
});
