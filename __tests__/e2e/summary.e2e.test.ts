/**
 * Summary mode through the real main bundle under the runner emulator, against
 * the fake GitHub API (completed runs with many jobs, re-runs, a fork PR, 403 on
 * check runs) and a real Pushgateway; values read back from the Pushgateway's
 * own API, check-run bodies from what the fake API received.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NOT_ACCESSIBLE_BODY } from '../../tools/fake-github/server.js';
import { repoActionDir, runJob } from '../../tools/runner-emulator/index.js';
import type { PhaseResult } from '../../tools/runner-emulator/index.js';
import { ACTION_LABEL, FAKE_TOKEN, REPOSITORY } from '../../tools/scenarios/index.js';
import { pushgatewayMetrics } from '../../tools/services/index.js';
import { gatewayValue, newRunId, startBed, type Bed } from './helpers.js';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.close();
});

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const MIN = 60_000;

let shaCounter = 0x100;
const workflowIds = new Map<string, number>();

interface DeployRun {
  runId: number;
  workflow: string;
  sha: string;
}

/**
 * A completed deploy-full-stack run: build, deploy-api (fails at "Deploy to
 * Railway" unless `ok`), deploy-web, migrate, rollback, plus `extraJobs` small jobs.
 * Trigger 20 min ago; deploy-web finishes last at trigger + 11 min.
 */
function addDeployRun(
  workflow: string,
  o: { ok?: boolean; extraJobs?: number; attempt?: number; event?: string; runId?: number } = {},
): DeployRun {
  const t0 = Date.now() - 20 * MIN;
  const sha = `${(++shaCounter).toString(16)}${'c0ffee'.repeat(7)}`.slice(0, 40);
  const attempt = o.attempt ?? 1;
  const conclusion = o.ok ? 'success' : 'failure';
  const fields = {
    name: workflow,
    path: `.github/workflows/${workflow}.yml`,
    head_branch: 'main',
    head_sha: sha,
    event: o.event ?? 'push',
    status: 'completed',
    conclusion,
    created_at: iso(t0),
    run_started_at: iso(t0 + (attempt - 1) * MIN),
    updated_at: iso(t0 + 12 * MIN),
    pull_requests: [],
    workflow_id:
      workflowIds.get(workflow) ?? workflowIds.set(workflow, 4242 + workflowIds.size).get(workflow),
  };
  const runId = o.runId ?? bed.gh.addRun({ id: newRunId(), run_attempt: attempt, ...fields });
  if (o.runId !== undefined) bed.gh.updateRun(runId, { run_attempt: attempt, ...fields });
  const job = (name: string, startMin: number, endMin: number, jobConclusion: string, failedStep?: string) =>
    bed.gh.addJob({
      run_id: runId,
      run_attempt: attempt,
      name,
      status: 'completed',
      conclusion: jobConclusion,
      started_at: iso(t0 + startMin * MIN),
      completed_at: iso(t0 + endMin * MIN),
      steps: [
        {
          name: 'Set up job',
          status: 'completed',
          conclusion: 'success',
          started_at: iso(t0 + startMin * MIN),
          completed_at: iso(t0 + startMin * MIN),
        },
        {
          name: failedStep ?? 'Deploy',
          status: 'completed',
          conclusion: jobConclusion,
          started_at: iso(t0 + startMin * MIN),
          completed_at: iso(t0 + endMin * MIN),
        },
      ],
    });
  job('build', 0.5, 2, 'success');
  job('deploy-api', 2, 8, conclusion, 'Deploy to Railway');
  job('deploy-web', 2, 11, 'success');
  job('migrate', 2, 3, 'success');
  job('rollback', 8.5, 9, o.ok ? 'skipped' : 'success');
  for (let i = 0; i < (o.extraJobs ?? 0); i++) job(`lint-${i}`, 0.5, 1, 'success');
  return { runId, workflow, sha };
}

async function summarise(
  runId: number,
  options: { history?: boolean; stateDir?: string | null; with?: Record<string, string> } = {},
): Promise<PhaseResult> {
  const summaryRunId = newRunId();
  const env: Record<string, string> = {
    GITHUB_API_URL: bed.gh.url,
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_RUN_ID: String(summaryRunId),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_REF_NAME: 'main',
    GITHUB_WORKFLOW: 'deploy-summary',
    GITHUB_EVENT_NAME: 'workflow_run',
  };
  const stateDir = options.stateDir === undefined ? bed.stateDir : options.stateDir;
  if (stateDir) env.DEPLOYMENT_OBSERVABILITY_STATE_DIR = stateDir;
  const result = await runJob({
    name: 'summary',
    env,
    context: { github: { token: FAKE_TOKEN }, job: { check_run_id: '' } },
    steps: [
      {
        uses: repoActionDir(),
        id: 'summary',
        label: ACTION_LABEL,
        with: {
          mode: 'summary',
          'run-id': String(runId),
          'pushgateway-url': bed.pg.url,
          environment: 'e2e-summary',
          ...options.with,
        },
      },
    ],
  });
  const main = result.phases.find((p) => p.id === 'summary' && p.phase === 'main' && !p.skipped);
  if (!main) throw new Error(`no main phase: ${JSON.stringify(result.phases.map((p) => [p.id, p.phase]))}`);
  return main;
}

const groupLabels = (workflow: string) => ({ repository: REPOSITORY, workflow });

/** `time_to_deploy_seconds` of one environment as the Pushgateway holds it: count, sum, buckets. */
async function ttdHistogram(
  environment: string,
): Promise<{ count: number; sum: number; buckets: Record<string, number> } | undefined> {
  for (const group of await pushgatewayMetrics(bed.pg.url)) {
    const family = group.time_to_deploy_seconds as
      | {
          metrics?: {
            labels: Record<string, string>;
            count?: string;
            sum?: string;
            buckets?: Record<string, string>;
          }[];
        }
      | undefined;
    const m = family?.metrics?.find((x) => x.labels.environment === environment);
    if (m)
      return {
        count: Number(m.count),
        sum: Number(m.sum),
        buckets: Object.fromEntries(Object.entries(m.buckets ?? {}).map(([le, v]) => [le, Number(v)])),
      };
  }
  return undefined;
}

test('a failed run with 135 jobs: attempt-aware and paginated; summarising it twice counts it once', async () => {
  const run = addDeployRun('deploy-e2e-twice', { extraJobs: 130 });
  const twice = { with: { environment: 'e2e-summary-twice' } };
  const first = await summarise(run.runId, twice);
  expect(first.exitCode).toBe(0);
  expect(first.annotations.filter((a) => a.level !== 'notice')).toEqual([]);
  expect(first.outputs).toMatchObject({
    status: 'failure',
    // named as track mode in deploy-api names it (inferred from the step, no map given)
    'failed-stage': 'deploy_railway',
    'deployment-id': String(run.runId),
  });
  // every page of the attempt's jobs was read (135 jobs: 2 pages; the second may be asked for at the
  // `link` header's `/repositories/{id}/…` URL)
  const jobPages = bed.gh.requests.filter((r) =>
    r.path.includes(`/actions/runs/${run.runId}/attempts/1/jobs`),
  );
  expect(jobPages.map((r) => new URL(r.path, 'http://x').searchParams.get('page'))).toEqual(['1', '2']);

  const labels = { ...groupLabels(run.workflow), branch: 'main', conclusion: 'failure' };
  expect(await gatewayValue(bed.pg.url, 'github_workflow_runs_total', labels)).toBe(1);
  // run started → last job done (deploy-web) = 11 min
  expect(await gatewayValue(bed.pg.url, 'github_action_duration_seconds', labels)).toBe(11 * 60);
  // TTD: trigger → deploy-web (the last deploy job) done = 660 s: buckets from 720 up
  const once = {
    count: 1,
    sum: 660,
    buckets: {
      '60': 0,
      '300': 0,
      '480': 0,
      '600': 0,
      '720': 1,
      '900': 1,
      '1200': 1,
      '1500': 1,
      '1800': 1,
      '+Inf': 1,
    },
  };
  expect(await ttdHistogram('e2e-summary-twice')).toEqual(once);

  const second = await summarise(run.runId, twice);
  expect(second.exitCode).toBe(0);
  expect(second.stdout).toContain('was counted before');
  expect(await ttdHistogram('e2e-summary-twice')).toEqual(once);
  expect(await gatewayValue(bed.pg.url, 'github_workflow_runs_total', labels)).toBe(1);
  // a failed run is no deployment (DORA): frequency stays 0
  expect(
    await gatewayValue(bed.pg.url, 'deployment_frequency', {
      environment: 'e2e-summary-twice',
      service: 'all',
      period: '30d',
    }),
  ).toBe(0);

  // The check run: on the head commit, the run's conclusion, the failed stage and the slow stages.
  const checks = bed.gh.checkRuns.filter((c) => c.head_sha === run.sha);
  expect(checks).toHaveLength(2);
  const check = checks[0]!;
  expect(check).toMatchObject({
    name: 'Deployment observability',
    status: 'completed',
    conclusion: 'failure',
  });
  expect(check.output.summary).toContain('### DORA');
  expect(check.annotations.map((a) => [a.annotation_level, a.title])).toEqual(
    expect.arrayContaining([['failure', 'Deployment failed']]),
  );
  expect(check.annotations[0]).toMatchObject({
    path: `.github/workflows/${run.workflow}.yml`,
    start_line: 1,
    message: 'Failed stage: deploy_railway (deploy-api/Deploy to Railway)',
  });
  // The job summary reads like the dashboards.
  for (const heading of [
    '### This run',
    '### Stage durations',
    '### Failure root causes',
    '### Error budget',
    '### DORA',
  ])
    expect(first.summary).toContain(heading);
  // The history keeps one record for the attempt, in the state directory.
  expect(readdirSync(join(bed.stateDir, 'history')).length).toBeGreaterThan(0);
});

test('a re-run is a new attempt: counted once more, with its own TTD observation', async () => {
  const run = addDeployRun('deploy-e2e-rerun');
  const rerunEnv = { with: { environment: 'e2e-summary-rerun' } };
  await summarise(run.runId, rerunEnv);
  addDeployRun('deploy-e2e-rerun', { ok: true, attempt: 2, runId: run.runId });
  const rerun = await summarise(run.runId, rerunEnv);
  expect(rerun.exitCode).toBe(0);
  expect(rerun.outputs['deployment-id']).toBe(`${run.runId}-2`);
  const base = groupLabels(run.workflow);
  expect(
    await gatewayValue(bed.pg.url, 'github_workflow_runs_total', { ...base, conclusion: 'failure' }),
  ).toBe(1);
  expect(
    await gatewayValue(bed.pg.url, 'github_workflow_runs_total', { ...base, conclusion: 'success' }),
  ).toBe(1);
  await summarise(run.runId, rerunEnv);
  expect(
    await gatewayValue(bed.pg.url, 'github_workflow_runs_total', { ...base, conclusion: 'success' }),
  ).toBe(1);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_frequency', {
      environment: 'e2e-summary-rerun',
      service: 'all',
      period: '1d',
    }),
  ).toBe(1);
  // attempt 2 is triggered at its run_started_at (t0 + 1 min): TTD 600 s; attempt 1's was 660 s
  expect(await ttdHistogram('e2e-summary-rerun')).toEqual({
    count: 2,
    sum: 1260,
    buckets: {
      '60': 0,
      '300': 0,
      '480': 0,
      '600': 1,
      '720': 2,
      '900': 2,
      '1200': 2,
      '1500': 2,
      '1800': 2,
      '+Inf': 2,
    },
  });
  const checks = bed.gh.checkRuns.filter((c) => c.external_id?.startsWith(`${run.runId}.`));
  expect(checks.map((c) => [c.external_id, c.conclusion])).toEqual([
    [`${run.runId}.1`, 'failure'],
    [`${run.runId}.2`, 'success'],
    [`${run.runId}.2`, 'success'],
  ]);
});

test('without any history store the group marker still counts each attempt once, and it says so', async () => {
  const run = addDeployRun('deploy-e2e-nohistory', { ok: true });
  const first = await summarise(run.runId, { stateDir: null });
  expect(first.exitCode).toBe(0);
  expect(first.annotations.map((a) => a.message).join('\n')).toContain('No deployment history');
  expect(first.summary).toContain('History bootstrapped from the GitHub API');
  await summarise(run.runId, { stateDir: null });
  const labels = { ...groupLabels(run.workflow), conclusion: 'success' };
  expect(await gatewayValue(bed.pg.url, 'github_workflow_runs_total', labels)).toBe(1);
  expect(
    await gatewayValue(
      bed.pg.url,
      'deployment_observability_summary_counted_attempt',
      groupLabels(run.workflow),
    ),
  ).toBe(run.runId * 1000 + 1);
});

test('a fork PR run: PR found by head_sha; 403 on the check run falls back to annotations and says so', async () => {
  const run = addDeployRun('deploy-e2e-fork', { event: 'pull_request' });
  const pr = bed.gh.addPullRequest({ head_sha: run.sha, head_ref: 'fork:feature' });
  bed.gh.inject({
    kind: 'status',
    status: 403,
    body: NOT_ACCESSIBLE_BODY,
    route: '/check-runs',
    method: 'POST',
  });
  const main = await summarise(run.runId);
  expect(main.exitCode).toBe(0);
  expect(main.summary).toContain(`(PR #${pr})`);
  const warnings = main.annotations.filter((a) => a.level === 'warning').map((a) => a.message);
  expect(warnings.some((w) => w.includes('checks: write'))).toBe(true);
  expect(main.annotations).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        level: 'error',
        title: 'Deployment failed',
        file: `.github/workflows/${run.workflow}.yml`,
      }),
    ]),
  );
  expect(bed.gh.checkRuns.filter((c) => c.head_sha === run.sha)).toEqual([]);
});

test('fail-on-error: an unreadable run fails the step; by default it is a warning', async () => {
  const open = await summarise(987654321);
  expect(open.exitCode).toBe(0);
  expect(open.annotations.some((a) => a.level === 'warning' && a.message.includes('could not be read'))).toBe(
    true,
  );
  const strict = await summarise(987654321, { with: { 'fail-on-error': 'true' } });
  expect(strict.exitCode).not.toBe(0);
});
