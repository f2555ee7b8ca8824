/**
 * The hooks in-process, with a recording ActionIO in place of @actions/core,
 * against the fake GitHub API and a real Pushgateway: each hook's effects on
 * state, environment, outputs and the summary, and the wrapper's fail-open rules.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mainHook } from '../../src/hooks/main.js';
import { postHook } from '../../src/hooks/post.js';
import { preHook } from '../../src/hooks/pre.js';
import { runHook } from '../../src/hooks/run-wrapper.js';
import { RecordingIO } from '../support/recording.js';
import { linkTargets, renderGfm } from '../gfm.js';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.js';
import { pushgatewayMetrics, startPushgateway, type Service } from '../../tools/services/index.js';

let gh: FakeGitHub;
let pg: Service;
let temp: string;
beforeAll(async () => {
  [gh, pg] = await Promise.all([startFakeGitHub({ token: 'ghs_hooks_token_123' }), startPushgateway()]);
  temp = mkdtempSync(join(tmpdir(), 'hooks-'));
});
afterAll(async () => {
  await Promise.all([gh?.close(), pg?.stop()]);
  rmSync(temp, { recursive: true, force: true });
});

const at = (seconds: number): string =>
  new Date(Date.UTC(2026, 10, 20, 10, 0, seconds)).toISOString().replace('.000Z', 'Z');

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '2',
    GITHUB_JOB: 'deploy-web',
    GITHUB_REF_NAME: 'main',
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_API_URL: gh.url,
    GITHUB_ACTION: '__acme_deployment-observability',
    RUNNER_TEMP: temp,
    DEPLOYMENT_OBSERVABILITY_STATE_DIR: join(temp, 'state'),
    ...extra,
  };
}

test('pre → main → post in one instance: start recorded once, stages from the API, outputs, summary, pushed group', async () => {
  const jobId = gh.addJob({
    run_id: 4242,
    run_attempt: 2,
    name: 'deploy-web',
    status: 'in_progress',
    started_at: at(0),
    steps: [
      {
        name: 'Set up job',
        status: 'completed',
        conclusion: 'success',
        started_at: at(0),
        completed_at: at(1),
      },
      {
        name: 'Pre Track deployment',
        status: 'completed',
        conclusion: 'success',
        started_at: at(1),
        completed_at: at(1),
      },
      {
        name: 'Track deployment',
        status: 'completed',
        conclusion: 'success',
        started_at: at(1),
        completed_at: at(2),
      },
      {
        name: 'Install dependencies',
        status: 'completed',
        conclusion: 'success',
        started_at: at(2),
        completed_at: at(30),
      },
      {
        name: 'Deploy to Vercel',
        status: 'completed',
        conclusion: 'failure',
        started_at: at(30),
        completed_at: at(60),
      },
      {
        name: 'Post Track deployment',
        status: 'in_progress' as const,
        conclusion: null,
        started_at: at(61),
        completed_at: null,
      },
    ],
  });
  const io = new RecordingIO({
    'github-token': 'ghs_hooks_token_123',
    environment: 'hooks',
    'pushgateway-url': pg.url,
    'check-run-id': String(jobId),
    'job-status': 'failure',
    'metrics-file': join(temp, 'out', 'metrics.prom'),
    summary: 'true',
    annotations: 'true',
  });
  await runHook('pre', preHook, io, env());
  expect(io.state.get('role')).toBe('owner');
  expect(io.exported.get('DEPLOYMENT_ID')).toBe('4242-2');
  expect(io.exported.get('DEPLOY_METRICS_FILE')).toMatch(/deploy-web-4242-2\.prom$/);
  expect(io.secrets).toEqual(['ghs_hooks_token_123']);

  await runHook(
    'main',
    mainHook,
    io,
    env({ DEPLOYMENT_OBSERVABILITY_OWNER: '__acme_deployment-observability' }),
  );
  expect(io.messages('info').filter((m) => m.startsWith('Tracking deployment'))).toHaveLength(1);

  await runHook(
    'post',
    postHook,
    io,
    env({ DEPLOYMENT_OBSERVABILITY_OWNER: '__acme_deployment-observability' }),
  );
  expect(io.failed).toBeUndefined();
  expect(Object.fromEntries(io.outputs)).toMatchObject({
    'deployment-id': '4242-2',
    status: 'failure',
    'failed-stage': 'deploy_vercel',
    'error-type': 'unknown',
    'duration-seconds': '60',
  });
  expect(io.messages('error')).toEqual([
    'Stage deploy_vercel (web) failed after 30s in step "Deploy to Vercel". Error type: unknown.',
  ]);
  expect(io.summary).toContain('## ❌ Deployment failed at deploy_vercel: web · hooks');
  expect(readFileSync(join(temp, 'out', 'metrics.prom'), 'utf8')).toContain(
    'deployment_in_progress{environment="hooks",deployment_id="4242-2",service="web",branch="main",triggered_by="manual"} 0',
  );
  const group = (await pushgatewayMetrics(pg.url)).find((g) => g.labels.environment === 'hooks');
  expect(group?.labels).toEqual({ job: 'deployment', environment: 'hooks', service: 'web' });
});

test('a second instance in the same job stays passive in every phase', async () => {
  const io = new RecordingIO({ environment: 'hooks-passive', 'pushgateway-url': pg.url });
  const e = env({ DEPLOYMENT_OBSERVABILITY_OWNER: 'first-step', GITHUB_ACTION: 'second-step' });
  await runHook('pre', preHook, io, e);
  await runHook('post', postHook, io, e);
  expect(io.state.get('role')).toBe('passive');
  expect(io.outputs.size).toBe(0);
  expect(io.exported.size).toBe(0);
  expect((await pushgatewayMetrics(pg.url)).some((g) => g.labels.environment === 'hooks-passive')).toBe(
    false,
  );
});

test('a later instance\u2019s main and the owner\u2019s post build the same deployment: a step\u2019s error type for a service the job does not write counts in neither', async () => {
  const step = (name: string, conclusion: string, from: number, to: number) => ({
    name,
    status: 'completed' as const,
    conclusion,
    started_at: at(from),
    completed_at: at(to),
  });
  const jobId = gh.addJob({
    run_id: 4245,
    run_attempt: 1,
    name: 'deploy-agree',
    status: 'in_progress',
    started_at: at(0),
    steps: [
      step('Set up job', 'success', 0, 1),
      step('Pre Track deployment', 'success', 1, 1),
      step('Track deployment', 'success', 1, 2),
      step('Deploy to Vercel', 'failure', 2, 40),
      step('Run ./', 'success', 40, 41),
      {
        name: 'Post Track deployment',
        status: 'in_progress',
        conclusion: null,
        started_at: at(42),
        completed_at: null,
      },
    ],
  });
  const inputs = {
    'github-token': 'ghs_hooks_token_123',
    environment: 'hooks-agree',
    'check-run-id': String(jobId),
    'job-status': 'failure',
    'metrics-file': join(temp, 'agree', 'metrics.prom'),
    live: 'false',
  };
  const owner = new RecordingIO(inputs);
  const ownerEnv = env({
    GITHUB_RUN_ID: '4245',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'deploy-agree',
    DEPLOYMENT_OBSERVABILITY_OWNER: '__acme_deployment-observability',
  });
  await runHook(
    'pre',
    preHook,
    owner,
    env({ GITHUB_RUN_ID: '4245', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'deploy-agree' }),
  );
  const reportFile = owner.exported.get('DEPLOY_METRICS_FILE') as string;
  writeFileSync(
    reportFile,
    'deployment_errors_total{service="another",stage="deploy_vercel",error_type="migration_failed"} 1\n',
  );
  const later = new RecordingIO(inputs);
  const laterEnv = {
    ...ownerEnv,
    GITHUB_ACTION: 'second-step',
    DEPLOY_METRICS_FILE: reportFile,
    DEPLOYMENT_ID: owner.exported.get('DEPLOYMENT_ID') as string,
  };
  await runHook('pre', preHook, later, laterEnv);
  await runHook('main', mainHook, later, laterEnv);
  await runHook('post', postHook, owner, ownerEnv);

  const shown = (io: RecordingIO) =>
    ['deployment-id', 'status', 'failed-stage', 'error-type', 'stages-json'].map((name) =>
      io.outputs.get(name),
    );
  expect(later.state.get('role')).toBe('passive');
  expect(shown(later)).toEqual(shown(owner));
  expect(later.outputs.get('failed-stage')).toBe('deploy_vercel');
  expect(later.outputs.get('error-type')).toBe('unknown');
});

describe('the wrapper', () => {
  test.each([
    ['an Error', new Error('boom'), 'deployment-observability post: boom'],
    ['a string', 'plain string', 'deployment-observability post: plain string'],
    ['an object', { code: 42 }, 'deployment-observability post: {"code":42}'],
  ])('turns %s thrown by a hook into a warning; the step succeeds', async (_what, thrown, message) => {
    const io = new RecordingIO({});
    await runHook('post', () => Promise.reject(thrown), io, env());
    expect(io.messages('warning')).toEqual([message]);
    expect(io.failed).toBeUndefined();
  });

  test('fail-on-error: problems in pre wait for post, which fails with them', async () => {
    const io = new RecordingIO({ 'fail-on-error': 'true', thresholds: 'build=oops' });
    await runHook('pre', () => Promise.resolve(), io, env());
    expect(io.failed).toBeUndefined();
    expect(io.messages('warning')).toEqual([
      'input thresholds: "build=oops" is not stage=seconds; entry skipped',
    ]);
    await runHook('post', () => Promise.resolve(), io, env());
    expect(io.failed).toBe(
      'deployment-observability post: 1 telemetry problem(s) and fail-on-error is true. First: input thresholds: "build=oops" is not stage=seconds; entry skipped',
    );
    // said once, in pre; not again in post
    expect(io.messages('warning')).toHaveLength(1);
  });

  test.each([
    [
      'verify',
      { 'verify-window-seconds': '5' },
      'input verify-window-seconds: 5 is outside 10–3600 seconds; using 10',
    ],
    [
      'summary',
      { 'history-days': '0' },
      'input history-days: "0" is not a whole number of days from 1 to 400; using 90',
    ],
  ])(
    '%s mode: input problems (its own and shared ones) are said once, in main, where it works',
    async (mode, own, ownProblem) => {
      const io = new RecordingIO({ mode, thresholds: 'build=oops', ...own });
      const phases: string[] = [];
      for (const phase of ['pre', 'main', 'post'] as const) {
        await runHook(phase, () => Promise.resolve(), io, env());
        phases.push(`${phase}: ${io.messages('warning').length}`);
      }
      expect(phases).toEqual(['pre: 0', 'main: 2', 'post: 2']);
      expect(io.messages('warning')).toEqual([
        ownProblem,
        'input thresholds: "build=oops" is not stage=seconds; entry skipped',
      ]);
    },
  );

  test('an unknown mode is named and nothing is done, in every phase; fail-on-error fails each phase', async () => {
    // `mode: sumary` once ran track mode and recorded a fake deployment.
    const problem =
      'input mode: "sumary" is not one of track, summary, verify; the action does nothing in this step';
    const e = env({ GITHUB_JOB: 'deploy-unknown-mode' });
    const inputs = { mode: 'sumary', environment: 'hooks-unknown-mode', 'pushgateway-url': pg.url };
    const io = new RecordingIO(inputs);
    await runHook('pre', preHook, io, e);
    await runHook('main', mainHook, io, e);
    await runHook('post', postHook, io, e);
    expect(io.messages('warning')).toEqual([problem, problem, problem]);
    expect(io.failed).toBeUndefined();
    expect(io.state.get('role')).toBeUndefined();
    expect(io.exported.size).toBe(0);
    expect(io.outputs.size).toBe(0);
    expect(io.summary).toBe('');
    expect(
      (await pushgatewayMetrics(pg.url)).some((g) => g.labels.environment === 'hooks-unknown-mode'),
    ).toBe(false);

    for (const [phase, hook] of [
      ['pre', preHook],
      ['main', mainHook],
      ['post', postHook],
    ] as const) {
      const strict = new RecordingIO({ ...inputs, 'fail-on-error': 'true' });
      await runHook(phase, hook, strict, e);
      expect(strict.failed).toBe(
        `deployment-observability ${phase}: 1 telemetry problem(s) and fail-on-error is true. First: ${problem}`,
      );
    }
  });
});

describe('text from steps never becomes a workflow command', () => {
  test('a reported error_type and service with escaped new lines: no line break, no `::` at a line start, a known error-type output', async () => {
    const jobId = gh.addJob({
      run_id: 4242,
      run_attempt: 2,
      name: 'deploy-api',
      status: 'in_progress',
      started_at: at(0),
      steps: [
        {
          name: 'Set up job',
          status: 'completed',
          conclusion: 'success',
          started_at: at(0),
          completed_at: at(1),
        },
        {
          name: 'Pre Track deployment',
          status: 'completed',
          conclusion: 'success',
          started_at: at(1),
          completed_at: at(1),
        },
        {
          name: 'Track deployment',
          status: 'completed',
          conclusion: 'success',
          started_at: at(1),
          completed_at: at(1),
        },
        {
          name: 'Deploy to Railway',
          status: 'completed',
          conclusion: 'success',
          started_at: at(1),
          completed_at: at(20),
        },
        {
          name: 'Wait for health check',
          status: 'completed',
          conclusion: 'failure',
          started_at: at(20),
          completed_at: at(30),
        },
        {
          name: 'Post Track deployment',
          status: 'in_progress',
          conclusion: null,
          started_at: at(31),
          completed_at: null,
        },
      ],
    });
    const io = new RecordingIO({
      'github-token': 'ghs_hooks_token_123',
      environment: 'hooks-injection',
      'pushgateway-url': pg.url,
      'check-run-id': String(jobId),
      'job-status': 'failure',
      'metrics-file': join(temp, 'injection', 'metrics.prom'),
      live: 'false',
      stages: 'Deploy to Railway => api/deploy_railway\n/health/i => api/health_check',
    });
    const e = env({ GITHUB_JOB: 'deploy-api', GITHUB_REF_NAME: 'main\n::notice title=BRANCH::forged' });
    await runHook('pre', preHook, io, e);
    const reportFile = io.exported.get('DEPLOY_METRICS_FILE') as string;
    const forged = '\\n::add-mask::deploy_railway\\n::notice title=FORGED::Approve the release here';
    writeFileSync(
      reportFile,
      [
        `deployment_errors_total{stage="health_check",error_type="api_unreachable${forged}"} 1`,
        `step_custom_gauge{service="api${forged}"} 512`,
      ].join('\n'),
    );
    await runHook('post', postHook, io, e);

    const printed = io.entries.map((entry) => entry.message);
    expect(printed.length).toBeGreaterThan(3);
    for (const line of [...printed, ...io.outputs.values()]) {
      expect(line).not.toMatch(/[\r\n]/);
      expect(line.trimStart().startsWith('::')).toBe(false);
    }
    expect(io.secrets).not.toContain('deploy_railway');
    // Both lines are skipped, each with a note naming its line; the summary has no link but the run's own.
    expect(io.summary).toContain('line 1: error_type');
    expect(io.summary).toContain('line 2: service');
    const html = renderGfm(io.summary);
    expect(html).not.toContain('Approve the release here');
    for (const target of linkTargets(html))
      expect(target).toBe('https://github.com/octo-org/octo-repo/actions/runs/4242/attempts/2');
    expect(io.outputs.get('status')).toBe('failure');
    expect(io.outputs.get('failed-stage')).toBe('health_check');
    expect([
      'timeout',
      'health_check_failed',
      'migration_failed',
      'test_failed',
      'rollback_triggered',
      'api_unreachable',
      'database_connection_error',
      'unknown',
    ]).toContain(io.outputs.get('error-type'));
  });
});

describe('live tracking in the hooks', () => {
  interface Spawned {
    command: string;
    args: readonly string[];
    options: { detached?: boolean; stdio?: unknown; env?: NodeJS.ProcessEnv };
  }
  const fakeSpawn = (calls: Spawned[], pid: number | null = 424242) =>
    ((command: string, args: readonly string[], options: Spawned['options']) => {
      calls.push({ command, args, options });
      return { pid: pid ?? undefined, unref: () => undefined, on: () => undefined };
    }) as never;

  test('pre starts the reporter detached, with no stdio of the step, and hands it what it knows', async () => {
    const calls: Spawned[] = [];
    const io = new RecordingIO({
      'github-token': 'ghs_hooks_token_123',
      environment: 'hooks-live',
      'pushgateway-url': pg.url,
      'live-interval-seconds': '7',
    });
    await runHook('pre', preHook, io, env({ GITHUB_JOB: 'deploy-api' }), undefined, {
      liveScript: '/opt/action/dist/live/index.js',
      spawn: fakeSpawn(calls),
    });
    expect(calls).toHaveLength(1);
    const call = calls[0] as Spawned;
    expect(call.command).toBe(process.execPath);
    expect(call.args).toEqual(['/opt/action/dist/live/index.js']);
    expect(call.options.detached).toBe(true);
    expect(call.options.stdio).toBe('ignore');
    const settings = JSON.parse(call.options.env?.DEPLOYMENT_OBSERVABILITY_LIVE ?? '{}') as Record<
      string,
      unknown
    >;
    expect(settings).toMatchObject({ deploymentId: '4242-2', service: 'api' });
    expect(settings.reportFile).toMatch(/deploy-api-4242-2\.prom$/);
    expect(settings.statusFile).toMatch(/live-deploy-api-4242-2\.json$/);
    // The step's environment goes along: the runner finds the reporter by RUNNER_TRACKING_ID.
    expect(call.options.env?.GITHUB_RUN_ID).toBe('4242');
    expect(io.state.get('live-pid')).toBe('424242');
    expect(io.messages('info')).toContain(
      'Live tracking: a reporter (pid 424242) looks at this job every 7s and pushes each stage as it ends.',
    );
    expect(io.messages('warning')).toEqual([]);
  });

  test('live: false, or nowhere to push: no process at all', async () => {
    const calls: Spawned[] = [];
    const off = new RecordingIO({
      'github-token': 't0ken',
      environment: 'hooks-off',
      'pushgateway-url': pg.url,
      live: 'false',
    });
    await runHook('pre', preHook, off, env({ GITHUB_JOB: 'deploy-off' }), undefined, {
      liveScript: '/x/live/index.js',
      spawn: fakeSpawn(calls),
    });
    const nowhere = new RecordingIO({ 'github-token': 't0ken', environment: 'hooks-nowhere' });
    await runHook('pre', preHook, nowhere, env({ GITHUB_JOB: 'deploy-nowhere' }), undefined, {
      liveScript: '/x/live/index.js',
      spawn: fakeSpawn(calls),
    });
    expect(calls).toEqual([]);
    expect(off.state.has('live-pid')).toBe(false);
    expect(off.messages('info')).toContain(
      'Live tracking is off (live: false): post reports the deployment when the job ends.',
    );
    expect(nowhere.messages('info')).toContain(
      'Live tracking is off: there is no pushgateway-url or remote-write-url to push to.',
    );
  });

  test('a reporter that cannot be started is a warning, and post reports alone', async () => {
    const io = new RecordingIO({
      'github-token': 't0ken',
      environment: 'hooks-nospawn',
      'pushgateway-url': pg.url,
    });
    await runHook('pre', preHook, io, env({ GITHUB_JOB: 'deploy-nospawn' }), undefined, {
      liveScript: '/x/live/index.js',
      spawn: fakeSpawn([], null),
    });
    expect(io.messages('warning')).toEqual([
      'The live reporter could not be started, so only post will report: no process id',
    ]);
    expect(io.failed).toBeUndefined();
  });

  test('post finds the reporter gone: it reads its status, says what it did, and reports everything', async () => {
    const statusFile = join(temp, 'live-status-gone.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      statusFile,
      JSON.stringify({
        pid: 999_999_999,
        startedAt: 0,
        updatedAt: 0,
        polls: 12,
        notModified: 9,
        charged: 3,
        pushes: 3,
        pushFailures: 0,
        errors: 0,
        firstPushDelay: { 'web/deploy_vercel': 4.2 },
        states: {},
        stoppedBecause: 'job complete',
      }),
    );
    const io = new RecordingIO({ 'github-token': 'ghs_hooks_token_123', environment: 'hooks-gone' });
    io.state.set('role', 'owner');
    io.state.set('live-pid', '999999999');
    io.state.set('live-status-file', statusFile);
    await runHook('post', postHook, io, env({ GITHUB_RUN_ID: '4243', GITHUB_JOB: 'deploy-web' }));
    expect(io.summary).toContain(
      '📡 Live tracking: 12 look(s) at the job every 10s (9 not modified, free of rate limit), 3 push(es); stages first visible 4.2s (median) and at most 4.2s after they ended: web/deploy_vercel 4.2s; ended by itself: job complete.',
    );
    expect(io.failed).toBeUndefined();
  });
});

test('a FIFO at metrics-file: post says it cannot write there and ends (opening it would block until a reader came)', async () => {
  const { execFileSync } = await import('node:child_process');
  const fifo = join(temp, 'metrics-fifo.prom');
  execFileSync('mkfifo', [fifo]);
  const io = new RecordingIO({ environment: 'hooks-fifo', 'metrics-file': fifo, live: 'false' });
  io.state.set('role', 'owner');
  await runHook('post', postHook, io, env({ GITHUB_RUN_ID: '4244', GITHUB_JOB: 'deploy-fifo' }));
  expect(io.messages('warning')).toContain(
    `metrics-file ${fifo} could not be written: it exists and is not a regular file`,
  );
  expect(io.summary).toContain('not written: it exists and is not a regular file');
});
