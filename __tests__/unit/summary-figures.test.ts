/** Summary figures against hand-computed fixture pairs (values worked out in the comments). */
import {
  computeFigures,
  deploymentFrequency,
  doraFigures,
  effectiveNow,
  errorBudget,
  failureCauses,
  percentile,
  stageStats,
  ttdFigures,
} from '../../src/summary/figures.js';
import { mergeHistory } from '../../src/summary/history.js';
import type { RunRecord } from '../../src/summary/record.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** 2026-11-20T12:00:00Z */
const NOW = Date.UTC(2026, 10, 20, 12);

let nextId = 1000;
function rec(p: Partial<RunRecord> & { completedAt: number }): RunRecord {
  return {
    runId: nextId++,
    attempt: 1,
    triggeredAt: p.completedAt - 10 * MIN,
    conclusion: 'success',
    branch: 'main',
    headSha: 'abc',
    commitAt: undefined,
    ttdSeconds: 600,
    durationSeconds: 600,
    queueSeconds: 5,
    failedStage: undefined,
    rollback: false,
    jobs: [],
    ...p,
  };
}

describe('percentile (nearest rank)', () => {
  test.each([
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95, 10], // ceil(9.5) = 10th
    [[400, 100, 300, 200], 0.5, 200], // sorted, ceil(2) = 2nd
    [[400, 100, 300, 200], 0.95, 400], // ceil(3.8) = 4th
    [[42], 0.99, 42],
  ])('%j p%d = %d', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
  test('no values: undefined', () => {
    expect(percentile([], 0.5)).toBeUndefined();
  });
});

describe('no deployments', () => {
  test('every figure is empty, budget intact, levels low or unmeasured', () => {
    const f = computeFigures([], NOW, 90, 0.995, 720);
    expect(f.budget).toEqual({
      deployments: 0,
      failures: 0,
      successRate: undefined,
      allowedFailures: 0,
      used: 0,
      left: 1,
      // Nov 20 is in the 3rd week of the month (days 15–21).
      burndown: [
        { week: 1, left: 1 },
        { week: 2, left: 1 },
        { week: 3, left: 1 },
      ],
      met: true,
    });
    expect(f.frequency).toEqual({ '1d': 0, '7d': 0, '30d': 0 });
    expect(f.ttd).toMatchObject({ count: 0, p95: undefined, sloMet: true });
    expect(f.dora).toMatchObject({
      deploymentsPerDay: 0,
      leadTimeSeconds: undefined,
      changeFailureRate: undefined,
      timeToRestoreSeconds: undefined,
      levels: {
        frequency: 'low',
        leadTime: undefined,
        changeFailureRate: undefined,
        timeToRestore: undefined,
      },
      overall: 'low',
    });
    expect(f.causes).toEqual([]);
    expect(f.stages).toEqual([]);
  });
});

describe('all failed', () => {
  const records = [1, 2, 3, 4].map((d) =>
    rec({
      completedAt: NOW - d * DAY,
      conclusion: 'failure',
      failedStage: d % 2 ? 'deploy-api/Deploy' : 'migrate/Apply',
    }),
  );
  test('success rate 0, budget used 4 / (0.005 × 4) = 200×, none left', () => {
    const b = errorBudget(records, NOW, 0.995);
    expect(b.deployments).toBe(4);
    expect(b.failures).toBe(4);
    expect(b.successRate).toBe(0);
    expect(b.allowedFailures).toBeCloseTo(0.02, 10);
    expect(b.used).toBeCloseTo(200, 6);
    expect(b.left).toBe(0);
    expect(b.met).toBe(false);
  });
  test('change failure rate 100% (low), no restore, no frequency', () => {
    const d = doraFigures(records, NOW, 30);
    expect(d.changeFailureRate).toBe(1);
    expect(d.levels.changeFailureRate).toBe('low');
    expect(d.timeToRestoreSeconds).toBeUndefined();
    expect(deploymentFrequency(records, NOW)).toEqual({ '1d': 0, '7d': 0, '30d': 0 });
    expect(ttdFigures(records, NOW, 30, 720).count).toBe(0);
  });
  test('failure causes by error type, most frequent first, with their failed stages', () => {
    expect(failureCauses(records)).toEqual([
      { errorType: 'migration_failed', count: 2, stages: ['migrate/Apply'] },
      { errorType: 'unknown', count: 2, stages: ['deploy-api/Deploy'] },
    ]);
    expect(
      failureCauses([
        rec({ completedAt: NOW - HOUR, conclusion: 'failure', failedStage: 'deploy-api/Health check' }),
        rec({ completedAt: NOW - HOUR, conclusion: 'timed_out', failedStage: 'deploy-web' }),
        rec({ completedAt: NOW - HOUR, conclusion: 'failure', failedStage: 'deploy-web/Run smoke tests' }),
      ]).map((c) => [c.errorType, c.count]),
    ).toEqual([
      ['health_check_failed', 1],
      ['test_failed', 1],
      ['timeout', 1],
    ]);
  });
});

describe('re-runs', () => {
  // Run 77: attempt 1 fails at T, attempt 2 succeeds 30 min later. Run 78 succeeds 2 h later.
  const T = NOW - 6 * HOUR;
  const a1 = rec({ runId: 77, attempt: 1, completedAt: T, conclusion: 'failure', failedStage: 'deploy-api' });
  const a2 = rec({ runId: 77, attempt: 2, completedAt: T + 30 * MIN, commitAt: T - 90 * MIN });
  const b = rec({ runId: 78, completedAt: T + 2 * HOUR, commitAt: T + 30 * MIN });
  test('each attempt is a record; summarising one twice keeps one', () => {
    const merged = mergeHistory([a1, a2], [a2, b], [a2]);
    expect(merged.map((r) => `${r.runId}.${r.attempt}`)).toEqual(['77.1', '77.2', '78.1']);
  });
  test('frequency counts the run once; CFR 1/3; restore 30 min (elite); lead time median', () => {
    const records = [a1, a2, b];
    expect(deploymentFrequency(records, NOW)).toEqual({ '1d': 2, '7d': 2, '30d': 2 });
    const d = doraFigures(records, NOW, 30);
    expect(d.changeFailureRate).toBeCloseTo(1 / 3, 10);
    expect(d.levels.changeFailureRate).toBe('low');
    expect(d.timeToRestoreSeconds).toBe(1800);
    expect(d.levels.timeToRestore).toBe('elite');
    // lead times: a2 = 30 + 90 = 120 min, b = 90 min → nearest-rank median of [5400, 7200] = 5400
    expect(d.leadTimeSeconds).toBe(5400);
    expect(d.levels.leadTime).toBe('elite');
    // 2 successful runs over 30 days = 0.0667/day: ≥ 1/30 → medium
    expect(d.deploymentsPerDay).toBeCloseTo(2 / 30, 10);
    expect(d.levels.frequency).toBe('medium');
    expect(d.overall).toBe('low');
  });
  test('a streak of failures restores from its first failure', () => {
    const f1 = rec({ completedAt: NOW - 5 * HOUR, conclusion: 'failure' });
    const f2 = rec({ completedAt: NOW - 4 * HOUR, conclusion: 'failure' });
    const ok = rec({ completedAt: NOW - 2 * HOUR });
    expect(doraFigures([ok, f2, f1], NOW, 30).timeToRestoreSeconds).toBe(3 * 3600);
    expect(doraFigures([ok, f2, f1], NOW, 30).levels.timeToRestore).toBe('high');
  });
});

describe('cancelled runs', () => {
  test('are neither successes nor failures', () => {
    const records = [
      rec({ completedAt: NOW - HOUR }),
      rec({ completedAt: NOW - 2 * HOUR }),
      rec({ completedAt: NOW - 3 * HOUR }),
      rec({ completedAt: NOW - 4 * HOUR, conclusion: 'cancelled', ttdSeconds: 5000 }),
    ];
    const b = errorBudget(records, NOW, 0.995);
    expect(b).toMatchObject({ deployments: 3, failures: 0, successRate: 1, used: 0, left: 1, met: true });
    expect(deploymentFrequency(records, NOW)['1d']).toBe(3);
    expect(doraFigures(records, NOW, 30).changeFailureRate).toBe(0);
    // The cancelled run's TTD is not a deployment's.
    expect(ttdFigures(records, NOW, 30, 720)).toMatchObject({ count: 3, p99: 600 });
  });
});

describe('clock skew', () => {
  test('a run that completed up to 5 min after the runner clock counts as now', () => {
    const ahead = rec({ completedAt: NOW + 90_000 });
    expect(effectiveNow([ahead], NOW)).toBe(NOW + 90_000);
    expect(computeFigures([ahead], NOW, 90, 0.995, 720).frequency['1d']).toBe(1);
  });
  test('one far in the future is ignored', () => {
    const far = rec({ completedAt: NOW + 3 * HOUR });
    expect(effectiveNow([far], NOW)).toBe(NOW);
    expect(computeFigures([far], NOW, 90, 0.995, 720).frequency['1d']).toBe(0);
  });
  test('a commit timestamp after the completion gives a lead time of 0', () => {
    const r = rec({ completedAt: NOW - HOUR, commitAt: NOW - HOUR + 120_000 });
    expect(doraFigures([r], NOW, 30).leadTimeSeconds).toBe(0);
  });
});

describe('a month boundary', () => {
  // now = 2026-12-01T00:30Z; a failure on Nov 30 23:50 belongs to November's budget.
  const now = Date.UTC(2026, 11, 1, 0, 30);
  const records = [
    rec({ completedAt: Date.UTC(2026, 10, 30, 23, 50), conclusion: 'failure' }),
    rec({ completedAt: Date.UTC(2026, 11, 1, 0, 10) }),
  ];
  test("December's budget holds December's runs only", () => {
    expect(errorBudget(records, now, 0.995)).toMatchObject({
      deployments: 1,
      failures: 0,
      successRate: 1,
      left: 1,
      burndown: [{ week: 1, left: 1 }],
    });
  });
  test('the rolling 1d frequency and DORA cross the boundary', () => {
    expect(deploymentFrequency(records, now)['1d']).toBe(1);
    const d = doraFigures(records, now, 30);
    expect(d.changeFailureRate).toBe(0.5);
    expect(d.timeToRestoreSeconds).toBe(20 * 60);
  });
  test('burndown: weekly budget left, from the first failure on', () => {
    // Nov: 10 successes in week 1, 1 failure in week 2 → 11 × 0.005 = 0.055 allowed → used 18×, left 0.
    const nov = Date.UTC(2026, 10, 10, 12);
    const rs = [
      ...Array.from({ length: 10 }, (_, i) => rec({ completedAt: Date.UTC(2026, 10, 2 + (i % 5)) })),
      rec({ completedAt: Date.UTC(2026, 10, 9), conclusion: 'failure' }),
    ];
    expect(errorBudget(rs, nov, 0.995).burndown).toEqual([
      { week: 1, left: 1 },
      { week: 2, left: 0 },
    ]);
    // With a 0.5 SLO: 11 × 0.5 = 5.5 allowed, 1 used → 1 − 1/5.5 left.
    expect(errorBudget(rs, nov, 0.5).left).toBeCloseTo(1 - 1 / 5.5, 10);
  });
});

describe('TTD figures and targets', () => {
  test('p50/p95/p99 against 8/12/15 min and the p95 SLO', () => {
    // 20 successful runs with TTD 60, 120, …, 1200 s.
    const records = Array.from({ length: 20 }, (_, i) =>
      rec({ completedAt: NOW - (i + 1) * HOUR, ttdSeconds: (i + 1) * 60 }),
    );
    const t = ttdFigures(records, NOW, 7, 720);
    // p50: 10th = 600; p95: ceil(19) = 19th = 1140; p99: ceil(19.8) = 20th = 1200
    expect(t).toEqual({
      count: 20,
      p50: 600,
      p95: 1140,
      p99: 1200,
      withinTargets: { p50: false, p95: false, p99: false },
      sloMet: false,
    });
  });
});

describe('stage durations over the last 10 deployments', () => {
  test('avg, p95 and max per job, skipped jobs left out', () => {
    const records = Array.from({ length: 12 }, (_, i) =>
      rec({
        completedAt: NOW - (12 - i) * HOUR,
        jobs: [
          { name: 'deploy-api', conclusion: 'success', seconds: (i + 1) * 10 },
          { name: 'rollback', conclusion: 'skipped', seconds: 0 },
        ],
      }),
    );
    // last 10: seconds 30..120 → avg 75, p95 = ceil(9.5) = 10th = 120, max 120
    expect(stageStats(records)).toEqual([{ name: 'deploy-api', count: 10, avg: 75, p95: 120, max: 120 }]);
  });
});
