/**
 * The GitHub REST client: Octokit (`@octokit/core`) with the retry, throttling and pagination
 * plugins, for the few endpoints the action uses, with the response types of GitHub's OpenAPI
 * description (`@octokit/openapi-types`). Built explicitly from the runner context instead of
 * reading `GITHUB_API_URL` at import time (`@actions/github` does that: docs/platform.md,
 * "Toolchain").
 *
 * What is added around Octokit, per call (docs/platform.md, "The REST API"):
 *
 * - **a deadline** (absolute, on the client's clock): every attempt gets the time left, at most
 *   5 s, as its timeout (an `AbortSignal`), no attempt starts after it and no wait ends after it,
 *   whatever retries are left;
 * - **waits on the client's clock**: plugin-retry and plugin-throttling decide whether to try again
 *   (statuses, rate-limit headers, their counts); the wait itself is made by the hook below or the
 *   throttling handlers with `clock.sleep` (the plugins' own delays are set to 0), so the deadline
 *   and the waits use one clock and tests drive them with a fake one;
 * - **no redirect followed** and no request to another origin (a `link` header's URL included): the
 *   token and everything else would go there (docs/platform.md, "Network and rendering");
 * - **error messages** that say what failed and what to do, never the token.
 */
import { Octokit } from '@octokit/core';
import type { components } from '@octokit/openapi-types';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { Config } from '../config/inputs.js';
import type { Clock } from '../util/clock.js';
import { describeNetworkError, redirectTarget, requestedWaitMs, type FetchLike } from '../util/http.js';
import { proxyNote } from '../util/proxy.js';

/**
 * The OpenAPI types allow a `bigint` wherever an id is a number: Octokit's JSON parser gives one for
 * a number past 2^53. GitHub's ids are far below that, so they are read as numbers.
 */
type Ids<T> = { [K in keyof T]: Exclude<T[K], bigint> };
/** A workflow job as the API answers it. */
export type WorkflowJob = Ids<components['schemas']['job']>;
/** A workflow run (or one attempt of it) as the API answers it. */
export type WorkflowRun = Ids<components['schemas']['workflow-run']>;
/** A pull request as `GET …/commits/{sha}/pulls` lists it. */
export type PullRequest = Ids<components['schemas']['pull-request-simple']>;
/** A check run as the API answers it. */
export type CheckRun = Ids<components['schemas']['check-run']>;

export interface GitHubClientOptions {
  readonly apiUrl: string;
  readonly token: string;
  readonly repository: string;
  readonly clock: Clock;
  /** Replaces the global `fetch` (tests); the proxy's global dispatcher applies to the default. */
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
    /** The answer's status; undefined when there was no answer (timeout, connection error). */
    readonly status: number | undefined,
    readonly headers?: Headers,
  ) {
    super(message);
    this.name = 'GitHubApiError';
  }
}

/** One annotation of a check run (GitHub's `check-annotation` shape, the fields read). */
export interface CheckRunAnnotation {
  readonly path?: string;
  readonly start_line?: number;
  readonly end_line?: number;
  readonly annotation_level?: string | null;
  readonly title?: string | null;
  readonly message?: string | null;
  readonly raw_details?: string | null;
}

/** Per-attempt timeout (cut to the time left before the deadline). */
const ATTEMPT_TIMEOUT_MS = 5000;
/** Backoff before retry n (1-based): 250 ms, 500 ms, … */
const BASE_BACKOFF_MS = 250;
/** Retries of a GET after a 5xx, a 429 or no answer (3 attempts in all). */
const GET_RETRIES = 2;
/** Waits for a rate limit (primary or secondary) in one call, at most. */
const RATE_LIMIT_RETRIES = 2;
/**
 * Statuses plugin-retry never retries: every 4xx but 429. A 403 is also GitHub's primary or
 * secondary rate limit, which plugin-throttling recognises by its headers and message.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 405, 409, 410, 422, 451];
const MAX_MESSAGE = 300;
/** Sent with every request (GitHub's recommended media type and the API version read). */
const HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };

/** Stops a call for good: a redirect, another origin, or no time left before an attempt. */
class Refused extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'Refused';
  }
}

/** Octokit's `RequestError`, as far as it is read here. */
interface OctokitError {
  readonly name: string;
  readonly message: string;
  readonly status: number;
  readonly request?: unknown;
  readonly response?: {
    readonly status: number;
    readonly headers: Record<string, string | number | undefined>;
    readonly data: unknown;
  };
  readonly cause?: unknown;
}

function isOctokitError(error: unknown): error is OctokitError {
  return (
    typeof error === 'object' && error !== null && typeof (error as { status?: unknown }).status === 'number'
  );
}

function headersOf(raw: Record<string, string | number | undefined> | undefined): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw ?? {}))
    if (value !== undefined) headers.set(name, String(value));
  return headers;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE)}…` : line;
}

/** GitHub's `message` from an error body, else the body's text. */
function messageOf(data: unknown): string {
  if (
    typeof data === 'object' &&
    data !== null &&
    typeof (data as { message?: unknown }).message === 'string'
  )
    return oneLine((data as { message: string }).message);
  if (typeof data === 'string') return oneLine(data);
  return '';
}

/**
 * A primary or secondary rate limit, recognised as plugin-throttling does (`x-ratelimit-remaining: 0`,
 * or GitHub's "secondary rate limit" message): the throttling handlers decide whether to wait.
 */
function rateLimited(error: OctokitError): boolean {
  if (error.status !== 403 && error.status !== 429) return false;
  return (
    String(error.response?.headers['x-ratelimit-remaining']) === '0' ||
    /\bsecondary rate\b/i.test(error.message)
  );
}

/** What one call of the client carries through Octokit's hooks (`options.request.call`). */
class Call {
  /** Retries made so far (reset by an answer, so each page of a listing gets its own). */
  retried = 0;
  /** The timeout of the last attempt. */
  timeoutMs = ATTEMPT_TIMEOUT_MS;
  /** The last URL asked (for the proxy's name in a connection error). */
  url = '';
  /** Why the call gave up early, appended to the error message. */
  note = '';

  constructor(
    private readonly client: GitHubClient,
    private readonly base: ClientBase,
    public what: string,
    readonly deadline: number,
    /** plugin-retry's retries for this call (0: never sent twice). */
    readonly retries: number,
  ) {}

  get clock(): Clock {
    return this.base.clock;
  }

  /** Waits for rate limits this call may make (none when it may not be sent twice). */
  get rateLimitRetries(): number {
    return this.retries > 0 ? RATE_LIMIT_RETRIES : 0;
  }

  /** Octokit's per-request options for this call. */
  requestOptions(): Record<string, unknown> {
    const left = Math.max(0, this.deadline - this.clock.now());
    return {
      call: this,
      fetch: this.fetch,
      signal: AbortSignal.timeout(left),
      redirect: 'manual',
      retries: 0, // granted attempt by attempt (see `deadlines`)
    };
  }

  /** Every attempt goes through here: the deadline, the attempt's timeout, origin and redirects. */
  private readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    this.url = url;
    let origin: string | undefined;
    try {
      origin = new URL(url).origin;
    } catch {
      // refused below
    }
    if (origin !== this.base.origin)
      throw new Refused(
        `not sent to ${redirectTarget(url, this.base.apiUrl)}, which is not the API's origin`,
      );
    const left = this.deadline - this.clock.now();
    if (left <= 0) throw new Refused(`out of time${this.note}`);
    this.timeoutMs = Math.min(ATTEMPT_TIMEOUT_MS, left);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    this.client.requestCount++;
    const response = await (this.base.fetchImpl ?? fetch)(url, { ...init, signal, redirect: 'manual' });
    if (response.status >= 300 && response.status < 400 && response.status !== 304) {
      // Not followed, not retried: the next attempt would be redirected the same way.
      await response.body?.cancel().catch(() => undefined);
      throw new Refused(
        `HTTP ${response.status} redirect to ${redirectTarget(response.headers.get('location'), url)}, not followed (a redirect would carry the request's credentials there); set GITHUB_API_URL to the final URL`,
        response.status,
      );
    }
    return response;
  };
}

/** A page as plugin-paginate-rest hands it over. */
interface Page {
  readonly status: number;
  readonly data: unknown;
}

interface ClientBase {
  readonly clock: Clock;
  readonly apiUrl: string;
  readonly origin: string | undefined;
  readonly fetchImpl: FetchLike | undefined;
}

type HookOptions = { request: Record<string, unknown> & { call?: Call; retries?: number } };

function callOf(options: unknown): Call | undefined {
  const call = (options as HookOptions | undefined)?.request?.call;
  return call instanceof Call ? call : undefined;
}

/**
 * Innermost hook (around each attempt): after a failed attempt, decides with the deadline whether
 * plugin-retry may send it again, and makes the wait on the call's clock.
 */
function deadlines(octokit: Octokit): void {
  octokit.hook.wrap('request', async (request, options) => {
    const call = callOf(options);
    if (!call) return request(options);
    const req = (options as unknown as HookOptions).request;
    // plugin-retry reads `request.retries` twice: from these options when it judges an error worth
    // another attempt, and from the copy each attempt takes of them for any failure. So it is 0
    // while an attempt runs, and set only below, when this hook grants one more.
    req.retries = 0;
    try {
      const response = await request(options);
      call.retried = 0;
      return response;
    } catch (error) {
      // Not Octokit's RequestError (plugin-retry leaves those alone), or refused for good.
      if (!isOctokitError(error) || error.request === undefined || error.cause instanceof Refused)
        throw error;
      if (error.status < 400 || DO_NOT_RETRY.includes(error.status) || rateLimited(error)) throw error;
      // A 5xx, a 429 or no answer (Octokit gives those status 500).
      if (call.retried >= call.retries) throw error;
      const now = call.clock.now();
      const asked = error.response ? requestedWaitMs(headersOf(error.response.headers), now) : undefined;
      if (asked !== undefined && now + asked > call.deadline) {
        call.note = ` (asked to wait until ${new Date(now + asked).toISOString()}, past this step's time budget)`;
        throw error;
      }
      const wait = asked ?? BASE_BACKOFF_MS * 2 ** call.retried;
      if (now + wait >= call.deadline) {
        call.note = '; out of time';
        throw error;
      }
      call.retried++;
      req.retries = call.retries;
      await call.clock.sleep(wait);
      throw error;
    }
  });
}

/** plugin-throttling's handler for both rate limits: wait when it fits before the deadline. */
async function onRateLimit(
  retryAfterSeconds: number,
  options: unknown,
  _octokit: unknown,
  retryCount: number,
) {
  const call = callOf(options);
  if (!call || retryCount >= call.rateLimitRetries) {
    if (call && call.rateLimitRetries > 0) call.note = `; still rate limited after ${retryCount} wait(s)`;
    return false;
  }
  const now = call.clock.now();
  const wait = Math.max(0, retryAfterSeconds * 1000);
  if (now + wait >= call.deadline) {
    call.note = ` (asked to wait until ${new Date(now + wait).toISOString()}, past this step's time budget)`;
    return false;
  }
  await call.clock.sleep(wait);
  return true;
}

const GitHubOctokit = Octokit.plugin(deadlines, retry, throttling, paginateRest);
type GitHubOctokit = InstanceType<typeof GitHubOctokit>;

const silentLog = { debug() {}, info() {}, warn() {}, error() {} };

function permissionHint(status: number): string {
  if (status === 401) return ' (is github-token valid?)';
  if (status === 403 || status === 404)
    return ' (the token needs `actions: read`: add `permissions: { actions: read }` to the job or workflow)';
  return '';
}

/** One error for everything a call can end with: what failed, the status, what to do. */
function apiError(call: Call, error: unknown, hint: (status: number) => string): GitHubApiError {
  if (error instanceof GitHubApiError) return error;
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Refused)
    return new GitHubApiError(`${call.what} failed: ${cause.message}`, cause.status);
  if (isOctokitError(error) && error.response) {
    const { status } = error.response;
    const message = messageOf(error.response.data);
    return new GitHubApiError(
      `${call.what} failed: HTTP ${status}${message ? ` ${message}` : ''}${hint(status)}${call.note}`,
      status,
      headersOf(error.response.headers),
    );
  }
  // No answer: a timeout or a connection error (Octokit keeps fetch's error as the cause).
  const e = error as Error & { cause?: Error & { cause?: { code?: string; message?: string } } };
  const timedOut = [e.name, e.cause?.name].some((n) => n === 'TimeoutError' || n === 'AbortError');
  const problem = timedOut
    ? `no answer within ${call.timeoutMs} ms`
    : (describeNetworkError(e.cause?.cause?.code) ?? e.cause?.cause?.message ?? e.message);
  return new GitHubApiError(`${call.what} failed: ${problem}${proxyNote(call.url)}${call.note}`, undefined);
}

/** The answer's data must be JSON (Octokit hands an unparsable body over as its text). */
function json<T>(call: Call, data: unknown, status: number): T {
  if (typeof data !== 'object' || data === null)
    throw new GitHubApiError(`${call.what} failed: the answer is not JSON`, status);
  return data as T;
}

/**
 * The client every mode reads the API with: the runner's API URL and repository, the step's
 * `github-token`. `fetchImpl` replaces the global `fetch` (tests).
 */
export function runnerClient(
  config: Pick<Config, 'githubToken' | 'runner'>,
  clock: Clock,
  fetchImpl?: FetchLike,
): GitHubClient {
  return new GitHubClient({
    apiUrl: config.runner.apiUrl,
    token: config.githubToken,
    repository: config.runner.repository,
    clock,
    fetchImpl,
  });
}

export class GitHubClient {
  /** Requests sent (attempts included), for the benchmark and the summary. */
  requestCount = 0;

  private readonly octokit: GitHubOctokit;
  private readonly base: ClientBase;
  private readonly owner: string;
  private readonly repo: string;

  constructor(options: GitHubClientOptions) {
    const apiUrl = options.apiUrl.replace(/\/+$/, '');
    let origin: string | undefined;
    try {
      origin = new URL(apiUrl).origin;
    } catch {
      origin = undefined; // every request is refused, naming the URL's problem
    }
    this.base = { clock: options.clock, apiUrl, origin, fetchImpl: options.fetchImpl };
    const slash = options.repository.indexOf('/');
    this.owner = slash < 0 ? options.repository : options.repository.slice(0, slash);
    this.repo = slash < 0 ? '' : options.repository.slice(slash + 1);
    this.octokit = new GitHubOctokit({
      baseUrl: apiUrl,
      ...(options.token ? { auth: options.token } : {}),
      userAgent: 'deployment-observability-action',
      log: silentLog,
      // `log` here silences fetch's deprecation notices (the live reporter never writes a line).
      request: { redirect: 'manual', log: silentLog },
      // Retries are granted per call and per attempt by `deadlines`; the plugin's own wait is 0.
      retry: { doNotRetry: DO_NOT_RETRY, retries: 0, retryAfterBaseValue: 0 },
      throttle: { onRateLimit, onSecondaryRateLimit: onRateLimit, retryAfterBaseValue: 0 },
    });
  }

  private call(what: string, deadline: number, retries: number): Call {
    return new Call(this, this.base, what, deadline, retries);
  }

  /** A GET of one resource: its JSON, or a GitHubApiError that says what to do. */
  private async get<T>(
    what: string,
    deadline: number,
    route: string,
    parameters: Record<string, unknown>,
    hint: (status: number) => string = permissionHint,
    retries = GET_RETRIES,
  ): Promise<T> {
    const call = this.call(what, deadline, retries);
    let response;
    try {
      response = await this.octokit.request(route, {
        owner: this.owner,
        repo: this.repo,
        ...parameters,
        headers: HEADERS,
        request: call.requestOptions(),
      });
    } catch (error) {
      throw apiError(call, error, hint);
    }
    return json<T>(call, response.data, response.status);
  }

  /** `GET /repos/{owner}/{repo}/actions/jobs/{job_id}` */
  getJob(jobId: number, deadline: number): Promise<WorkflowJob> {
    return this.get(`GET job ${jobId}`, deadline, 'GET /repos/{owner}/{repo}/actions/jobs/{job_id}', {
      job_id: jobId,
    });
  }

  /**
   * `GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations`, first page
   * (a job's id is its check run's id; needs `checks: read`).
   */
  listCheckRunAnnotations(checkRunId: number, deadline: number): Promise<CheckRunAnnotation[]> {
    return this.get<components['schemas']['check-annotation'][]>(
      `GET annotations of check run ${checkRunId}`,
      deadline,
      'GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations',
      { check_run_id: checkRunId, per_page: 100 },
      () => '',
    );
  }

  /**
   * `GET /repos/{owner}/{repo}/actions/jobs/{job_id}` as a conditional request:
   * with the last answer's ETag in `If-None-Match`, GitHub answers 304 when the
   * job has not changed, and an authorised 304 does not count against the rate
   * limit. One attempt, never retried nor held for a rate limit: the live
   * reporter's loop decides when to try again (from the error's headers).
   */
  async getJobIfChanged(jobId: number, etag: string | undefined, deadline: number): Promise<ConditionalJob> {
    const call = this.call(`GET job ${jobId}`, deadline, 0);
    let response;
    try {
      response = await this.octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}', {
        owner: this.owner,
        repo: this.repo,
        job_id: jobId,
        headers: etag ? { ...HEADERS, 'if-none-match': etag } : HEADERS,
        request: call.requestOptions(),
      });
    } catch (error) {
      // Octokit throws for a 304: here it is the answer "unchanged".
      if (isOctokitError(error) && error.status === 304 && error.response) {
        const headers = headersOf(error.response.headers);
        return { status: 304, etag, rateRemaining: rateRemainingOf(headers), headers };
      }
      throw apiError(call, error, () => '');
    }
    const headers = headersOf(response.headers);
    const job = json<WorkflowJob>(call, response.data, response.status);
    return {
      status: 200,
      job,
      etag: headers.get('etag') ?? undefined,
      rateRemaining: rateRemainingOf(headers),
      headers,
    };
  }

  /**
   * `GET /repos/{owner}/{repo}/actions/caches?key=<prefix>`, the newest `perPage` keys that start
   * with the prefix (needs `actions: read`). One attempt: it only spares loading the cache module.
   */
  async listActionsCacheKeys(
    keyPrefix: string,
    perPage: number,
    deadline: number,
  ): Promise<{ totalCount: number; keys: string[] }> {
    const body = await this.get<components['schemas']['actions-cache-list']>(
      'GET Actions cache keys',
      deadline,
      'GET /repos/{owner}/{repo}/actions/caches',
      { key: keyPrefix, per_page: perPage, sort: 'created_at', direction: 'desc' },
      () => '',
      0,
    );
    const caches = Array.isArray(body.actions_caches) ? body.actions_caches : [];
    return {
      totalCount: typeof body.total_count === 'number' ? body.total_count : caches.length,
      keys: caches.map((c) => c.key).filter((k): k is string => typeof k === 'string'),
    };
  }

  /** One page of `GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs`. */
  async listAttemptJobs(
    runId: string,
    attempt: number,
    page: number,
    deadline: number,
  ): Promise<{ totalCount: number; jobs: WorkflowJob[] }> {
    const body = await this.get<{ total_count?: number; jobs?: WorkflowJob[] }>(
      `GET jobs of run ${runId} attempt ${attempt} page ${page}`,
      deadline,
      'GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs',
      { run_id: runId, attempt_number: attempt, per_page: 100, page },
    );
    return { totalCount: body.total_count ?? 0, jobs: Array.isArray(body.jobs) ? body.jobs : [] };
  }

  /**
   * Every page of the attempt's jobs (100 a page), following the `link` header (plugin-paginate-rest),
   * at most `maxPages`; one deadline for them all. Stop early by leaving the loop: no further page
   * is asked for.
   */
  async *attemptJobPages(
    runId: string,
    attempt: number,
    deadline: number,
    maxPages: number,
  ): AsyncGenerator<{ totalCount: number; jobs: WorkflowJob[] }> {
    const what = `GET jobs of run ${runId} attempt ${attempt}`;
    const call = this.call(what, deadline, GET_RETRIES);
    // The plugin asks for the next page with its URL alone: a request method of this call's own
    // carries the call's options (deadline, fetch) to every page, and checks each answer before the
    // plugin reads it (it expects an object).
    const request = this.octokit.request.defaults({ headers: HEADERS, request: call.requestOptions() });
    const pageRequest = Object.assign(
      async (options: { method: string; url: string }): Promise<Page> => {
        const response = await request(options);
        json(call, response.data, response.status);
        return response;
      },
      { endpoint: request.endpoint },
    );
    const iterate = this.octokit.paginate.iterator as unknown as (
      method: typeof pageRequest,
      parameters: Record<string, unknown>,
    ) => AsyncIterable<Page>;
    const pages = iterate(pageRequest, {
      method: 'GET',
      url: '/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs',
      owner: this.owner,
      repo: this.repo,
      run_id: runId,
      attempt_number: attempt,
      per_page: 100,
      page: 1,
    })[Symbol.asyncIterator]();
    for (let page = 1; page <= maxPages; page++) {
      call.what = `${what} page ${page}`;
      let next;
      try {
        next = await pages.next();
      } catch (error) {
        throw apiError(call, error, permissionHint);
      }
      if (next.done) return;
      // The plugin turns `{ total_count, jobs }` into the jobs, with `total_count` kept on the array.
      const jobs = next.value.data as unknown as WorkflowJob[] & { total_count?: number };
      if (!Array.isArray(jobs))
        throw new GitHubApiError(`${call.what} failed: the answer has no jobs`, next.value.status);
      yield { totalCount: jobs.total_count ?? 0, jobs: [...jobs] };
    }
  }

  /** `GET /repos/{owner}/{repo}/actions/runs/{run_id}` (the latest attempt). */
  getRun<T = WorkflowRun>(runId: string, deadline: number): Promise<T> {
    return this.get(`GET run ${runId}`, deadline, 'GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
      run_id: runId,
    });
  }

  /** `GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}`. */
  getRunAttempt<T = WorkflowRun>(runId: string, attempt: number, deadline: number): Promise<T> {
    return this.get(
      `GET run ${runId} attempt ${attempt}`,
      deadline,
      'GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}',
      { run_id: runId, attempt_number: attempt },
    );
  }

  /** One page of `GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs?status=completed&created=>=…`. */
  async listWorkflowRuns<T = WorkflowRun>(
    workflowId: number,
    createdSince: string,
    page: number,
    deadline: number,
  ): Promise<{ totalCount: number; runs: T[] }> {
    const body = await this.get<{ total_count?: number; workflow_runs?: T[] }>(
      `GET runs of workflow ${workflowId} page ${page}`,
      deadline,
      'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs',
      { workflow_id: workflowId, status: 'completed', created: `>=${createdSince}`, per_page: 100, page },
    );
    return {
      totalCount: body.total_count ?? 0,
      runs: Array.isArray(body.workflow_runs) ? body.workflow_runs : [],
    };
  }

  /** `GET /repos/{owner}/{repo}/commits/{sha}/pulls`: the PRs a commit belongs to (fork PRs included). */
  listPullsForCommit(sha: string, deadline: number): Promise<PullRequest[]> {
    return this.get(
      `GET pull requests of commit ${sha.slice(0, 12)}`,
      deadline,
      'GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls',
      { commit_sha: sha },
    );
  }

  /** `POST /repos/{owner}/{repo}/check-runs` (needs `checks: write`). Sent once: never retried. */
  createCheckRun(body: unknown, deadline: number): Promise<CheckRun> {
    // A POST that timed out may have created the check run: do not send it twice.
    return this.send('POST', '/repos/{owner}/{repo}/check-runs', {}, body, 'POST check run', deadline, 0);
  }

  /** `PATCH /repos/{owner}/{repo}/check-runs/{id}`: appends `output.annotations`. */
  updateCheckRun(id: number, body: unknown, deadline: number): Promise<CheckRun> {
    return this.send(
      'PATCH',
      '/repos/{owner}/{repo}/check-runs/{check_run_id}',
      { check_run_id: id },
      body,
      `PATCH check run ${id}`,
      deadline,
      1,
    );
  }

  private async send<T>(
    method: 'POST' | 'PATCH',
    url: string,
    parameters: Record<string, unknown>,
    body: unknown,
    what: string,
    deadline: number,
    retries: number,
  ): Promise<T> {
    const call = this.call(what, deadline, retries);
    let response;
    try {
      response = await this.octokit.request({
        method,
        url,
        owner: this.owner,
        repo: this.repo,
        ...parameters,
        // `data` is the body as it is (no parameter of the body taken for an Octokit option).
        data: body,
        headers: HEADERS,
        request: call.requestOptions(),
      });
    } catch (error) {
      throw apiError(call, error, () => '');
    }
    return json<T>(call, response.data, response.status);
  }
}

function rateRemainingOf(headers: Headers): number | undefined {
  const remaining = Number(headers.get('x-ratelimit-remaining') ?? NaN);
  return Number.isFinite(remaining) ? remaining : undefined;
}
