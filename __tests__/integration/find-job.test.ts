/**
 * Finding the current job and waiting out the API's lag, with the real REST
 * client against the fake GitHub API and a fake clock (no real waiting).
 */
import { GitHubClient } from '../../src/github/client.js';
import { findCurrentJob } from '../../src/github/find-job.js';
import { readRunnerContext } from '../../src/config/inputs.js';
import type { Clock } from '../../src/util/clock.js';
import { RecordingLogger } from '../support/recording.js';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.js';

let gh: FakeGitHub;
beforeAll(async () => {
  gh = await startFakeGitHub({ token: 't0ken-for-find-job', jobOrder: 'id-asc' });
});
afterAll(async () => {
  await gh?.close();
});

/** A clock whose sleep advances time at once: the lag loop runs without waiting. */
function fakeClock(): Clock & { slept: number[] } {
  let now = Date.UTC(2026, 10, 20, 10, 0, 0);
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

const step = (name: string, status: 'completed' | 'in_progress' | 'queued', conclusion: string | null) => ({
  name,
  status,
  conclusion,
  started_at: status === 'queued' ? null : '2026-11-20T10:00:00Z',
  completed_at: status === 'completed' ? '2026-11-20T10:00:10Z' : null,
});

function options(
  runId: number,
  checkRunId: number | undefined,
  clock: Clock,
  extraEnv: Record<string, string> = {},
) {
  return {
    client: new GitHubClient({
      apiUrl: gh.url,
      token: 't0ken-for-find-job',
      repository: 'octo-org/octo-repo',
      clock,
    }),
    runner: readRunnerContext({
      GITHUB_RUN_ID: String(runId),
      GITHUB_JOB: 'deploy',
      RUNNER_NAME: 'runner-x',
      ...extraEnv,
    }),
    checkRunId,
    clock,
    logger: new RecordingLogger(),
    deadline: clock.now() + 12000,
    lagBudgetMs: 8000,
  };
}

test('polls with growing pauses until the steps before post show completed', async () => {
  const id = gh.addJob({
    run_id: 1,
    name: 'deploy',
    status: 'in_progress',
    steps: [step('Build', 'in_progress', null), step('Post Build', 'queued', null)],
  });
  gh.lagPolls = 3;
  // The runner finishes Build; the API shows it for the next 3 reads as still running.
  gh.setJobSteps(id, [step('Build', 'completed', 'success'), step('Post Build', 'in_progress', null)]);
  try {
    const clock = fakeClock();
    const found = await findCurrentJob(options(1, id, clock));
    expect(found.settled).toBe(true);
    expect(found.polls).toBe(4);
    expect(clock.slept).toEqual([200, 400, 800]);
  } finally {
    gh.lagPolls = 0;
  }
});

test('gives up after the lag budget and says so; the job is used as it is', async () => {
  const id = gh.addJob({
    run_id: 2,
    name: 'deploy',
    status: 'in_progress',
    steps: [step('Deploy', 'in_progress', null), step('Post Deploy', 'queued', null)],
  });
  const clock = fakeClock();
  const o = options(2, id, clock);
  const found = await findCurrentJob(o);
  expect(found.settled).toBe(false);
  expect(clock.slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(8000);
  expect(o.logger.messages('info')[0]).toMatch(
    /^The API still shows steps in progress after \d+(\.\d)?s; using what it shows$/,
  );
});

test('without check-run-id: an in-progress job on our runner wins at once, other pages are not read', async () => {
  for (let n = 0; n < 150; n++)
    gh.addJob({ run_id: 3, name: `deploy (${n})`, status: 'in_progress', runner_name: `r${n}`, steps: [] });
  const mine = gh.addJob({
    run_id: 3,
    name: 'deploy (mine)',
    status: 'in_progress',
    runner_name: 'runner-x',
    steps: [step('A', 'completed', 'success')],
  });
  const before = gh.requests.length;
  const found = await findCurrentJob(options(3, undefined, fakeClock()));
  expect(found.job.id).toBe(mine);
  expect(gh.requests.slice(before).map((r) => new URL(r.path, 'http://x').searchParams.get('page'))).toEqual([
    '1',
    '2',
  ]);
});

test('without check-run-id and no match: an error that names the run, the job and the runner', async () => {
  gh.addJob({ run_id: 4, name: 'other', status: 'in_progress', runner_name: 'r', steps: [] });
  await expect(findCurrentJob(options(4, undefined, fakeClock()))).rejects.toThrow(
    'no in-progress job of run 4 attempt 1 matches job "deploy" or runner "runner-x"; pass check-run-id: ${{ job.check_run_id }}',
  );
});

test('a job matched by name alone (unique) is used', async () => {
  const id = gh.addJob({
    run_id: 5,
    name: 'deploy',
    status: 'in_progress',
    runner_name: 'GitHub Actions 3',
    steps: [step('A', 'completed', 'success')],
  });
  const found = await findCurrentJob(options(5, undefined, fakeClock()));
  expect(found.job.id).toBe(id);
});
