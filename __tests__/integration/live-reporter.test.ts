/**
 * The live reporter's loop against the fake GitHub API (conditional requests,
 * faults) and a real Pushgateway, on an injected clock: every `sleep` moves
 * the clock and lets the job advance, so a six-minute job takes a second and
 * no assertion depends on the machine's speed.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { GitHubClient } from '../../src/github/client.js';
import { runLiveReporter, type LiveStatus, type ReporterOptions } from '../../src/live/reporter.js';
import { PushgatewayClient } from '../../src/delivery/pushgateway.js';
import type { MetricsSink } from '../../src/delivery/sink.js';
import { parseStageMap } from '../../src/model/stage-map.js';
import type { Clock } from '../../src/util/clock.js';
import { startFakeGitHub, type FakeGitHub, type FakeStepInput } from '../../tools/fake-github/server.js';
import { startPushgateway, type Service } from '../../tools/services/index.js';
import { freePort } from '../../tools/services/util.js';
import { gatewayValue, gatewayValues } from '../e2e/helpers.js';

const TOKEN = 'ghs_LiveReporterTestToken000000000000000';
const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);
const RULES = parseStageMap(
  [
    'Build Docker image      => api/build',
    'Push image to registry  => api/push',
    '/health/i               => api/health_check',
    'Roll back deployment    => api/rollback',
  ].join('\n'),
  'stages',
).rules;

let gh: FakeGitHub;
let pg: Service;
beforeAll(async () => {
  [gh, pg] = await Promise.all([startFakeGitHub({ token: TOKEN, lagPolls: 0 }), startPushgateway()]);
});
afterAll(async () => {
  await Promise.all([gh?.close(), pg?.stop()]);
});

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A step plan: [name, start s, end s, conclusion]; the job's view at time t follows from it. */
type Plan = [string, number, number, string][];
const FAILING: Plan = [
  ['Build Docker image', 0, 10, 'success'],
  ['Push image to registry', 10, 20, 'success'],
  ['Wait for health check', 20, 30, 'failure'],
  ['Roll back deployment', 30, 90, 'success'],
];

function viewAt(plan: Plan, t: number): FakeStepInput[] {
  const steps: FakeStepInput[] = [
    {
      name: 'Set up job',
      status: 'completed',
      conclusion: 'success',
      started_at: iso(T0),
      completed_at: iso(T0),
    },
  ];
  for (const [name, start, end, conclusion] of plan) {
    const s = T0 + start * 1000;
    const e = T0 + end * 1000;
    if (t >= e)
      steps.push({ name, status: 'completed', conclusion, started_at: iso(s), completed_at: iso(e) });
    else if (t >= s)
      steps.push({ name, status: 'in_progress', conclusion: null, started_at: iso(s), completed_at: null });
    else steps.push({ name, status: 'queued', conclusion: null, started_at: null, completed_at: null });
  }
  return steps;
}

/** A clock whose sleep moves time and lets the job follow its plan. */
function planClock(jobId: number, plan: Plan, endAt: number): Clock & { now(): number } {
  let now = T0;
  const apply = (): void => {
    const over = now >= T0 + endAt * 1000;
    gh.setJobSteps(
      jobId,
      viewAt(plan, now),
      over ? { status: 'completed', conclusion: 'failure', completed_at: iso(now) } : {},
    );
  };
  apply();
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
      apply();
    },
  };
}

let nextRun = 91_000;
function newJob(): number {
  return gh.addJob({
    run_id: nextRun++,
    name: 'deploy-api',
    status: 'in_progress',
    conclusion: null,
    started_at: iso(T0),
    completed_at: null,
    steps: [],
  });
}

function options(
  jobId: number,
  clock: Clock,
  environment: string,
  over: Partial<ReporterOptions> = {},
): ReporterOptions {
  const client = new GitHubClient({ apiUrl: gh.url, token: TOKEN, repository: 'octo-org/octo-repo', clock });
  const sinks: MetricsSink[] = [
    new PushgatewayClient({ url: pg.url, authorization: undefined, job: 'deployment' }, clock),
  ];
  return {
    client,
    job: { jobId, lookUp: () => client.getJob(jobId, clock.now() + 5000) },
    sinks,
    clock,
    context: {
      environment,
      deploymentId: `d-${jobId}`,
      service: 'api',
      branch: 'main',
      triggeredBy: 'github_actions',
    },
    groupingKey: (service) => [
      ['job', 'deployment'],
      ['environment', environment],
      ['service', service],
    ],
    rules: RULES,
    thresholds: {},
    actionRepository: '',
    actionRef: '',
    intervalMs: 5000,
    startedAt: T0,
    readReport: async () => '',
    onStatus: () => undefined,
    stopRequested: () => false,
    runnerAlive: () => true,
    pid: 1,
    ...over,
  };
}

const jobRequests = (jobId: number) => gh.requests.filter((r) => r.path.endsWith(`/actions/jobs/${jobId}`));

describe('the live reporter on a failing job', () => {
  let status: LiveStatus;
  let jobId: number;
  const seen: { t: number; states: Record<string, string> }[] = [];
  beforeAll(async () => {
    jobId = newJob();
    const clock = planClock(jobId, FAILING, 95);
    status = await runLiveReporter(
      options(jobId, clock, 'live-fail', {
        onStatus: (s) => seen.push({ t: (clock.now() - T0) / 1000, states: { ...s.states } }),
      }),
    );
  });

  test('it ends by itself when the API says the job is complete', () => {
    expect(status.stoppedBecause).toBe('job complete');
  });

  test('one request per interval; unchanged answers are 304s that cost no rate limit', () => {
    // 0, 5, …, 95 s: 20 looks in 95 s at a 5 s interval.
    expect(status.polls).toBe(20);
    expect(jobRequests(jobId)).toHaveLength(20);
    const times = jobRequests(jobId).map((r) => r.headers['if-none-match']);
    expect(times[0]).toBeUndefined();
    expect(times.slice(1).every((etag) => typeof etag === 'string' && etag.length > 0)).toBe(true);
    // The job changes at 10, 20, 30, 90 and 95 s: 1 + 5 answers with a body, the rest 304.
    expect(status.polls - status.notModified).toBe(6);
    expect(status.charged).toBe(6);
  });

  test('it pushes only when something changed, and each stage shows up at the first look after its end', () => {
    // Pushes: start, build done, push done, health failed, rollback done (the job completing changes nothing pushed).
    expect(status.pushes).toBe(5);
    expect(status.firstPushDelay).toEqual({
      'api/build': 0,
      'api/push': 0,
      'api/health_check': 0,
      'api/rollback': 0,
    });
    const at = (t: number) => seen.find((s) => s.t === t)?.states;
    expect(at(5)).toEqual({
      'api/build': 'running',
      'api/push': 'waiting',
      'api/health_check': 'waiting',
      'api/rollback': 'waiting',
    });
    expect(at(15)?.['api/build']).toBe('success');
    expect(at(35)).toEqual({
      'api/build': 'success',
      'api/push': 'success',
      'api/health_check': 'failure',
      'api/rollback': 'running',
    });
  });

  test('the Pushgateway holds the failure and the final states, and no counter', async () => {
    const group = { job: 'deployment', environment: 'live-fail', service: 'api' };
    expect(await gatewayValue(pg.url, 'deployment_last_failure_timestamp_seconds', group)).toBe(
      T0 / 1000 + 30,
    );
    expect(
      await gatewayValue(pg.url, 'deployment_stage_duration_seconds', {
        ...group,
        stage: 'health_check',
        status: 'failure',
      }),
    ).toBe(10);
    for (const [stage, state] of [
      ['build', 'success'],
      ['push', 'success'],
      ['health_check', 'failure'],
      ['rollback', 'success'],
    ])
      expect(
        await gatewayValue(pg.url, 'deployment_stage_state', {
          ...group,
          stage: stage as string,
          state: state as string,
        }),
      ).toBe(1);
    expect(await gatewayValues(pg.url, 'deployment_stage_state', group)).toHaveLength(4);
    expect(
      await gatewayValue(pg.url, 'deployment_stage_start_timestamp_seconds', { ...group, stage: 'rollback' }),
    ).toBe(T0 / 1000 + 30);
    expect(await gatewayValues(pg.url, 'deployment_total', group)).toEqual([]);
    expect(await gatewayValues(pg.url, 'deployment_runs_total', group)).toEqual([]);
  });
});

describe('the live reporter stops by itself and backs off', () => {
  test('post asks it to stop', async () => {
    const jobId = newJob();
    const clock = planClock(jobId, FAILING, 95);
    let looks = 0;
    const status = await runLiveReporter(
      options(jobId, clock, 'live-stop', { stopRequested: () => looks++ >= 3 }),
    );
    expect(status.stoppedBecause).toBe('stopped by post');
    expect(status.polls).toBe(3);
  });

  test('its runner is gone', async () => {
    const jobId = newJob();
    const status = await runLiveReporter(
      options(jobId, planClock(jobId, FAILING, 95), 'live-runner', { runnerAlive: () => false }),
    );
    expect(status.stoppedBecause).toBe('runner gone');
    expect(status.polls).toBe(0);
  });

  test('six hours after the deployment started', async () => {
    const jobId = newJob();
    const clock = planClock(jobId, [['Build Docker image', 0, 99_999, 'success']], 99_999);
    const status = await runLiveReporter(options(jobId, clock, 'live-6h', { maxMs: 60_000 }));
    expect(status.stoppedBecause).toBe('six hours');
    expect(status.polls).toBe(12);
  });

  test('its request budget is spent (304s are free)', async () => {
    const jobId = newJob();
    const clock = planClock(jobId, FAILING, 95);
    const status = await runLiveReporter(options(jobId, clock, 'live-budget', { requestBudget: 3 }));
    expect(status.stoppedBecause).toBe('request budget spent');
    expect(status.charged).toBe(3);
    // 0 s (200), 5 s (304), 10 s (200), 15 s (304), 20 s (200): the third charged answer ends it.
    expect(status.polls).toBe(5);
  });

  test('the rate limit runs low: it leaves the rest to post', async () => {
    const jobId = newJob();
    const clock = planClock(jobId, FAILING, 95);
    gh.inject({
      kind: 'status',
      status: 200,
      route: `/actions/jobs/${jobId}`,
      body: { id: jobId, status: 'in_progress', steps: viewAt(FAILING, T0) },
      headers: { 'x-ratelimit-remaining': '42', etag: 'W/"low"' },
    });
    const status = await runLiveReporter(options(jobId, clock, 'live-rate'));
    expect(status.stoppedBecause).toBe('rate limit low');
    expect(status.polls).toBe(1);
  });

  test('403 rate limit with retry-after, then 502s: it waits as asked, backs off, never throws, and carries on', async () => {
    const jobId = newJob();
    const clock = planClock(jobId, FAILING, 95);
    const route = `/actions/jobs/${jobId}`;
    gh.inject({
      kind: 'status',
      status: 403,
      route,
      body: { message: 'API rate limit exceeded' },
      headers: { 'retry-after': '40', 'x-ratelimit-remaining': '0' },
    });
    gh.inject({ kind: 'status', status: 502, route, times: 2 });
    const looks: number[] = [];
    const status = await runLiveReporter(
      options(jobId, clock, 'live-faults', { onStatus: () => looks.push((clock.now() - T0) / 1000) }),
    );
    expect(status.errors).toBe(3);
    expect(status.stoppedBecause).toBe('job complete');
    // 403 at 0 s asks for 40 s; the 502s at 40 s and then back off 20 s, 40 s.
    expect(jobRequests(jobId)).toHaveLength(status.polls);
    expect(looks.slice(0, 3)).toEqual([0, 40, 60]);
    expect(status.lastProblem).toMatch(/HTTP 502/);
  });

  test('the Pushgateway down: pushes fail, are tried again at the next look, and the job still ends it', async () => {
    const jobId = newJob();
    const clock = planClock(jobId, FAILING, 95);
    const dead: MetricsSink[] = [
      new PushgatewayClient(
        { url: `http://127.0.0.1:${await freePort()}`, authorization: undefined, job: 'deployment' },
        clock,
      ),
    ];
    const status = await runLiveReporter(options(jobId, clock, 'live-pgdown', { sinks: dead }));
    expect(status.stoppedBecause).toBe('job complete');
    expect(status.pushes).toBe(0);
    expect(status.pushFailures).toBe(status.polls);
    expect(status.lastProblem).toMatch(/connection refused/);
  });
});

describe('without a job id (no check-run-id)', () => {
  test('it finds the job once, then polls that one job', async () => {
    const jobId = newJob();
    const clock = planClock(jobId, FAILING, 95);
    let lookUps = 0;
    const base = options(jobId, clock, 'live-lookup');
    const status = await runLiveReporter({
      ...base,
      job: {
        jobId: undefined,
        lookUp: async () => {
          lookUps++;
          return { id: jobId, name: 'deploy-api', status: 'in_progress' };
        },
      },
    });
    expect(lookUps).toBe(1);
    expect(status.stoppedBecause).toBe('job complete');
    expect(status.polls).toBe(20);
    // The look-up counts against the budget like any answer that costs rate limit.
    expect(status.charged).toBe(7);
  });

  test('a job that cannot be found: it gives up after a few tries and leaves everything to post', async () => {
    const clock = planClock(newJob(), FAILING, 95);
    const status = await runLiveReporter({
      ...options(0, clock, 'live-notfound'),
      job: {
        jobId: undefined,
        lookUp: () =>
          Promise.reject(new Error('no in-progress job of run 1 attempt 1 matches job "deploy-api"')),
      },
    });
    expect(status.stoppedBecause).toBe('job not found');
    expect(status.errors).toBe(4);
  });
});
