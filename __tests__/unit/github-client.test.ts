/**
 * The GitHub client (Octokit with plugin-retry, plugin-throttling and plugin-paginate-rest) under
 * faults: what is retried and how often, which waits are made on the client's clock, the deadline
 * over all of it, a POST sent once, conditional requests, redirects and other origins refused, and
 * the messages. A scripted fetch and a fake clock: no network, no real waiting.
 */
import { describe, expect, test } from '@jest/globals';
import { readRunnerTimeouts } from '../../src/github/annotations.js';
import { GitHubApiError, GitHubClient } from '../../src/github/client.js';
import { systemClock, type Clock } from '../../src/util/clock.js';
import type { FetchLike } from '../../src/util/http.js';

const API = 'https://ghe.example.com/api/v3';
const TOKEN = 'ghs_t0kenForTheClientTest';
const JOB = { id: 42, run_id: 7, name: 'deploy', status: 'in_progress', steps: [] };

/** Starts at the real time (plugin-throttling reads `x-ratelimit-reset` against `Date.now()`). */
class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  readonly t0: number;
  private t: number;
  constructor() {
    this.t0 = Date.now();
    this.t = this.t0;
  }
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

type Step =
  { status: number; body?: unknown; headers?: Record<string, string> } | { error: Error } | { hang: true };

interface Sent {
  url: string;
  method: string;
  headers: Headers;
  body: string | undefined;
  signal: AbortSignal | undefined;
  redirect: RequestInit['redirect'];
}

/** A fetch answering from a script (the last step repeats) that records what it was sent. */
function scriptedFetch(steps: Step[]): FetchLike & { sent: Sent[] } {
  const sent: Sent[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    sent.push({
      url,
      method: init.method ?? 'GET',
      headers: new Headers(init.headers as Record<string, string>),
      body: typeof init.body === 'string' ? init.body : undefined,
      signal: init.signal ?? undefined,
      redirect: init.redirect,
    });
    const step = steps[Math.min(sent.length - 1, steps.length - 1)];
    if (!step) throw new Error('script is empty');
    if ('error' in step) throw step.error;
    if ('hang' in step)
      return new Promise<Response>((_resolve, reject) => {
        if (init.signal?.aborted) reject(init.signal.reason);
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const text =
      step.body === undefined ? null : typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
    const response = new Response(text, {
      status: step.status,
      headers: {
        ...(text === null ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        ...step.headers,
      },
    });
    // As fetch's answers have it (pagination reads it on the last page).
    Object.defineProperty(response, 'url', { value: url });
    return response;
  }) as FetchLike & { sent: Sent[] };
  fn.sent = sent;
  return fn;
}

function client(fetch: FetchLike, clock: Clock): GitHubClient {
  return new GitHubClient({
    apiUrl: API,
    token: TOKEN,
    repository: 'octo-org/octo-repo',
    clock,
    fetchImpl: fetch,
  });
}

async function failure(promise: Promise<unknown>): Promise<GitHubApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GitHubApiError);
    expect((error as Error).message).not.toContain(TOKEN);
    return error as GitHubApiError;
  }
  throw new Error('expected the call to fail');
}

const connectionError = (code: string): Error =>
  Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error(`read ${code}`), { code }),
  });
const timeoutError = (): Error =>
  new DOMException('The operation was aborted due to timeout', 'TimeoutError');
const serverError = {
  status: 502,
  body: { message: 'Server Error', documentation_url: 'https://docs.github.com/rest' },
};
const rateLimit = (resetInSeconds: number) => ({
  status: 403,
  body: { message: 'API rate limit exceeded for installation ID 1.' },
  headers: {
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + resetInSeconds),
  },
});
const secondary = (status: number, retryAfter: number) => ({
  status,
  body: {
    message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
  },
  headers: { 'retry-after': String(retryAfter) },
});

describe('a request', () => {
  test('the URL under GITHUB_API_URL (GHES), the headers, the token, the typed answer', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 200, body: JOB }]);
    const c = client(fetch, clock);
    const job = await c.getJob(42, clock.now() + 10_000);
    expect(job).toEqual(JOB);
    expect(c.requestCount).toBe(1);
    const [sent] = fetch.sent;
    expect(sent?.url).toBe(`${API}/repos/octo-org/octo-repo/actions/jobs/42`);
    expect(sent?.headers.get('accept')).toBe('application/vnd.github+json');
    expect(sent?.headers.get('x-github-api-version')).toBe('2022-11-28');
    expect(sent?.headers.get('authorization')).toBe(`token ${TOKEN}`);
    expect(sent?.headers.get('user-agent')).toMatch(/^deployment-observability-action octokit-core\.js\//);
    expect(sent?.signal).toBeInstanceOf(AbortSignal);
    expect(sent?.redirect).toBe('manual');
    expect(clock.sleeps).toEqual([]);
  });

  test('without a token no Authorization header is sent', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 200, body: JOB }]);
    const c = new GitHubClient({ apiUrl: API, token: '', repository: 'o/r', clock, fetchImpl: fetch });
    await c.getJob(42, clock.now() + 10_000);
    expect(fetch.sent[0]?.headers.has('authorization')).toBe(false);
  });

  test.each<[number, string]>([
    [401, 'GET job 42 failed: HTTP 401 Bad credentials (is github-token valid?)'],
    [
      403,
      'GET job 42 failed: HTTP 403 Resource not accessible by integration (the token needs `actions: read`: add `permissions: { actions: read }` to the job or workflow)',
    ],
    [
      404,
      'GET job 42 failed: HTTP 404 Not Found (the token needs `actions: read`: add `permissions: { actions: read }` to the job or workflow)',
    ],
    [422, 'GET job 42 failed: HTTP 422 Validation Failed'],
  ])('%d: not retried, a message that says what to do', async (status, message) => {
    const clock = new FakeClock();
    const text = {
      401: 'Bad credentials',
      403: 'Resource not accessible by integration',
      404: 'Not Found',
      422: 'Validation Failed',
    }[status];
    const fetch = scriptedFetch([
      { status, body: { message: text, documentation_url: 'https://docs.github.com/rest' } },
    ]);
    const error = await failure(client(fetch, clock).getJob(42, clock.now() + 10_000));
    expect(error.message).toBe(message);
    expect(error.status).toBe(status);
    expect(fetch.sent).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  test('a body cut in half: "the answer is not JSON"', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 200, body: JSON.stringify(JOB).slice(0, 20) }]);
    const error = await failure(client(fetch, clock).getJob(42, clock.now() + 10_000));
    expect(error.message).toBe('GET job 42 failed: the answer is not JSON');
  });
});

describe('retries (plugin-retry), waits on the client clock', () => {
  test('502 twice, then the job: three attempts, 250 ms then 500 ms apart', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([serverError, serverError, { status: 200, body: JOB }]);
    const c = client(fetch, clock);
    expect((await c.getJob(42, clock.now() + 10_000)).id).toBe(42);
    expect(fetch.sent).toHaveLength(3);
    expect(clock.sleeps).toEqual([250, 500]);
    expect(c.requestCount).toBe(3);
  });

  test('502 every time: three attempts in all, then the last answer', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([serverError]);
    const error = await failure(client(fetch, clock).getJob(42, clock.now() + 10_000));
    expect(fetch.sent).toHaveLength(3);
    expect(error.message).toBe('GET job 42 failed: HTTP 502 Server Error');
    expect(error.status).toBe(502);
  });

  test.each([
    ['ECONNRESET', 'connection reset (ECONNRESET)'],
    ['UND_ERR_SOCKET', 'connection closed by the server (UND_ERR_SOCKET)'],
    ['ECONNREFUSED', 'connection refused (ECONNREFUSED)'],
  ])('connection error %s: retried, then named', async (code, text) => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ error: connectionError(code) }]);
    const error = await failure(client(fetch, clock).getJob(42, clock.now() + 10_000));
    expect(fetch.sent).toHaveLength(3);
    expect(clock.sleeps).toEqual([250, 500]);
    expect(error.message).toBe(`GET job 42 failed: ${text}`);
    expect(error.status).toBeUndefined();
  });

  test('no answer: the attempt timeout is named, cut to the time left', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ error: timeoutError() }]);
    const error = await failure(client(fetch, clock).getJob(42, clock.now() + 700));
    // 700 ms left: the first attempt gets 700 ms, the second (after 250 ms) 450 ms; 500 ms more
    // of backoff would end past the deadline.
    expect(fetch.sent).toHaveLength(2);
    expect(clock.sleeps).toEqual([250]);
    expect(error.message).toBe('GET job 42 failed: no answer within 450 ms; out of time');
  });

  test('backoff that would reach the deadline is not slept', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([serverError]);
    const error = await failure(client(fetch, clock).getJob(42, clock.now() + 400));
    expect(fetch.sent).toHaveLength(2);
    expect(clock.sleeps).toEqual([250]);
    expect(error.message).toBe('GET job 42 failed: HTTP 502 Server Error; out of time');
  });

  test('a deadline already past: nothing is sent', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 200, body: JOB }]);
    const c = client(fetch, clock);
    const error = await failure(c.getJob(42, clock.now()));
    expect(fetch.sent).toHaveLength(0);
    expect(c.requestCount).toBe(0);
    expect(error.message).toBe('GET job 42 failed: out of time');
  });

  test('a hung API: the call ends by its deadline (the signal aborts the attempt)', async () => {
    // The real clock: the attempt's signal fires in real time.
    const fetch = scriptedFetch([{ hang: true }]);
    const started = Date.now();
    const error = await failure(client(fetch, systemClock).getJob(42, started + 300));
    // The attempt got what was left of the 300 ms (Octokit's first call takes a few of them).
    const within = /^GET job 42 failed: no answer within (\d+) ms; out of time$/.exec(error.message);
    expect(Number(within?.[1])).toBeGreaterThan(100);
    expect(Number(within?.[1])).toBeLessThanOrEqual(300);
    expect(fetch.sent).toHaveLength(1);
    // 300 ms of real time, with a generous bound for a busy machine.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('429 with retry-after: waits as asked, then retried', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([
      { status: 429, body: { message: 'Too Many Requests' }, headers: { 'retry-after': '3' } },
      { status: 200, body: JOB },
    ]);
    await client(fetch, clock).getJob(42, clock.now() + 10_000);
    expect(clock.sleeps).toEqual([3000]);
    expect(fetch.sent).toHaveLength(2);
  });

  test('429 asking to wait past the deadline: gives up at once and says until when', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([
      { status: 429, body: { message: 'Error' }, headers: { 'retry-after': '3600' } },
    ]);
    const error = await failure(client(fetch, clock).getJob(42, clock.now() + 12_000));
    expect(fetch.sent).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    const until = new Date(clock.t0 + 3_600_000).toISOString();
    expect(error.message).toBe(
      `GET job 42 failed: HTTP 429 Error (asked to wait until ${until}, past this step's time budget)`,
    );
  });
});

describe('rate limits (plugin-throttling)', () => {
  test('primary: 403 with x-ratelimit-remaining 0 waits past x-ratelimit-reset, then retried', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([rateLimit(5), { status: 200, body: JOB }]);
    await client(fetch, clock).getJob(42, clock.now() + 30_000);
    expect(fetch.sent).toHaveLength(2);
    // Until the reset, plus one second (the reset is in whole seconds).
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(5000);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(6000);
  });

  test('primary, reset past the deadline: no wait, says until when', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([rateLimit(3600)]);
    const error = await failure(client(fetch, clock).getJob(42, clock.now() + 12_000));
    expect(fetch.sent).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(error.status).toBe(403);
    expect(error.message).toMatch(
      /^GET job 42 failed: HTTP 403 API rate limit exceeded for installation ID 1\. \(the token needs `actions: read`.*\) \(asked to wait until \S+Z, past this step's time budget\)$/,
    );
  });

  test.each([403, 429])(
    'secondary (%d with the secondary-limit message): retry-after waited',
    async (status) => {
      const clock = new FakeClock();
      const fetch = scriptedFetch([secondary(status, 2), { status: 200, body: JOB }]);
      await client(fetch, clock).getJob(42, clock.now() + 10_000);
      expect(clock.sleeps).toEqual([2000]);
      expect(fetch.sent).toHaveLength(2);
    },
  );

  test('rate limited again and again: two waits at most, then the error', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([secondary(429, 1)]);
    const error = await failure(client(fetch, clock).getJob(42, clock.now() + 60_000));
    expect(clock.sleeps).toEqual([1000, 1000]);
    expect(fetch.sent).toHaveLength(3);
    expect(error.message).toMatch(
      /^GET job 42 failed: HTTP 429 You have exceeded a secondary rate limit\..*; still rate limited after 2 wait\(s\)$/,
    );
  });

  test('a 403 without rate-limit signs (no permission) is not retried', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([
      {
        status: 403,
        body: { message: 'Resource not accessible by integration' },
        headers: { 'x-ratelimit-remaining': '4999' },
      },
    ]);
    await failure(client(fetch, clock).getJob(42, clock.now() + 10_000));
    expect(fetch.sent).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });
});

/**
 * GitHub's answer to a token without the permission (here `checks: read`): 403, its error body,
 * `x-ratelimit-remaining` well above 0 and no `retry-after`. No rate limit, so sent once.
 */
const notAccessible = {
  status: 403,
  body: {
    message: 'Resource not accessible by integration',
    documentation_url: 'https://docs.github.com/rest/checks/runs#list-check-run-annotations',
    status: '403',
  },
  headers: {
    'x-ratelimit-limit': '1000',
    'x-ratelimit-remaining': '994',
    'x-ratelimit-used': '6',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    'x-ratelimit-resource': 'core',
    'x-github-request-id': '0B5D:3A2F:1C2B3D:1E2F3A:6560A1B2',
  },
};

describe('a permission 403 (no `checks: read`): asked once', () => {
  test('the annotations: one request, no wait, the 403 with GitHub\u2019s message', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([notAccessible, { status: 200, body: [] }]);
    const c = client(fetch, clock);
    const error = await failure(c.listCheckRunAnnotations(4242, clock.now() + 12_000));
    expect(fetch.sent.map((s) => new URL(s.url).pathname)).toEqual([
      '/api/v3/repos/octo-org/octo-repo/check-runs/4242/annotations',
    ]);
    expect(c.requestCount).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect(error.status).toBe(403);
    expect(error.message).toBe(
      'GET annotations of check run 4242 failed: HTTP 403 Resource not accessible by integration',
    );
  });

  test('post\u2019s reading of the timeouts: one request, the quiet fallback', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([notAccessible, { status: 200, body: [] }]);
    const debug: string[] = [];
    const read = await readRunnerTimeouts(client(fetch, clock), 4242, clock.now() + 12_000, {
      debug: (message: string) => debug.push(message),
    });
    expect(read).toEqual({ timeouts: undefined, note: undefined });
    expect(fetch.sent).toHaveLength(1);
    expect(debug.join('\n')).toMatch(/HTTP 403; the token needs `checks: read`/);
  });

  test('after calls that were answered, and after a retried 502: the 403 still ends the call', async () => {
    const clock = new FakeClock();
    // The job read as post makes it first, then the annotations: a 502 (retried), then the 403.
    const fetch = scriptedFetch([{ status: 200, body: JOB }, serverError, notAccessible, notAccessible]);
    const c = client(fetch, clock);
    await c.getJob(42, clock.now() + 12_000);
    const error = await failure(c.listCheckRunAnnotations(42, clock.now() + 12_000));
    expect(error.status).toBe(403);
    expect(
      fetch.sent.map((s) => new URL(s.url).pathname.replace('/api/v3/repos/octo-org/octo-repo', '')),
    ).toEqual(['/actions/jobs/42', '/check-runs/42/annotations', '/check-runs/42/annotations']);
    expect(clock.sleeps).toEqual([250]);
  });

  test('a PATCH (which may be sent twice) and a POST: one request each', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([notAccessible]);
    const c = client(fetch, clock);
    expect((await failure(c.updateCheckRun(5, { output: {} }, clock.now() + 12_000))).status).toBe(403);
    expect((await failure(c.createCheckRun({ name: 'x' }, clock.now() + 12_000))).status).toBe(403);
    expect(fetch.sent.map((s) => s.method)).toEqual(['PATCH', 'POST']);
    expect(clock.sleeps).toEqual([]);
  });

  test.each<[string, Step]>([
    ['x-ratelimit-remaining 0', rateLimit(2)],
    ['the secondary-limit message', secondary(403, 2)],
  ])('a 403 with %s is a rate limit all the same: waited for, then asked again', async (_what, step) => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([step, { status: 200, body: [] }]);
    expect(await client(fetch, clock).listCheckRunAnnotations(42, clock.now() + 12_000)).toEqual([]);
    expect(fetch.sent).toHaveLength(2);
    expect(clock.sleeps).toHaveLength(1);
  });
});

describe('check runs: a POST is sent once', () => {
  const body = { name: 'Deployment observability', head_sha: 'a'.repeat(40), status: 'completed' };

  test('the body as given, the created check run back', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 201, body: { id: 5, name: body.name } }]);
    const created = await client(fetch, clock).createCheckRun(body, clock.now() + 10_000);
    expect(created.id).toBe(5);
    expect(fetch.sent[0]?.method).toBe('POST');
    expect(fetch.sent[0]?.url).toBe(`${API}/repos/octo-org/octo-repo/check-runs`);
    expect(JSON.parse(fetch.sent[0]?.body ?? '')).toEqual(body);
  });

  test.each<[string, Step]>([
    ['502', serverError],
    ['no answer', { error: timeoutError() }],
    ['a connection reset', { error: connectionError('ECONNRESET') }],
    ['a secondary rate limit', secondary(403, 1)],
    ['a primary rate limit', rateLimit(1)],
  ])('%s: not sent again (the check run may exist)', async (_what, step) => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([step, { status: 201, body: { id: 5 } }]);
    const error = await failure(client(fetch, clock).createCheckRun(body, clock.now() + 60_000));
    expect(fetch.sent).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(error.message).toMatch(/^POST check run failed: /);
  });

  test('a PATCH is tried twice at most', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([serverError]);
    const error = await failure(client(fetch, clock).updateCheckRun(5, { output: {} }, clock.now() + 10_000));
    expect(fetch.sent.map((s) => `${s.method} ${new URL(s.url).pathname}`)).toEqual([
      'PATCH /api/v3/repos/octo-org/octo-repo/check-runs/5',
      'PATCH /api/v3/repos/octo-org/octo-repo/check-runs/5',
    ]);
    expect(error.message).toBe('PATCH check run 5 failed: HTTP 502 Server Error');
  });
});

describe('conditional requests (the live reporter)', () => {
  test('If-None-Match sent; 304 is "unchanged" with the rate limit left, 200 brings the new ETag', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([
      { status: 304, headers: { etag: 'W/"a"', 'x-ratelimit-remaining': '950' } },
      { status: 200, body: JOB, headers: { etag: 'W/"b"', 'x-ratelimit-remaining': '949' } },
    ]);
    const c = client(fetch, clock);
    const unchanged = await c.getJobIfChanged(42, 'W/"a"', clock.now() + 5000);
    expect(unchanged).toMatchObject({ status: 304, etag: 'W/"a"', rateRemaining: 950 });
    expect(unchanged.job).toBeUndefined();
    expect(fetch.sent[0]?.headers.get('if-none-match')).toBe('W/"a"');
    const changed = await c.getJobIfChanged(42, 'W/"a"', clock.now() + 5000);
    expect(changed).toMatchObject({ status: 200, etag: 'W/"b"', rateRemaining: 949, job: JOB });
    expect(c.requestCount).toBe(2);
  });

  test('no ETag yet: no If-None-Match', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 200, body: JOB, headers: { etag: 'W/"a"' } }]);
    await client(fetch, clock).getJobIfChanged(42, undefined, clock.now() + 5000);
    expect(fetch.sent[0]?.headers.has('if-none-match')).toBe(false);
  });

  test.each<[string, Step]>([
    [
      'a rate limit with retry-after',
      { ...rateLimit(60), headers: { ...rateLimit(60).headers, 'retry-after': '40' } },
    ],
    ['a secondary rate limit', secondary(429, 40)],
    ['502', serverError],
    ['a connection reset', { error: connectionError('ECONNRESET') }],
  ])('%s: one attempt, no wait; the answer’s headers go to the caller', async (_what, step) => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([step, { status: 200, body: JOB }]);
    const error = await failure(client(fetch, clock).getJobIfChanged(42, 'W/"a"', clock.now() + 5000));
    expect(fetch.sent).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    if ('status' in step)
      expect(error.headers?.get('retry-after') ?? undefined).toBe(step.headers?.['retry-after']);
  });
});

describe('redirects and other origins: the token stays with the API', () => {
  test('a 307 is not followed nor retried; the error names the target origin only', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([
      { status: 307, headers: { location: 'https://elsewhere.example.net/steal?token=abc' } },
      { status: 200, body: JOB },
    ]);
    const error = await failure(client(fetch, clock).getJob(42, clock.now() + 10_000));
    expect(fetch.sent).toHaveLength(1);
    expect(error.status).toBe(307);
    expect(error.message).toBe(
      "GET job 42 failed: HTTP 307 redirect to https://elsewhere.example.net, not followed (a redirect would carry the request's credentials there); set GITHUB_API_URL to the final URL",
    );
  });

  test('pages: every page followed through `link` (GitHub’s /repositories/{id} URLs), one deadline', async () => {
    const clock = new FakeClock();
    const page = (n: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({ ...JOB, id: n * 1000 + i }));
    const next = (n: number) => ({
      link: `<${API}/repositories/99/actions/runs/7/attempts/1/jobs?per_page=100&page=${n}>; rel="next"`,
    });
    const fetch = scriptedFetch([
      { status: 200, body: { total_count: 250, jobs: page(1, 100) }, headers: next(2) },
      serverError,
      { status: 200, body: { total_count: 250, jobs: page(2, 100) }, headers: next(3) },
      { status: 200, body: { total_count: 250, jobs: page(3, 50) } },
    ]);
    const c = client(fetch, clock);
    const seen: number[] = [];
    for await (const p of c.attemptJobPages('7', 1, clock.now() + 10_000, 10)) {
      expect(p.totalCount).toBe(250);
      seen.push(p.jobs.length);
    }
    expect(seen).toEqual([100, 100, 50]);
    expect(fetch.sent.map((s) => new URL(s.url).pathname + new URL(s.url).search)).toEqual([
      '/api/v3/repos/octo-org/octo-repo/actions/runs/7/attempts/1/jobs?per_page=100&page=1',
      '/api/v3/repositories/99/actions/runs/7/attempts/1/jobs?per_page=100&page=2',
      '/api/v3/repositories/99/actions/runs/7/attempts/1/jobs?per_page=100&page=2',
      '/api/v3/repositories/99/actions/runs/7/attempts/1/jobs?per_page=100&page=3',
    ]);
    // The retried page waited on the clock; the others not at all.
    expect(clock.sleeps).toEqual([250]);
  });

  test('pages: at most maxPages; leaving the loop asks for no further page', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([
      {
        status: 200,
        body: { total_count: 1000, jobs: [JOB] },
        headers: { link: `<${API}/repositories/99/actions/runs/7/attempts/1/jobs?page=2>; rel="next"` },
      },
    ]);
    const c = client(fetch, clock);
    let pages = 0;
    for await (const _ of c.attemptJobPages('7', 1, clock.now() + 10_000, 3)) pages++;
    expect(pages).toBe(3);
    expect(fetch.sent).toHaveLength(3);
    for await (const _ of c.attemptJobPages('7', 1, clock.now() + 10_000, 3)) break;
    expect(fetch.sent).toHaveLength(4);
  });

  test('a `link` to another host is not followed: the token is not sent there', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([
      {
        status: 200,
        body: { total_count: 200, jobs: [JOB] },
        headers: { link: '<https://elsewhere.example.net/jobs?page=2>; rel="next"' },
      },
    ]);
    const pages = client(fetch, clock).attemptJobPages('7', 1, clock.now() + 10_000, 10);
    const error = await failure(
      (async () => {
        for await (const _ of pages);
      })(),
    );
    expect(fetch.sent).toHaveLength(1);
    expect(error.message).toBe(
      "GET jobs of run 7 attempt 1 page 2 failed: not sent to https://elsewhere.example.net, which is not the API's origin",
    );
  });
});
