/**
 * The Pushgateway edge: grouping-key paths, reading what a group holds (to
 * keep counters cumulative), and POSTing families. POST replaces only the
 * families it carries, so track and verify can share a group (docs/metrics.md).
 * https://github.com/prometheus/pushgateway#url
 */
import type { PushgatewayConfig } from '../config/inputs.js';
import type { Clock } from '../util/clock.js';
import { request, type FetchLike } from '../util/http.js';
import { renderExposition, type MetricFamily, type Sample } from '../metrics/exposition.js';
import type { ExistingGroup, ExistingSamples } from '../metrics/series.js';
import { describeGroup, type GroupingKey, type MetricsSink, type WriteOptions } from './sink.js';

/** Ordered grouping labels: `job` first. */

const PLAIN_VALUE = /^[A-Za-z0-9._~-]+$/;

/**
 * `/metrics/job/<job>/<label>/<value>…`. Values that are empty or hold
 * anything but URL-safe characters use `<label>@base64/<base64url>` (empty:
 * `=`): `%2F` in a path gets HTTP 400 (docs/platform.md, "Prometheus and the Pushgateway").
 */
export function groupPath(key: GroupingKey): string {
  return (
    '/metrics' +
    key
      .map(([label, value]) => {
        if (value === '') return `/${label}@base64/=`;
        // `.` and `..` are path segments URL parsing removes: they must be encoded too.
        if (PLAIN_VALUE.test(value) && value !== '.' && value !== '..') return `/${label}/${value}`;
        return `/${label}@base64/${Buffer.from(value, 'utf8').toString('base64url')}`;
      })
      .join('')
  );
}

interface ApiMetric {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

interface ApiGroup {
  labels?: Record<string, string>;
  [family: string]: unknown;
}

function sameGroup(labels: Record<string, string> | undefined, key: GroupingKey): boolean {
  if (!labels) return false;
  if (Object.keys(labels).length !== key.length) return false;
  return key.every(([l, v]) => (labels[l] ?? '') === v);
}

/** Type and help of each family of one group out of `GET /api/v1/metrics`. */
function typesOfGroup(body: unknown, key: GroupingKey): Map<string, { type: string; help: string }> {
  const out = new Map<string, { type: string; help: string }>();
  const data = (body as { data?: unknown })?.data;
  const group = Array.isArray(data) ? (data as ApiGroup[]).find((g) => sameGroup(g.labels, key)) : undefined;
  for (const [family, content] of Object.entries(group ?? {})) {
    if (family === 'labels' || typeof content !== 'object' || content === null) continue;
    const { type, help } = content as { type?: string; help?: string };
    if (typeof type === 'string') out.set(family, { type, help: help ?? '' });
  }
  return out;
}

/** The samples of one group out of `GET /api/v1/metrics`. */
export function samplesOfGroup(body: unknown, key: GroupingKey): ExistingSamples {
  const out = new Map<string, Sample[]>();
  const data = (body as { data?: unknown })?.data;
  if (!Array.isArray(data)) throw new Error('the Pushgateway answered /api/v1/metrics without a data array');
  const group = (data as ApiGroup[]).find((g) => sameGroup(g.labels, key));
  if (!group) return out;
  for (const [family, content] of Object.entries(group)) {
    if (family === 'labels' || typeof content !== 'object' || content === null) continue;
    const metrics = (content as { metrics?: ApiMetric[] }).metrics;
    if (!Array.isArray(metrics)) continue;
    const samples: Sample[] = [];
    for (const m of metrics) {
      const labels = m.labels ?? {};
      if (m.buckets) {
        for (const [le, v] of Object.entries(m.buckets))
          samples.push({ name: `${family}_bucket`, labels: { ...labels, le }, value: Number(v) });
        samples.push({ name: `${family}_sum`, labels, value: Number(m.sum ?? 0) });
        samples.push({ name: `${family}_count`, labels, value: Number(m.count ?? 0) });
      } else if (m.value !== undefined) {
        samples.push({ name: family, labels, value: Number(m.value) });
      }
    }
    out.set(family, samples);
  }
  return out;
}

export class PushgatewayClient implements MetricsSink {
  readonly name = 'the Pushgateway';
  readonly replacesGroups = true;
  // Carried counts of the Pushgateway keep the ids they had before remote write existed.
  readonly carryPrefix = '';

  constructor(
    private readonly config: PushgatewayConfig,
    private readonly clock: Clock,
    private readonly fetchImpl: FetchLike = fetch,
  ) {}

  get target(): string {
    return this.config.url;
  }

  /** The families as exposition text (no timestamps: the Pushgateway refuses them). */
  async write(
    key: GroupingKey,
    families: readonly MetricFamily[],
    deadline: number,
    options: WriteOptions,
  ): Promise<void> {
    await this.push(key, renderExposition(families), deadline, options.method);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'user-agent': 'deployment-observability-action',
      ...(this.config.authorization ? { authorization: this.config.authorization } : {}),
      ...extra,
    };
  }

  /** Everything one group holds; empty when the group does not exist yet. */
  async readGroup(key: GroupingKey, deadline: number): Promise<ExistingGroup> {
    const response = await request(
      {
        url: `${this.config.url}/api/v1/metrics`,
        headers: this.headers({ accept: 'application/json' }),
        deadline,
        timeoutMs: 5000,
        attempts: 3,
        what: 'Reading the Pushgateway group',
      },
      this.clock,
      this.fetchImpl,
    );
    if (response.status !== 200) {
      throw new Error(
        `Reading the Pushgateway group failed: HTTP ${response.status} ${response.text.slice(0, 200)}`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      throw new Error('Reading the Pushgateway group failed: the answer is not JSON');
    }
    return { samples: samplesOfGroup(body, key), types: typesOfGroup(body, key) };
  }

  /**
   * Sends exposition text to a group: POST replaces the families it carries,
   * PUT the whole group. Throws with the Pushgateway's message on failure.
   */
  async push(
    key: GroupingKey,
    text: string,
    deadline: number,
    method: 'POST' | 'PUT' = 'POST',
  ): Promise<void> {
    const response = await request(
      {
        url: `${this.config.url}${groupPath(key)}`,
        method,
        headers: this.headers({ 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
        body: text,
        deadline,
        timeoutMs: 5000,
        attempts: 3,
        what: `Pushing to the Pushgateway group {${describeGroup(key)}}`,
      },
      this.clock,
      this.fetchImpl,
    );
    if (response.status < 200 || response.status >= 300) {
      throw new Error(
        `Pushing to the Pushgateway group {${describeGroup(key)}} failed: HTTP ${response.status} ${response.text.trim().slice(0, 300)}`,
      );
    }
  }
}
