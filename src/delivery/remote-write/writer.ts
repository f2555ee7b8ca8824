/**
 * The remote-write edge: writes a group's families to a Prometheus remote-write
 * 1.0 receiver (Mimir, Cortex, Thanos Receive, VictoriaMetrics, Grafana Cloud,
 * Prometheus) and reads the group's last counter totals back through the
 * backend's Prometheus query API.
 * https://prometheus.io/docs/specs/prw/remote_write_spec/
 */
import type { RemoteWriteConfig } from '../../config/inputs.js';
import type { Clock } from '../../util/clock.js';
import { request, type FetchLike } from '../../util/http.js';
import type { MetricFamily } from '../../metrics/exposition.js';
import type { ExistingGroup } from '../../metrics/series.js';
import { describeGroup, type GroupingKey, type MetricsSink, type WriteOptions } from '../sink.js';
import {
  existingFromQuery,
  groupTotalsQuery,
  QueryAnswerError,
  toWriteRequest,
  TOTALS_LOOKBACK_DAYS,
} from './timeseries.js';
import { encodeWriteRequest } from './wire.js';

/** The protocol's required headers (remote write 1.0). */
export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-encoding': 'snappy',
  'content-type': 'application/x-protobuf',
  'x-prometheus-remote-write-version': '0.1.0',
});

/** The spec: retry 5xx and 429 (with backoff); any other 4xx is final. */
function worthRetrying(status: number): boolean {
  return status >= 500 || status === 429;
}

const WRITE_TIMEOUT_MS = 5000;
const QUERY_TIMEOUT_MS = 5000;

export class RemoteWriteClient implements MetricsSink {
  readonly name = 'remote write';
  readonly replacesGroups = false;
  readonly carryPrefix = 'remote-write ';

  constructor(
    private readonly config: RemoteWriteConfig,
    private readonly clock: Clock,
    private readonly fetchImpl: FetchLike = fetch,
  ) {}

  get target(): string {
    return this.config.url;
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    return {
      'user-agent': 'deployment-observability-action',
      ...this.config.headers,
      ...(this.config.authorization ? { authorization: this.config.authorization } : {}),
      ...extra,
    };
  }

  /**
   * The group's counters, timestamps and marker as the backend last saw them.
   * Throws when no query API is known or it cannot answer: then counters are
   * not written (they would restart from this deployment's counts) but carried.
   */
  async readGroup(key: GroupingKey, deadline: number): Promise<ExistingGroup> {
    const base = this.config.queryUrl;
    if (!base) {
      throw new Error(
        `no query API is known for ${this.config.url}, so the previous counter totals cannot be read; set remote-write-query-url`,
      );
    }
    const what = `Reading the counter totals of {${describeGroup(key)}} from ${base}`;
    /** A query the backend refused as such (400, 422: e.g. past its query-length limit). */
    class Refused extends Error {}
    const ask = async (query: string): Promise<unknown> => {
      const response = await request(
        {
          url: `${base}/api/v1/query`,
          method: 'POST',
          headers: this.headers({
            accept: 'application/json',
            'content-type': 'application/x-www-form-urlencoded',
          }),
          body: new URLSearchParams({ query }).toString(),
          deadline,
          timeoutMs: QUERY_TIMEOUT_MS,
          attempts: 3,
          what,
          retryOn: worthRetrying,
        },
        this.clock,
        this.fetchImpl,
      );
      if (response.status !== 200) {
        const message = `${what} failed: HTTP ${response.status} ${response.text.trim().slice(0, 300)}`;
        throw response.status === 400 || response.status === 422 ? new Refused(message) : new Error(message);
      }
      try {
        return JSON.parse(response.text) as unknown;
      } catch {
        throw new Error(`${what} failed: the answer is not JSON`);
      }
    };
    const [longest, shorter] = TOTALS_LOOKBACK_DAYS;
    let answer: unknown;
    try {
      answer = await ask(groupTotalsQuery(key, false, longest));
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      // A backend that limits how far a query reaches: look back less far.
      answer = await ask(groupTotalsQuery(key, false, shorter));
    }
    try {
      return existingFromQuery(answer);
    } catch (error) {
      if (!(error instanceof QueryAnswerError)) throw error;
      // Engines that drop the metric name from last_over_time: read the raw samples instead.
      try {
        return existingFromQuery(await ask(groupTotalsQuery(key, true, shorter)));
      } catch (again) {
        if (again instanceof QueryAnswerError) throw new Error(`${what} failed: ${again.message}`);
        throw again;
      }
    }
  }

  /** One snappy-compressed WriteRequest; retried only on 5xx/429 (the same bytes, so idempotent). */
  async write(
    key: GroupingKey,
    families: readonly MetricFamily[],
    deadline: number,
    options: WriteOptions,
  ): Promise<void> {
    const body = encodeWriteRequest(toWriteRequest(key, families, { at: options.at, now: this.clock.now() }));
    const what = `Remote write of {${describeGroup(key)}} to ${this.config.url}`;
    const response = await request(
      {
        url: this.config.url,
        method: 'POST',
        headers: this.headers({ ...REMOTE_WRITE_HEADERS }),
        body,
        deadline,
        timeoutMs: WRITE_TIMEOUT_MS,
        attempts: 3,
        what,
        retryOn: worthRetrying,
      },
      this.clock,
      this.fetchImpl,
    );
    if (response.status < 200 || response.status >= 300) {
      throw new Error(
        `${what} was refused: HTTP ${response.status} ${response.text.trim().slice(0, 300)} (not retried: the receiver refuses this data as sent)`,
      );
    }
  }
}
