/**
 * Verify mode's timing (docs/verify-mode.md, "Timing"): samples every
 * `min(30 s, window / 10)`; the design's gates (error rate over 5 % for 2
 * minutes, health checks failing for 5 minutes) hold after
 * `min(design duration, window / 2)` of consecutive bad samples, so short
 * windows still decide. Pure.
 */

/** The design's sampling interval: every 30 s after the deploy. */
const DESIGN_INTERVAL_MS = 30_000;
/** Post-deploy error spike: over 5 % for 2 minutes → rollback. */
const DESIGN_ERROR_GATE_MS = 120_000;
/** Health check failure: failing for over 5 minutes post-deploy → rollback. */
const DESIGN_HEALTH_GATE_MS = 300_000;
/** The design's thresholds. */
export const ERROR_RATE_ROLLBACK = 0.05;
export const ERROR_RATE_HEALTHY = 0.01;
export const DEGRADED_LATENCY_MS = 1000;
/** Probe attempts (the design: "should retry 3-5x"). */
export const PROBE_ATTEMPTS = 3;
/** Time left to push and write the summary after the window, on top of an in-flight sample's grace. */
export const PUSH_BUDGET_MS = 10_000;

export interface VerifySchedule {
  readonly windowMs: number;
  readonly intervalMs: number;
  readonly errorGateMs: number;
  readonly healthGateMs: number;
  /**
   * Per-attempt timeout of a probe or a query: a third of the interval, at
   * least 2 s (so a response over the 1000 ms "degraded" mark is still seen)
   * and at most 10 s.
   */
  readonly attemptTimeoutMs: number;
  /** A sample started before the window's end may finish this long after it; nothing runs later. */
  readonly graceMs: number;
}

/** The schedule of a window of `windowSeconds`. */
export function verifySchedule(windowSeconds: number): VerifySchedule {
  const windowMs = Math.round(windowSeconds * 1000);
  const intervalMs = Math.min(DESIGN_INTERVAL_MS, Math.round(windowMs / 10));
  const attemptTimeoutMs = Math.min(10_000, Math.max(2000, Math.round(intervalMs / 3)));
  return Object.freeze({
    windowMs,
    intervalMs,
    errorGateMs: Math.min(DESIGN_ERROR_GATE_MS, Math.round(windowMs / 2)),
    healthGateMs: Math.min(DESIGN_HEALTH_GATE_MS, Math.round(windowMs / 2)),
    attemptTimeoutMs,
    graceMs: attemptTimeoutMs,
  });
}

/** `90s`, `2m`, `2m30s`: durations as the summary and messages show them. */
export function formatMs(ms: number): string {
  const seconds = Math.round(ms / 100) / 10;
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return s === 0 ? `${m}m` : `${m}m${s}s`;
}
