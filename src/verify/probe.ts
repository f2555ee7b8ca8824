/**
 * The probe edge: one health check of one URL, with up to 3 attempts, a
 * per-attempt timeout and backoff (util/http `request`: 5xx and 429 are
 * retried, other answers are final). Latency is that of the last attempt,
 * headers and body. Never rejects: a failure is an unhealthy sample with a
 * message a user can act on.
 */
import type { HealthTarget } from '../config/verify-inputs.js';
import type { Clock } from '../util/clock.js';
import { HttpError, request, type FetchLike } from '../util/http.js';
import { classifyProbe, describeNetworkError } from './probe-status.js';
import { PROBE_ATTEMPTS } from './schedule.js';
import type { ProbeSample } from './timeline.js';

export interface ProbeOptions {
  readonly clock: Clock;
  readonly attemptTimeoutMs: number;
  readonly fetchImpl?: FetchLike;
}

/** Probes `target` once (up to 3 attempts), within `deadline`. */
export async function probeTarget(
  target: HealthTarget,
  deadline: number,
  o: ProbeOptions,
): Promise<ProbeSample> {
  const { clock } = o;
  const at = clock.now();
  let attempts = 0;
  let attemptStart = at;
  let lastCode: string | undefined;
  const fetchImpl = o.fetchImpl ?? fetch;
  const counted: FetchLike = async (url, init) => {
    attempts++;
    attemptStart = clock.now();
    lastCode = undefined;
    try {
      return await fetchImpl(url, { ...init, redirect: 'follow' });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      lastCode = e.cause?.code;
      throw error;
    }
  };
  try {
    const response = await request(
      {
        url: target.url,
        headers: {
          'user-agent': 'deployment-observability-action (verify)',
          accept: '*/*',
          ...(target.authorization ? { authorization: target.authorization } : {}),
        },
        timeoutMs: o.attemptTimeoutMs,
        attempts: PROBE_ATTEMPTS,
        deadline,
        what: `Probe of ${target.display}`,
      },
      clock,
      counted,
    );
    const latencyMs = clock.now() - attemptStart;
    const status = classifyProbe(response.status, latencyMs);
    return {
      kind: 'probe',
      source: target.name,
      at,
      status,
      latencyMs,
      httpStatus: response.status,
      attempts,
      ...(status === 'unhealthy' ? { problem: `HTTP ${response.status}` } : {}),
    };
  } catch (error) {
    const latencyMs = clock.now() - attemptStart;
    const httpStatus = error instanceof HttpError ? error.status : undefined;
    const raw = (error as Error).message.replace(/^Probe of \S+ failed: /, '');
    const problem =
      httpStatus !== undefined
        ? `HTTP ${httpStatus} after ${attempts} attempt(s)`
        : lastCode
          ? `${describeNetworkError(lastCode)} after ${attempts} attempt(s)`
          : attempts === 0
            ? 'out of time before the first attempt'
            : `${raw} (${attempts} attempt(s))`;
    return {
      kind: 'probe',
      source: target.name,
      at,
      status: 'unhealthy',
      latencyMs,
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      attempts,
      problem,
    };
  }
}
