/**
 * The decision loop: every source (each health URL, the error-rate query) is
 * sampled on its own schedule of ticks `start + k × interval`, so a hanging
 * probe never delays the others; a tick that passed while a slow sample ran is
 * skipped. After every sample the gates are checked on the whole timeline: as
 * soon as one holds the loop ends (early); otherwise it ends with the window.
 * The clock is passed in (tests drive it), and every sampler is bounded by the
 * deadline it is given, so nothing runs past the window plus its grace (a
 * wall-clock guard ends the loop a few seconds later should one not be).
 */
import type { Clock } from '../util/clock.js';
import { gatesHeld, type GateHold } from './decision.js';
import type { VerifySchedule } from './schedule.js';
import type { VerifySample } from './timeline.js';

/** How far past the window and its grace the wall-clock guard lets the loop run. */
const GUARD_SLACK_MS = 5000;

/** Takes one sample; must resolve (never reject) by `deadline`. */
export type Sampler = (deadline: number) => Promise<VerifySample | undefined>;

export interface VerifySource {
  readonly name: string;
  readonly sample: Sampler;
  /** True once asking again is pointless (Prometheus rejected the query): the source stops. */
  readonly finished?: () => boolean;
}

export interface LoopResult {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly timeline: readonly VerifySample[];
  /** The gate that ended the loop before the window's end, if one did. */
  readonly decidedBy: GateHold | undefined;
  /** True when the loop ended before the window did. */
  readonly early: boolean;
}

export interface LoopOptions {
  readonly schedule: VerifySchedule;
  readonly clock: Clock;
  readonly sources: readonly VerifySource[];
  /** Called with each sample as it arrives (logging). */
  readonly onSample?: (sample: VerifySample, startedAt: number) => void;
}

/** Runs the sources until a gate holds or the window ends. Never rejects. */
export async function runDecisionLoop(o: LoopOptions): Promise<LoopResult> {
  const { schedule, clock } = o;
  const startedAt = clock.now();
  const windowEnd = startedAt + schedule.windowMs;
  const deadline = windowEnd + schedule.graceMs;
  const timeline: VerifySample[] = [];
  let decidedBy: GateHold | undefined;
  /** Set when the loop has ended: sources still running stop at their next step. */
  let stopped = false;
  let decide: () => void = () => undefined;
  const decided = new Promise<void>((resolve) => (decide = resolve));

  const runSource = async (source: VerifySource): Promise<void> => {
    let k = 0;
    for (;;) {
      const tick = startedAt + k * schedule.intervalMs;
      if (tick > windowEnd || decidedBy || stopped) return;
      const wait = tick - clock.now();
      if (wait > 0) await clock.sleep(wait);
      if (decidedBy || stopped) return;
      let sample: VerifySample | undefined;
      try {
        sample = await source.sample(deadline);
      } catch {
        sample = undefined; // samplers resolve with their problem; this is a last resort
      }
      if (decidedBy || stopped) return;
      if (sample) {
        timeline.push(sample);
        o.onSample?.(sample, startedAt);
        const holds = gatesHeld(timeline, schedule);
        if (holds.length > 0) {
          decidedBy = holds[0];
          decide();
          return;
        }
      }
      if (source.finished?.()) return;
      // The next tick at or after now: ticks a slow sample overran are skipped.
      k = Math.max(k + 1, Math.ceil((clock.now() - startedAt) / schedule.intervalMs));
    }
  };

  // A last guard on the wall clock, should a sampler ever ignore its deadline: the step must
  // not outlive the window by more than its grace and a few seconds.
  let guard: NodeJS.Timeout | undefined;
  const guarded = new Promise<void>((resolve) => {
    guard = setTimeout(resolve, schedule.windowMs + schedule.graceMs + GUARD_SLACK_MS);
    guard.unref();
  });
  await Promise.race([Promise.all(o.sources.map(runSource)), decided, guarded]);
  clearTimeout(guard);
  stopped = true;
  const endedAt = clock.now();
  return {
    startedAt,
    endedAt,
    timeline: [...timeline].sort((a, b) => a.at - b.at),
    decidedBy,
    early: decidedBy !== undefined && endedAt < windowEnd,
  };
}
