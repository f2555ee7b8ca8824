/**
 * Hostile input through the real bundles under the runner emulator, with a real Pushgateway:
 * a stage map that backtracks catastrophically, a step reporting for thousands of services, a step
 * reporting into another service's group, poisoned counters (from a step and in the group), a FIFO
 * at DEPLOY_METRICS_FILE. Post always ends, exit 0, within its budget, saying what it left out.
 * Wall-clock bounds are generous: the machine is shared.
 */
import { apiSteps, API_STAGE_MAP, runTrackedJob } from '../../tools/scenarios/index.js';
import { freePort, pushgatewayMetrics } from '../../tools/services/index.js';
import { gatewayTotal, gatewayValue, gatewayValues, newRunId, startBed, type Bed } from './helpers.js';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.close();
});

type Job = Awaited<ReturnType<typeof runTrackedJob>>;
const warningsOf = (job: Job): string[] =>
  job.result.annotations.filter((a) => a.level === 'warning').map((a) => a.message);

/** The services of the Pushgateway groups of one environment. */
async function groupsOf(environment: string): Promise<string[]> {
  return (await pushgatewayMetrics(bed.pg.url))
    .filter((g) => g.labels.environment === environment)
    .map((g) => g.labels.service ?? '')
    .sort();
}

/** Pushes exposition text into a group directly, as another job (or person) would. */
async function pushRaw(environment: string, service: string, text: string, method = 'POST'): Promise<void> {
  const res = await fetch(
    `${bed.pg.url}/metrics/job/deployment/environment/${environment}/service/${service}`,
    {
      method,
      body: text,
    },
  );
  if (!res.ok) throw new Error(`push: HTTP ${res.status} ${await res.text()}`);
}

describe('a stage map that backtracks catastrophically', () => {
  test('/^(\\w+\\s?)+$/ (118 s before): refused when parsed, naming its line; post ends, exit 0', async () => {
    const steps = apiSteps();
    steps[3] = {
      name: 'Deploy the api service to the production environment now!',
      run: 'true',
      durationSeconds: 150,
    };
    const stages = API_STAGE_MAP.replace(
      'Deploy to Railway       => api/deploy_railway',
      '/^(\\w+\\s?)+$/          => api/deploy_railway',
    );
    const job = await runTrackedJob({
      gh: bed.gh,
      runId: newRunId(),
      job: 'deploy-api',
      steps,
      stateDir: bed.stateDir,
      with: { environment: 'h-redos', 'pushgateway-url': bed.pg.url, stages },
    });
    expect(job.post?.exitCode).toBe(0);
    expect(job.post?.durationMs).toBeLessThan(40_000);
    expect(warningsOf(job)).toEqual([
      'input stages, line 3 ("/^(\\w+\\s?)+$/          => api/deploy_railway"): the pattern can backtrack catastrophically: the group "(\\w+\\s?)" is repeated by "+" and holds a quantifier itself (nested quantifiers, like (a+)+); rule skipped',
    ]);
    // The other rules still map; the deploy step's stage is inferred instead.
    const stagesOut = JSON.parse(job.post?.outputs['stages-json'] ?? '[]') as { stage: string }[];
    expect(stagesOut.map((s) => s.stage)).toEqual(
      expect.arrayContaining(['build', 'push', 'health_check', 'migration', 'smoke_test']),
    );
    expect(await gatewayTotal(bed.pg.url, 'deployment_runs_total', { environment: 'h-redos' })).toBe(1);
  }, 120_000);

  test('a polynomial pattern the check lets through runs out of time on a long name: dropped with a warning, post ends', async () => {
    const steps = apiSteps();
    steps.splice(1, 0, { name: `${'a'.repeat(300)}!`, run: 'true', durationSeconds: 5 });
    const stages = `/^a*a*a*a*a*a*a*a*a*a*b$/ => api/slow\n${API_STAGE_MAP}`;
    const job = await runTrackedJob({
      gh: bed.gh,
      runId: newRunId(),
      job: 'deploy-api',
      steps,
      stateDir: bed.stateDir,
      with: { environment: 'h-slowre', 'pushgateway-url': bed.pg.url, stages },
    });
    expect(job.post?.exitCode).toBe(0);
    expect(job.post?.durationMs).toBeLessThan(40_000);
    expect(warningsOf(job)).toEqual([
      expect.stringMatching(
        /^input stages, line 1 \("\/\^a\*a\*.*"\): matching the pattern took longer than 500 ms on the job's \d+ step names; rule no longer used/,
      ),
    ]);
    expect(JSON.parse(job.post?.outputs['stages-json'] ?? '[]')).toHaveLength(6);
  }, 120_000);
});

test('2,000 lines for svc-$i: only the job’s own group is written, one warning, a small summary', async () => {
  const env = 'h-svcs';
  const steps = apiSteps();
  steps.splice(2, 0, {
    name: 'Report for many services',
    run: `for i in $(seq 1 2000); do echo "deploy_note_total{service=\\"svc-$i\\"} 1"; done >> "$DEPLOY_METRICS_FILE"`,
  });
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps,
    stateDir: bed.stateDir,
    with: { environment: env, 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
  });
  expect(job.post?.exitCode).toBe(0);
  expect(job.post?.durationMs).toBeLessThan(40_000);
  expect(await groupsOf(env)).toEqual(['api']);
  const warnings = warningsOf(job);
  expect(warnings).toEqual([
    expect.stringMatching(
      /^DEPLOY_METRICS_FILE \/.*\.prom line 2: service "svc-1" is not one this job writes \(it may write api: its own service and those its stage map names\); line skipped, and 1,999 more lines for services it does not write/,
    ),
  ]);
  expect(Buffer.byteLength(job.post?.summary ?? '')).toBeLessThan(100_000);
  expect(await gatewayValues(bed.pg.url, 'deploy_note_total', { environment: env })).toEqual([]);
}, 120_000);

test('a map naming 30 services, a step reporting to each, the Pushgateway down: post ends in its budget; at most 5 warnings for groups plus one, at most 20 delivery lines plus one', async () => {
  const env = 'h-many';
  const down = `http://127.0.0.1:${await freePort()}`;
  const services = Array.from({ length: 30 }, (_, i) => `svc-${i + 1}`);
  const steps = apiSteps();
  steps.splice(2, 0, {
    name: 'Report for every mapped service',
    run: `for i in $(seq 1 30); do echo "deploy_note{service=\\"svc-$i\\"} 1"; done >> "$DEPLOY_METRICS_FILE"`,
  });
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps,
    stateDir: bed.stateDir,
    with: {
      environment: env,
      'pushgateway-url': down,
      stages: `${API_STAGE_MAP}\n${services.map((s) => `Deploy ${s} => ${s}/deploy`).join('\n')}`,
    },
  });
  expect(job.post?.exitCode).toBe(0);
  expect(job.post?.durationMs).toBeLessThan(40_000);
  const groupWarnings = warningsOf(job).filter(
    (w) => w.startsWith('Not pushed to') || w.includes('more group(s) were not delivered'),
  );
  expect(groupWarnings).toHaveLength(6);
  expect(groupWarnings[5]).toBe('26 more group(s) were not delivered (listed in the log)');
  const summary = job.post?.summary ?? '';
  const deliveryLines = summary.split('\n').filter((l) => /^- ⚠️ (Not pushed|… and)/.test(l));
  expect(deliveryLines).toHaveLength(21);
  expect(deliveryLines[20]).toMatch(
    /^- ⚠️ … and 11 more group\(s\), 11 of them not delivered \(listed in the log\)$/,
  );
}, 120_000);

describe('one job never wipes another service’s gauges', () => {
  const env = 'h-web';
  const runningWeb = [
    '# TYPE deployment_in_progress gauge',
    `deployment_in_progress{deployment_id="w-1",service="web",branch="main",triggered_by="github_actions"} 1`,
    '# TYPE deployment_start_timestamp_seconds gauge',
    `deployment_start_timestamp_seconds{deployment_id="w-1",service="web"} 1700000000`,
    '',
  ].join('\n');

  test('deploy-api reports api_note{service="web"}: with web in its map the note is added (POST), web’s running deployment keeps its gauges; without it the line is skipped', async () => {
    await pushRaw(env, 'web', runningWeb, 'PUT');
    const steps = apiSteps();
    steps.splice(2, 0, {
      name: 'Note for web',
      run: `echo 'api_note{service="web"} 1' >> "$DEPLOY_METRICS_FILE"`,
    });
    const withWeb = await runTrackedJob({
      gh: bed.gh,
      runId: newRunId(),
      job: 'deploy-api',
      steps,
      stateDir: bed.stateDir,
      with: {
        environment: env,
        'pushgateway-url': bed.pg.url,
        // The map names web (a step this job does not have): the job may write web's group.
        stages: `${API_STAGE_MAP}\nDeploy web => web/deploy_vercel`,
      },
    });
    expect(withWeb.post?.exitCode).toBe(0);
    expect(warningsOf(withWeb)).toEqual([]);
    const web = { environment: env, service: 'web' };
    expect(await gatewayValue(bed.pg.url, 'deployment_in_progress', { ...web, deployment_id: 'w-1' })).toBe(
      1,
    );
    expect(
      await gatewayValue(bed.pg.url, 'deployment_start_timestamp_seconds', { ...web, deployment_id: 'w-1' }),
    ).toBe(1700000000);
    expect(await gatewayValue(bed.pg.url, 'api_note', web)).toBe(1);
    // This job's thresholds are its own groups' business, not web's.
    expect(await gatewayValues(bed.pg.url, 'deployment_stage_threshold_seconds', web)).toEqual([]);
    expect(
      await gatewayValue(bed.pg.url, 'deployment_in_progress', { environment: env, service: 'api' }),
    ).toBe(0);

    steps[2] = { name: 'Note for web', run: `echo 'api_note2{service="web"} 1' >> "$DEPLOY_METRICS_FILE"` };
    const without = await runTrackedJob({
      gh: bed.gh,
      runId: newRunId(),
      job: 'deploy-api',
      steps,
      stateDir: bed.stateDir,
      with: { environment: env, 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
    });
    expect(without.post?.exitCode).toBe(0);
    expect(warningsOf(without)).toEqual([
      expect.stringMatching(/\.prom line 2: service "web" is not one this job writes \(it may write api: /),
    ]);
    expect(await gatewayValues(bed.pg.url, 'api_note2', web)).toEqual([]);
    expect(await gatewayValue(bed.pg.url, 'deployment_in_progress', { ...web, deployment_id: 'w-1' })).toBe(
      1,
    );
  }, 120_000);
});

describe('poisoned counters', () => {
  test('a step’s deployment_rollback_total 1e300 is refused (file and line named); the count stays exact', async () => {
    const env = 'h-1e300';
    const steps = apiSteps({ healthFails: true });
    steps[7] = {
      name: 'Roll back deployment',
      if: 'failure',
      durationSeconds: 30,
      run: `echo 'deployment_rollback_total{reason="health_check_failed",status="success"} 1e300' >> "$DEPLOY_METRICS_FILE"`,
    };
    const job = await runTrackedJob({
      gh: bed.gh,
      runId: newRunId(),
      job: 'deploy-api',
      steps,
      stateDir: bed.stateDir,
      with: { environment: env, 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
    });
    expect(job.post?.exitCode).toBe(0);
    expect(warningsOf(job).filter((w) => w.startsWith('DEPLOY_METRICS_FILE'))).toEqual([
      expect.stringMatching(
        /^DEPLOY_METRICS_FILE \/.*\.prom line \d+: deployment_rollback_total is a counter and a step may add at most 1,000,000 to it in one deployment \(1e\+300\); line skipped$/,
      ),
    ]);
    // The action's own count of the rollback (the step's line was refused).
    expect(await gatewayValues(bed.pg.url, 'deployment_rollback_total', { environment: env })).toEqual([1]);
  }, 120_000);

  test.each([
    ['NaN', 'NaN'],
    ['+Inf', '+Inf'],
  ])(
    'a group holding %s for a counter: a warning, gauges pushed, counts carried (never a pushed NaN/Inf); once the group is fixed they arrive, once',
    async (name, value) => {
      const env = `h-poison-${name === 'NaN' ? 'nan' : 'inf'}`;
      await pushRaw(
        env,
        'api',
        `# TYPE deployment_runs_total counter\ndeployment_runs_total{service="api",status="success"} ${value}\n`,
      );
      const run = (): Promise<Job> =>
        runTrackedJob({
          gh: bed.gh,
          runId: newRunId(),
          job: 'deploy-api',
          steps: apiSteps(),
          stateDir: bed.stateDir,
          with: { environment: env, 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
        });
      const first = await run();
      expect(first.post?.exitCode).toBe(0);
      const warnings = warningsOf(first);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /^Not pushed to \{.*service="api"\}: the group holds (NaN|\+Inf) for deployment_runs_total\{.*\}, a value no count can be added to .*; counts kept in the directory .* for the next successful push$/,
      );
      const group = { environment: env, service: 'api' };
      // The bad value is left as it was, nothing was added to it; the gauges went out.
      const runs = await gatewayValues(bed.pg.url, 'deployment_runs_total', group);
      expect(runs).toHaveLength(1);
      expect(Number.isFinite(runs[0])).toBe(false);
      expect(await gatewayValues(bed.pg.url, 'deployment_total', group)).toEqual([]);
      expect(await gatewayValue(bed.pg.url, 'deployment_in_progress', group)).toBe(0);

      // Someone deletes the group: the next deployment adds the carried one, once.
      await fetch(`${bed.pg.url}/metrics/job/deployment/environment/${env}/service/api`, {
        method: 'DELETE',
      });
      const second = await run();
      expect(second.post?.summary).toContain(
        'with the counts of 1 earlier deployment(s) whose push had failed',
      );
      expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'success' })).toBe(
        2,
      );
    },
    120_000,
  );
});

test('a FIFO at DEPLOY_METRICS_FILE: not read (a warning says why), post ends, exit 0', async () => {
  const env = 'h-fifo';
  // The last step: a later step appending to the FIFO would itself block, waiting for a reader.
  const steps = [
    ...apiSteps(),
    { name: 'Put a FIFO there', run: 'rm -f "$DEPLOY_METRICS_FILE"; mkfifo "$DEPLOY_METRICS_FILE"' },
  ];
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps,
    stateDir: bed.stateDir,
    with: { environment: env, 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
  });
  expect(job.post?.exitCode).toBe(0);
  expect(job.post?.durationMs).toBeLessThan(40_000);
  expect(warningsOf(job)).toEqual([
    expect.stringMatching(
      /^DEPLOY_METRICS_FILE \/.*\.prom is a FIFO \(named pipe\), not a regular file; it was not read$/,
    ),
  ]);
  expect(await gatewayTotal(bed.pg.url, 'deployment_runs_total', { environment: env })).toBe(1);
}, 120_000);
