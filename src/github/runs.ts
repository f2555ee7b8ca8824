/**
 * Reading a workflow run attempt-aware (docs/platform.md, "The REST API"): the run at
 * its attempt, and every job of that attempt across pages (100 a page, following `link`).
 */
import type { GitHubClient } from './client.js';

/** What summary mode reads of a run, its jobs and their steps (a subset of the API's `workflow-run` and `job`). */
interface ApiStep {
  readonly name: string;
  readonly status?: string;
  readonly conclusion?: string | null;
  readonly started_at?: string | null;
  readonly completed_at?: string | null;
}

export interface ApiRunJob {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  readonly conclusion?: string | null;
  readonly started_at?: string | null;
  readonly completed_at?: string | null;
  readonly steps?: readonly ApiStep[];
}

export interface ApiRun {
  readonly id: number;
  readonly name?: string | null;
  readonly path?: string;
  readonly run_attempt?: number;
  readonly head_branch?: string | null;
  readonly head_sha: string;
  readonly status?: string | null;
  readonly conclusion?: string | null;
  readonly created_at: string;
  readonly run_started_at?: string | null;
  readonly updated_at?: string | null;
  readonly event?: string;
  readonly workflow_id?: number;
  readonly html_url?: string;
  readonly head_commit?: { readonly timestamp?: string | null } | null;
  readonly pull_requests?: readonly { readonly number: number }[] | null;
}

/** At most this many job pages are read (10,000 jobs). */
const MAX_JOB_PAGES = 100;

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
      ? await client.getRun(runId, deadline)
      : await client.getRunAttempt(runId, attempt, deadline);
  const n = run.run_attempt ?? attempt ?? 1;
  const jobs: ApiRunJob[] = [];
  for await (const page of client.attemptJobPages(runId, n, deadline, MAX_JOB_PAGES)) {
    jobs.push(...page.jobs);
    if (page.jobs.length === 0) break;
  }
  return { run: { ...run, run_attempt: n }, jobs };
}
