/**
 * Verify mode's pure core: the schedule, the gates and the verdict over
 * timelines (a single blip, flapping, sustained failure, recovery, missing
 * data), and the decision loop on a simulated clock (early decision, the end
 * of the window, a hanging source).
 */
import { describe, expect, test } from '@jest/globals';
import { decide, gatesHeld } from '../../src/verify/decision.js';
import { runDecisionLoop, type VerifySource } from '../../src/verify/loop.js';
import { verifySchedule } from '../../src/verify/schedule.js';
import type { ErrorRateSample, ProbeSample, ProbeStatus, VerifySample } from '../../src/verify/timeline.js';
import type { Clock } from '../../src/util/clock.js';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);

const probe = (seconds: number, status: ProbeStatus, source = 'api', latencyMs = 40): ProbeSample => ({
  kind: 'probe',
  source,
  at: T0 + seconds * 1000,
  status,
  latencyMs: status === 'degraded' ? Math.max(latencyMs, 1500) : latencyMs,
  attempts: status === 'unhealthy' ? 3 : 1,
  ...(status === 'unhealthy' ? { problem: 'HTTP 503 after 3 attempt(s)', httpStatus: 503 } : {}),
});

const rate = (seconds: number, value: number | undefined): ErrorRateSample => ({
  kind: 'error_rate',
  source: 'error rate',
  at: T0 + seconds * 1000,
  value,
});

/** Probes every `step` seconds from 0 to `end`, with the status `f` gives. */
function probes(end: number, step: number, f: (s: number) => ProbeStatus, source = 'api'): ProbeSample[] {
  const out: ProbeSample[] = [];
  for (let s = 0; s <= end; s += step) out.push(probe(s, f(s), source));
  return out;
}
function rates(end: number, step: number, f: (s: number) => number | undefined): ErrorRateSample[] {
  const out: ErrorRateSample[] = [];
  for (let s = 0; s <= end; s += step) out.push(rate(s, f(s)));
  return out;
}

const W300 = verifySchedule(300);
const W20 = verifySchedule(20);
const both = { probeSources: ['api'], errorRate: true };

describe('verifySchedule', () => {
  test.each([
    [300, 30_000, 120_000, 150_000],
    [20, 2000, 10_000, 10_000],
    [600, 30_000, 120_000, 300_000],
    [3600, 30_000, 120_000, 300_000],
    [60, 6000, 30_000, 30_000],
  ])('window %ss: interval %sms, error gate %sms, health gate %sms', (w, interval, errorGate, healthGate) => {
    const s = verifySchedule(w);
    expect(s).toMatchObject({
      windowMs: w * 1000,
      intervalMs: interval,
      errorGateMs: errorGate,
      healthGateMs: healthGate,
    });
    expect(s.attemptTimeoutMs).toBeGreaterThan(1000); // a degraded (over 1000 ms) answer is still seen
    expect(s.attemptTimeoutMs).toBeLessThanOrEqual(10_000);
  });
});

describe('decide over a 300 s window (gates 2m / 2m30s)', () => {
  test('all healthy, error rate under 1 %: healthy', () => {
    const d = decide([...probes(300, 30, () => 'healthy'), ...rates(300, 30, () => 0.002)], W300, both);
    expect(d).toMatchObject({ verdict: 'healthy', healthy: true, rollbackRecommended: false, gates: [] });
  });

  test('a single blip: no gate, degraded (the 99.9 % health-check objective is missed), no rollback', () => {
    const d = decide(
      [...probes(300, 30, (s) => (s === 90 ? 'unhealthy' : 'healthy')), ...rates(300, 30, () => 0.001)],
      W300,
      both,
    );
    expect(d).toMatchObject({ verdict: 'degraded', healthy: false, rollbackRecommended: false });
    expect(d.reasons).toContain('api: 1 of 11 health checks failed (objective 99.9 %)');
  });

  test('an error-rate blip over 5 %: no gate; the latest rate decides the rest', () => {
    const d = decide(
      rates(300, 30, (s) => (s === 60 ? 0.2 : 0.004)),
      W300,
      {
        probeSources: [],
        errorRate: true,
      },
    );
    expect(d).toMatchObject({ verdict: 'healthy', rollbackRecommended: false });
  });

  test('flapping health checks never hold the gate (each success breaks the run)', () => {
    const d = decide(
      probes(300, 30, (s) => ((s / 30) % 2 === 0 ? 'unhealthy' : 'healthy')),
      W300,
      {
        probeSources: ['api'],
        errorRate: false,
      },
    );
    expect(
      gatesHeld(
        probes(300, 30, (s) => ((s / 30) % 2 === 0 ? 'unhealthy' : 'healthy')),
        W300,
      ),
    ).toEqual([]);
    expect(d).toMatchObject({ verdict: 'degraded', rollbackRecommended: false });
  });

  test('flapping error rate (over 5 % every other sample) never holds the gate', () => {
    expect(
      gatesHeld(
        rates(300, 30, (s) => ((s / 30) % 2 === 0 ? 0.09 : 0.04)),
        W300,
      ),
    ).toEqual([]);
  });

  test('sustained health-check failure from +60s: the gate holds at +3m30s (2m30s later)', () => {
    const timeline = probes(300, 30, (s) => (s >= 60 ? 'unhealthy' : 'healthy'));
    const [hold] = gatesHeld(timeline, W300);
    expect(hold).toMatchObject({
      gate: 'health_check',
      source: 'api',
      since: T0 + 60_000,
      heldAt: T0 + 210_000,
    });
    const d = decide(timeline, W300, { probeSources: ['api'], errorRate: false });
    expect(d).toMatchObject({ verdict: 'unhealthy', healthy: false, rollbackRecommended: true });
    expect(d.reasons[0]).toMatch(/^health checks of api failing for 2m30s \(gate 2m30s; last: HTTP 503/);
  });

  test('sustained error rate over 5 % from +30s: the gate holds at +2m30s', () => {
    const timeline = rates(300, 30, (s) => (s >= 30 ? 0.07 : 0.003));
    const [hold] = gatesHeld(timeline, W300);
    expect(hold).toMatchObject({ gate: 'error_rate', since: T0 + 30_000, heldAt: T0 + 150_000 });
    expect(hold?.message).toBe('error rate over 5 % for 2m (gate 2m; peak 7.00 %)');
  });

  test('exactly 5 % is not over 5 %', () => {
    expect(
      gatesHeld(
        rates(300, 30, () => 0.05),
        W300,
      ),
    ).toEqual([]);
  });

  test('recovery before the gate: no rollback; degraded while the checks that failed count', () => {
    const timeline = [
      ...probes(300, 30, (s) => (s <= 90 ? 'unhealthy' : 'healthy')), // 0..90: 1m30s < 2m30s
      ...rates(300, 30, (s) => (s <= 60 ? 0.08 : 0.002)), // 0..60: 1m < 2m
    ];
    expect(gatesHeld(timeline, W300)).toEqual([]);
    const d = decide(timeline, W300, both);
    expect(d).toMatchObject({ verdict: 'degraded', rollbackRecommended: false });
    expect(d.reasons).toEqual(['api: 4 of 11 health checks failed (objective 99.9 %)']);
  });

  test('a sample without data breaks an error-rate run (as a Prometheus for: resets)', () => {
    const timeline = rates(300, 30, (s) => (s === 90 ? undefined : s >= 30 ? 0.09 : 0));
    const [hold] = gatesHeld(timeline, W300);
    expect(hold).toMatchObject({ since: T0 + 120_000, heldAt: T0 + 240_000 });
  });

  test('one failing URL among several holds the gate', () => {
    const timeline = [
      ...probes(300, 30, () => 'healthy', 'web'),
      ...probes(300, 30, (s) => (s >= 120 ? 'unhealthy' : 'healthy'), 'api'),
    ];
    expect(gatesHeld(timeline, W300).map((g) => g.source)).toEqual(['api']);
  });

  test('slow answers are degraded, not failing: no gate, degraded verdict when the latest is slow', () => {
    const timeline = probes(300, 30, () => 'degraded');
    expect(gatesHeld(timeline, W300)).toEqual([]);
    const d = decide(timeline, W300, { probeSources: ['api'], errorRate: false });
    expect(d.verdict).toBe('degraded');
    expect(d.reasons).toEqual(['api: latest probe took 1500 ms (over 1000 ms)']);
  });

  test('error rate between 1 % and 5 % at the end: degraded', () => {
    const d = decide(
      rates(300, 30, () => 0.02),
      W300,
      { probeSources: [], errorRate: true },
    );
    expect(d).toMatchObject({ verdict: 'degraded', healthy: false, rollbackRecommended: false });
    expect(d.reasons).toEqual(['latest error rate 2.00 % (healthy under 1 %)']);
  });

  test('Prometheus never answered: unknown, not healthy', () => {
    const d = decide([...probes(300, 30, () => 'healthy'), ...rates(300, 30, () => undefined)], W300, both);
    expect(d).toMatchObject({ verdict: 'unknown', healthy: false, rollbackRecommended: false });
    expect(d.reasons).toEqual(['the error rate could not be read (no data)']);
  });

  test('a URL with no finished probe: unknown', () => {
    const d = decide(
      rates(300, 30, () => 0),
      W300,
      both,
    );
    expect(d.verdict).toBe('unknown');
  });
});

/** A discrete-event clock: sleep() resolves when run() reaches its time; no real waiting. */
class SimClock implements Clock {
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) =>
      this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, resolve }),
    );
  }
  /** Runs `promise` to its end, moving time from timer to timer. */
  async run<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    let value: T | undefined;
    void promise.then((v) => {
      done = true;
      value = v;
    });
    for (;;) {
      for (let i = 0; i < 20; i++) await Promise.resolve();
      if (done) return value as T;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next) throw new Error('deadlock: nothing scheduled and the loop has not ended');
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
  }
}

function source(
  name: string,
  f: (elapsedSeconds: number) => VerifySample | undefined,
  clock: SimClock,
  costMs = 0,
): VerifySource & { calls: number } {
  const s = {
    name,
    calls: 0,
    sample: async (): Promise<VerifySample | undefined> => {
      s.calls++;
      const at = clock.now();
      if (costMs > 0) await clock.sleep(costMs);
      const sample = f((at - T0) / 1000);
      return sample ? { ...sample, at } : undefined;
    },
  };
  return s;
}

describe('runDecisionLoop on a simulated clock (window 20 s: every 2 s, gates 10 s)', () => {
  test('all healthy: ends with the window, one sample per tick of every source', async () => {
    const clock = new SimClock(T0);
    const api = source('api', (s) => probe(s, 'healthy'), clock);
    const errors = source('error rate', (s) => rate(s, 0.001), clock);
    const result = await clock.run(runDecisionLoop({ schedule: W20, clock, sources: [api, errors] }));
    expect(result.early).toBe(false);
    expect(result.decidedBy).toBeUndefined();
    expect(result.endedAt - T0).toBe(20_000);
    expect(api.calls).toBe(11); // +0s … +20s
    expect(errors.calls).toBe(11);
    expect(decide(result.timeline, W20, both).verdict).toBe('healthy');
  });

  test('sustained error rate from +4s: decides at +14s and stops sampling (early)', async () => {
    const clock = new SimClock(T0);
    const api = source('api', (s) => probe(s, 'healthy'), clock);
    const errors = source('error rate', (s) => rate(s, s >= 4 ? 0.12 : 0.001), clock);
    const seen: number[] = [];
    const result = await clock.run(
      runDecisionLoop({
        schedule: W20,
        clock,
        sources: [api, errors],
        onSample: (sample) => seen.push(sample.at - T0),
      }),
    );
    expect(result.early).toBe(true);
    expect(result.endedAt - T0).toBe(14_000);
    expect(result.decidedBy).toMatchObject({ gate: 'error_rate', since: T0 + 4000, heldAt: T0 + 14_000 });
    expect(Math.max(...seen)).toBe(14_000);
    expect(decide(result.timeline, W20, both)).toMatchObject({
      verdict: 'unhealthy',
      rollbackRecommended: true,
    });
  });

  test('a blip does not end the loop', async () => {
    const clock = new SimClock(T0);
    const api = source('api', (s) => probe(s, s === 6 ? 'unhealthy' : 'healthy'), clock);
    const result = await clock.run(runDecisionLoop({ schedule: W20, clock, sources: [api] }));
    expect(result.early).toBe(false);
    expect(result.endedAt - T0).toBe(20_000);
  });

  test('a hanging source (7 s a sample) skips the ticks it overran and never delays the others', async () => {
    const clock = new SimClock(T0);
    const hung = source('hung', (s) => probe(s, 'unhealthy', 'hung'), clock, 7000);
    const api = source('api', (s) => probe(s, 'healthy'), clock);
    const result = await clock.run(runDecisionLoop({ schedule: W20, clock, sources: [hung, api] }));
    const hungAt = result.timeline.filter((s) => s.source === 'hung').map((s) => (s.at - T0) / 1000);
    expect(hungAt).toEqual([0, 8, 16]); // 0–7 s, then the next tick (8 s), …
    expect(api.calls).toBe(11); // +0 … +20 s: the hanging source never held the others up
    expect(result.decidedBy).toMatchObject({ gate: 'health_check', source: 'hung', heldAt: T0 + 16_000 });
    // The sample that started at +16s finished at +23s: past the window (20 s), within its grace.
    expect(result.endedAt - T0).toBe(23_000);
    expect(result.early).toBe(false);
  });

  test('a source that is finished (a rejected query) stops; with no other source the loop ends', async () => {
    const clock = new SimClock(T0);
    const rejected = { ...source('error rate', (s) => rate(s, undefined), clock), finished: () => true };
    const result = await clock.run(runDecisionLoop({ schedule: W20, clock, sources: [rejected] }));
    expect(result.timeline).toHaveLength(1);
    expect(result.endedAt).toBe(T0);
    expect(result.early).toBe(false);
  });

  test('no source: ends at once', async () => {
    const clock = new SimClock(T0);
    const result = await clock.run(runDecisionLoop({ schedule: W20, clock, sources: [] }));
    expect(result.endedAt).toBe(T0);
  });
});
