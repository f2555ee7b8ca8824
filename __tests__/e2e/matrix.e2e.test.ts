/**
 * A 250-job matrix run where the current job is on page 3 of the attempt's
 * jobs, and `check-run-id` is empty (as on GHES): the action pages through the
 * jobs and finds its own by the runner it runs on.
 */
import { apiSteps, API_STAGE_MAP, runTrackedJob } from '../../tools/scenarios/index.js';
import { gatewayValue, newRunId, startBed, type Bed } from './helpers.js';

let bed: Bed;
beforeAll(async () => {
  // Jobs listed in id order, so the job added last is on the last page.
  bed = await startBed({ jobOrder: 'id-asc' });
});
afterAll(async () => {
  await bed?.close();
});

test('250 jobs, ours on page 3, no check-run-id: found by its runner, stages reported', async () => {
  const runId = newRunId();
  for (let n = 1; n <= 249; n++) {
    bed.gh.addJob({
      run_id: runId,
      name: `deploy (svc-${n})`,
      status: 'in_progress',
      runner_name: `GitHub Actions ${n}`,
      steps: [],
    });
  }
  const before = bed.gh.requests.length;
  const job = await runTrackedJob({
    gh: bed.gh,
    runId,
    job: 'deploy',
    runnerName: 'GitHub Actions 250',
    checkRunId: false,
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { environment: 'matrix', service: 'api', 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
  });
  expect(job.post?.exitCode).toBe(0);
  expect(job.result.annotations.filter((a) => a.level === 'warning')).toEqual([]);
  const listed = bed.gh.requests
    .slice(before)
    .filter((r) => r.path.includes(`/actions/runs/${runId}/attempts/1/jobs`))
    .map((r) => new URL(r.path, 'http://x').searchParams.get('page'));
  expect(listed).toEqual(['1', '2', '3']);
  expect(JSON.parse(job.post?.outputs['stages-json'] ?? '[]')).toHaveLength(6);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_total', {
      environment: 'matrix',
      stage: 'smoke_test',
      status: 'success',
    }),
  ).toBe(1);
});

test('several in-progress jobs match the job id and none runs on our runner: a warning that says what to do; the outcome still counted', async () => {
  const runId = newRunId();
  for (let n = 1; n <= 3; n++) {
    bed.gh.addJob({
      run_id: runId,
      name: `deploy (svc-${n})`,
      status: 'in_progress',
      runner_name: `other ${n}`,
      steps: [],
    });
  }
  const job = await runTrackedJob({
    gh: bed.gh,
    runId,
    job: 'deploy',
    runnerName: 'self-hosted-7',
    // The API names the runner differently from RUNNER_NAME (as on GitHub-hosted runners).
    apiJob: { name: 'deploy (svc-4)', runner_name: 'GitHub Actions 4' },
    checkRunId: false,
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { environment: 'matrix-ambiguous', service: 'api', 'pushgateway-url': bed.pg.url },
  });
  expect(job.post?.exitCode).toBe(0);
  const warnings = job.result.annotations.filter((a) => a.level === 'warning').map((a) => a.message);
  expect(warnings).toEqual([
    expect.stringContaining(
      '4 in-progress jobs match job "deploy" (a matrix?) and none runs on runner "self-hosted-7"; pass check-run-id',
    ),
  ]);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_runs_total', {
      environment: 'matrix-ambiguous',
      status: 'success',
    }),
  ).toBe(1);
});
