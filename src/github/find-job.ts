/**
 * Finds the current job in the REST API and waits, with a bound and without a
 * fixed sleep, until the steps before post show as completed: the API lags the
 * runner by a second or more (docs/platform.md, "The REST API").
 */
import type { RunnerContext } from '../config/inputs.js';
import { mainStepsOf } from '../model/deployment.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { GitHubClient, WorkflowJob } from './client.js';

export interface FindJobOptions {
  readonly client: GitHubClient;
  readonly runner: RunnerContext;
  readonly checkRunId: number | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  /** No request starts after this (ms since epoch). */
  readonly deadline: number;
  /** How long to wait for lagging steps, at most (ms). */
  readonly lagBudgetMs: number;
  /**
   * `post` (default): every main step is over. `main`: every main step before
   * the one running now is over (a later instance reading the job so far).
   */
  readonly phase?: 'main' | 'post';
}

export interface FoundJob {
  readonly job: WorkflowJob;
  /** True when every main step showed completed within the lag budget. */
  readonly settled: boolean;
  readonly polls: number;
}

const MAX_PAGES = 10; // 1,000 jobs: GitHub's matrix limit is 256 per job, a run holds at most a few hundred.

function jobMatches(job: WorkflowJob, runner: RunnerContext): number {
  let score = 0;
  if (runner.runnerName && job.runner_name === runner.runnerName) score += 2;
  const name = job.name ?? '';
  if (runner.jobId && (name === runner.jobId || name.startsWith(`${runner.jobId} (`))) score += 1;
  return score;
}

/** Looks the job up among the run attempt's jobs (when `check-run-id` is empty, e.g. on GHES). */
async function lookUpJob(o: FindJobOptions): Promise<WorkflowJob> {
  const candidates: { job: WorkflowJob; score: number }[] = [];
  const pages = o.client.attemptJobPages(o.runner.runId, o.runner.runAttempt, o.deadline, MAX_PAGES);
  for await (const { jobs } of pages) {
    for (const job of jobs) {
      if (job.status !== 'in_progress') continue;
      const score = jobMatches(job, o.runner);
      // A runner runs one job at a time: an in-progress job on our runner is ours.
      if (score >= 2) return job;
      if (score > 0) candidates.push({ job, score });
    }
  }
  if (candidates.length === 1) return (candidates[0] as { job: WorkflowJob }).job;
  if (candidates.length === 0) {
    throw new Error(
      `no in-progress job of run ${o.runner.runId} attempt ${o.runner.runAttempt} matches job "${o.runner.jobId}" or runner "${o.runner.runnerName}"; pass check-run-id: \${{ job.check_run_id }}`,
    );
  }
  throw new Error(
    `${candidates.length} in-progress jobs match job "${o.runner.jobId}" (a matrix?) and none runs on runner "${o.runner.runnerName}"; pass check-run-id: \${{ job.check_run_id }}`,
  );
}

function settled(job: WorkflowJob, phase: 'main' | 'post'): boolean {
  const steps = job.steps ?? [];
  if (steps.length === 0) return false;
  // This action's own main step is over by post, so it needs no special case there.
  const main = mainStepsOf(steps);
  if (phase === 'post') return main.every((s) => s.status === 'completed');
  // In main: the running step is ours; everything before it must show completed, only
  // queued steps may follow. Two steps in progress means the API still lags.
  const open = main.findIndex((s) => s.status !== 'completed');
  if (open < 0) return true;
  return main[open]?.status === 'in_progress' && main.slice(open + 1).every((s) => s.status === 'queued');
}

/** Finds the job and polls it until its main steps are completed or the lag budget is spent. */
export async function findCurrentJob(o: FindJobOptions): Promise<FoundJob> {
  const start = o.clock.now();
  let job = o.checkRunId !== undefined ? await o.client.getJob(o.checkRunId, o.deadline) : await lookUpJob(o);
  const jobId = job.id;
  let polls = 1;
  let delay = 200;
  while (!settled(job, o.phase ?? 'post')) {
    const waited = o.clock.now() - start;
    if (waited + delay > o.lagBudgetMs || o.clock.now() + delay >= o.deadline) {
      o.logger.info(
        `The API still shows steps in progress after ${Math.round(waited / 100) / 10}s; using what it shows`,
      );
      return { job, settled: false, polls };
    }
    // Exponential backoff between polls: quick when the API is only a moment behind.
    await o.clock.sleep(delay);
    delay = Math.min(delay * 2, 2000);
    job = await o.client.getJob(jobId, o.deadline);
    polls++;
  }
  return { job, settled: true, polls };
}
