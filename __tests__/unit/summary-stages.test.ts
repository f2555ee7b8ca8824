/**
 * Summary mode names the failed stage as track mode does (the `stages` map through `stageOfStep`,
 * else inference), and says what the error budget means in words with the exact numbers behind it;
 * the burndown always has two points or more, so a chart early in the month draws something.
 */
import { describe, expect, test } from '@jest/globals';
import { defaultService } from '../../src/config/inputs.js';
import { buildDeployment, ownStepNames, type ApiStep } from '../../src/model/deployment.js';
import { parseStageMap } from '../../src/model/stage-map.js';
import { computeFigures, errorBudget, errorTypeOf } from '../../src/summary/figures.js';
import type { ApiRun, ApiRunJob } from '../../src/github/runs.js';
import { buildRecord, type RunRecord } from '../../src/summary/record.js';
import {
  budgetText,
  checkAnnotations,
  formatFailures,
  renderJobSummary,
  type SummaryContext,
} from '../../src/summary/render.js';
import { API_STAGE_MAP } from '../../tools/scenarios/index.js';

const RUN: ApiRun = {
  id: 9100002,
  name: 'deploy-full-stack',
  path: '.github/workflows/deploy-full-stack.yml',
  run_attempt: 1,
  head_branch: 'main',
  head_sha: 'b'.repeat(40),
  status: 'completed',
  conclusion: 'failure',
  created_at: '2026-12-02T10:00:00Z',
  run_started_at: '2026-12-02T10:00:00Z',
  updated_at: '2026-12-02T10:10:00Z',
};

let second = 0;
/** A completed step, one second after the previous one. */
function step(name: string, conclusion = 'success'): ApiStep {
  const at = (s: number): string =>
    `2026-12-02T10:0${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}Z`;
  const started = second++;
  return { name, status: 'completed', conclusion, started_at: at(started), completed_at: at(started + 1) };
}

function job(name: string, conclusion: string, steps: ApiStep[]): ApiRunJob {
  return {
    id: name.length,
    name,
    status: 'completed',
    conclusion,
    started_at: '2026-12-02T10:00:00Z',
    completed_at: '2026-12-02T10:05:00Z',
    steps,
  };
}

/** What track mode in that job would output as `failed-stage` (its service: track mode's default). */
function trackFailedStage(j: ApiRunJob, stages = ''): string {
  const { rules } = parseStageMap(stages);
  const steps = (j.steps ?? []) as ApiStep[];
  const d = buildDeployment({
    job: { name: j.name, status: 'completed', started_at: j.started_at, steps },
    service: defaultService(rules, j.name),
    rules,
    thresholds: {},
    jobStatus: 'failure',
    reportedErrorTypes: new Map(),
    ownStepNames: ownStepNames(steps, 'acme/deployment-observability', 'v1'),
    fallbackStart: 0,
    now: Date.parse('2026-12-02T10:05:00Z'),
  });
  return d.failedStage?.stage ?? '';
}

const API_JOB = job('deploy-api', 'failure', [
  step('Set up job'),
  step('Pre Run acme/deployment-observability@v1'),
  step('Run actions/checkout@v4'),
  step('Run acme/deployment-observability@v1'),
  step('Build Docker image'),
  step('Push image to registry'),
  step('Deploy to Railway'),
  step('Wait for health check', 'failure'),
  step('Run database migrations', 'skipped'),
  step('Roll back deployment'),
  step('Post Run acme/deployment-observability@v1'),
  step('Complete job'),
]);

describe('the failed stage, named as track mode names it', () => {
  test('no map: inferred from the step, `health_check`, not `deploy-api/Wait for health check`', () => {
    const r = buildRecord(RUN, [API_JOB]);
    expect(r.failedStage).toBe('health_check');
    expect(r.failedStage).toBe(trackFailedStage(API_JOB));
    expect(r.failedStep).toBe('deploy-api/Wait for health check');
  });

  test('the same stage map as the tracked job: its stage, where inference knows none', () => {
    const map = 'Ship it => api/deploy_railway\nBuild Docker image => api/build';
    const shipJob = job('deploy-api', 'failure', [step('Build Docker image'), step('Ship it', 'failure')]);
    const { rules } = parseStageMap(map);
    expect(buildRecord(RUN, [shipJob]).failedStage).toBeUndefined(); // inference: no stage
    const r = buildRecord(RUN, [shipJob], undefined, rules);
    expect(r.failedStage).toBe('deploy_railway');
    expect(r.failedStage).toBe(trackFailedStage(shipJob, map));
    // The contract's example map: /health/i names the health check.
    expect(buildRecord(RUN, [API_JOB], undefined, parseStageMap(API_STAGE_MAP).rules).failedStage).toBe(
      trackFailedStage(API_JOB, API_STAGE_MAP),
    );
  });

  test('a step the map does not name is no stage (as in track mode); where it failed is still kept', () => {
    const map = 'Build Docker image => api/build';
    const j = job('deploy-api', 'failure', [
      step('Build Docker image'),
      step('Wait for health check', 'failure'),
    ]);
    const r = buildRecord(RUN, [j], undefined, parseStageMap(map).rules);
    expect(r.failedStage).toBeUndefined();
    expect(trackFailedStage(j, map)).toBe('');
    expect(r.failedStep).toBe('deploy-api/Wait for health check');
    expect(errorTypeOf(r)).toBe('unknown');
  });

  test("a job none of whose steps the map names gets inferred stages (the API job's map does not blind the web job)", () => {
    const web = job('deploy-web', 'failure', [
      step('Install dependencies'),
      step('Deploy to Vercel', 'failure'),
    ]);
    const r = buildRecord(
      RUN,
      [{ ...API_JOB, conclusion: 'success' }, web],
      undefined,
      parseStageMap(API_STAGE_MAP).rules,
    );
    expect(r.failedStage).toBe('deploy_vercel');
    expect(r.failedStage).toBe(trackFailedStage(web));
  });

  test("the job's service shapes inference as in track mode: a database job applies migrations", () => {
    const migrate = job('migrate', 'failure', [
      step('Check pending migrations'),
      step('Apply migrations', 'failure'),
    ]);
    const r = buildRecord(RUN, [migrate]);
    expect(r.failedStage).toBe('migration_apply');
    expect(r.failedStage).toBe(trackFailedStage(migrate));
    expect(errorTypeOf(r)).toBe('migration_failed');
  });

  test('a failed rollback is the failed stage only when nothing else failed', () => {
    const both = job('deploy-api', 'failure', [
      step('Roll back deployment', 'failure'),
      step('Run smoke tests', 'failure'),
    ]);
    expect(buildRecord(RUN, [both]).failedStage).toBe('smoke_test');
    expect(trackFailedStage(both)).toBe('smoke_test');
    const only = job('deploy-api', 'failure', [
      step('Deploy to Railway'),
      step('Roll back deployment', 'failure'),
    ]);
    expect(buildRecord(RUN, [only]).failedStage).toBe('rollback');
    expect(trackFailedStage(only)).toBe('rollback');
  });

  test('the action\'s own steps are never the stage (their names hold "deployment")', () => {
    const own = job('deploy-api', 'failure', [
      step('Pre Run acme/deployment-observability@v1'),
      step('Run acme/deployment-observability@v1', 'failure'),
    ]);
    const r = buildRecord(RUN, [own]);
    expect(r.failedStage).toBeUndefined();
    expect(r.failedStep).toBe('deploy-api/Run acme/deployment-observability@v1');
  });

  test('error types: from the stage as track mode maps it; older `<job>/<step>` records still inferred', () => {
    const failure = (failedStage: string | undefined) => ({ conclusion: 'failure', failedStage });
    expect(errorTypeOf(failure('health_check'))).toBe('health_check_failed');
    expect(errorTypeOf(failure('smoke_test'))).toBe('test_failed');
    expect(errorTypeOf(failure('deploy_railway'))).toBe('unknown');
    expect(errorTypeOf(failure('deploy-api/Wait for health check'))).toBe('health_check_failed');
    expect(errorTypeOf(failure('migrate/Apply'))).toBe('migration_failed');
    expect(errorTypeOf({ conclusion: 'timed_out', failedStage: 'health_check' })).toBe('timeout');
  });
});

/** 2026-12-02T12:00Z: day 2 of the month, so the burndown has one week. */
const NOW = Date.UTC(2026, 11, 2, 12);
let nextId = 1;
function rec(conclusion: string, hoursAgo = 1): RunRecord {
  return {
    runId: nextId++,
    attempt: 1,
    triggeredAt: NOW - hoursAgo * 3_600_000 - 600_000,
    completedAt: NOW - hoursAgo * 3_600_000,
    conclusion,
    branch: 'main',
    headSha: 'c'.repeat(12),
    commitAt: undefined,
    ttdSeconds: 400,
    durationSeconds: 400,
    queueSeconds: 3,
    failedStage: conclusion === 'failure' ? 'health_check' : undefined,
    rollback: false,
    jobs: [],
  };
}
const runs = (ok: number, failed: number): RunRecord[] => [
  ...Array.from({ length: ok }, () => rec('success')),
  ...Array.from({ length: failed }, () => rec('failure')),
];

function context(records: RunRecord[], record = records.at(-1) as RunRecord): SummaryContext {
  return {
    record,
    figures: computeFigures(records, NOW, 90, 0.995, 720),
    workflow: 'deploy-full-stack',
    repository: 'octo-org/octo-repo',
    runUrl: undefined,
    sloSuccessRate: 0.995,
    sloTtdP95Seconds: 720,
    slowJobSeconds: 900,
    notes: [],
    pullRequest: undefined,
  };
}

describe('the error budget in words', () => {
  test.each([
    // 1 failure of 2 deployments at 99.5 %: 0.01 failures allowed, used 100 times over.
    [1, 1, 'exhausted (1 failure, 0.01 allowed)'],
    [0, 4, 'exhausted (4 failures, 0.02 allowed)'],
    // 200 deployments allow exactly 1 (0.995 is not exact in binary: still exhausted).
    [199, 1, 'exhausted (1 failure, 1 allowed)'],
    [399, 1, '50% left (1 failure of 2 allowed)'],
    // 1 of 1.5 allowed: 33.3 % left, rounded down.
    [299, 1, '33% left (1 failure of 1.5 allowed)'],
    // 1 of 1,000 allowed would round to 100 %: a budget with a failure in it shows 99 % at most.
    [199_999, 1, '99% left (1 failure of 1000 allowed)'],
    [10, 0, '100% left (0 failures of 0.05 allowed)'],
    [1, 0, '100% left (0 failures of 0.005 allowed)'],
    [0, 0, '100% left (no deployments this month)'],
  ])('%i successes, %i failures: %s', (ok, failed, text) => {
    const b = errorBudget(runs(ok, failed), NOW, 0.995);
    expect(budgetText(b)).toBe(text);
  });

  test('the exact allowance, to three significant digits', () => {
    expect(formatFailures((1 - 0.995) * 1)).toBe('0.005');
    expect(formatFailures((1 - 0.995) * 2)).toBe('0.01');
    expect(formatFailures(12.3456)).toBe('12.3');
    expect(formatFailures(Infinity)).toBe('∞');
  });

  test('the stat card, the heading and the SLO annotation say "exhausted", never "used 10000%"', () => {
    const c = context(runs(1, 1));
    const md = renderJobSummary(c);
    expect(md).not.toContain('10000%');
    expect(md).toMatch(/\| ⚠️ 50\.0% \(SLO 99\.5%\) \| 0 \| exhausted \(1 failure, 0\.01 allowed\) \|/);
    expect(md).toContain('### Error budget (this month: 2 deployments, 1 failed, 0.01 allowed)');
    expect(md).toContain('Budget left now: exhausted (1 failure, 0.01 allowed).');
    const slo = checkAnnotations(c, '.github/workflows/deploy.yml').find(
      (a) => a.title === 'Success-rate SLO breached',
    );
    expect(slo?.message).toBe(
      'Success rate this month is 50.0% (SLO 99.5%); error budget exhausted (1 failure, 0.01 allowed)',
    );
  });
});

/** The lines of the error-budget chart. */
function burndown(md: string): string[] {
  const block = /```mermaid\n(xychart-beta\n {2}title "Error budget left this month"\n[\s\S]*?)```/.exec(md);
  return (block?.[1] ?? '').trimEnd().split('\n');
}

describe('the burndown', () => {
  test('in the first week: the month start and week 1, as bars and a line (one point would draw nothing)', () => {
    expect(burndown(renderJobSummary(context(runs(1, 1))))).toEqual([
      'xychart-beta',
      '  title "Error budget left this month"',
      '  x-axis ["start", "week 1"]',
      '  y-axis "budget left (%)" 0 --> 100',
      '  bar [100, 0]',
      '  line [100, 0]',
    ]);
  });

  test('later in the month: one point a week after the start, rounded down', () => {
    // 2026-12-16: weeks 1 and 2 done, week 3 begun. 399 successes in week 1, 1 failure in week 3.
    const now = Date.UTC(2026, 11, 16, 12);
    const records = [
      ...Array.from({ length: 399 }, (_, i) => ({
        ...rec('success'),
        completedAt: Date.UTC(2026, 11, 3) + i,
      })),
      { ...rec('failure'), completedAt: now - 3_600_000 },
    ];
    const c = { ...context(records), figures: computeFigures(records, now, 90, 0.995, 720) };
    expect(burndown(renderJobSummary(c)).slice(2)).toEqual([
      '  x-axis ["start", "week 1", "week 2", "week 3"]',
      '  y-axis "budget left (%)" 0 --> 100',
      '  bar [100, 100, 100, 50]',
      '  line [100, 100, 100, 50]',
    ]);
  });
});

describe('this run in the summary and the check run', () => {
  test('the failed stage with where it failed; a failure outside any stage says so', () => {
    const record = buildRecord(RUN, [API_JOB]);
    const c = context([record], record);
    expect(renderJobSummary(c)).toContain('| `health_check` (`deploy-api/Wait for health check`) |');
    expect(checkAnnotations(c, 'w.yml')[0]?.message).toBe(
      'Failed stage: health_check (deploy-api/Wait for health check)',
    );
    const lint = buildRecord(RUN, [job('deploy-api', 'failure', [step('Lint', 'failure')])]);
    const c2 = context([lint], lint);
    expect(renderJobSummary(c2)).toContain('| no stage (`deploy-api/Lint`) |');
    expect(checkAnnotations(c2, 'w.yml')[0]?.message).toBe('Failed stage: no stage (deploy-api/Lint)');
  });
});
