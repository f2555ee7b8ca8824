/**
 * Fail-open under faults, hostile input and odd job layouts: the step's exit
 * code, the warning it gives, post's time budget, and no wrong number pushed.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { badCredentials, notAccessible, notFound, serverError } from '../../tools/fake-github/server.js';
import { apiSteps, API_STAGE_MAP, FAKE_TOKEN, runTrackedJob } from '../../tools/scenarios/index.js';
import { freePort, startPushgateway } from '../../tools/services/index.js';
import { gatewayTotal, gatewayValue, gatewayValues, newRunId, startBed, type Bed } from './helpers.js';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.close();
});

const warningsOf = (job: Awaited<ReturnType<typeof runTrackedJob>>): string[] =>
  job.result.annotations.filter((a) => a.level === 'warning').map((a) => a.message);

/** A TCP server that accepts connections and never answers: a hung service. */
async function hungServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('GitHub API faults', () => {
  test('502 twice, then the job: retried, stages reported', async () => {
    bed.gh.inject(serverError(502, { route: '/actions/jobs/', times: 2 }));
    const job = await runTrackedJob({
      gh: bed.gh,
      runId: newRunId(),
      job: 'deploy-api',
      steps: apiSteps(),
      stateDir: bed.stateDir,
      with: { environment: 'f-502', 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
    });
    expect(job.post?.exitCode).toBe(0);
    expect(JSON.parse(job.post?.outputs['stages-json'] ?? '[]')).toHaveLength(6);
    expect(warningsOf(job)).toEqual([]);
  });

  test.each([
    [
      '403 without actions: read',
      notAccessible({ route: '/actions/jobs/' }),
      'HTTP 403 Resource not accessible by integration (the token needs `actions: read`',
    ],
    [
      '401 bad credentials',
      badCredentials({ route: '/actions/jobs/' }),
      'HTTP 401 Bad credentials (is github-token valid?)',
    ],
    [
      '404 not found',
      notFound({ route: '/actions/jobs/' }),
      'HTTP 404 Not Found (the token needs `actions: read`',
    ],
    [
      'connection reset on every attempt',
      { kind: 'reset' as const, route: '/actions/jobs/' },
      'failed: connection',
    ],
  ])(
    '%s: a warning that says what to do; the outcome still counted from job-status',
    async (_name, fault, expected) => {
      bed.gh.inject({ ...fault, times: Infinity });
      try {
        const env = `f-${_name.slice(0, 3)}`;
        const job = await runTrackedJob({
          gh: bed.gh,
          runId: newRunId(),
          job: 'deploy-api',
          steps: apiSteps(),
          stateDir: bed.stateDir,
          with: { environment: env, 'pushgateway-url': bed.pg.url },
        });
        expect(job.post?.exitCode).toBe(0);
        expect(job.post?.outputs.status).toBe('success');
        expect(job.post?.outputs['stages-json']).toBe('[]');
        const warnings = warningsOf(job);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain(expected);
        expect(warnings[0]).toContain('Stages are not reported; the outcome comes from job-status (success)');
        expect(
          await gatewayTotal(bed.pg.url, 'deployment_runs_total', { environment: env, status: 'success' }),
        ).toBe(1);
        expect(await gatewayValues(bed.pg.url, 'deployment_total', { environment: env })).toEqual([]);
      } finally {
        bed.gh.clearFaults();
      }
    },
  );

  test('403 rate limit with x-ratelimit-reset in the past: waited for and retried', async () => {
    bed.gh.inject({
      kind: 'status',
      status: 403,
      route: '/actions/jobs/',
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)) },
      body: { message: 'API rate limit exceeded for installation ID 1.' },
    });
    const job = await runTrackedJob({
      gh: bed.gh,
      runId: newRunId(),
      job: 'deploy-api',
      steps: apiSteps(),
      stateDir: bed.stateDir,
      with: { environment: 'f-rate', stages: API_STAGE_MAP },
    });
    expect(warningsOf(job)).toEqual([]);
    expect(JSON.parse(job.post?.outputs['stages-json'] ?? '[]')).toHaveLength(6);
  });

  test('429 asking to wait past the time budget: gives up at once and says until when', async () => {
    bed.gh.inject({
      kind: 'status',
      status: 429,
      route: '/actions/jobs/',
      headers: { 'retry-after': '3600' },
      times: Infinity,
    });
    try {
      const job = await runTrackedJob({
        gh: bed.gh,
        runId: newRunId(),
        job: 'deploy-api',
        steps: apiSteps(),
        stateDir: bed.stateDir,
        with: { environment: 'f-429' },
      });
      expect(job.post?.exitCode).toBe(0);
      expect(job.post?.durationMs).toBeLessThan(5000);
      expect(warningsOf(job)[0]).toMatch(/HTTP 429.*asked to wait until .* past this step's time budget/);
    } finally {
      bed.gh.clearFaults();
    }
  });

  test('malformed JSON from the API: a clear warning, nothing else lost', async () => {
    bed.gh.inject({ kind: 'malformed', route: '/actions/jobs/' });
    const job = await runTrackedJob({
      gh: bed.gh,
      runId: newRunId(),
      job: 'deploy-api',
      steps: apiSteps(),
      stateDir: bed.stateDir,
      with: { environment: 'f-json', 'pushgateway-url': bed.pg.url },
    });
    expect(job.post?.exitCode).toBe(0);
    expect(warningsOf(job)[0]).toContain('the answer is not JSON');
    expect(await gatewayTotal(bed.pg.url, 'deployment_runs_total', { environment: 'f-json' })).toBe(1);
  });
});

test('a hung GitHub API and a hung Pushgateway together: post ends within its ~25 s budget, exit 0', async () => {
  const hung = await hungServer();
  bed.gh.inject({ kind: 'hang', route: '/actions/jobs/', times: Infinity });
  try {
    const job = await runTrackedJob({
      gh: bed.gh,
      runId: newRunId(),
      job: 'deploy-api',
      steps: apiSteps(),
      stateDir: bed.stateDir,
      with: { environment: 'f-hung', 'pushgateway-url': hung.url },
    });
    expect(job.post?.exitCode).toBe(0);
    expect(job.post?.durationMs).toBeLessThan(30000);
    const warnings = warningsOf(job);
    expect(warnings.some((w) => w.includes('no answer within'))).toBe(true);
    expect(
      warnings.some((w) => w.includes('counts kept in') && w.includes('for the next successful push')),
    ).toBe(true);
    // pre's push is bounded too.
    expect(job.pre?.durationMs).toBeLessThan(10000);
  } finally {
    bed.gh.clearFaults();
    await hung.close();
  }
}, 90000);

test('a deployment whose push failed is counted by the next successful push, once', async () => {
  const env = 'f-carry';
  const down = `http://127.0.0.1:${await freePort()}`;
  const first = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps({ healthFails: true }),
    stateDir: bed.stateDir,
    with: { environment: env, 'pushgateway-url': down, stages: API_STAGE_MAP },
  });
  expect(first.post?.exitCode).toBe(0);
  expect(warningsOf(first).some((w) => w.includes('ECONNREFUSED') && w.includes('counts kept in'))).toBe(
    true,
  );

  const second = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { environment: env, 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
  });
  expect(second.post?.summary).toContain('with the counts of 1 earlier deployment(s) whose push had failed');
  const group = { environment: env, service: 'api' };
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'failure' })).toBe(1);
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'success' })).toBe(1);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_total', { ...group, stage: 'build', status: 'success' }),
  ).toBe(2);
  expect(await gatewayValue(bed.pg.url, 'deployment_errors_total', { ...group, stage: 'health_check' })).toBe(
    1,
  );
  expect(await gatewayValues(bed.pg.url, 'deployment_last_failure_timestamp_seconds', group)).toHaveLength(1);

  const third = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { environment: env, 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
  });
  expect(third.post?.exitCode).toBe(0);
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'failure' })).toBe(1);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_total', { ...group, stage: 'build', status: 'success' }),
  ).toBe(3);
});

test('a Pushgateway restart (data lost) starts the counters again from this deployment', async () => {
  const pg = await startPushgateway();
  try {
    const run = () =>
      runTrackedJob({
        gh: bed.gh,
        runId: newRunId(),
        job: 'deploy-api',
        steps: apiSteps(),
        stateDir: bed.stateDir,
        with: { environment: 'f-restart', 'pushgateway-url': pg.url },
      });
    await run();
    await run();
    expect(await gatewayTotal(pg.url, 'deployment_runs_total', { environment: 'f-restart' })).toBe(2);
    await pg.restart();
    await run();
    // A reset Prometheus handles; never a count carried twice.
    expect(await gatewayTotal(pg.url, 'deployment_runs_total', { environment: 'f-restart' })).toBe(1);
  } finally {
    await pg.stop();
  }
});

test('fail-on-error: true turns a telemetry problem into a failed step', async () => {
  const down = `http://127.0.0.1:${await freePort()}`;
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { environment: 'f-strict', 'pushgateway-url': down, 'fail-on-error': 'true' },
  });
  // pre never fails: the deployment itself must run. Post fails, with pre's problem first.
  expect(job.pre?.exitCode).toBe(0);
  expect(job.result.phases.filter((p) => p.phase === 'run' && p.skipped).map((p) => p.name)).toEqual([
    'Roll back deployment',
  ]);
  expect(job.post?.exitCode).toBe(1);
  const failure = job.result.annotations.find(
    (a) => a.level === 'error' && a.message.includes('fail-on-error is true'),
  );
  expect(failure?.message).toMatch(
    /^deployment-observability post: 2 telemetry problem\(s\) and fail-on-error is true\. First: deployment_in_progress was not pushed/,
  );
});

test('bad input: a malformed stage-map line and garbage metrics lines are named; everything else counts', async () => {
  const steps = apiSteps();
  steps.splice(2, 0, {
    name: 'Report odd metrics',
    run: [
      `echo 'this is not a metric' >> "$DEPLOY_METRICS_FILE"`,
      `echo 'deployment_total{stage="build"} 5' >> "$DEPLOY_METRICS_FILE"`,
      `echo 'smoke_test_total{nope="x"} 1' >> "$DEPLOY_METRICS_FILE"`,
      `echo 'deploy_bundle_size_bytes 123456' >> "$DEPLOY_METRICS_FILE"`,
    ].join('\n'),
  });
  const stages = `${API_STAGE_MAP}\nthis line has no arrow\n/[unclosed/ => api/build`;
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps,
    stateDir: bed.stateDir,
    with: { environment: 'f-input', 'pushgateway-url': bed.pg.url, stages },
  });
  expect(job.post?.exitCode).toBe(0);
  const warnings = warningsOf(job);
  // Each problem once (inputs are read in pre, main and post), naming the input or file and line.
  expect(warnings).toEqual([
    'input stages, line 8 ("this line has no arrow"): expected "<step name> => <service>/<stage>"; rule skipped',
    'input stages, line 9 ("/[unclosed/ => api/build"): Invalid regular expression: /[unclosed/: Unterminated character class; rule skipped',
    expect.stringMatching(/^DEPLOY_METRICS_FILE \/.*\.prom line 2: "is" is not a number; line skipped$/),
    expect.stringMatching(
      /^DEPLOY_METRICS_FILE \/.*\.prom line 3: deployment_total is computed by the action and cannot be reported; line skipped$/,
    ),
    expect.stringMatching(
      /^DEPLOY_METRICS_FILE \/.*\.prom line 4: smoke_test_total has no label nope \(it takes service, test_name\); line skipped$/,
    ),
  ]);
  expect(JSON.parse(job.post?.outputs['stages-json'] ?? '[]')).toHaveLength(6);
  expect(await gatewayValue(bed.pg.url, 'deploy_bundle_size_bytes', { environment: 'f-input' })).toBe(123456);
  expect(await gatewayValue(bed.pg.url, 'deployment_total', { environment: 'f-input', stage: 'build' })).toBe(
    1,
  );
});

test('hostile names: quotes, new lines, 500 characters, a branch release/1.2 and an environment with a slash', async () => {
  const long = `Deploy "api" | 'prod' \`x\` ${'ä'.repeat(500)}`;
  const steps = apiSteps();
  steps[3] = { name: long, run: 'true', durationSeconds: 100 };
  steps.splice(4, 0, { name: 'Health: check; #1\nsecond line', run: 'true', durationSeconds: 5 });
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps,
    stateDir: bed.stateDir,
    env: { GITHUB_REF_NAME: 'release/1.2' },
    with: {
      environment: 'staging/eu',
      'pushgateway-url': bed.pg.url,
      stages: `/^Deploy "api"/ => api/deploy_railway\n/health/i => api/health_check\nBuild Docker image => api/build`,
    },
  });
  expect(job.post?.exitCode).toBe(0);
  expect(warningsOf(job)).toEqual([]);
  const stages = JSON.parse(job.post?.outputs['stages-json'] ?? '[]') as { stage: string }[];
  expect(stages.map((s) => s.stage)).toEqual(['build', 'deploy_railway', 'health_check']);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_in_progress', {
      environment: 'staging/eu',
      branch: 'release/1.2',
    }),
  ).toBe(0);
  const summary = job.post?.summary ?? '';
  // Every table row stays one line with 7 cell borders; the gantt has no raw `:` `;` `#` from names.
  for (const row of summary.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Stage'))) {
    expect(row.split(/(?<!\\)\|/).length).toBe(8);
  }
  const gantt = summary.slice(
    summary.indexOf('```mermaid'),
    summary.indexOf('```', summary.indexOf('```mermaid') + 3),
  );
  for (const line of gantt.split('\n').filter((l) => l.includes(':done') || l.includes(':crit'))) {
    expect(line).toMatch(/^ {2}[^:;#]+ :(done|active|crit), s\d+, \d\d:\d\d:\d\d, \d\d:\d\d:\d\d$/);
  }
});

test('secrets are masked: the Pushgateway password and the token never appear in the log', async () => {
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: {
      environment: 'f-secret',
      'pushgateway-url': bed.pg.url,
      'pushgateway-auth': 'deployer:s3cret-Passw0rd',
    },
  });
  expect(job.post?.exitCode).toBe(0);
  // The runner prints a literal `with:` value in pre's header before any mask exists (a real
  // workflow passes a secret, which the runner masks itself); from the action's first line on,
  // the password never shows.
  const fromAction = job.result.log.slice(job.result.log.indexOf('Tracking deployment'));
  expect(fromAction.length).toBeGreaterThan(100);
  expect(fromAction).not.toContain('s3cret-Passw0rd');
  for (const phase of job.result.phases.filter((p) => p.id === 'track')) {
    expect(phase.stdout.replace(/::add-mask::.*\n/g, '')).not.toContain('s3cret-Passw0rd');
  }
  expect(job.result.log).not.toContain(Buffer.from('deployer:s3cret-Passw0rd').toString('base64'));
  expect(job.result.log).not.toContain(FAKE_TOKEN);
  expect(job.result.masks).toEqual(expect.arrayContaining(['s3cret-Passw0rd', FAKE_TOKEN]));
});

test('the action twice in one job: only the first instance does the post work', async () => {
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: [
      {
        uses: (await import('../../tools/runner-emulator/index.js')).repoActionDir(),
        id: 'second',
        label: 'acme/deployment-observability@v1',
        with: { environment: 'f-twice', 'pushgateway-url': bed.pg.url },
      },
      ...apiSteps(),
    ],
    stateDir: bed.stateDir,
    with: { environment: 'f-twice', 'pushgateway-url': bed.pg.url },
  });
  const second = job.result.phases.find((p) => p.id === 'second' && p.phase === 'post');
  expect(second?.stdout).toContain(
    'Another instance of the action tracks this job; this one has nothing to do.',
  );
  expect(second?.outputs).toEqual({});
  expect(job.post?.outputs.status).toBe('success');
  expect(await gatewayTotal(bed.pg.url, 'deployment_runs_total', { environment: 'f-twice' })).toBe(1);
});

test('a local action (uses: ./) has no pre: main records the start', async () => {
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    local: true,
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { environment: 'f-local', 'pushgateway-url': bed.pg.url },
  });
  expect(job.pre).toBeUndefined();
  expect(job.main?.stdout).toContain('Tracking deployment');
  expect(job.post?.outputs.status).toBe('success');
  expect(JSON.parse(job.post?.outputs['stages-json'] ?? '[]')).toHaveLength(6);
});

test('the runner dies between main and post: deployment_in_progress stays 1 for the stuck-deployment alert', async () => {
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    killBeforePost: true,
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { environment: 'f-killed', 'pushgateway-url': bed.pg.url },
  });
  expect(job.post).toBeUndefined();
  expect(await gatewayValue(bed.pg.url, 'deployment_in_progress', { environment: 'f-killed' })).toBe(1);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_start_timestamp_seconds', { environment: 'f-killed' }),
  ).toBeGreaterThan(0);
});

test('a user cancels the run mid-deploy: cancelled (not a failure), rollback not run', async () => {
  const steps = apiSteps();
  steps[3] = { name: 'Deploy to Railway', run: 'true', durationSeconds: 70, cancelJob: true };
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps,
    stateDir: bed.stateDir,
    with: { environment: 'f-cancel', stages: API_STAGE_MAP },
  });
  expect(job.result.status).toBe('cancelled');
  const out = job.post?.outputs ?? {};
  expect([out.status, out['failed-stage'], out['error-type']]).toEqual(['cancelled', '', '']);
  expect(job.result.phases.find((p) => p.name === 'Roll back deployment')?.conclusion).toBe('skipped');
});

test('Actions cache service unavailable (GitHub-hosted runner, cache down): a warning, bounded, the push still made', async () => {
  const down = `http://127.0.0.1:${await freePort()}/`;
  // The cache keys cannot be listed (no `actions: read`), so post asks the cache itself.
  bed.gh.inject(notAccessible({ route: /\/actions\/caches$/, times: 1 }));
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    env: {
      DEPLOYMENT_OBSERVABILITY_STATE_DIR: '',
      ACTIONS_CACHE_URL: down,
      ACTIONS_RUNTIME_TOKEN: 'runtime-token-for-test',
    },
    with: { environment: 'f-cache-down', 'pushgateway-url': bed.pg.url },
  });
  expect(job.post?.exitCode).toBe(0);
  expect(job.post?.durationMs).toBeLessThan(15000);
  expect(warningsOf(job)).toEqual([
    expect.stringMatching(/^Could not read counts carried from earlier failed pushes in the Actions cache: /),
  ]);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_runs_total', {
      environment: 'f-cache-down',
      status: 'success',
    }),
  ).toBe(1);
});
