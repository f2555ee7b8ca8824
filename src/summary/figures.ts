/**
 * The figures of summary mode, from the history alone and the clock passed in.
 * Pure; definitions in docs/summary-mode.md.
 */
import { errorTypeForStage, inferServiceFromName, inferStageFromStep } from '../model/infer.js';
import type { RunRecord } from './record.js';

const HOUR = 3600;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;

/** The design's TTD targets (seconds): p50 < 8 min, p95 < 12 min, p99 < 15 min. */
export const TTD_TARGETS = Object.freeze({ p50: 480, p95: 720, p99: 900 });

/** Deployment frequency periods (`deployment_frequency{period}`), in seconds. */
const FREQUENCY_PERIODS = Object.freeze({ '1d': DAY, '7d': WEEK, '30d': MONTH });
export type FrequencyPeriod = keyof typeof FREQUENCY_PERIODS;

export type DoraLevel = 'elite' | 'high' | 'medium' | 'low';
const LEVEL_ORDER: readonly DoraLevel[] = ['elite', 'high', 'medium', 'low'];

/** Nearest-rank percentile (p in 0..1) of values; undefined for none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function median(values: readonly number[]): number | undefined {
  return percentile(values, 0.5);
}

const isSuccess = (r: RunRecord): boolean => r.conclusion === 'success';
const isFailure = (r: RunRecord): boolean =>
  r.conclusion === 'failure' || r.conclusion === 'timed_out' || r.conclusion === 'startup_failure';

/** Start of the UTC calendar month that holds `now` (ms). */
function monthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export interface ErrorBudget {
  /** Month's decided attempts (success + failure; cancelled ones are not deployments). */
  readonly deployments: number;
  readonly failures: number;
  readonly successRate: number | undefined;
  /** Failures the SLO allows this month: (1 − slo) × deployments. */
  readonly allowedFailures: number;
  /** failures / allowedFailures (0 with no failure; Infinity when none is allowed and one happened). */
  readonly used: number;
  /** 1 − used, never below 0. */
  readonly left: number;
  /** Budget left at the end of each week of the month so far (week 1 = days 1–7). */
  readonly burndown: readonly { readonly week: number; readonly left: number }[];
  readonly met: boolean;
}

function budgetOf(failures: number, deployments: number, slo: number): { used: number; left: number } {
  const allowed = (1 - slo) * deployments;
  const used = failures === 0 ? 0 : allowed > 0 ? failures / allowed : Infinity;
  return { used, left: Math.max(0, 1 - used) };
}

/** Success rate and error budget of the UTC calendar month holding `now`. */
export function errorBudget(records: readonly RunRecord[], now: number, slo: number): ErrorBudget {
  const start = monthStart(now);
  const month = records.filter((r) => r.completedAt >= start && r.completedAt <= now);
  const decided = month.filter((r) => isSuccess(r) || isFailure(r));
  const failures = decided.filter(isFailure).length;
  const { used, left } = budgetOf(failures, decided.length, slo);
  const weeks = Math.floor((now - start) / (WEEK * 1000)) + 1;
  const burndown = Array.from({ length: weeks }, (_, i) => {
    const end = start + (i + 1) * WEEK * 1000;
    const sofar = decided.filter((r) => r.completedAt < end);
    return { week: i + 1, left: budgetOf(sofar.filter(isFailure).length, sofar.length, slo).left };
  });
  const successRate = decided.length > 0 ? (decided.length - failures) / decided.length : undefined;
  return {
    deployments: decided.length,
    failures,
    successRate,
    allowedFailures: (1 - slo) * decided.length,
    used,
    left,
    burndown,
    met: successRate === undefined || successRate >= slo,
  };
}

/**
 * DORA deployment frequency: distinct runs with a successful attempt that
 * completed within the period before `now`.
 */
export function deploymentFrequency(
  records: readonly RunRecord[],
  now: number,
): Readonly<Record<FrequencyPeriod, number>> {
  const out = {} as Record<FrequencyPeriod, number>;
  for (const [period, seconds] of Object.entries(FREQUENCY_PERIODS) as [FrequencyPeriod, number][]) {
    const since = now - seconds * 1000;
    out[period] = new Set(
      records
        .filter((r) => isSuccess(r) && r.completedAt > since && r.completedAt <= now)
        .map((r) => r.runId),
    ).size;
  }
  return out;
}

export interface TtdFigures {
  readonly count: number;
  readonly p50: number | undefined;
  readonly p95: number | undefined;
  readonly p99: number | undefined;
  readonly withinTargets: { readonly p50: boolean; readonly p95: boolean; readonly p99: boolean };
  readonly sloMet: boolean;
}

/** TTD percentiles of successful attempts completed within `days` before `now`. */
export function ttdFigures(
  records: readonly RunRecord[],
  now: number,
  days: number,
  sloP95Seconds: number,
): TtdFigures {
  const since = now - days * DAY * 1000;
  const values = records
    .filter((r) => isSuccess(r) && r.completedAt >= since && r.completedAt <= now)
    .map((r) => r.ttdSeconds)
    .filter((v): v is number => v !== undefined);
  const p50 = percentile(values, 0.5);
  const p95 = percentile(values, 0.95);
  const p99 = percentile(values, 0.99);
  const within = (v: number | undefined, target: number): boolean => v === undefined || v < target;
  return {
    count: values.length,
    p50,
    p95,
    p99,
    withinTargets: {
      p50: within(p50, TTD_TARGETS.p50),
      p95: within(p95, TTD_TARGETS.p95),
      p99: within(p99, TTD_TARGETS.p99),
    },
    sloMet: p95 === undefined || p95 <= sloP95Seconds,
  };
}

export interface DoraFigures {
  /** Successful runs per day over the window. */
  readonly deploymentsPerDay: number;
  /** Median commit → completion of successful attempts (s). */
  readonly leadTimeSeconds: number | undefined;
  /** failures / (successes + failures) of attempts in the window. */
  readonly changeFailureRate: number | undefined;
  /** Median first failure of a streak → next success (s). */
  readonly timeToRestoreSeconds: number | undefined;
  readonly levels: {
    readonly frequency: DoraLevel;
    readonly leadTime: DoraLevel | undefined;
    readonly changeFailureRate: DoraLevel | undefined;
    readonly timeToRestore: DoraLevel | undefined;
  };
  /** The lowest of the levels that could be measured. */
  readonly overall: DoraLevel;
}

/** Thresholds of the DORA levels (State of DevOps 2023): first match wins, else `low`. */
const DORA_LEVELS = Object.freeze({
  /** deployments per day at least */
  frequency: { elite: 1, high: 1 / 7, medium: 1 / 30 },
  /** seconds below */
  leadTime: { elite: DAY, high: WEEK, medium: MONTH },
  /** ratio at most */
  changeFailureRate: { elite: 0.05, high: 0.1, medium: 0.15 },
  /** seconds below */
  timeToRestore: { elite: HOUR, high: DAY, medium: WEEK },
});

function levelBelow(value: number, t: { elite: number; high: number; medium: number }): DoraLevel {
  return value < t.elite ? 'elite' : value < t.high ? 'high' : value < t.medium ? 'medium' : 'low';
}

/** DORA's four keys over the `days` before `now`. */
export function doraFigures(records: readonly RunRecord[], now: number, days: number): DoraFigures {
  const since = now - days * DAY * 1000;
  const window = records
    .filter((r) => r.completedAt >= since && r.completedAt <= now)
    .sort((a, b) => a.completedAt - b.completedAt);
  const successes = window.filter(isSuccess);
  const failures = window.filter(isFailure);
  const successfulRuns = new Set(successes.map((r) => r.runId)).size;
  const deploymentsPerDay = successfulRuns / days;
  const leadTimes = successes
    .filter((r) => r.commitAt !== undefined)
    .map((r) => Math.max(0, Math.round((r.completedAt - (r.commitAt as number)) / 1000)));
  const leadTimeSeconds = median(leadTimes);
  const decided = successes.length + failures.length;
  const changeFailureRate = decided > 0 ? failures.length / decided : undefined;
  const restores: number[] = [];
  let failingSince: number | undefined;
  for (const r of window) {
    if (isFailure(r) && failingSince === undefined) failingSince = r.completedAt;
    else if (isSuccess(r) && failingSince !== undefined) {
      restores.push(Math.max(0, Math.round((r.completedAt - failingSince) / 1000)));
      failingSince = undefined;
    }
  }
  const timeToRestoreSeconds = median(restores);
  const t = DORA_LEVELS;
  const f = t.frequency;
  const frequency: DoraLevel =
    deploymentsPerDay >= f.elite
      ? 'elite'
      : deploymentsPerDay >= f.high
        ? 'high'
        : deploymentsPerDay >= f.medium
          ? 'medium'
          : 'low';
  const cfr = t.changeFailureRate;
  const levels = {
    frequency,
    leadTime: leadTimeSeconds === undefined ? undefined : levelBelow(leadTimeSeconds, t.leadTime),
    changeFailureRate:
      changeFailureRate === undefined
        ? undefined
        : changeFailureRate <= cfr.elite
          ? ('elite' as const)
          : changeFailureRate <= cfr.high
            ? ('high' as const)
            : changeFailureRate <= cfr.medium
              ? ('medium' as const)
              : ('low' as const),
    timeToRestore:
      timeToRestoreSeconds === undefined ? undefined : levelBelow(timeToRestoreSeconds, t.timeToRestore),
  };
  const measured = Object.values(levels).filter((l): l is DoraLevel => l !== undefined);
  const overall = LEVEL_ORDER[Math.max(...measured.map((l) => LEVEL_ORDER.indexOf(l)))] ?? 'low';
  return { deploymentsPerDay, leadTimeSeconds, changeFailureRate, timeToRestoreSeconds, levels, overall };
}

export interface StageStats {
  readonly name: string;
  readonly count: number;
  readonly avg: number;
  readonly p95: number;
  readonly max: number;
}

/** Per-job durations (avg/p95/max) over the last `last` attempts that have jobs. */
export function stageStats(records: readonly RunRecord[], last = 10): StageStats[] {
  const recent = records.filter((r) => r.jobs.length > 0).slice(-last);
  const byName = new Map<string, number[]>();
  for (const r of recent)
    for (const j of r.jobs) {
      if (j.conclusion === 'skipped') continue;
      byName.set(j.name, [...(byName.get(j.name) ?? []), j.seconds]);
    }
  return [...byName.entries()].map(([name, v]) => ({
    name,
    count: v.length,
    avg: Math.round(v.reduce((a, b) => a + b, 0) / v.length),
    p95: percentile(v, 0.95) ?? 0,
    max: Math.max(...v),
  }));
}

/**
 * The design's error type of a failed attempt, as track mode maps a failed stage
 * (`errorTypeForStage`); a timed-out attempt is `timeout`, a failure with no stage `unknown`.
 * Records summarised before stages were named as track mode names them hold `<job>/<step>`:
 * their stage is inferred from the step's (else the job's) name.
 */
export function errorTypeOf(record: Pick<RunRecord, 'conclusion' | 'failedStage'>): string {
  if (record.conclusion === 'timed_out') return 'timeout';
  const failed = record.failedStage;
  if (failed === undefined) return 'unknown';
  // A stage name never holds `/` (the stage map's names and the inferred ones are words).
  if (!failed.includes('/')) return errorTypeForStage(failed);
  const [job = '', step = job] = failed.split('/');
  const service = inferServiceFromName(job) ?? job;
  // The step's name first; a step named only "Apply" leaves it to the job's ("migrate").
  const stage = inferStageFromStep(step, service) ?? inferStageFromStep(job, service);
  return stage ? errorTypeForStage(stage) : 'unknown';
}

export interface FailureCause {
  readonly errorType: string;
  readonly count: number;
  /** Failed stages of this type, most frequent first (at most 3). */
  readonly stages: readonly string[];
}

/** Failures by error type, most frequent first, with the failed stages behind each. */
export function failureCauses(records: readonly RunRecord[]): FailureCause[] {
  const byType = new Map<string, Map<string, number>>();
  for (const r of records) {
    if (!isFailure(r)) continue;
    const type = errorTypeOf(r);
    const stages = byType.get(type) ?? new Map<string, number>();
    const stage = r.failedStage ?? 'unknown';
    stages.set(stage, (stages.get(stage) ?? 0) + 1);
    byType.set(type, stages);
  }
  const order = (a: [string, number], b: [string, number]): number => b[1] - a[1] || (a[0] < b[0] ? -1 : 1);
  return [...byType.entries()]
    .map(([errorType, stages]) => ({
      errorType,
      count: [...stages.values()].reduce((x, y) => x + y, 0),
      stages: [...stages.entries()]
        .sort(order)
        .slice(0, 3)
        .map(([stage]) => stage),
    }))
    .sort((a, b) => b.count - a.count || (a.errorType < b.errorType ? -1 : 1));
}

export interface SummaryFigures {
  readonly now: number;
  readonly days: number;
  readonly records: number;
  readonly budget: ErrorBudget;
  readonly frequency: Readonly<Record<FrequencyPeriod, number>>;
  readonly ttd: TtdFigures;
  readonly dora: DoraFigures;
  readonly stages: readonly StageStats[];
  readonly causes: readonly FailureCause[];
  readonly rollbacks: number;
  /** TTD of successful attempts in the window, for the distribution. */
  readonly ttdValues: readonly number[];
}

/**
 * The runner's clock may lag GitHub's: a record that completed up to this long
 * after `now` counts as completed now rather than falling out of every window.
 */
const CLOCK_SKEW_TOLERANCE_MS = 5 * 60_000;

/** `now`, moved forward to the latest completion within {@link CLOCK_SKEW_TOLERANCE_MS} of it. */
export function effectiveNow(records: readonly RunRecord[], now: number): number {
  let out = now;
  for (const r of records)
    if (r.completedAt > out && r.completedAt <= now + CLOCK_SKEW_TOLERANCE_MS) out = r.completedAt;
  return out;
}

/** Every figure at once; `clockNow` is corrected for skew ({@link effectiveNow}). */
export function computeFigures(
  records: readonly RunRecord[],
  clockNow: number,
  days: number,
  sloSuccessRate: number,
  sloTtdP95Seconds: number,
): SummaryFigures {
  const now = effectiveNow(records, clockNow);
  const since = now - days * DAY * 1000;
  const window = records.filter((r) => r.completedAt >= since && r.completedAt <= now);
  return {
    now,
    days,
    records: window.length,
    budget: errorBudget(window, now, sloSuccessRate),
    frequency: deploymentFrequency(window, now),
    ttd: ttdFigures(window, now, days, sloTtdP95Seconds),
    dora: doraFigures(window, now, days),
    stages: stageStats(window),
    causes: failureCauses(window),
    rollbacks: window.filter((r) => r.rollback).length,
    ttdValues: window
      .filter(isSuccess)
      .map((r) => r.ttdSeconds)
      .filter((v): v is number => v !== undefined),
  };
}
