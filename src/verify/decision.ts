/**
 * The design's gates and the verdict, over a timeline of samples. Pure: the
 * same timeline always gives the same decision, so the decision loop and its
 * tests share it.
 *
 * - Error-rate gate: error rate over 5 % in consecutive samples spanning the
 *   error gate (2 minutes, or half the window). A sample without data breaks
 *   the run, as a Prometheus `for:` resets when its expression is empty.
 * - Health gate: one health URL unhealthy in consecutive probes spanning the
 *   health gate (5 minutes, or half the window). A degraded (slow) probe is
 *   not a failing one.
 * - A gate "holds" at the sample that completes the span: `at - first bad at ≥ gate`.
 */
import { ERROR_RATE_HEALTHY, ERROR_RATE_ROLLBACK, formatMs, type VerifySchedule } from './schedule.js';
import type { ErrorRateSample, ProbeSample, VerifySample } from './timeline.js';

export type Verdict = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

export interface GateHold {
  readonly gate: 'error_rate' | 'health_check';
  /** The probe's name, or `error rate`. */
  readonly source: string;
  /** Start of the bad run (ms). */
  readonly since: number;
  /** The sample at which the run spanned the gate (ms). */
  readonly heldAt: number;
  /** Human-readable: what held, for how long. */
  readonly message: string;
}

export interface Decision {
  readonly verdict: Verdict;
  readonly healthy: boolean;
  readonly rollbackRecommended: boolean;
  /** Gates that held, earliest first. */
  readonly gates: readonly GateHold[];
  /** Why the verdict is what it is, one line each. */
  readonly reasons: readonly string[];
}

function percent(v: number): string {
  return `${(Math.round(v * 10000) / 100).toFixed(2)} %`;
}

/** The first time a run of `bad` samples spans `gateMs`, if it does. */
function firstHold<S extends VerifySample>(
  samples: readonly S[],
  gateMs: number,
  bad: (s: S) => boolean,
): { since: number; heldAt: number; run: S[] } | undefined {
  let run: S[] = [];
  for (const s of [...samples].sort((a, b) => a.at - b.at)) {
    if (!bad(s)) {
      run = [];
      continue;
    }
    run.push(s);
    const since = (run[0] as S).at;
    if (s.at - since >= gateMs) return { since, heldAt: s.at, run };
  }
  return undefined;
}

function bySource<S extends VerifySample>(samples: readonly S[]): Map<string, S[]> {
  const out = new Map<string, S[]>();
  for (const s of samples) {
    const list = out.get(s.source);
    if (list) list.push(s);
    else out.set(s.source, [s]);
  }
  return out;
}

const isProbe = (s: VerifySample): s is ProbeSample => s.kind === 'probe';
const isErrorRate = (s: VerifySample): s is ErrorRateSample => s.kind === 'error_rate';

/** Every gate that holds on this timeline, earliest first. */
export function gatesHeld(timeline: readonly VerifySample[], schedule: VerifySchedule): GateHold[] {
  const holds: GateHold[] = [];
  const rates = timeline.filter(isErrorRate);
  const errorHold = firstHold(
    rates,
    schedule.errorGateMs,
    (s) => s.value !== undefined && s.value > ERROR_RATE_ROLLBACK,
  );
  if (errorHold) {
    const peak = Math.max(...errorHold.run.map((s) => s.value ?? 0));
    holds.push({
      gate: 'error_rate',
      source: 'error rate',
      since: errorHold.since,
      heldAt: errorHold.heldAt,
      message: `error rate over 5 % for ${formatMs(errorHold.heldAt - errorHold.since)} (gate ${formatMs(schedule.errorGateMs)}; peak ${percent(peak)})`,
    });
  }
  for (const [source, probes] of bySource(timeline.filter(isProbe))) {
    const hold = firstHold(probes, schedule.healthGateMs, (s) => s.status === 'unhealthy');
    if (!hold) continue;
    const last = hold.run[hold.run.length - 1];
    holds.push({
      gate: 'health_check',
      source,
      since: hold.since,
      heldAt: hold.heldAt,
      message: `health checks of ${source} failing for ${formatMs(hold.heldAt - hold.since)} (gate ${formatMs(schedule.healthGateMs)}; last: ${last?.problem ?? 'unhealthy'})`,
    });
  }
  return holds.sort((a, b) => a.heldAt - b.heldAt);
}

export interface DecideOptions {
  /** Health URLs that were configured (a URL with no sample at all is unknown). */
  readonly probeSources: readonly string[];
  /** An error-rate query was configured. */
  readonly errorRate: boolean;
}

/**
 * The verdict over a timeline:
 * - `unhealthy` (rollback recommended) when a gate held;
 * - `degraded` when none held but the window missed the design's
 *   per-deployment objectives: a health check failed (health check pass rate
 *   99.9 %), a URL's latest probe is degraded or unhealthy, or the latest error
 *   rate is 1 % or more;
 * - `unknown` when a configured check produced no data at all (Prometheus
 *   down, an empty result, no probe finished);
 * - `healthy` otherwise.
 */
export function decide(
  timeline: readonly VerifySample[],
  schedule: VerifySchedule,
  options: DecideOptions,
): Decision {
  const gates = gatesHeld(timeline, schedule);
  if (gates.length > 0) {
    return {
      verdict: 'unhealthy',
      healthy: false,
      rollbackRecommended: true,
      gates,
      reasons: gates.map((g) => g.message),
    };
  }
  const degraded: string[] = [];
  const unknown: string[] = [];
  const probes = bySource(timeline.filter(isProbe));
  for (const source of options.probeSources) {
    const list = (probes.get(source) ?? []).sort((a, b) => a.at - b.at);
    const last = list[list.length - 1];
    if (!last) {
      unknown.push(`no probe of ${source} finished`);
      continue;
    }
    const failed = list.filter((s) => s.status === 'unhealthy').length;
    if (failed > 0)
      degraded.push(`${source}: ${failed} of ${list.length} health checks failed (objective 99.9 %)`);
    if (last.status === 'degraded')
      degraded.push(`${source}: latest probe took ${Math.round(last.latencyMs)} ms (over 1000 ms)`);
    else if (last.status === 'unhealthy' && failed === 0) degraded.push(`${source}: latest probe unhealthy`);
  }
  if (options.errorRate) {
    const valid = timeline.filter(isErrorRate).filter((s) => s.value !== undefined);
    const last = valid.sort((a, b) => a.at - b.at)[valid.length - 1];
    if (!last || last.value === undefined) unknown.push('the error rate could not be read (no data)');
    else if (last.value >= ERROR_RATE_HEALTHY)
      degraded.push(`latest error rate ${percent(last.value)} (healthy under 1 %)`);
  }
  if (degraded.length > 0)
    return {
      verdict: 'degraded',
      healthy: false,
      rollbackRecommended: false,
      gates,
      reasons: [...degraded, ...unknown],
    };
  if (unknown.length > 0)
    return { verdict: 'unknown', healthy: false, rollbackRecommended: false, gates, reasons: unknown };
  return {
    verdict: 'healthy',
    healthy: true,
    rollbackRecommended: false,
    gates,
    reasons: [
      ...(options.probeSources.length > 0 ? ['every health check passed'] : []),
      ...(options.errorRate ? ['error rate under 1 %'] : []),
    ],
  };
}
