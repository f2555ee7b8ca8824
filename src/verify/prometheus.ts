/**
 * The Prometheus edge: evaluates error-rate-query as an instant query
 * (`POST /api/v1/query`, form-encoded, as Prometheus, Thanos and Mimir accept)
 * and reads one ratio out of the answer.
 * https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries
 */
import type { PrometheusTarget } from '../config/verify-inputs.js';
import type { Clock } from '../util/clock.js';
import { HttpError, request, type FetchLike } from '../util/http.js';
import { describeNetworkError } from './probe-status.js';

/**
 * The query cannot work as written (Prometheus rejected it, or its result is
 * not one number): asking again will not help.
 */
export class QueryRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryRejected';
  }
}

export interface QueryValue {
  /** Undefined: no data (an empty vector, NaN). */
  readonly value: number | undefined;
  /** Something worth saying once (several series, a value over 1). */
  readonly note?: string;
}

interface ApiAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

function numberOf(text: unknown): number | undefined {
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
}

/** The ratio out of a query answer's data; throws QueryRejected when it is not one number. */
export function ratioOf(data: ApiAnswer['data']): QueryValue {
  const type = data?.resultType;
  if (type === 'scalar') {
    const [, v] = (data?.result as [number, string] | undefined) ?? [];
    return { value: numberOf(v) };
  }
  if (type === 'vector') {
    const result = (data?.result as { value?: [number, string] }[] | undefined) ?? [];
    const values = result.map((r) => numberOf(r.value?.[1])).filter((v): v is number => v !== undefined);
    if (values.length === 0) return { value: undefined };
    const value = Math.max(...values);
    const notes: string[] = [];
    if (result.length > 1)
      notes.push(
        `error-rate-query returns ${result.length} series; the highest is used. Aggregate it (sum(...) / sum(...)) to get one ratio`,
      );
    if (value > 1)
      notes.push(`error-rate-query returned ${value}, more than 1: it must be a ratio (0.05 = 5 %)`);
    return notes.length > 0 ? { value, note: notes.join('; ') } : { value };
  }
  throw new QueryRejected(
    `error-rate-query returns a ${type ?? 'missing'} result; it must give one number (an instant vector or a scalar), e.g. sum(rate(errors[1m])) / sum(rate(requests[1m]))`,
  );
}

export class PrometheusClient {
  constructor(
    private readonly target: PrometheusTarget,
    private readonly clock: Clock,
    private readonly attemptTimeoutMs: number,
    private readonly fetchImpl: FetchLike = fetch,
  ) {}

  /**
   * Evaluates `query` now. Throws QueryRejected when Prometheus refuses it
   * (bad PromQL, 4xx) or its result is not one number, and an Error with a
   * clear message when Prometheus cannot be reached.
   */
  async ratio(query: string, deadline: number): Promise<QueryValue> {
    let lastCode: string | undefined;
    const fetchImpl = this.fetchImpl;
    const counted: FetchLike = async (url, init) => {
      lastCode = undefined;
      try {
        return await fetchImpl(url, init);
      } catch (error) {
        lastCode = (error as Error & { cause?: { code?: string } }).cause?.code;
        throw error;
      }
    };
    let response;
    try {
      response = await request(
        {
          url: `${this.target.url}/api/v1/query`,
          method: 'POST',
          headers: {
            'user-agent': 'deployment-observability-action (verify)',
            accept: 'application/json',
            'content-type': 'application/x-www-form-urlencoded',
            ...(this.target.authorization ? { authorization: this.target.authorization } : {}),
          },
          body: new URLSearchParams({ query }).toString(),
          timeoutMs: this.attemptTimeoutMs,
          attempts: 3,
          deadline,
          what: `Prometheus query at ${this.target.url}`,
        },
        this.clock,
        counted,
      );
    } catch (error) {
      if (lastCode)
        throw new Error(`Prometheus at ${this.target.url} is unreachable: ${describeNetworkError(lastCode)}`);
      const status = error instanceof HttpError ? error.status : undefined;
      const answer =
        status !== undefined ? parseAnswer(error instanceof HttpError ? error.body : undefined) : undefined;
      if (answer?.error)
        throw new Error(`Prometheus at ${this.target.url} answered HTTP ${status}: ${answer.error}`);
      throw new Error((error as Error).message);
    }
    const answer = parseAnswer(response.text);
    if (response.status >= 400 && response.status < 500) {
      if (answer?.error)
        throw new QueryRejected(
          `Prometheus rejected error-rate-query (${answer.errorType ?? `HTTP ${response.status}`}): ${answer.error}`,
        );
      throw new QueryRejected(
        `Prometheus at ${this.target.url} answered HTTP ${response.status} to /api/v1/query${response.status === 401 || response.status === 403 ? ' (check the credentials in prometheus-url)' : ' (is prometheus-url the base URL of the Prometheus HTTP API?)'}`,
      );
    }
    if (!answer || answer.status !== 'success') {
      throw new Error(
        `Prometheus at ${this.target.url} answered HTTP ${response.status} without a query result${answer?.error ? `: ${answer.error}` : ''}`,
      );
    }
    return ratioOf(answer.data);
  }
}

function parseAnswer(text: string | undefined): ApiAnswer | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as ApiAnswer) : undefined;
  } catch {
    return undefined;
  }
}
