/**
 * Live tracking's pure core: stage states from a running job's steps, the
 * gauges the reporter pushes, post's final states, remote write's full state
 * enum, the summary line and the interval input.
 */
import { describe, expect, test } from '@jest/globals';
import { parseLiveInterval, readConfig } from '../../src/config/inputs.js';
import { METRICS } from '../../src/metrics/definitions.js';
import { fingerprint, liveUpdates } from '../../src/metrics/live.js';
import { parseReportedMetrics } from '../../src/metrics/reported.js';
import { mergeUpdates } from '../../src/metrics/series.js';
import { finishUpdates, type TrackContext } from '../../src/metrics/track.js';
import { buildDeployment, type ApiStep } from '../../src/model/deployment.js';
import { combineStates, finalStates, stageProgress, type StageState } from '../../src/model/stage-state.js';
import { parseStageMap } from '../../src/model/stage-map.js';
import { describeLive } from '../../src/report/live.js';
import { toWriteRequest } from '../../src/delivery/remote-write/timeseries.js';
import { servicesOf } from '../../src/live/reporter.js';

const CTX: TrackContext = {
  environment: 'production',
  deploymentId: '4242',
  service: 'api',
  branch: 'main',
  triggeredBy: 'github_actions',
};
const RULES = parseStageMap(
  [
    'Build Docker image      => api/build',
    'Push image to registry  => api/push',
    'Deploy to Railway       => api/deploy_railway',
    '/health/i               => api/health_check',
    'Run smoke tests         => api/smoke_test',
    'Roll back deployment    => api/rollback',
  ].join('\n'),
  'stages',
).rules;

const at = (s: number): string => new Date(Date.UTC(2026, 11, 2, 12, 0, s)).toISOString().replace('.000', '');
const ms = (s: number): number => Date.UTC(2026, 11, 2, 12, 0, s);

function done(name: string, start: number, end: number, conclusion = 'success'): ApiStep {
  return { name, status: 'completed', conclusion, started_at: at(start), completed_at: at(end) };
}
const running = (name: string, start: number): ApiStep => ({
  name,
  status: 'in_progress',
  conclusion: null,
  started_at: at(start),
  completed_at: null,
});
const queued = (name: string): ApiStep => ({
  name,
  status: 'queued',
  conclusion: null,
  started_at: null,
  completed_at: null,
});

/** The job while Deploy to Railway runs: two stages done, one running, the rest waiting. */
const MID_JOB: ApiStep[] = [
  done('Set up job', 0, 1),
  done('Pre Run acme/deployment-observability@v1', 1, 1),
  done('Run acme/deployment-observability@v1', 1, 2),
  done('Build Docker image', 2, 12),
  done('Push image to registry', 12, 17),
  running('Deploy to Railway', 17),
  queued('Wait for health check'),
  queued('Run smoke tests'),
  queued('Roll back deployment'),
  queued('Post Run acme/deployment-observability@v1'),
  queued('Complete job'),
];

describe('stage states', () => {
  test.each<[StageState[], StageState]>([
    [['waiting'], 'waiting'],
    [['running'], 'running'],
    [['success'], 'success'],
    [['skipped'], 'skipped'],
    [['success', 'skipped'], 'success'],
    [['success', 'waiting'], 'running'],
    [['failure', 'waiting'], 'failure'],
    [['running', 'failure'], 'failure'],
    [['skipped', 'waiting'], 'running'],
    [['cancelled'], 'cancelled'],
    [['success', 'cancelled', 'waiting'], 'cancelled'],
    [['cancelled', 'failure'], 'failure'],
  ])('%j → %s', (states, expected) => {
    expect(combineStates(states)).toBe(expected);
  });

  test('a running job: finished, running and waiting stages in step order, with their starts', () => {
    const progress = stageProgress({ steps: MID_JOB, service: 'api', rules: RULES });
    expect(progress.map((p) => [p.stage, p.state, p.startedAt, p.completedAt])).toEqual([
      ['build', 'success', ms(2), ms(12)],
      ['push', 'success', ms(12), ms(17)],
      ['deploy_railway', 'running', ms(17), undefined],
      ['health_check', 'waiting', undefined, undefined],
      ['smoke_test', 'waiting', undefined, undefined],
      ['rollback', 'waiting', undefined, undefined],
    ]);
  });

  test("a failed step fails its stage at once with the step's end; skipped steps are skipped", () => {
    const steps = [
      done('Build Docker image', 2, 12),
      done('Wait for health check', 12, 20, 'failure'),
      { ...done('Run smoke tests', 20, 19, 'skipped') },
      running('Roll back deployment', 20),
    ];
    const progress = stageProgress({ steps, service: 'api', rules: RULES });
    expect(progress.map((p) => [p.stage, p.state, p.failedAt])).toEqual([
      ['build', 'success', undefined],
      ['health_check', 'failure', ms(20)],
      ['smoke_test', 'skipped', undefined],
      ['rollback', 'running', undefined],
    ]);
  });

  test('a cancelled step cancels its stage (not a failure), with the step\u2019s end and no failure time', () => {
    const steps = [
      done('Build Docker image', 2, 12),
      done('Deploy to Railway', 12, 40, 'cancelled'),
      { ...done('Wait for health check', 40, 39, 'skipped') },
    ];
    const progress = stageProgress({ steps, service: 'api', rules: RULES });
    expect(progress.map((p) => [p.stage, p.state, p.completedAt, p.failedAt])).toEqual([
      ['build', 'success', ms(12), undefined],
      ['deploy_railway', 'cancelled', ms(40), undefined],
      ['health_check', 'skipped', undefined, undefined],
    ]);
  });

  test("without a stage map stages are inferred, and the action's own steps are never a stage", () => {
    const progress = stageProgress({
      steps: MID_JOB,
      service: 'api',
      rules: [],
      ownStepNames: ['Run acme/deployment-observability@v1'],
    });
    expect(progress.map((p) => p.stage)).toEqual(
      expect.arrayContaining(['build', 'push', 'deploy_railway', 'health_check', 'smoke_test']),
    );
    expect(progress.map((p) => p.stage)).not.toContain('deploy');
  });

  test('post: nothing waits or runs any more (waiting → skipped, running → its outcome)', () => {
    const progress = stageProgress({ steps: MID_JOB, service: 'api', rules: RULES });
    const final = finalStates(progress, (_svc, stage) =>
      stage === 'deploy_railway' ? 'failure' : undefined,
    );
    expect(final.map((p) => [p.stage, p.state])).toEqual([
      ['build', 'success'],
      ['push', 'success'],
      ['deploy_railway', 'failure'],
      ['health_check', 'skipped'],
      ['smoke_test', 'skipped'],
      ['rollback', 'skipped'],
    ]);
  });
});

function liveView(steps: ApiStep[], reportText = '') {
  const progress = stageProgress({ steps, service: 'api', rules: RULES });
  const finished = buildDeployment({
    job: { steps: steps.filter((s) => s.status === 'completed') },
    service: 'api',
    rules: RULES,
    thresholds: {},
    jobStatus: '',
    reportedErrorTypes: new Map(),
    fallbackStart: ms(0),
    now: ms(100),
  }).stages;
  return {
    progress,
    finished,
    reported: parseReportedMetrics(reportText, 'DEPLOY_METRICS_FILE'),
    services: servicesOf('api', RULES),
  };
}

const values = (groups: ReturnType<typeof liveUpdates>, name: string): [Record<string, string>, number][] =>
  (groups.get('api') ?? []).filter((u) => u.name === name).map((u) => [u.labels, u.value]);

describe('live updates', () => {
  test('state of every stage, starts of started ones, durations of finished ones only; no counter', () => {
    const groups = liveUpdates(CTX, liveView(MID_JOB));
    expect([...groups.keys()]).toEqual(['api']);
    expect(values(groups, 'deployment_stage_state').map(([l]) => `${l.stage}:${l.state}`)).toEqual([
      'build:success',
      'push:success',
      'deploy_railway:running',
      'health_check:waiting',
      'smoke_test:waiting',
      'rollback:waiting',
    ]);
    expect(values(groups, 'deployment_stage_start_timestamp_seconds').map(([l, v]) => [l.stage, v])).toEqual([
      ['build', ms(2) / 1000],
      ['push', ms(12) / 1000],
      ['deploy_railway', ms(17) / 1000],
    ]);
    const durations = (groups.get('api') ?? []).filter((u) => u.name === 'deployment_stage_duration_seconds');
    expect(durations.map((u) => [u.labels.stage, u.labels.status, u.value, u.at])).toEqual([
      ['build', 'success', 10, ms(12)],
      ['push', 'success', 5, ms(17)],
    ]);
    for (const u of groups.get('api') ?? []) {
      expect(u.definition.type).toBe('gauge');
      expect(u.labels.deployment_id ?? '4242').toBe('4242');
    }
    expect(values(groups, 'deployment_last_failure_timestamp_seconds')).toEqual([]);
  });

  test('a failed stage: the failure timestamp at the failed step end and its duration with status failure, at once', () => {
    const steps = [
      done('Build Docker image', 2, 12),
      done('Wait for health check', 12, 20, 'failure'),
      running('Roll back deployment', 20),
    ];
    const groups = liveUpdates(CTX, liveView(steps));
    expect(values(groups, 'deployment_last_failure_timestamp_seconds')).toEqual([
      [{ environment: 'production', service: 'api' }, ms(20) / 1000],
    ]);
    const failed = (groups.get('api') ?? []).find(
      (u) => u.name === 'deployment_stage_duration_seconds' && u.labels.stage === 'health_check',
    );
    expect(failed?.labels.status).toBe('failure');
    expect(failed?.value).toBe(8);
  });

  test('a cancelled step seen live is not a failure: state cancelled, duration with status cancelled, no failure timestamp', () => {
    const steps = [done('Build Docker image', 2, 12), done('Deploy to Railway', 12, 40, 'cancelled')];
    const groups = liveUpdates(CTX, liveView(steps));
    expect(values(groups, 'deployment_stage_state').map(([l]) => `${l.stage}:${l.state}`)).toEqual([
      'build:success',
      'deploy_railway:cancelled',
    ]);
    const durations = (groups.get('api') ?? []).filter((u) => u.name === 'deployment_stage_duration_seconds');
    expect(durations.map((u) => [u.labels.stage, u.labels.status, u.value])).toEqual([
      ['build', 'success', 10],
      ['deploy_railway', 'cancelled', 28],
    ]);
    expect(values(groups, 'deployment_last_failure_timestamp_seconds')).toEqual([]);
  });

  test('a failure before a cancel pages live; a cleanup step failing after the cancel does not', () => {
    const before = [
      done('Build Docker image', 2, 12),
      done('Wait for health check', 12, 20, 'failure'),
      done('Roll back deployment', 20, 30, 'cancelled'),
    ];
    expect(values(liveUpdates(CTX, liveView(before)), 'deployment_last_failure_timestamp_seconds')).toEqual([
      [{ environment: 'production', service: 'api' }, ms(20) / 1000],
    ]);
    const after = [
      done('Build Docker image', 2, 12),
      done('Deploy to Railway', 12, 30, 'cancelled'),
      done('Run smoke tests', 30, 35, 'failure'),
    ];
    expect(values(liveUpdates(CTX, liveView(after)), 'deployment_last_failure_timestamp_seconds')).toEqual(
      [],
    );
  });

  test("reported gauges go out live; reported counters and other services' series wait for post", () => {
    const report = [
      'railway_deployment_memory_mb 512',
      'deployment_rollback_total{reason="health_check_failed",status="success"} 1',
      'api_note{service="web"} 1',
      'api_health_check_latency_ms{status="healthy"} 42',
    ].join('\n');
    const groups = liveUpdates(CTX, liveView(MID_JOB, report));
    expect([...groups.keys()]).toEqual(['api']);
    expect(values(groups, 'railway_deployment_memory_mb')).toEqual([
      [{ environment: 'production', deployment_id: '4242' }, 512],
    ]);
    expect(values(groups, 'api_health_check_latency_ms')).toHaveLength(1);
    expect(values(groups, 'deployment_rollback_total')).toEqual([]);
  });

  test('the fingerprint changes when a state changes and not otherwise', () => {
    const a = fingerprint(liveUpdates(CTX, liveView(MID_JOB)));
    expect(fingerprint(liveUpdates(CTX, liveView(MID_JOB)))).toBe(a);
    const later = MID_JOB.map((s) => (s.name === 'Deploy to Railway' ? done(s.name, 17, 30) : s));
    expect(fingerprint(liveUpdates(CTX, liveView(later)))).not.toBe(a);
  });
});

describe("post's final word", () => {
  test('every stage with its final state, and the thresholds in every group it writes', () => {
    const steps = [
      done('Build Docker image', 2, 12),
      done('Wait for health check', 12, 20, 'failure'),
      { ...done('Run smoke tests', 20, 19, 'skipped') },
      done('Roll back deployment', 20, 50),
    ];
    const d = buildDeployment({
      job: { steps },
      service: 'api',
      rules: RULES,
      thresholds: { build: 300 },
      jobStatus: 'failure',
      reportedErrorTypes: new Map(),
      fallbackStart: ms(0),
      now: ms(60),
    });
    const groups = finishUpdates(CTX, d, parseReportedMetrics('', 'f'), {
      startedAt: ms(0),
      finishedAt: ms(60),
      stageStates: finalStates(stageProgress({ steps, service: 'api', rules: RULES }), () => undefined),
      thresholds: { build: 300, total: 900 },
    });
    const api = groups.get('api') ?? [];
    expect(
      api
        .filter((u) => u.name === 'deployment_stage_state')
        .map((u) => `${u.labels.stage}:${u.labels.state}`),
    ).toEqual(['build:success', 'health_check:failure', 'smoke_test:skipped', 'rollback:success']);
    expect(
      api
        .filter((u) => u.name === 'deployment_stage_threshold_seconds')
        .map((u) => [u.labels.stage, u.value]),
    ).toEqual([
      ['build', 300],
      ['total', 900],
    ]);
  });
});

describe('remote write writes the whole state enum', () => {
  test('the current state 1, the five others 0, at the same time', () => {
    const families = mergeUpdates(
      [
        {
          definition: METRICS.stageState,
          name: METRICS.stageState.name,
          labels: { environment: 'p', deployment_id: '1', service: 'api', stage: 'build', state: 'success' },
          value: 1,
        },
      ],
      undefined,
    );
    const req = toWriteRequest([['job', 'deployment']], families, { at: 5000, now: 5000 });
    const states = req.timeseries.map((t) => [
      t.labels.find((l) => l.name === 'state')?.value,
      t.samples[0]?.value,
      t.samples[0]?.timestamp,
    ]);
    expect(states.sort()).toEqual([
      ['cancelled', 0, 5000],
      ['failure', 0, 5000],
      ['running', 0, 5000],
      ['skipped', 0, 5000],
      ['success', 1, 5000],
      ['waiting', 0, 5000],
    ]);
  });
});

describe('live-interval-seconds and live', () => {
  test.each([
    ['', 10, 0],
    ['10', 10, 0],
    ['5', 5, 0],
    ['7.5', 7.5, 0],
    ['30s', 30, 0],
    ['4', 10, 1],
    ['0', 10, 1],
    ['-5', 10, 1],
    ['ten', 10, 1],
    ['1e3', 10, 1],
  ])('%j → %d s with %d problem(s)', (raw, expected, problemCount) => {
    const problems: string[] = [];
    expect(parseLiveInterval(raw, problems)).toBe(expected);
    expect(problems).toHaveLength(problemCount);
    for (const p of problems) expect(p).toMatch(/^input live-interval-seconds: /);
  });

  test('live defaults to true in track mode and is off in the other modes', () => {
    const read = (inputs: Record<string, string>) => (n: string) => inputs[n] ?? '';
    expect(readConfig(read({}), {}).config.live).toBe(true);
    expect(readConfig(read({ live: 'false' }), {}).config.live).toBe(false);
    expect(readConfig(read({ mode: 'verify' }), {}).config.live).toBe(false);
    const bad = readConfig(read({ live: 'maybe' }), {});
    expect(bad.config.live).toBe(true);
    expect(bad.problems).toEqual(['input live: "maybe" is not true or false; using true']);
  });
});

describe('the summary line', () => {
  const status = {
    pid: 1,
    startedAt: 0,
    updatedAt: 0,
    polls: 37,
    notModified: 30,
    charged: 7,
    pushes: 6,
    pushFailures: 0,
    errors: 0,
    firstPushDelay: { 'api/build': 4.1, 'api/push': 6.3, 'api/deploy_railway': 5 },
    states: {},
    stoppedBecause: 'job complete' as const,
  };
  test('looks, 304s, pushes, each stage delay with median and max, how it ended', () => {
    expect(describeLive(status, 'stopped', 10)).toBe(
      'Live tracking: 37 look(s) at the job every 10s (30 not modified, free of rate limit), 6 push(es); ' +
        'stages first visible 5s (median) and at most 6.3s after they ended: api/build 4.1s, api/push 6.3s, api/deploy_railway 5s; ' +
        'stopped by post.',
    );
  });
  test('no status: says post reported everything', () => {
    expect(describeLive(undefined, 'not running', 10)).toMatch(/post reported everything/);
  });
  test('a stage name cannot inject Markdown', () => {
    const line = describeLive(
      { ...status, firstPushDelay: { 'api/[x](http://e)|`y`': 1 } },
      'ended by itself',
      5,
    );
    expect(line).not.toMatch(/[[\]|`]/);
    expect(line).toMatch(/ended by itself: job complete\.$/);
  });
});
