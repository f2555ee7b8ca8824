/** What verify mode observes: probe and error-rate samples over the window. Plain data. */

export type ProbeStatus = 'healthy' | 'degraded' | 'unhealthy';

/** One probe of one health URL (up to 3 attempts). */
export interface ProbeSample {
  readonly kind: 'probe';
  /** The target's name (`name=` in health-urls, else host and path). */
  readonly source: string;
  /** When the probe started (ms). */
  readonly at: number;
  readonly status: ProbeStatus;
  /** Latency of the last attempt, in ms. */
  readonly latencyMs: number;
  /** The HTTP status of the last answer, when there was one. */
  readonly httpStatus?: number;
  readonly attempts: number;
  /** Why it is unhealthy: `HTTP 503`, `no answer within 2000 ms`, a TLS error… */
  readonly problem?: string;
}

/** One evaluation of error-rate-query. `value` undefined: no data (empty result, NaN, or a fault). */
export interface ErrorRateSample {
  readonly kind: 'error_rate';
  readonly source: 'error rate';
  readonly at: number;
  readonly value: number | undefined;
  /** A fault (Prometheus down, query rejected); absent for a plain empty result. */
  readonly problem?: string;
}

export type VerifySample = ProbeSample | ErrorRateSample;

export const ERROR_RATE_SOURCE = 'error rate';
