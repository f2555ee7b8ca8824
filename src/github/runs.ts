/**
 * Reading a workflow run attempt-aware (docs/platform.md, "The REST API"): the run at
 * its attempt, and every job of that attempt across pages (per_page 100).
 */
import type { ApiRun, ApiRunJob } from '../summary/record.js';
import type { GitHubClient } from './client.js';

/** At most this many job pages are read (10,000 jobs). */
export const MAX_JOB_PAGES = 100;

export interface RunAttempt {
  readonly run: ApiRun;
  readonly jobs: ApiRunJob[];
}

/** The run's latest attempt (or `attempt`), with every job of that attempt. */
export async function readRunAttempt(
  client: GitHubClient,
  runId: string,
  deadline: number,
  attempt?: number,
): Promise<RunAttempt> {
  const run =
    attempt === undefined
      ? await client.getRun<ApiRun>(runId, deadline)
      : await client.getRunAttempt<ApiRun>(runId, attempt, deadline);
  const n = run.run_attempt ?? attempt ?? 1;
  const jobs: ApiRunJob[] = [];
  for (let page = 1; page <= MAX_JOB_PAGES; page++) {
    const { totalCount, jobs: pageJobs } = await client.listAttemptJobs(runId, n, page, deadline);
    jobs.push(...(pageJobs as unknown as ApiRunJob[]));
    if (pageJobs.length < 100 || jobs.length >= totalCount) break;
  }
  return { run: { ...run, run_attempt: n }, jobs };
}
