/**
 * Live tracking end to end: real-time deploy jobs (steps that really take
 * seconds) through the real dist/ bundles under the runner emulator, the fake
 * GitHub API reflecting each step's real start and end (with ETags and lag),
 * a real Pushgateway and a real Prometheus scraping it every second with the
 * shipped rules loaded. The jobs run side by side (they mostly sleep), each in
 * its own environment.
 *
 * Wall-clock figures are recorded and printed, not asserted against tight
 * margins: the assertions compare events with each other (a stage visible
 * before the job's last step ended, DeploymentFailed active while the
 * rollback still ran), which holds on a loaded machine with margins of tens
 * of seconds. `npm run bench` measures the delays.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { StepView } from '../../tools/runner-emulator/index.js';
import {
  apiSteps,
  API_STAGE_MAP,
  liveApiSteps,
  runTrackedJob,
  type TrackedJob,
} from '../../tools/scenarios/index.js';
import { queryPrometheus, startPrometheus, type Service } from '../../tools/services/index.js';
import { RULE_FILES } from '../rule-files.js';
import { gatewayValue, gatewayValues, newRunId, startBed, type Bed } from './helpers.js';

let bed: Bed;
let prom: Service;
let rw: Service;
beforeAll(async () => {
  bed = await startBed({ lagPolls: 1 });
  [prom, rw] = await Promise.all([
    startPrometheus({
      scrapeTargets: [{ job: 'pushgateway', url: bed.pg.url, honorLabels: true }],
      ruleFiles: RULE_FILES,
    }),
    startPrometheus({ remoteWriteReceiver: true }),
  ]);
});
afterAll(async () => {
  await Promise.all([bed?.close(), prom?.stop(), rw?.stop()]);
});

const LIVE = { live: 'true', 'live-interval-seconds': '5' };

/** When each step of the job ended (ms), from the API view the emulator reports. */
class StepClock {
  readonly ends = new Map<string, number>();
  readonly starts = new Map<string, number>();
  readonly onStepsChange = (view: StepView[]): void => {
    for (const s of view) {
      if (s.started_at && !this.starts.has(s.name)) this.starts.set(s.name, Date.now());
      if (s.status === 'completed' && s.completed_at && !this.ends.has(s.name))
        this.ends.set(s.name, Date.now());
    }
  };
}

/** Polls `probe` every 250 ms until `done` settles; bounded by the job itself. */
async function watch(done: Promise<unknown>, probe: () => Promise<void>): Promise<void> {
  let over = false;
  void done.finally(() => {
    over = true;
  });
  while (!over) {
    try {
      await probe();
    } catch {
      // A query that failed now is tried again at the next round.
    }
    await Promise.race([new Promise((r) => setTimeout(r, 250)), done.catch(() => undefined)]);
  }
}

const values = async (query: string): Promise<Record<string, string>[]> =>
  (await queryPrometheus(prom.url, query)).map((s) => s.metric);

const stepOf = (stage: string): string =>
  ({
    build: 'Build Docker image',
    push: 'Push image to registry',
    deploy_railway: 'Deploy to Railway',
    health_check: 'Wait for health check',
    rollback: 'Roll back deployment',
  })[stage] ?? stage;
const PRE = 'Pre Run acme/deployment-observability@v1';
const POST = 'Post Run acme/deployment-observability@v1';

/** The failing job, watched in Prometheus while it runs. */
interface Watched {
  readonly environment: string;
  readonly steps: StepClock;
  readonly firstSeen: Map<string, number>;
  readonly deployStates: string[];
  readonly alertAt: number | undefined;
  readonly job: TrackedJob;
  readonly readsBeforePost: { notModified?: boolean }[];
}

async function watchedFailingJob(): Promise<Watched> {
  const environment = 'live-e2e-fail';
  const steps = new StepClock();
  const firstSeen = new Map<string, number>();
  const deployStates: string[] = [];
  let alertAt: number | undefined;
  const running = runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: liveApiSteps({ healthFails: true, deploySeconds: 8, rollbackSeconds: 25 }),
    stateDir: bed.stateDir,
    realTime: true,
    timeoutMs: 110_000,
    onStepsChange: steps.onStepsChange,
    with: { ...LIVE, environment, 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
  });
  await watch(running, async () => {
    const now = Date.now();
    for (const m of await values(`deployment_stage_duration_seconds{environment="${environment}"}`))
      if (!firstSeen.has(m.stage as string)) firstSeen.set(m.stage as string, now);
    const state = (
      await values(`deployment_stage_state{environment="${environment}",stage="deploy_railway"} == 1`)
    )[0]?.state;
    if (state && deployStates[deployStates.length - 1] !== state) deployStates.push(state);
    if (
      alertAt === undefined &&
      (await values(`ALERTS{alertname="DeploymentFailed",environment="${environment}"}`)).length > 0
    )
      alertAt = now;
  });
  const job = await running;
  const postStart = steps.starts.get(POST) ?? Infinity;
  const readsBeforePost = bed.gh.requests.filter(
    (r) => r.path.endsWith(`/actions/jobs/${job.jobId}`) && r.at < postStart,
  );
  const after = (t: number | undefined, step: string): string =>
    t === undefined ? 'never' : `+${Math.round((t - (steps.ends.get(step) ?? t)) / 100) / 10}s`;
  // Figures for the record (npm run bench measures them properly).
  console.log(
    [
      `live e2e: first seen in Prometheus after the step's end: ${[...firstSeen].map(([stage, t]) => `${stage} ${after(t, stepOf(stage))}`).join(', ')}`,
      `DeploymentFailed active ${after(alertAt, 'Wait for health check')} after the failed step`,
      `${readsBeforePost.length} job reads before post, ${readsBeforePost.filter((r) => r.notModified).length} of them 304`,
    ].join('; '),
  );
  return { environment, steps, firstSeen, deployStates, alertAt, job, readsBeforePost };
}

/** A failing live job, a quiet one (live: false) and a succeeding live one, in one group, in turn. */
async function sequence(): Promise<TrackedJob[]> {
  const environment = 'live-e2e-counts';
  const common = { gh: bed.gh, job: 'deploy-api', stateDir: bed.stateDir };
  const live = { ...LIVE, environment, 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP };
  const fail = await runTrackedJob({
    ...common,
    runId: newRunId(),
    realTime: true,
    timeoutMs: 60_000,
    steps: liveApiSteps({
      healthFails: true,
      buildSeconds: 1,
      pushSeconds: 1,
      deploySeconds: 6,
      rollbackSeconds: 2,
    }),
    with: live,
  });
  const quiet = await runTrackedJob({
    ...common,
    runId: newRunId(),
    steps: apiSteps(),
    with: { ...live, live: 'false' },
  });
  const ok = await runTrackedJob({
    ...common,
    runId: newRunId(),
    realTime: true,
    timeoutMs: 60_000,
    steps: liveApiSteps({ buildSeconds: 1, pushSeconds: 1, deploySeconds: 6 }),
    with: live,
  });
  return [fail, quiet, ok];
}

/** A live job whose reporter a step kills with SIGKILL. */
function killedReporterJob(): Promise<TrackedJob> {
  const killer = {
    name: 'Kill the live reporter',
    // Waits for this job's reporter to be there (pre starts it detached; on a loaded machine that
    // takes a while), then kills it: no fixed sleep that load can outlast.
    run: [
      'for i in $(seq 1 600); do',
      '  for p in $(pgrep -f "dist/live/index.js"); do',
      '    if tr "\\0" "\\n" < /proc/$p/environ 2>/dev/null | grep -qx "RUNNER_TRACKING_ID=$RUNNER_TRACKING_ID"; then kill -9 $p; echo killed $p; exit 0; fi',
      '  done',
      '  sleep 0.1',
      'done',
      'echo "no live reporter of this job found in 60 s"',
    ].join('\n'),
  };
  return runTrackedJob({
    gh: bed.gh,
    job: 'deploy-api',
    stateDir: bed.stateDir,
    runId: newRunId(),
    realTime: true,
    timeoutMs: 60_000,
    steps: [killer, ...liveApiSteps({ buildSeconds: 1, pushSeconds: 1, deploySeconds: 1, healthSeconds: 1 })],
    with: { ...LIVE, environment: 'live-e2e-killed', 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
  });
}

/** A live job that remote-writes; whether the build stage was readable before the deploy step ended. */
async function remoteWriteJob(): Promise<{ job: TrackedJob; seenBuildBeforeDeployEnded: boolean }> {
  const environment = 'live-e2e-rw';
  const steps = new StepClock();
  let seenBuildBeforeDeployEnded = false;
  const running = runTrackedJob({
    gh: bed.gh,
    job: 'deploy-api',
    stateDir: bed.stateDir,
    runId: newRunId(),
    realTime: true,
    timeoutMs: 60_000,
    onStepsChange: steps.onStepsChange,
    steps: liveApiSteps({ buildSeconds: 1, pushSeconds: 1, deploySeconds: 12, healthSeconds: 1 }),
    with: { ...LIVE, environment, 'remote-write-url': `${rw.url}/api/v1/write`, stages: API_STAGE_MAP },
  });
  await watch(running, async () => {
    const build = await queryPrometheus(
      rw.url,
      `deployment_stage_duration_seconds{environment="${environment}",stage="build"}`,
    );
    if (build.length > 0 && !steps.ends.has('Deploy to Railway')) seenBuildBeforeDeployEnded = true;
  });
  return { job: await running, seenBuildBeforeDeployEnded };
}

// The jobs mostly sleep: run them side by side, then check what each saw.
let watched: Watched;
let counted: TrackedJob[];
let killed: TrackedJob;
let remote: { job: TrackedJob; seenBuildBeforeDeployEnded: boolean };
beforeAll(async () => {
  [watched, counted, killed, remote] = await Promise.all([
    watchedFailingJob(),
    sequence(),
    killedReporterJob(),
    remoteWriteJob(),
  ]);
}, 170_000);

describe('a failing real-time deployment, watched in Prometheus while it runs', () => {
  test('the job fails at the health check, post reports it, and no process of the action is left', () => {
    const { job } = watched;
    expect(job.result.status).toBe('failure');
    expect(job.post?.exitCode).toBe(0);
    expect(job.post?.outputs['failed-stage']).toBe('health_check');
    expect(job.orphans).toEqual([]);
    expect(job.heldOutput.map((p) => `${p.phase} ${p.name}`)).toEqual([]);
    expect(job.pre?.state['live-pid']).toMatch(/^\d+$/);
  });

  test('every stage before the rollback was in Prometheus while the rollback still ran', () => {
    const { steps, firstSeen } = watched;
    const rollbackEnd = steps.ends.get('Roll back deployment') as number;
    expect(rollbackEnd).toEqual(expect.any(Number));
    for (const stage of ['build', 'push', 'deploy_railway', 'health_check']) {
      expect([stage, firstSeen.get(stage)]).toEqual([stage, expect.any(Number)]);
      expect(firstSeen.get(stage) as number).toBeGreaterThanOrEqual(steps.ends.get(stepOf(stage)) as number);
      expect(firstSeen.get(stage) as number).toBeLessThan(rollbackEnd);
    }
  });

  test('DeploymentFailed was active (the shipped rule, from the live push) before the rollback step ended', () => {
    const { steps, alertAt } = watched;
    expect(alertAt).toEqual(expect.any(Number));
    expect(alertAt as number).toBeGreaterThanOrEqual(steps.ends.get('Wait for health check') as number);
    expect(alertAt as number).toBeLessThan(steps.ends.get('Roll back deployment') as number);
  });

  test("deploy_railway's state was seen waiting, then running, then success", () => {
    expect(watched.deployStates).toEqual(['waiting', 'running', 'success']);
  });

  test('at most one look per interval before post, most of them free 304s', () => {
    const { steps, readsBeforePost } = watched;
    const seconds = ((steps.starts.get(POST) as number) - (steps.starts.get(PRE) as number)) / 1000;
    expect(readsBeforePost.length).toBeGreaterThan(3);
    expect(readsBeforePost.length).toBeLessThanOrEqual(Math.ceil(seconds / 5) + 1);
    expect(readsBeforePost.filter((r) => r.notModified).length).toBeGreaterThan(0);
  });

  test('post says what live tracking did, and wrote every final state', async () => {
    const { job, environment } = watched;
    expect(job.post?.summary).toMatch(
      /📡 Live tracking: \d+ look\(s\) at the job every 5s \(\d+ not modified/,
    );
    expect(job.post?.summary).toMatch(/api\/build \d+(\.\d)?s/);
    expect(job.post?.summary).toMatch(/stopped by post\.|ended by itself: job complete\./);
    const group = { job: 'deployment', environment, service: 'api' };
    for (const [stage, state] of [
      ['build', 'success'],
      ['push', 'success'],
      ['deploy_railway', 'success'],
      ['health_check', 'failure'],
      ['rollback', 'success'],
    ] as const)
      expect([
        stage,
        await gatewayValue(bed.pg.url, 'deployment_stage_state', { ...group, stage, state }),
      ]).toEqual([stage, 1]);
    expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'failure' })).toBe(1);
    expect(
      await gatewayValue(bed.pg.url, 'deployment_stage_threshold_seconds', { ...group, stage: 'build' }),
    ).toBe(120);
  });
});

describe('live tracking side by side with post', () => {
  test('counters stay exact over deployments with and without live', async () => {
    const [fail, quiet, ok] = counted as [TrackedJob, TrackedJob, TrackedJob];
    const group = { job: 'deployment', environment: 'live-e2e-counts', service: 'api' };
    expect([fail.result.status, quiet.result.status, ok.result.status]).toEqual([
      'failure',
      'success',
      'success',
    ]);
    expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'success' })).toBe(2);
    expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'failure' })).toBe(1);
    expect(
      await gatewayValue(bed.pg.url, 'deployment_total', { ...group, stage: 'build', status: 'success' }),
    ).toBe(3);
    expect(
      await gatewayValue(bed.pg.url, 'deployment_total', {
        ...group,
        stage: 'health_check',
        status: 'failure',
      }),
    ).toBe(1);
    expect(
      await gatewayValue(bed.pg.url, 'deployment_rollback_total', {
        ...group,
        reason: 'health_check_failed',
      }),
    ).toBe(1);
    // live: false starts no process and says so.
    expect(quiet.pre?.state['live-pid']).toBeUndefined();
    expect(quiet.post?.summary).toContain('Live tracking: off (`live: false`)');
    for (const j of [fail, quiet, ok]) expect(j.orphans).toEqual([]);
    // The latest deployment's final states replaced the earlier ones.
    expect(await gatewayValues(bed.pg.url, 'deployment_stage_state', { ...group, state: 'failure' })).toEqual(
      [],
    );
  });

  test('the reporter killed mid-job: post still reports everything and says so', async () => {
    const job = killed;
    expect(job.result.log).toMatch(/killed \d+/);
    expect(job.post?.outputs.status).toBe('success');
    expect(job.post?.summary).toContain('was not running when post started');
    const group = { job: 'deployment', environment: 'live-e2e-killed', service: 'api' };
    expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'success' })).toBe(1);
    expect(
      await gatewayValue(bed.pg.url, 'deployment_stage_state', {
        ...group,
        stage: 'health_check',
        state: 'success',
      }),
    ).toBe(1);
    expect(job.orphans).toEqual([]);
  });

  test('remote write: live samples readable while the job runs, the state enum written whole, counts exact', async () => {
    const { job, seenBuildBeforeDeployEnded } = remote;
    const environment = 'live-e2e-rw';
    expect(job.result.status).toBe('success');
    expect(seenBuildBeforeDeployEnded).toBe(true);
    const latest = await queryPrometheus(
      rw.url,
      `last_over_time(deployment_stage_state{environment="${environment}",stage="deploy_railway"}[10m])`,
    );
    const byState = Object.fromEntries(latest.map((x) => [x.metric.state, Number(x.value[1])]));
    expect(byState).toEqual({ waiting: 0, running: 0, success: 1, failure: 0, cancelled: 0, skipped: 0 });
    const runs = await queryPrometheus(
      rw.url,
      `last_over_time(deployment_runs_total{environment="${environment}",status="success"}[10m])`,
    );
    expect(runs.map((x) => Number(x.value[1]))).toEqual([1]);
    expect(job.orphans).toEqual([]);
  });
});
