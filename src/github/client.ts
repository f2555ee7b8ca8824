/**
 * A small REST client for the few GitHub endpoints the action reads. Every
 * call has a timeout, bounded retries and honours rate-limit headers (see
 * util/http.ts). Built explicitly from the runner context instead of reading
 * GITHUB_API_URL at import time (@actions/github does that: docs/platform.md, "Toolchain").
 */
import type { ApiJob } from '../model/deployment.js';
import type { Clock } from '../util/clock.js';
import { request, type FetchLike } from '../util/http.js';

export interface WorkflowJob extends ApiJob {
  readonly id: number;
  readonly run_id?: number;
  readonly run_attempt?: number;
  readonly name: string;
  readonly status: string;
  readonly conclusion?: string | null;
  readonly runner_name?: string | null;
  readonly html_url?: string | null;
  readonly started_at?: string | null;
  readonly completed_at?: string | null;
}

export interface GitHubClientOptions {
  readonly apiUrl: string;
  readonly token: string;
  readonly repository: string;
  readonly clock: Clock;
  readonly fetchImpl?: FetchLike;
}

/** A conditional job read: 200 with the job and its ETag, or 304 (unchanged). */
export interface ConditionalJob {
  readonly status: 200 | 304;
  readonly job?: WorkflowJob;
  readonly etag: string | undefined;
  /** `x-ratelimit-remaining`, when the answer said. */
  readonly rateRemaining: number | undefined;
  readonly headers: Headers;
}

export class GitHubApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly headers?: Headers,
  ) {
    super(message);
    this.name = 'GitHubApiError';
  }
}

export class GitHubClient {
  /** Requests sent (attempts included), for the benchmark and the summary. */
  requestCount = 0;

  constructor(private readonly options: GitHubClientOptions) {}

  private async getJson<T>(path: string, what: string, deadline: number): Promise<T> {
    const o = this.options;
    const fetchImpl: FetchLike = (url, init) => {
      this.requestCount++;
      return (o.fetchImpl ?? fetch)(url, init);
    };
    const response = await request(
      {
        url: `${o.apiUrl}${path}`,
        headers: {
          accept: 'application/vnd.github+json',
          'x-github-api-version': '2022-11-28',
          'user-agent': 'deployment-observability-action',
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        },
        timeoutMs: 5000,
        attempts: 3,
        deadline,
        what,
      },
      o.clock,
      fetchImpl,
    );
    if (response.status !== 200) {
      let message = response.text.slice(0, 200);
      try {
        message = (JSON.parse(response.text) as { message?: string }).message ?? message;
      } catch {
        // not JSON: keep the text
      }
      const hint =
        response.status === 401
          ? ' (is github-token valid?)'
          : response.status === 403 || response.status === 404
            ? ' (the token needs `actions: read`: add `permissions: { actions: read }` to the job or workflow)'
            : '';
      throw new GitHubApiError(`${what}: HTTP ${response.status} ${message}${hint}`, response.status);
    }
    try {
      return JSON.parse(response.text) as T;
    } catch {
      throw new GitHubApiError(`${what}: the answer is not JSON`, response.status);
    }
  }

  /** `GET /repos/{owner}/{repo}/actions/jobs/{job_id}` */
  getJob(jobId: number, deadline: number): Promise<WorkflowJob> {
    return this.getJson(
      `/repos/${this.options.repository}/actions/jobs/${jobId}`,
      `GET job ${jobId}`,
      deadline,
    );
  }

  /**
   * `GET /repos/{owner}/{repo}/actions/jobs/{job_id}` as a conditional request:
   * with the last answer's ETag in `If-None-Match`, GitHub answers 304 when the
   * job has not changed, and an authorised 304 does not count against the rate
   * limit. One attempt: the live reporter's loop decides when to try again.
   */
  async getJobIfChanged(jobId: number, etag: string | undefined, deadline: number): Promise<ConditionalJob> {
    const o = this.options;
    this.requestCount++;
    const response = await request(
      {
        url: `${o.apiUrl}/repos/${o.repository}/actions/jobs/${jobId}`,
        headers: {
          accept: 'application/vnd.github+json',
          'x-github-api-version': '2022-11-28',
          'user-agent': 'deployment-observability-action',
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...(etag ? { 'if-none-match': etag } : {}),
        },
        timeoutMs: 5000,
        attempts: 1,
        deadline,
        what: `GET job ${jobId}`,
        retryOn: () => false,
      },
      o.clock,
      o.fetchImpl ?? fetch,
    );
    const remaining = Number(response.headers.get('x-ratelimit-remaining') ?? NaN);
    const rate = Number.isFinite(remaining) ? remaining : undefined;
    if (response.status === 304) return { status: 304, etag, rateRemaining: rate, headers: response.headers };
    if (response.status !== 200) {
      throw new GitHubApiError(
        `GET job ${jobId}: HTTP ${response.status} ${response.text.slice(0, 200).replace(/\s+/g, ' ')}`,
        response.status,
        response.headers,
      );
    }
    let job: WorkflowJob;
    try {
      job = JSON.parse(response.text) as WorkflowJob;
    } catch {
      throw new GitHubApiError(`GET job ${jobId}: the answer is not JSON`, response.status, response.headers);
    }
    return {
      status: 200,
      job,
      etag: response.headers.get('etag') ?? undefined,
      rateRemaining: rate,
      headers: response.headers,
    };
  }

  /** One page of `GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs`. */
  async listAttemptJobs(
    runId: string,
    attempt: number,
    page: number,
    deadline: number,
  ): Promise<{ totalCount: number; jobs: WorkflowJob[] }> {
    const body = await this.getJson<{ total_count?: number; jobs?: WorkflowJob[] }>(
      `/repos/${this.options.repository}/actions/runs/${runId}/attempts/${attempt}/jobs?per_page=100&page=${page}`,
      `GET jobs of run ${runId} attempt ${attempt} page ${page}`,
      deadline,
    );
    return { totalCount: body.total_count ?? 0, jobs: Array.isArray(body.jobs) ? body.jobs : [] };
  }

  /** `GET /repos/{owner}/{repo}/actions/runs/{run_id}` (the latest attempt). */
  getRun<T>(runId: string, deadline: number): Promise<T> {
    return this.getJson(
      `/repos/${this.options.repository}/actions/runs/${runId}`,
      `GET run ${runId}`,
      deadline,
    );
  }

  /** `GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}`. */
  getRunAttempt<T>(runId: string, attempt: number, deadline: number): Promise<T> {
    return this.getJson(
      `/repos/${this.options.repository}/actions/runs/${runId}/attempts/${attempt}`,
      `GET run ${runId} attempt ${attempt}`,
      deadline,
    );
  }

  /** One page of `GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs?status=completed&created=>=…`. */
  async listWorkflowRuns<T>(
    workflowId: number,
    createdSince: string,
    page: number,
    deadline: number,
  ): Promise<{ totalCount: number; runs: T[] }> {
    const body = await this.getJson<{ total_count?: number; workflow_runs?: T[] }>(
      `/repos/${this.options.repository}/actions/workflows/${workflowId}/runs?status=completed&created=${encodeURIComponent(`>=${createdSince}`)}&per_page=100&page=${page}`,
      `GET runs of workflow ${workflowId} page ${page}`,
      deadline,
    );
    return {
      totalCount: body.total_count ?? 0,
      runs: Array.isArray(body.workflow_runs) ? body.workflow_runs : [],
    };
  }

  /** `GET /repos/{owner}/{repo}/commits/{sha}/pulls`: the PRs a commit belongs to (fork PRs included). */
  listPullsForCommit(sha: string, deadline: number): Promise<{ number: number; state?: string }[]> {
    return this.getJson(
      `/repos/${this.options.repository}/commits/${sha}/pulls`,
      `GET pull requests of commit ${sha.slice(0, 12)}`,
      deadline,
    );
  }

  /** `POST /repos/{owner}/{repo}/check-runs` (needs `checks: write`). */
  createCheckRun(body: unknown, deadline: number): Promise<{ id: number }> {
    return this.sendJson(
      'POST',
      `/repos/${this.options.repository}/check-runs`,
      body,
      'POST check run',
      deadline,
    );
  }

  /** `PATCH /repos/{owner}/{repo}/check-runs/{id}`: appends `output.annotations`. */
  updateCheckRun(id: number, body: unknown, deadline: number): Promise<{ id: number }> {
    return this.sendJson(
      'PATCH',
      `/repos/${this.options.repository}/check-runs/${id}`,
      body,
      `PATCH check run ${id}`,
      deadline,
    );
  }

  private async sendJson<T>(
    method: 'POST' | 'PATCH',
    path: string,
    payload: unknown,
    what: string,
    deadline: number,
  ): Promise<T> {
    const o = this.options;
    const fetchImpl: FetchLike = (url, init) => {
      this.requestCount++;
      return (o.fetchImpl ?? fetch)(url, init);
    };
    const response = await request(
      {
        url: `${o.apiUrl}${path}`,
        method,
        headers: {
          accept: 'application/vnd.github+json',
          'content-type': 'application/json',
          'x-github-api-version': '2022-11-28',
          'user-agent': 'deployment-observability-action',
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        },
        body: JSON.stringify(payload),
        timeoutMs: 5000,
        // A POST that timed out may have created the check run: do not send it twice.
        attempts: method === 'POST' ? 1 : 2,
        deadline,
        what,
      },
      o.clock,
      fetchImpl,
    );
    if (response.status < 200 || response.status >= 300) {
      let message = response.text.slice(0, 200);
      try {
        message = (JSON.parse(response.text) as { message?: string }).message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new GitHubApiError(`${what}: HTTP ${response.status} ${message}`, response.status);
    }
    try {
      return JSON.parse(response.text) as T;
    } catch {
      throw new GitHubApiError(`${what}: the answer is not JSON`, response.status);
    }
  }
}
