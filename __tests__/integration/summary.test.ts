/**
 * Summary mode in-process (runSummary through runHook), with a recording
 * ActionIO, the fake GitHub API, a real Pushgateway and a fake cache behind the
 * same interface as @actions/cache: history kept across summaries, bootstrap
 * when the cache is empty, the API alone when the cache service is down, and
 * check-run annotations appended in pages of 50.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHook } from '../../src/hooks/run-wrapper.js';
import { runSummary } from '../../src/hooks/summary-mode.js';
import { CACHE_KEY_PREFIXES } from '../../src/persistence/stores.js';
import { FakeCacheApi } from '../support/cache-api.js';
import { RecordingIO } from '../support/recording.js';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.js';
import { pushgatewayMetrics, startPushgateway, type Service } from '../../tools/services/index.js';

const TOKEN = 'ghs_summary_token_123';

let gh: FakeGitHub;
let pg: Service;
let temp: string;
beforeAll(async () => {
  [gh, pg] = await Promise.all([startFakeGitHub({ token: TOKEN }), startPushgateway()]);
  temp = mkdtempSync(join(tmpdir(), 'summary-int-'));
});
afterAll(async () => {
  await Promise.all([gh?.close(), pg?.stop()]);
  rmSync(temp, { recursive: true, force: true });
});

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const MIN = 60_000;
let nextRun = 8_100_000;

/** A completed run of `workflow`: `slowJobs` deploy jobs of 2 min each, finished 10 min ago. */
function addRun(workflow: string, conclusion: string, slowJobs = 1, ageMin = 20): number {
  const t0 = Date.now() - ageMin * MIN;
  const id = gh.addRun({
    id: nextRun++,
    run_attempt: 1,
    name: workflow,
    path: `.github/workflows/${workflow}.yml`,
    head_branch: 'main',
    head_sha: `${nextRun.toString(16)}${'ab'.repeat(20)}`.slice(0, 40),
    status: 'completed',
    conclusion,
    created_at: iso(t0),
    run_started_at: iso(t0),
    updated_at: iso(t0 + 10 * MIN),
    workflow_id: 77_000 + workflow.length,
  });
  for (let i = 0; i < slowJobs; i++)
    gh.addJob({
      run_id: id,
      name: `deploy-${i}`,
      status: 'completed',
      conclusion: i === 0 ? conclusion : 'success',
      started_at: iso(t0 + MIN),
      completed_at: iso(t0 + 3 * MIN),
      steps: [],
    });
  return id;
}

async function summarise(
  runId: number,
  cache: FakeCacheApi,
  inputs: Record<string, string> = {},
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<RecordingIO> {
  const io = new RecordingIO({
    mode: 'summary',
    'github-token': TOKEN,
    'run-id': String(runId),
    'pushgateway-url': pg.url,
    environment: 'int-summary',
    ...inputs,
  });
  const env: NodeJS.ProcessEnv = {
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_RUN_ID: String(nextRun++),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'summary',
    GITHUB_API_URL: gh.url,
    RUNNER_TEMP: join(temp, `runner-${nextRun}`),
    // A runner that offers the cache service says so in its environment.
    ...(cache.available
      ? { ACTIONS_RESULTS_URL: 'http://cache.invalid/', ACTIONS_CACHE_SERVICE_V2: 'True' }
      : {}),
    ...extraEnv,
  };
  await runHook('main', (ctx) => runSummary(ctx, { cache }), io, env);
  return io;
}

async function runsTotal(workflow: string): Promise<number> {
  let total = 0;
  for (const group of await pushgatewayMetrics(pg.url)) {
    const family = group.github_workflow_runs_total as
      { metrics?: { labels: Record<string, string>; value?: string }[] } | undefined;
    for (const m of family?.metrics ?? []) if (m.labels.workflow === workflow) total += Number(m.value);
  }
  return total;
}

test('history in the Actions cache: bootstrapped once from the API, then kept; each attempt counted once', async () => {
  const cache = new FakeCacheApi();
  const workflow = 'int-history';
  // Three older runs the bootstrap finds, then the one summarised.
  addRun(workflow, 'success', 1, 300);
  addRun(workflow, 'failure', 1, 200);
  addRun(workflow, 'success', 1, 100);
  const runId = addRun(workflow, 'success');
  const before = gh.requests.length;
  const first = await summarise(runId, cache);
  expect(first.failed).toBeUndefined();
  expect(first.entries.filter((e) => e.level === 'warning')).toEqual([]);
  expect(first.summary).toContain(
    'History bootstrapped from the GitHub API: 3 completed runs in 1 request(s)',
  );
  // Request budget: run, 1 job page, 1 bootstrap page, check run.
  expect(gh.requests.length - before).toBe(4);
  expect(cache.entries.map((e) => e.key.startsWith(CACHE_KEY_PREFIXES.history))).toEqual([true]);
  expect(await runsTotal(workflow)).toBe(1);

  const second = await summarise(runId, cache);
  expect(second.summary).not.toContain('bootstrapped');
  expect(second.entries.some((e) => e.message.includes('was counted before'))).toBe(true);
  expect(await runsTotal(workflow)).toBe(1);
  expect(cache.entries).toHaveLength(2);
  // The DORA table saw 4 runs, 1 failed, restored by the next success.
  expect(second.summary).toMatch(/\| Change failure rate \| 25\.0% \|/);
});

test('cache service unavailable: works from the API alone and says so; counts once through the group marker', async () => {
  const cache = new FakeCacheApi();
  cache.available = false;
  const workflow = 'int-nocache';
  const runId = addRun(workflow, 'failure');
  const io = await summarise(runId, cache);
  expect(io.entries.filter((e) => e.level === 'warning').map((e) => e.message)).toEqual([
    'No deployment history: the Actions cache service is not available to this job; the figures come from the GitHub API alone.',
  ]);
  await summarise(runId, cache);
  expect(await runsTotal(workflow)).toBe(1);
  expect(cache.entries).toEqual([]);
});

test('a cache module that throws when called: a warning, the summary continues without history', async () => {
  const cache = new FakeCacheApi();
  cache.restoreCache = () => {
    throw new Error('Cache service url not found');
  };
  const workflow = 'int-cachethrows';
  const io = await summarise(addRun(workflow, 'success'), cache);
  expect(io.entries.filter((e) => e.level === 'warning').map((e) => e.message)).toEqual([
    'The deployment history in the Actions cache could not be read (Cache service url not found); the figures come from the GitHub API alone.',
    // The same cache keeps counts of failed pushes: its failure is said, the push goes on.
    'Could not read counts carried from earlier failed pushes in the Actions cache: Cache service url not found',
  ]);
  expect(io.summary).toContain('Deployment');
  expect(io.failed).toBeUndefined();
  expect(await runsTotal(workflow)).toBe(1);
});

test('a cache that fails to restore is a warning; nothing is saved over the history', async () => {
  const cache = new FakeCacheApi();
  cache.failRestore = true;
  const io = await summarise(addRun('int-cachefail', 'success'), cache);
  expect(
    io.entries.some((e) => e.level === 'warning' && e.message.includes('Cache service responded with 503')),
  ).toBe(true);
  expect(cache.entries).toEqual([]);
  expect(io.failed).toBeUndefined();
});

test('check-run annotations go in pages of at most 50: POST then PATCHes', async () => {
  const runId = addRun('int-annotations', 'failure', 120);
  const cache = new FakeCacheApi();
  const io = await summarise(runId, cache, { thresholds: 'total=60' });
  expect(io.failed).toBeUndefined();
  const check = gh.checkRuns.find((c) => c.external_id === `${runId}.1`);
  expect(
    check?.requests.map((r) => [
      r.method,
      (r.body as { output: { annotations: unknown[] } }).output.annotations.length,
    ]),
  ).toEqual([
    ['POST', 50],
    ['PATCH', 50],
    ['PATCH', 22],
  ]);
  // 1 failed stage + 120 slow jobs + 1 success-rate SLO breach (TTD 3 min is within the SLO)
  expect(check?.annotations).toHaveLength(122);
  expect(check?.conclusion).toBe('failure');
  // The history was saved once.
  expect(cache.entries).toHaveLength(1);
});

test('inside the run (a last job with needs: and if: always()): the summary job is left out, the conclusion comes from the jobs', async () => {
  const runId = addRun('int-inrun', 'success', 2);
  gh.updateRun(runId, { status: 'in_progress', conclusion: null });
  const own = gh.addJob({
    run_id: runId,
    name: 'summary',
    status: 'in_progress',
    conclusion: null,
    started_at: iso(Date.now() - MIN),
    completed_at: null,
    steps: [],
  });
  const io = await summarise(
    runId,
    new FakeCacheApi(),
    { 'check-run-id': String(own) },
    { GITHUB_RUN_ID: String(runId) },
  );
  expect(io.failed).toBeUndefined();
  expect(io.outputs.get('status')).toBe('success');
  expect(io.outputs.get('error-type')).toBe('');
  expect(io.summary).toContain('| deploy-1 | success |');
  expect(io.summary).not.toContain('| summary |');
  expect(gh.checkRuns.find((c) => c.external_id === `${runId}.1`)?.conclusion).toBe('success');
});

test('a cancelled run: the status output says cancelled, not failure', async () => {
  const runId = addRun('int-cancelled', 'cancelled');
  const io = await summarise(runId, new FakeCacheApi());
  expect(io.failed).toBeUndefined();
  expect(io.outputs.get('status')).toBe('cancelled');
  expect(io.outputs.get('error-type')).toBe('');
});

test('a corrupt history file is a warning; the summary goes on from the API and does not overwrite it', async () => {
  const stateDir = join(temp, 'state-corrupt');
  const runId = addRun('int-corrupt', 'success');
  const first = await summarise(
    runId,
    new FakeCacheApi(),
    {},
    { DEPLOYMENT_OBSERVABILITY_STATE_DIR: stateDir },
  );
  expect(first.entries.filter((e) => e.level === 'warning')).toEqual([]);
  const [scope] = readdirSync(join(stateDir, 'history'));
  const file = join(stateDir, 'history', scope as string, 'history.json.gz');
  writeFileSync(file, 'garbage');
  const second = await summarise(
    runId,
    new FakeCacheApi(),
    {},
    { DEPLOYMENT_OBSERVABILITY_STATE_DIR: stateDir },
  );
  expect(second.entries.some((e) => e.level === 'warning' && e.message.includes('could not be read'))).toBe(
    true,
  );
  expect(second.failed).toBeUndefined();
  expect(readFileSync(file, 'utf8')).toBe('garbage');
});

test('the failed stage is named as track mode names it: the `stages` input, else inferred from the step', async () => {
  const t0 = Date.now() - 20 * MIN;
  const runId = addRun('int-stages', 'failure', 0);
  const step = (name: string, conclusion: string, fromMin: number, toMin: number) => ({
    name,
    status: 'completed' as const,
    conclusion,
    started_at: iso(t0 + fromMin * MIN),
    completed_at: iso(t0 + toMin * MIN),
  });
  gh.addJob({
    run_id: runId,
    name: 'deploy-api',
    status: 'completed',
    conclusion: 'failure',
    started_at: iso(t0 + MIN),
    completed_at: iso(t0 + 4 * MIN),
    steps: [
      step('Set up job', 'success', 1, 1),
      step('Roll out', 'success', 1, 2),
      step('Wait for health check', 'failure', 2, 3),
      step('Complete job', 'success', 3, 4),
    ],
  });
  const cache = (): FakeCacheApi => new FakeCacheApi();
  // No map: inferred from the step's name, as track mode infers it.
  const inferred = await summarise(runId, cache());
  expect(inferred.outputs.get('failed-stage')).toBe('health_check');
  expect(inferred.outputs.get('error-type')).toBe('health_check_failed');
  expect(inferred.summary).toContain('| `health_check` (`deploy-api/Wait for health check`) |');
  // The tracked job's map: its stages; a bad line is reported once, naming the input and the line.
  const mapped = await summarise(runId, cache(), {
    stages: 'Roll out => api/deploy_railway\nWait for health check => api/readiness\nnot a rule',
  });
  expect(mapped.outputs.get('failed-stage')).toBe('readiness');
  // A stage of the map's own naming has no error type of its own: `unknown`, as track mode says.
  expect(mapped.outputs.get('error-type')).toBe('unknown');
  expect(mapped.summary).toContain('| `readiness` (`deploy-api/Wait for health check`) |');
  expect(
    mapped.entries.filter((e) => e.level === 'warning' && e.message.includes('input stages, line 3')),
  ).toHaveLength(1);
  expect(mapped.failed).toBeUndefined();
  expect(
    gh.checkRuns.filter((c) => c.external_id === `${runId}.1`).map((c) => c.annotations[0]?.message),
  ).toEqual([
    'Failed stage: health_check (deploy-api/Wait for health check)',
    'Failed stage: readiness (deploy-api/Wait for health check)',
  ]);
});

test('a symbolic link at metrics-file: summary says it cannot write there and writes nothing through it, as track mode', async () => {
  const target = join(temp, 'elsewhere.txt');
  writeFileSync(target, 'not for the action\n');
  const link = join(temp, 'summary-link.prom');
  symlinkSync(target, link);
  const runId = addRun('int-link', 'success');
  const io = await summarise(runId, new FakeCacheApi(), { 'metrics-file': link });
  expect(io.outputs.get('status')).toBe('success');
  expect(io.messages('warning')).toContain(
    `metrics-file ${link} could not be written: it exists and is not a regular file`,
  );
  expect(readFileSync(target, 'utf8')).toBe('not for the action\n');
});
