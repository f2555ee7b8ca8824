/**
 * What verify mode pushes, as series updates for the track group
 * (job/environment/service) — only these families, POSTed, so track's metrics
 * in the group stay as they are (docs/verify-mode.md, "Metrics"). Pure.
 *
 * - `api_health_check_latency_ms{status}`: one series, the latest state of the
 *   health URLs — the worst status among each URL's latest probe, with the
 *   highest latency among those. A push replaces the family, so a status seen
 *   earlier in the window does not linger (alerts on `> 1000` see the present).
 * - `api_health_check_total` / `api_health_check_failures_total`: cumulative,
 *   + every probe / every unhealthy probe of this window.
 * - `post_deployment_error_rate`: the latest error rate read (not pushed when
 *   none was).
 */
import { METRICS, type MetricDefinition } from '../metrics/definitions.js';
import type { Labels } from '../metrics/exposition.js';
import type { SeriesUpdate } from '../metrics/series.js';
import { worseStatus } from './probe-status.js';
import type { ProbeSample, ProbeStatus, VerifySample } from './timeline.js';

export interface VerifyMetricContext {
  readonly environment: string;
  readonly deploymentId: string;
  readonly service: string;
}

function update(def: MetricDefinition, labels: Labels, value: number): SeriesUpdate {
  return { definition: def, name: def.name, labels, value };
}

/** Each source's latest probe. */
function latestProbes(timeline: readonly VerifySample[]): ProbeSample[] {
  const latest = new Map<string, ProbeSample>();
  for (const s of timeline) {
    if (s.kind !== 'probe') continue;
    const seen = latest.get(s.source);
    if (!seen || s.at >= seen.at) latest.set(s.source, s);
  }
  return [...latest.values()];
}

/** The latest state of the health URLs: worst status, and the highest latency with it. */
export function latestHealth(
  timeline: readonly VerifySample[],
): { status: ProbeStatus; latencyMs: number } | undefined {
  const latest = latestProbes(timeline);
  if (latest.length === 0) return undefined;
  const status = latest.map((s) => s.status).reduce(worseStatus);
  const latencyMs = Math.max(...latest.filter((s) => s.status === status).map((s) => s.latencyMs));
  return { status, latencyMs };
}

/** The latest error rate read, if any. */
function latestErrorRate(timeline: readonly VerifySample[]): number | undefined {
  let value: number | undefined;
  let at = -Infinity;
  for (const s of timeline) {
    if (s.kind === 'error_rate' && s.value !== undefined && s.at >= at) {
      value = s.value;
      at = s.at;
    }
  }
  return value;
}

export function verifyUpdates(ctx: VerifyMetricContext, timeline: readonly VerifySample[]): SeriesUpdate[] {
  const updates: SeriesUpdate[] = [];
  const env = ctx.environment;
  const probes = timeline.filter((s): s is ProbeSample => s.kind === 'probe');
  const health = latestHealth(timeline);
  if (health) {
    updates.push(
      update(
        METRICS.healthCheckLatency,
        { environment: env, deployment_id: ctx.deploymentId, status: health.status },
        Math.round(health.latencyMs),
      ),
      update(METRICS.healthCheckTotal, { environment: env, service: ctx.service }, probes.length),
      update(
        METRICS.healthCheckFailuresTotal,
        { environment: env, service: ctx.service },
        probes.filter((p) => p.status === 'unhealthy').length,
      ),
    );
  }
  const rate = latestErrorRate(timeline);
  if (rate !== undefined) {
    updates.push(
      update(
        METRICS.postDeploymentErrorRate,
        { environment: env, deployment_id: ctx.deploymentId, service: ctx.service },
        rate,
      ),
    );
  }
  return updates;
}
