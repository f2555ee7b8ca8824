/**
 * Verify mode's edges with a fake fetch and a fake clock: the probe (attempts,
 * latency, classification, clear messages for 503, timeouts, TLS and refused
 * connections) and the Prometheus client (a ratio out of each result type,
 * rejected PromQL with Prometheus' own error, Prometheus down).
 */
import { describe, expect, test } from '@jest/globals';
import { classifyProbe, describeNetworkError, worseStatus } from '../../src/verify/probe-status.js';
import type { HealthTarget } from '../../src/config/verify-inputs.js';
import { probeTarget } from '../../src/verify/probe.js';
import { PrometheusClient, QueryRejected, ratioOf } from '../../src/verify/prometheus.js';
import type { Clock } from '../../src/util/clock.js';
import type { FetchLike } from '../../src/util/http.js';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);

class FakeClock implements Clock {
  constructor(public t = T0) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}

type Answer = { status: number; body?: string; latencyMs?: number } | { code: string } | { hang: true };

/** Answers from a script (one entry a call; the last repeats), moving the fake clock by each latency. */
function scripted(clock: FakeClock, answers: Answer[]): FetchLike & { calls: RequestInit[] } {
  const calls: RequestInit[] = [];
  const fn = (async (_url: string, init: RequestInit) => {
    calls.push(init);
    const a = answers[Math.min(calls.length - 1, answers.length - 1)] as Answer;
    if ('code' in a) throw Object.assign(new TypeError('fetch failed'), { cause: { code: a.code } });
    if ('hang' in a) {
      clock.t += 2000;
      throw Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    }
    clock.t += a.latencyMs ?? 20;
    return new Response(a.body ?? '', { status: a.status });
  }) as FetchLike & { calls: RequestInit[] };
  fn.calls = calls;
  return fn;
}

const target: HealthTarget = {
  name: 'api',
  url: 'https://api.example.com/health',
  display: 'https://api.example.com/health',
  authorization: 'Basic cHJvYmU6eA==',
};

describe('classifyProbe', () => {
  test.each([
    [200, 40, 'healthy'],
    [204, 1000, 'healthy'],
    [200, 1001, 'degraded'],
    [503, 10, 'unhealthy'],
    [404, 10, 'unhealthy'],
    [undefined, 0, 'unhealthy'],
  ] as const)('HTTP %s in %s ms → %s', (status, ms, expected) => {
    expect(classifyProbe(status, ms)).toBe(expected);
  });
  test('worseStatus', () => {
    expect(worseStatus('healthy', 'degraded')).toBe('degraded');
    expect(worseStatus('unhealthy', 'degraded')).toBe('unhealthy');
  });
  test.each([
    [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'TLS error: DEPTH_ZERO_SELF_SIGNED_CERT (the server’s certificate is not trusted)',
    ],
    ['CERT_HAS_EXPIRED', 'TLS error: CERT_HAS_EXPIRED (the server’s certificate is not trusted)'],
    [
      'ERR_SSL_WRONG_VERSION_NUMBER',
      'TLS error: ERR_SSL_WRONG_VERSION_NUMBER (the TLS handshake failed: is it an https endpoint?)',
    ],
    ['ECONNREFUSED', 'connection refused (ECONNREFUSED): nothing listens there'],
    ['ENOTFOUND', 'host not found (ENOTFOUND)'],
    ['EWHATEVER', 'EWHATEVER'],
  ])('describeNetworkError(%s)', (code, text) => {
    expect(describeNetworkError(code)).toBe(text);
  });
});

describe('probeTarget', () => {
  test('a fast 200: healthy, one attempt, its latency, the credentials header sent', async () => {
    const clock = new FakeClock();
    const fetchImpl = scripted(clock, [{ status: 200, latencyMs: 42 }]);
    const s = await probeTarget(target, T0 + 60_000, { clock, attemptTimeoutMs: 2000, fetchImpl });
    expect(s).toEqual({
      kind: 'probe',
      source: 'api',
      at: T0,
      status: 'healthy',
      latencyMs: 42,
      httpStatus: 200,
      attempts: 1,
    });
    expect((fetchImpl.calls[0]?.headers as Record<string, string>).authorization).toBe('Basic cHJvYmU6eA==');
  });

  test('a slow 200: degraded', async () => {
    const clock = new FakeClock();
    const s = await probeTarget(target, T0 + 60_000, {
      clock,
      attemptTimeoutMs: 5000,
      fetchImpl: scripted(clock, [{ status: 200, latencyMs: 1500 }]),
    });
    expect(s).toMatchObject({ status: 'degraded', latencyMs: 1500 });
  });

  test('503 then 200: retried, healthy with the last attempt’s latency', async () => {
    const clock = new FakeClock();
    const s = await probeTarget(target, T0 + 60_000, {
      clock,
      attemptTimeoutMs: 2000,
      fetchImpl: scripted(clock, [{ status: 503 }, { status: 200, latencyMs: 30 }]),
    });
    expect(s).toMatchObject({ status: 'healthy', attempts: 2, latencyMs: 30 });
  });

  test('503 three times: unhealthy, said plainly', async () => {
    const clock = new FakeClock();
    const s = await probeTarget(target, T0 + 60_000, {
      clock,
      attemptTimeoutMs: 2000,
      fetchImpl: scripted(clock, [{ status: 503 }]),
    });
    expect(s).toMatchObject({
      status: 'unhealthy',
      attempts: 3,
      httpStatus: 503,
      problem: 'HTTP 503 after 3 attempt(s)',
    });
  });

  test('404 is final (not retried)', async () => {
    const clock = new FakeClock();
    const s = await probeTarget(target, T0 + 60_000, {
      clock,
      attemptTimeoutMs: 2000,
      fetchImpl: scripted(clock, [{ status: 404 }]),
    });
    expect(s).toMatchObject({ status: 'unhealthy', attempts: 1, problem: 'HTTP 404' });
  });

  test('a TLS error and a refused connection: named', async () => {
    const clock = new FakeClock();
    const tls = await probeTarget(target, T0 + 60_000, {
      clock,
      attemptTimeoutMs: 2000,
      fetchImpl: scripted(clock, [{ code: 'CERT_HAS_EXPIRED' }]),
    });
    expect(tls.problem).toBe(
      'TLS error: CERT_HAS_EXPIRED (the server’s certificate is not trusted) after 3 attempt(s)',
    );
    const refused = await probeTarget(target, T0 + 60_000, {
      clock,
      attemptTimeoutMs: 2000,
      fetchImpl: scripted(clock, [{ code: 'ECONNREFUSED' }]),
    });
    expect(refused.problem).toBe(
      'connection refused (ECONNREFUSED): nothing listens there after 3 attempt(s)',
    );
  });

  test('a hanging endpoint: unhealthy within the deadline', async () => {
    const clock = new FakeClock();
    const s = await probeTarget(target, T0 + 3000, {
      clock,
      attemptTimeoutMs: 2000,
      fetchImpl: scripted(clock, [{ hang: true }]),
    });
    expect(s.status).toBe('unhealthy');
    expect(s.problem).toMatch(/^no answer within 750 ms; out of time \(2 attempt\(s\)\)$/);
  });

  test('past the deadline: no attempt at all', async () => {
    const clock = new FakeClock();
    const s = await probeTarget(target, T0 - 1, {
      clock,
      attemptTimeoutMs: 2000,
      fetchImpl: scripted(clock, [{ status: 200 }]),
    });
    expect(s).toMatchObject({
      status: 'unhealthy',
      attempts: 0,
      problem: 'out of time before the first attempt',
    });
  });
});

describe('ratioOf', () => {
  test('vector of one, scalar, empty, NaN', () => {
    expect(ratioOf({ resultType: 'vector', result: [{ value: [1, '0.02'] }] })).toEqual({ value: 0.02 });
    expect(ratioOf({ resultType: 'scalar', result: [1, '0.5'] })).toEqual({ value: 0.5 });
    expect(ratioOf({ resultType: 'vector', result: [] })).toEqual({ value: undefined });
    expect(ratioOf({ resultType: 'vector', result: [{ value: [1, 'NaN'] }] })).toEqual({ value: undefined });
  });
  test('several series: the highest, with a note; over 1: a note', () => {
    const r = ratioOf({ resultType: 'vector', result: [{ value: [1, '0.01'] }, { value: [1, '0.07'] }] });
    expect(r.value).toBe(0.07);
    expect(r.note).toMatch(/^error-rate-query returns 2 series; the highest is used/);
    expect(ratioOf({ resultType: 'vector', result: [{ value: [1, '7'] }] }).note).toBe(
      'error-rate-query returned 7, more than 1: it must be a ratio (0.05 = 5 %)',
    );
  });
  test('a range vector is rejected', () => {
    expect(() => ratioOf({ resultType: 'matrix', result: [] })).toThrow(QueryRejected);
  });
});

describe('PrometheusClient', () => {
  const prom = { url: 'http://prom.example:9090', authorization: undefined };
  test('POSTs the query form-encoded and reads the ratio', async () => {
    const clock = new FakeClock();
    const fetchImpl = scripted(clock, [
      {
        status: 200,
        body: JSON.stringify({
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.031'] }] },
        }),
      },
    ]);
    const client = new PrometheusClient(prom, clock, 2000, fetchImpl);
    await expect(client.ratio('sum(rate(e[1m])) / sum(rate(r[1m]))', T0 + 10_000)).resolves.toEqual({
      value: 0.031,
    });
    expect(fetchImpl.calls[0]?.method).toBe('POST');
    expect(String(fetchImpl.calls[0]?.body)).toBe(
      'query=sum%28rate%28e%5B1m%5D%29%29+%2F+sum%28rate%28r%5B1m%5D%29%29',
    );
  });

  test('bad PromQL: rejected with Prometheus’ own error', async () => {
    const clock = new FakeClock();
    const body = JSON.stringify({
      status: 'error',
      errorType: 'bad_data',
      error: '1:5: parse error: unclosed left parenthesis',
    });
    const client = new PrometheusClient(prom, clock, 2000, scripted(clock, [{ status: 400, body }]));
    const error = await client.ratio('sum(', T0 + 10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryRejected);
    expect((error as Error).message).toBe(
      'Prometheus rejected error-rate-query (bad_data): 1:5: parse error: unclosed left parenthesis',
    );
  });

  test('a wrong base URL (HTML 404): rejected, with a hint', async () => {
    const clock = new FakeClock();
    const client = new PrometheusClient(
      prom,
      clock,
      2000,
      scripted(clock, [{ status: 404, body: '<html>' }]),
    );
    await expect(client.ratio('vector(0)', T0 + 10_000)).rejects.toThrow(
      'Prometheus at http://prom.example:9090 answered HTTP 404 to /api/v1/query (is prometheus-url the base URL of the Prometheus HTTP API?)',
    );
  });

  test('Prometheus down: unreachable, not rejected', async () => {
    const clock = new FakeClock();
    const client = new PrometheusClient(prom, clock, 2000, scripted(clock, [{ code: 'ECONNREFUSED' }]));
    const error = await client.ratio('vector(0)', T0 + 10_000).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(QueryRejected);
    expect((error as Error).message).toBe(
      'Prometheus at http://prom.example:9090 is unreachable: connection refused (ECONNREFUSED): nothing listens there',
    );
  });

  test('503 with an error body three times: the error shown', async () => {
    const clock = new FakeClock();
    const body = JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'too many queries' });
    const client = new PrometheusClient(prom, clock, 2000, scripted(clock, [{ status: 503, body }]));
    await expect(client.ratio('vector(0)', T0 + 10_000)).rejects.toThrow(
      'Prometheus at http://prom.example:9090 answered HTTP 503: too many queries',
    );
  });
});
