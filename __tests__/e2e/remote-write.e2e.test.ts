/**
 * Remote write, end to end: the real dist/ bundles under the runner emulator
 * write deployments to a real Prometheus started with
 * `--web.enable-remote-write-receiver` (through a small proxy that records
 * every write and can fail one), and PromQL through Prometheus' own HTTP API
 * reads back the exact counters, gauges, timestamps and histogram buckets.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWriteRequest } from '../../src/delivery/remote-write/wire.js';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.js';
import { repoActionDir, runJob, type PhaseResult } from '../../tools/runner-emulator/index.js';
import {
  ACTION_LABEL,
  apiSteps,
  API_STAGE_MAP,
  databaseSteps,
  FAKE_TOKEN,
  REPOSITORY,
  runTrackedJob,
} from '../../tools/scenarios/index.js';
import { queryPrometheus, startPrometheus, waitFor, type Service } from '../../tools/services/index.js';
import { REMOTE_WRITE_RULE_FILES } from '../rule-files.js';
import { newRunId } from './helpers.js';

interface RecordedWrite {
  status: number;
  body: Buffer;
  headers: IncomingMessage['headers'];
}

interface Proxy {
  url: string;
  writes: RecordedWrite[];
  /**
   * Faults for the next write requests, in order: after letting `skip` writes
   * through, answer with `status`; `forward` first (the write lands, the answer is lost).
   */
  faults: { status: number; forward: boolean; body?: string; skip?: number }[];
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<Proxy> {
  const upstream = new URL(target);
  const proxy: Proxy = {
    url: '',
    writes: [],
    faults: [],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const forward = (
    req: IncomingMessage,
    body: Buffer,
    done: (status: number, headers: IncomingMessage['headers'], text: Buffer) => void,
  ): void => {
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => done(answer.statusCode ?? 502, answer.headers, Buffer.concat(chunks)));
      },
    );
    out.on('error', () => done(502, {}, Buffer.from('upstream unreachable')));
    out.end(body);
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const isWrite = req.url === '/api/v1/write';
      const head = isWrite ? proxy.faults[0] : undefined;
      let fault: Proxy['faults'][number] | undefined;
      if (head && (head.skip ?? 0) > 0) head.skip = (head.skip ?? 0) - 1;
      else if (head) fault = proxy.faults.shift();
      const answer = (status: number, headers: IncomingMessage['headers'], text: Buffer): void => {
        if (isWrite) proxy.writes.push({ status, body, headers: req.headers });
        res.writeHead(status, headers);
        res.end(text);
      };
      if (fault && !fault.forward) {
        answer(fault.status, { 'content-type': 'text/plain' }, Buffer.from(fault.body ?? 'injected'));
        return;
      }
      forward(req, body, (status, headers, text) => {
        if (fault)
          answer(fault.status, { 'content-type': 'text/plain' }, Buffer.from(fault.body ?? 'injected'));
        else answer(status, headers, text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no proxy address');
  proxy.url = `http://127.0.0.1:${address.port}`;
  return proxy;
}

let prom: Service;
let proxy: Proxy;
let gh: FakeGitHub;
let stateDir: string;
beforeAll(async () => {
  [prom, gh] = await Promise.all([
    // The remote-write variant of the rules loaded, so the last test sees the alerts the bundles' data raises.
    startPrometheus({ remoteWriteReceiver: true, ruleFiles: REMOTE_WRITE_RULE_FILES }),
    startFakeGitHub({ token: FAKE_TOKEN }),
  ]);
  proxy = await startProxy(prom.url);
  stateDir = mkdtempSync(join(tmpdir(), 'deploy-obs-rw-'));
});
afterAll(async () => {
  await Promise.all([prom?.stop(), gh?.close(), proxy?.close()]);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});
beforeEach(() => {
  proxy.faults = [];
});

type Job = Awaited<ReturnType<typeof runTrackedJob>>;
const warningsOf = (job: Job): string[] =>
  job.result.annotations.filter((a) => a.level === 'warning').map((a) => a.message);

const writeUrl = (): string => `${proxy.url}/api/v1/write`;
const MIN = 60_000;

/** One tracked deploy job remote-writing to the proxy; its steps ran 10 min ago, so sample times are exact. */
async function deploy(
  environment: string,
  o: Partial<Parameters<typeof runTrackedJob>[0]> = {},
): Promise<Job> {
  return runTrackedJob({
    gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir,
    startTime: new Date(Date.now() - 10 * MIN),
    ...o,
    with: { environment, stages: API_STAGE_MAP, 'remote-write-url': writeUrl(), ...o.with },
  });
}

/** The last value of one series (exact label match on the given labels), over the last hour. */
async function last(metric: string, labels: Record<string, string>): Promise<number | undefined> {
  const matchers = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  const result = await queryPrometheus(prom.url, `last_over_time(${metric}{${matchers}}[1h])`);
  if (result.length > 1) throw new Error(`${metric}${JSON.stringify(labels)}: ${result.length} series`);
  return result[0] ? Number(result[0].value[1]) : undefined;
}

/** Every raw sample of the selector over the last hour: [timestamp ms, value]. */
async function samples(selector: string): Promise<[number, number][]> {
  const q = new URL('/api/v1/query', prom.url);
  q.searchParams.set('query', `${selector}[1h]`);
  const body = (await (await fetch(q)).json()) as {
    data: { result: { values: [number, string][] }[] };
  };
  return body.data.result.flatMap((r) =>
    r.values.map(([t, v]): [number, number] => [Math.round(t * 1000), Number(v)]),
  );
}

test('three deployments remote-written: exact cumulative counters, latest gauges at their real times, protocol headers', async () => {
  const env = 'rw-sequence';
  const group = { job: 'deployment', environment: env, service: 'api' };
  const first = await deploy(env);
  const second = await deploy(env);
  const third = await deploy(env, { steps: apiSteps({ healthFails: true }) });
  for (const job of [first, second]) {
    expect(job.post?.exitCode).toBe(0);
    expect(job.post?.outputs.status).toBe('success');
    expect(warningsOf(job)).toEqual([]);
  }
  expect(third.post?.outputs.status).toBe('failure');
  expect(third.post?.outputs['failed-stage']).toBe('health_check');
  expect(warningsOf(third)).toEqual(['health_check (api) took 45s, over its 30s threshold']);

  expect(await last('deployment_runs_total', { ...group, status: 'success' })).toBe(2);
  expect(await last('deployment_runs_total', { ...group, status: 'failure' })).toBe(1);
  expect(await last('deployment_total', { ...group, stage: 'build', status: 'success' })).toBe(3);
  expect(await last('deployment_total', { ...group, stage: 'health_check', status: 'failure' })).toBe(1);
  expect(await last('deployment_total', { ...group, stage: 'health_check', status: 'success' })).toBe(2);
  expect(
    await last('deployment_rollback_total', { ...group, reason: 'health_check_failed', status: 'success' }),
  ).toBe(1);
  expect(await last('smoke_test_total', { ...group, test_name: '/health' })).toBe(2);
  expect(
    await last('deployment_errors_total', {
      ...group,
      stage: 'health_check',
      error_type: 'health_check_failed',
    }),
  ).toBe(1);

  // One sample per deployment, never going back: the failure rewrote the success total unchanged.
  const runs = await samples(`deployment_runs_total{environment="${env}",status="success"}`);
  expect(runs.map(([, v]) => v)).toEqual([1, 2, 2]);
  expect(runs.map(([t]) => t)).toEqual([...runs.map(([t]) => t)].sort((x, y) => x - y));

  // The latest deployment's gauges, at the deployment's real times.
  const id = third.post?.outputs['deployment-id'] as string;
  const stages = JSON.parse(third.post?.outputs['stages-json'] ?? '[]') as {
    stage: string;
    completed_at: string;
    duration_seconds: number;
  }[];
  const build = stages.find((s) => s.stage === 'build');
  expect(build).toBeDefined();
  const buildSamples = await samples(
    `deployment_stage_duration_seconds{environment="${env}",deployment_id="${id}",stage="build"}`,
  );
  expect(buildSamples).toEqual([[Date.parse(build?.completed_at ?? ''), 95]]);
  const inProgress = await samples(`deployment_in_progress{environment="${env}",deployment_id="${id}"}`);
  expect(inProgress.map(([, v]) => v)).toEqual([1, 0]); // pre's 1, then post's 0
  const start = await last('deployment_start_timestamp_seconds', { ...group, deployment_id: id });
  expect(inProgress[0]?.[0]).toBe(Math.round((start as number) * 1000)); // written when the deployment started
  expect(
    await last('api_health_check_latency_ms', { ...group, deployment_id: id, status: 'unhealthy' }),
  ).toBe(5000);
  const lastSuccess = await last('deployment_last_success_timestamp_seconds', group);
  const lastFailure = await last('deployment_last_failure_timestamp_seconds', group);
  expect(lastFailure as number).toBeGreaterThan(lastSuccess as number);

  // The job summary says where the metrics went (`http\://`: escaped so that GitHub does not autolink it).
  expect(third.post?.summary).toContain(
    `Remote-written to ${writeUrl().replace('://', '\\://')} group \`{job="deployment",environment="${env}",service="api"}\``,
  );

  // What went over the wire: the protocol's headers, sorted labels, one sample per series.
  const post = proxy.writes.at(-1);
  expect(post?.status).toBe(204);
  expect(post?.headers['content-encoding']).toBe('snappy');
  expect(post?.headers['content-type']).toBe('application/x-protobuf');
  expect(post?.headers['x-prometheus-remote-write-version']).toBe('0.1.0');
  const request = decodeWriteRequest(post?.body ?? Buffer.alloc(0));
  const ids = new Set<string>();
  for (const series of request.timeseries) {
    const names = series.labels.map((l) => l.name);
    expect(names).toEqual([...names].sort());
    expect(series.samples).toHaveLength(1);
    const id2 = JSON.stringify(series.labels);
    expect(ids.has(id2)).toBe(false);
    ids.add(id2);
  }
});

test('hostile label values (slash, quotes, backslash, unicode) are read back through the query: counts stay exact', async () => {
  const environment = 'staging/eu "blue" \\ é';
  const service = 'release/1.2';
  for (let i = 0; i < 2; i++) {
    const job = await deploy(environment, { with: { service } });
    expect(job.post?.exitCode).toBe(0);
    expect(warningsOf(job)).toEqual([]);
  }
  expect(
    await last('deployment_runs_total', { job: 'deployment', environment, service, status: 'success' }),
  ).toBe(2);
});

test('a 500 after the write landed: the retry sends the same bytes and nothing is counted twice', async () => {
  const env = 'rw-retry';
  const group = { job: 'deployment', environment: env, service: 'api' };
  await deploy(env);
  const before = proxy.writes.length;
  proxy.faults = [{ status: 500, forward: true, body: 'injected after the write' }];
  const job = await deploy(env);
  expect(job.post?.exitCode).toBe(0);
  expect(warningsOf(job)).toEqual([]);
  const posts = proxy.writes.slice(before);
  // pre's write (the injected 500 hit it) was retried; the last write is post's.
  expect(posts.map((w) => w.status)).toEqual([500, 204, 204]);
  expect(posts[0]?.body.equals(posts[1]?.body as Buffer)).toBe(true);
  expect(await last('deployment_runs_total', { ...group, status: 'success' })).toBe(2);

  // Post's own write: pre's write passes, post's first attempt lands but is answered 500.
  const before2 = proxy.writes.length;
  proxy.faults = [{ status: 500, forward: true, body: 'injected after the write', skip: 1 }];
  const third = await deploy(env);
  expect(third.post?.exitCode).toBe(0);
  expect(warningsOf(third)).toEqual([]);
  const thirdWrites = proxy.writes.slice(before2);
  expect(thirdWrites.map((w) => w.status)).toEqual([204, 500, 204]);
  expect(thirdWrites[1]?.body.equals(thirdWrites[2]?.body as Buffer)).toBe(true);
  expect(await last('deployment_runs_total', { ...group, status: 'success' })).toBe(3);
  expect(await last('deployment_total', { ...group, stage: 'build', status: 'success' })).toBe(3);
});

test('500 on every attempt: a warning, the counts are carried and arrive once with the next deployment', async () => {
  const env = 'rw-carry';
  const group = { job: 'deployment', environment: env, service: 'api' };
  await deploy(env);
  // pre's write passes; post's three attempts get a 500 and never reach Prometheus.
  proxy.faults = [
    { status: 500, forward: false, body: 'receiver unavailable', skip: 1 },
    { status: 500, forward: false, body: 'receiver unavailable' },
    { status: 500, forward: false, body: 'receiver unavailable' },
  ];
  const before = proxy.writes.length;
  const job = await deploy(env);
  expect(proxy.writes.slice(before).map((w) => w.status)).toEqual([204, 500, 500, 500]);
  expect(job.post?.exitCode).toBe(0);
  const warning = warningsOf(job).find((w) => w.includes('remote-written'));
  expect(warning).toMatch(
    /^Not remote-written to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write group \{job="deployment",environment="rw-carry",service="api"\}: .*HTTP 500: receiver unavailable/,
  );
  expect(warning).toContain('counts kept in');
  expect(await last('deployment_runs_total', { ...group, status: 'success' })).toBe(1);

  proxy.faults = [];
  const next = await deploy(env);
  expect(warningsOf(next)).toEqual([]);
  expect(await last('deployment_runs_total', { ...group, status: 'success' })).toBe(3);
  const again = await deploy(env);
  expect(warningsOf(again)).toEqual([]);
  expect(await last('deployment_runs_total', { ...group, status: 'success' })).toBe(4);
});

test('a 400 from the receiver (out of order sample) is reported clearly and not retried', async () => {
  const env = 'rw-400';
  const group = { job: 'deployment', environment: env, service: 'database' };
  // Another writer put a sample 5 minutes ahead on a series this deployment writes: Prometheus refuses older ones.
  const ahead = Date.now() + 5 * MIN;
  const body = (await import('../../src/delivery/remote-write/wire.js')).encodeWriteRequest({
    timeseries: [
      {
        labels: [
          { name: '__name__', value: 'deployment_runs_total' },
          { name: 'environment', value: env },
          { name: 'job', value: 'deployment' },
          { name: 'service', value: 'database' },
          { name: 'status', value: 'success' },
        ],
        samples: [{ value: 7, timestamp: ahead }],
      },
    ],
    metadata: [],
  });
  const seeded = await fetch(`${prom.url}/api/v1/write`, {
    method: 'POST',
    headers: { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf' },
    body,
  });
  expect(seeded.status).toBe(204);
  const before = proxy.writes.length;
  const job = await deploy(env, { job: 'migrate', steps: databaseSteps(), with: { stages: '' } });
  expect(job.post?.exitCode).toBe(0);
  const writes = proxy.writes.slice(before);
  expect(writes.map((w) => w.status)).toEqual([204, 400]); // pre's write, post's (once)
  const warning = warningsOf(job).find((w) => w.includes('remote-written'));
  expect(warning).toMatch(/HTTP 400 out of order sample/);
  expect(warning).toContain('not retried');
  expect(await last('deployment_runs_total', { ...group, status: 'success' })).toBeUndefined();
});

test('fail-on-error turns a refused remote write (401, not retried) into a failed step', async () => {
  const env = 'rw-fail-on-error';
  proxy.faults = [{ status: 401, forward: false, body: 'unauthorized' }];
  const before = proxy.writes.length;
  const job = await deploy(env, { with: { 'fail-on-error': 'true' } as Record<string, string> });
  // pre's write got the 401 (once); post's went through
  expect(proxy.writes.slice(before).map((w) => w.status)).toEqual([401, 204]);
  // with fail-on-error, pre's problem fails the step (deferred to post)
  expect(job.post?.exitCode).toBe(1);
  expect(
    job.result.annotations.some((a) => a.level === 'error' && /HTTP 401 unauthorized/.test(a.message)),
  ).toBe(true);
});

// --------------------------------------------------------------------------------------- summary mode

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A completed run whose last job (deploy-api) finished 4 min (ok) or 8 min (failed) after the trigger. */
function addRun(workflow: string, ok: boolean): { runId: number; completedAt: number } {
  const t0 = Date.now() - 20 * MIN;
  const runId = gh.addRun({
    id: newRunId(),
    run_attempt: 1,
    name: workflow,
    path: `.github/workflows/${workflow}.yml`,
    head_branch: 'main',
    head_sha: `${runIdSalt++}`.padStart(40, 'a'),
    event: 'push',
    status: 'completed',
    conclusion: ok ? 'success' : 'failure',
    created_at: iso(t0),
    run_started_at: iso(t0),
    updated_at: iso(t0 + 12 * MIN),
    pull_requests: [],
    workflow_id: 777,
  });
  const job = (name: string, start: number, end: number, conclusion: string): void => {
    gh.addJob({
      run_id: runId,
      run_attempt: 1,
      name,
      status: 'completed',
      conclusion,
      started_at: iso(t0 + start * MIN),
      completed_at: iso(t0 + end * MIN),
      steps: [
        {
          name: 'Deploy',
          status: 'completed',
          conclusion,
          started_at: iso(t0 + start * MIN),
          completed_at: iso(t0 + end * MIN),
        },
      ],
    });
  };
  job('build', 0.5, 2, 'success');
  job('deploy-api', 2, ok ? 4 : 8, ok ? 'success' : 'failure');
  // The API has 1 s resolution.
  return { runId, completedAt: Math.floor((t0 + (ok ? 4 : 8) * MIN) / 1000) * 1000 };
}
let runIdSalt = 1;

async function summarise(runId: number, environment: string): Promise<PhaseResult> {
  const result = await runJob({
    name: 'summary',
    env: {
      GITHUB_API_URL: gh.url,
      GITHUB_REPOSITORY: REPOSITORY,
      GITHUB_RUN_ID: String(newRunId()),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_REF_NAME: 'main',
      GITHUB_WORKFLOW: 'deploy-summary',
      GITHUB_EVENT_NAME: 'workflow_run',
      DEPLOYMENT_OBSERVABILITY_STATE_DIR: stateDir,
    },
    context: { github: { token: FAKE_TOKEN }, job: { check_run_id: '' } },
    steps: [
      {
        uses: repoActionDir(),
        id: 'summary',
        label: ACTION_LABEL,
        with: { mode: 'summary', 'run-id': String(runId), 'remote-write-url': writeUrl(), environment },
      },
    ],
  });
  const main = result.phases.find((p) => p.id === 'summary' && p.phase === 'main' && !p.skipped);
  if (!main) throw new Error('no main phase');
  return main;
}

test('summary mode: time_to_deploy_seconds buckets exact, counted once, written where the run finished', async () => {
  const workflow = 'deploy-rw-summary';
  const environment = 'rw-summary';
  // b finishes before a's summary (the first ever, which bootstraps the history from the API) runs:
  // only runs older than a are history; b is counted by its own summary.
  const a = addRun(workflow, true);
  const b = addRun(workflow, false);
  for (const [i, run] of [a, a, b].entries()) {
    const main = await summarise(run.runId, environment);
    expect(main.exitCode).toBe(0);
    expect(main.annotations.filter((x) => x.level === 'warning')).toEqual([]);
    if (i === 1) expect(main.stdout).toContain('was counted before');
    else expect(main.stdout).not.toContain('was counted before');
  }
  const sel = `{job="deployment",repository="${REPOSITORY}",workflow="${workflow}",environment="${environment}"}`;
  const buckets = await queryPrometheus(prom.url, `last_over_time(time_to_deploy_seconds_bucket${sel}[1h])`);
  const byLe = Object.fromEntries(buckets.map((s) => [s.metric.le, Number(s.value[1])]));
  // a: trigger → deploy-api done at 4 min = 240 s; b: 8 min = 480 s
  expect(byLe).toEqual({
    '60': 0,
    '300': 1,
    '480': 2,
    '600': 2,
    '720': 2,
    '900': 2,
    '1200': 2,
    '1500': 2,
    '1800': 2,
    '+Inf': 2,
  });
  expect(
    Number(
      (await queryPrometheus(prom.url, `last_over_time(time_to_deploy_seconds_count${sel}[1h])`))[0]
        ?.value[1],
    ),
  ).toBe(2);
  expect(
    Number(
      (await queryPrometheus(prom.url, `last_over_time(time_to_deploy_seconds_sum${sel}[1h])`))[0]?.value[1],
    ),
  ).toBe(720);
  // The first run's histogram sample sits where that run finished, not where the summary ran.
  const counts = await samples(`time_to_deploy_seconds_count${sel}`);
  expect(counts[0]).toEqual([a.completedAt, 1]);
  const runsTotal = await queryPrometheus(
    prom.url,
    `last_over_time(github_workflow_runs_total{repository="${REPOSITORY}",workflow="${workflow}"}[1h])`,
  );
  expect(runsTotal.map((s) => [s.metric.conclusion, Number(s.value[1])]).sort()).toEqual([
    ['failure', 1],
    ['success', 1],
  ]);
});

// --------------------------------------------------------------------------------------- alerts

interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

test('the remote-write rules raise DeploymentFailed and RollbackTriggered from what the bundles wrote', async () => {
  const environment = 'rw-alerts';
  const job = await deploy(environment, { steps: apiSteps({ healthFails: true }) });
  expect(job.post?.outputs.status).toBe('failure');
  const id = job.post?.outputs['deployment-id'] as string;
  const active = async (): Promise<PromAlert[]> => {
    const res = await fetch(`${prom.url}/api/v1/alerts`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { data: { alerts: PromAlert[] } };
    return body.data.alerts.filter((a) => a.labels.environment === environment);
  };
  // An evaluation that saw the failure timestamp before the failed stage's duration (remote writes
  // are separate requests; a loaded machine widens the gap) names the stage "unknown": that alert is
  // pending for one evaluation and is replaced by the one naming the stage, so wait for that one.
  const failed = await waitFor(
    async () =>
      (await active()).find((a) => a.labels.alertname === 'DeploymentFailed' && a.labels.stage !== 'unknown'),
    { timeoutMs: 30_000, description: 'DeploymentFailed naming the stage for rw-alerts' },
  );
  expect(failed.labels).toMatchObject({
    severity: 'critical',
    service: 'api',
    deployment_id: id,
    stage: 'health_check',
  });
  const rollback = await waitFor(
    async () => (await active()).find((a) => a.labels.alertname === 'RollbackTriggered'),
    { timeoutMs: 30_000, description: 'RollbackTriggered for rw-alerts' },
  );
  expect(rollback.labels).toMatchObject({ reason: 'health_check_failed', service: 'api' });
  // The transient "unknown" alert, if there was one, is gone: only the one naming the stage stays.
  await waitFor(
    async () =>
      !(await active()).some(
        (a) => a.labels.alertname === 'DeploymentFailed' && a.labels.stage === 'unknown',
      ),
    { timeoutMs: 30_000, description: 'no DeploymentFailed with stage="unknown" left for rw-alerts' },
  );
  // The alert reads the densified series, which go on after the raw sample's 5-minute lookback
  // (shown with samples dated 20 minutes back in remote-write-rules.e2e.test.ts).
  const dense = await queryPrometheus(
    prom.url,
    `remote_write:deployment_last_failure_timestamp_seconds{environment="${environment}"}`,
  );
  expect(dense).toHaveLength(1);
});
