/**
 * `request`: per-attempt timeout, bounded retries with backoff, `retry-after` and
 * `x-ratelimit-reset` honoured, an overall deadline. A fake fetch and a fake clock: no network,
 * no real sleeps.
 */
import { describe, expect, test } from '@jest/globals';
import type { Clock } from '../../src/util/clock.js';
import { HttpError, request, requestedWaitMs, type FetchLike } from '../../src/util/http.js';

const T0 = Date.UTC(2024, 0, 1, 10, 0, 0); // whole seconds, so HTTP dates are exact

class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private t: number = T0) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

type Step = { status: number; body?: string; headers?: Record<string, string> } | { error: Error };

/** A fetch that answers from a script, one step per call, and records the calls. */
function scriptedFetch(
  steps: Step[],
  clock?: FakeClock,
  latencyMs = 0,
): FetchLike & { calls: { url: string; init: RequestInit; at: number }[] } {
  const calls: { url: string; init: RequestInit; at: number }[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    calls.push({ url, init, at: clock?.now() ?? 0 });
    const step = steps[Math.min(calls.length - 1, steps.length - 1)];
    if (!step) throw new Error('script is empty');
    clock?.advance(latencyMs);
    if ('error' in step) throw step.error;
    return new Response(step.body ?? '', { status: step.status, headers: step.headers });
  }) as FetchLike & { calls: typeof calls };
  fn.calls = calls;
  return fn;
}

function named(name: string, message = name): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

function connectionError(code: string): Error {
  return Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code }),
  });
}

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    return error as HttpError;
  }
  throw new Error('expected the request to fail');
}

describe('request: answers', () => {
  test('success: one call, the status, headers and text', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 200, body: '{"ok":true}', headers: { 'x-thing': 'y' } }], clock);
    const res = await request({ url: 'http://h/x', what: 'GET x' }, clock, fetch);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"ok":true}');
    expect(res.headers.get('x-thing')).toBe('y');
    expect(fetch.calls).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  test('method, headers, body and a signal are passed to fetch', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 202 }], clock);
    await request(
      { url: 'http://h/p', method: 'POST', headers: { a: 'b' }, body: 'x 1\n', what: 'POST' },
      clock,
      fetch,
    );
    const init = fetch.calls[0]?.init;
    expect(init?.method).toBe('POST');
    expect(init?.headers).toEqual({ a: 'b' });
    expect(init?.body).toBe('x 1\n');
    expect(init?.signal).toBeInstanceOf(AbortSignal);
  });

  test('GET by default', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 200 }], clock);
    await request({ url: 'http://h/', what: 'x' }, clock, fetch);
    expect(fetch.calls[0]?.init.method).toBe('GET');
  });

  test.each([400, 401, 404, 409, 422])('%d is not retried: returned to the caller', async (status) => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status, body: 'nope' }], clock);
    const res = await request({ url: 'http://h/', what: 'x' }, clock, fetch);
    expect(res.status).toBe(status);
    expect(res.text).toBe('nope');
    expect(fetch.calls).toHaveLength(1);
  });

  test('403 without rate-limit headers (no permission) is not retried', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch(
      [
        {
          status: 403,
          body: 'Resource not accessible by integration',
          headers: { 'x-ratelimit-remaining': '4999' },
        },
      ],
      clock,
    );
    const res = await request({ url: 'http://h/', what: 'x' }, clock, fetch);
    expect(res.status).toBe(403);
    expect(fetch.calls).toHaveLength(1);
  });
});

describe('request: retries', () => {
  test('500 then 200: retried after the first backoff', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch(
      [
        { status: 500, body: 'oops' },
        { status: 200, body: 'ok' },
      ],
      clock,
    );
    const res = await request({ url: 'http://h/', what: 'x' }, clock, fetch);
    expect(res.status).toBe(200);
    expect(res.text).toBe('ok');
    expect(fetch.calls).toHaveLength(2);
    expect(clock.sleeps).toEqual([250]);
  });

  test.each([500, 502, 503, 504])(
    '%d every time: attempts bounded (3 by default), exponential backoff, then HttpError',
    async (status) => {
      const clock = new FakeClock();
      const fetch = scriptedFetch([{ status, body: 'bad gateway\n  details' }], clock);
      const error = await failure(request({ url: 'http://h/', what: 'GET thing' }, clock, fetch));
      expect(fetch.calls).toHaveLength(3);
      expect(clock.sleeps).toEqual([250, 500]);
      expect(error.message).toBe(`GET thing failed: HTTP ${status}: bad gateway details`);
      expect(error.status).toBe(status);
      expect(error.body).toBe('bad gateway\n  details');
    },
  );

  test.each([
    [1, 1, []],
    [2, 2, [250]],
    [5, 5, [250, 500, 1000, 2000]],
    [0, 1, []],
    [-3, 1, []],
  ])('attempts: %d → %d calls', async (attempts, calls, sleeps) => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 503 }], clock);
    await failure(request({ url: 'http://h/', what: 'x', attempts }, clock, fetch));
    expect(fetch.calls).toHaveLength(calls);
    expect(clock.sleeps).toEqual(sleeps);
  });

  test('a long error body is cut in the message', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 500, body: 'e'.repeat(1000) }], clock);
    const error = await failure(request({ url: 'http://h/', what: 'x', attempts: 1 }, clock, fetch));
    expect(error.message).toBe(`x failed: HTTP 500: ${'e'.repeat(300)}…`);
  });
});

describe('request: rate limits', () => {
  test('403 with x-ratelimit-remaining: 0 waits exactly until x-ratelimit-reset when within the deadline', async () => {
    const clock = new FakeClock();
    const reset = T0 / 1000 + 30;
    const fetch = scriptedFetch(
      [
        {
          status: 403,
          body: 'API rate limit exceeded',
          headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
        },
        { status: 200, body: 'ok' },
      ],
      clock,
    );
    const res = await request({ url: 'http://h/', what: 'x', deadline: T0 + 60_000 }, clock, fetch);
    expect(res.status).toBe(200);
    expect(clock.sleeps).toEqual([30_000]);
    expect(fetch.calls[1]?.at).toBe(reset * 1000);
  });

  test('429 with retry-after: 2 waits 2000 ms', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 429, headers: { 'retry-after': '2' } }, { status: 200 }], clock);
    const res = await request({ url: 'http://h/', what: 'x', deadline: T0 + 60_000 }, clock, fetch);
    expect(res.status).toBe(200);
    expect(clock.sleeps).toEqual([2000]);
  });

  test('403 with retry-after (secondary rate limit) is retried after the wait', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 403, headers: { 'retry-after': '5' } }, { status: 200 }], clock);
    await request({ url: 'http://h/', what: 'x' }, clock, fetch);
    expect(clock.sleeps).toEqual([5000]);
  });

  test('429 without retry-after: the ordinary backoff', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 429 }, { status: 429 }, { status: 200 }], clock);
    await request({ url: 'http://h/', what: 'x' }, clock, fetch);
    expect(clock.sleeps).toEqual([250, 500]);
  });

  test('a reset already past: retried at once', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch(
      [
        {
          status: 403,
          headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(T0 / 1000 - 100) },
        },
        { status: 200 },
      ],
      clock,
    );
    await request({ url: 'http://h/', what: 'x' }, clock, fetch);
    expect(clock.sleeps).toEqual([0]);
  });

  test.each<[string, Record<string, string>, number]>([
    ['retry-after seconds', { 'retry-after': '120' }, 120_000],
    [
      'x-ratelimit-reset',
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(T0 / 1000 + 3600) },
      3_600_000,
    ],
  ])('a wait past the deadline (%s) gives up at once, naming the time', async (_what, headers, waitMs) => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 429, body: 'slow down', headers }], clock);
    const error = await failure(
      request({ url: 'http://h/', what: 'GET jobs', deadline: T0 + 10_000 }, clock, fetch),
    );
    expect(fetch.calls).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    const until = new Date(T0 + waitMs).toISOString();
    expect(error.message).toBe(
      `GET jobs failed: HTTP 429: slow down (asked to wait until ${until}, past this step's time budget)`,
    );
    expect(error.status).toBe(429);
  });

  test('a wait ending exactly at the deadline is not made either', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 429, headers: { 'retry-after': '10' } }, { status: 200 }], clock);
    const error = await failure(
      request({ url: 'http://h/', what: 'x', deadline: T0 + 10_000 }, clock, fetch),
    );
    expect(fetch.calls).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(error.message).toContain('out of time');
  });
});

describe('request: deadline and errors', () => {
  test('a deadline already past: no attempt at all', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 200 }], clock);
    const error = await failure(request({ url: 'http://h/', what: 'x', deadline: T0 }, clock, fetch));
    expect(fetch.calls).toHaveLength(0);
    expect(error.message).toBe('x failed: no attempt was made; out of time');
  });

  test('backoff that would cross the deadline is not slept', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 500 }], clock);
    const error = await failure(request({ url: 'http://h/', what: 'x', deadline: T0 + 400 }, clock, fetch));
    // first backoff 250 fits; the second (500) would end past the deadline.
    expect(fetch.calls).toHaveLength(2);
    expect(clock.sleeps).toEqual([250]);
    expect(error.message).toBe('x failed: HTTP 500; out of time');
  });

  test.each(['TimeoutError', 'AbortError'])(
    'a %s → "no answer within <timeout> ms", retried',
    async (name) => {
      const clock = new FakeClock();
      const fetch = scriptedFetch(
        [{ error: named(name, 'The operation was aborted due to timeout') }],
        clock,
      );
      const error = await failure(
        request({ url: 'http://h/', what: 'GET job', timeoutMs: 1234 }, clock, fetch),
      );
      expect(fetch.calls).toHaveLength(3);
      expect(error.message).toBe('GET job failed: no answer within 1234 ms');
      expect(error.status).toBeUndefined();
      expect(error.body).toBeUndefined();
    },
  );

  test('the per-attempt timeout is cut to the time left before the deadline', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ error: named('TimeoutError') }], clock);
    const error = await failure(
      request(
        { url: 'http://h/', what: 'x', timeoutMs: 5000, deadline: T0 + 800, attempts: 1 },
        clock,
        fetch,
      ),
    );
    expect(error.message).toBe('x failed: no answer within 800 ms');
  });

  test.each([
    ['ECONNREFUSED', 'connection refused (ECONNREFUSED)'],
    ['ENOTFOUND', 'host not found (ENOTFOUND)'],
    ['ECONNRESET', 'connection reset (ECONNRESET)'],
    ['UND_ERR_SOCKET', 'connection closed by the server (UND_ERR_SOCKET)'],
    ['EWHATEVER', 'EWHATEVER'],
  ])('connection error %s: what it means, with the code', async (code, message) => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ error: connectionError(code) }], clock);
    const error = await failure(request({ url: 'http://h/', what: 'POST group' }, clock, fetch));
    expect(fetch.calls).toHaveLength(3);
    expect(clock.sleeps).toEqual([250, 500]);
    expect(error.message).toBe(`POST group failed: ${message}`);
  });

  test('an error without cause: its own message', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ error: new Error('boom') }], clock);
    const error = await failure(request({ url: 'http://h/', what: 'x', attempts: 1 }, clock, fetch));
    expect(error.message).toBe('x failed: boom');
  });

  test('connection refused, then 200: recovered', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch(
      [{ error: connectionError('ECONNREFUSED') }, { status: 200, body: 'ok' }],
      clock,
    );
    const res = await request({ url: 'http://h/', what: 'x' }, clock, fetch);
    expect(res.text).toBe('ok');
  });

  test('the last problem is reported: 500 then a timeout', async () => {
    const clock = new FakeClock();
    const fetch = scriptedFetch([{ status: 500, body: 'x' }, { error: named('TimeoutError') }], clock);
    const error = await failure(
      request({ url: 'http://h/', what: 'x', attempts: 2, timeoutMs: 100 }, clock, fetch),
    );
    expect(error.message).toBe('x failed: no answer within 100 ms');
    expect(error.status).toBeUndefined();
  });
});

describe('requestedWaitMs', () => {
  const h = (init: Record<string, string>): Headers => new Headers(init);

  test.each<[string, Record<string, string>, number | undefined]>([
    ['nothing', {}, undefined],
    ['retry-after seconds', { 'retry-after': '2' }, 2000],
    ['retry-after zero', { 'retry-after': '0' }, 0],
    ['retry-after fractional', { 'retry-after': '1.5' }, 1500],
    ['retry-after negative → 0', { 'retry-after': '-5' }, 0],
    ['retry-after HTTP-date', { 'retry-after': new Date(T0 + 7000).toUTCString() }, 7000],
    ['retry-after HTTP-date in the past → 0', { 'retry-after': new Date(T0 - 7000).toUTCString() }, 0],
    ['retry-after garbage', { 'retry-after': 'soon' }, undefined],
    [
      'reset with remaining 0',
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(T0 / 1000 + 45) },
      45_000,
    ],
    [
      'reset with remaining > 0 is ignored',
      { 'x-ratelimit-remaining': '10', 'x-ratelimit-reset': String(T0 / 1000 + 45) },
      undefined,
    ],
    ['reset without remaining is ignored', { 'x-ratelimit-reset': String(T0 / 1000 + 45) }, undefined],
    ['reset garbage', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': 'later' }, undefined],
    [
      'retry-after wins over reset',
      { 'retry-after': '3', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(T0 / 1000 + 45) },
      3000,
    ],
  ])('%s', (_what, headers, expected) => {
    expect(requestedWaitMs(h(headers), T0)).toBe(expected);
  });
});
