/** The run record, the history model (idempotent, bounded, compact), the metric updates, inputs and rendering. */
import { readSummaryInputs } from '../../src/config/summary-inputs.js';
import { computeFigures } from '../../src/summary/figures.js';
import { decodeHistory, encodeHistory, mergeHistory, pruneHistory } from '../../src/summary/history.js';
import {
  COUNTED_MARKER,
  histogramObservation,
  markerValue,
  summaryUpdates,
} from '../../src/summary/metrics.js';
import { buildRecord, recordFromRunOnly, type RunRecord } from '../../src/summary/record.js';
import type { ApiRun, ApiRunJob } from '../../src/github/runs.js';
import {
  annotationPages,
  checkAnnotations,
  checkConclusion,
  renderJobSummary,
  type SummaryContext,
} from '../../src/summary/render.js';
import { METRICS } from '../../src/metrics/definitions.js';

const RUN: ApiRun = {
  id: 555,
  name: 'deploy-full-stack',
  path: '.github/workflows/deploy-full-stack.yml@main',
  run_attempt: 1,
  head_branch: 'main',
  head_sha: 'a'.repeat(40),
  status: 'completed',
  conclusion: 'failure',
  created_at: '2026-11-20T10:00:00Z',
  run_started_at: '2026-11-20T10:00:05Z',
  updated_at: '2026-11-20T10:20:00Z',
  workflow_id: 9,
  head_commit: { timestamp: '2026-11-20T09:00:00-01:00' }, // = 10:00:00Z
};
const job = (
  id: number,
  name: string,
  conclusion: string,
  start: string,
  end: string,
  steps: ApiRunJob['steps'] = [],
): ApiRunJob => ({
  id,
  name,
  status: 'completed',
  conclusion,
  started_at: `2026-11-20T${start}Z`,
  completed_at: `2026-11-20T${end}Z`,
  steps,
});
const JOBS: ApiRunJob[] = [
  job(3, 'deploy-web', 'success', '10:02:00', '10:08:00'),
  job(1, 'build', 'success', '10:00:30', '10:01:30'),
  job(2, 'deploy-api', 'failure', '10:02:00', '10:06:00', [
    {
      name: 'Build',
      status: 'completed',
      conclusion: 'success',
      started_at: '2026-11-20T10:02:00Z',
      completed_at: '2026-11-20T10:04:00Z',
    },
    {
      name: 'Deploy to Railway',
      status: 'completed',
      conclusion: 'failure',
      started_at: '2026-11-20T10:04:00Z',
      completed_at: '2026-11-20T10:06:00Z',
    },
  ]),
  job(4, 'rollback', 'success', '10:06:30', '10:07:00'),
  job(5, 'notify', 'skipped', '10:09:00', '10:08:59'),
  {
    id: 6,
    name: 'summary',
    status: 'in_progress',
    conclusion: null,
    started_at: '2026-11-20T10:09:00Z',
    completed_at: null,
  },
];

describe('buildRecord', () => {
  test('trigger → last deploy job, failed stage, rollback, per-job durations; own job left out', () => {
    const r = buildRecord(RUN, JOBS, 6);
    expect(r).toEqual({
      runId: 555,
      attempt: 1,
      triggeredAt: Date.parse('2026-11-20T10:00:00Z'),
      // the latest job completion, not updated_at
      completedAt: Date.parse('2026-11-20T10:08:00Z'),
      conclusion: 'failure',
      branch: 'main',
      headSha: 'a'.repeat(40),
      commitAt: Date.parse('2026-11-20T10:00:00Z'),
      // deploy-web finished last of the deploy jobs: 10:00:00 → 10:08:00
      ttdSeconds: 480,
      durationSeconds: 475,
      queueSeconds: 30,
      // named as track mode names it; where it failed kept beside it
      failedStage: 'deploy_railway',
      failedStep: 'deploy-api/Deploy to Railway',
      rollback: true,
      jobs: [
        { name: 'deploy-web', conclusion: 'success', seconds: 360 },
        { name: 'build', conclusion: 'success', seconds: 60 },
        { name: 'deploy-api', conclusion: 'failure', seconds: 240 },
        { name: 'rollback', conclusion: 'success', seconds: 30 },
      ],
    });
  });
  test('a re-run is triggered at run_started_at; in-run conclusion comes from the jobs', () => {
    const r = buildRecord(
      {
        ...RUN,
        run_attempt: 2,
        status: 'in_progress',
        conclusion: null,
        run_started_at: '2026-11-20T11:00:00Z',
      },
      [job(7, 'deploy-api', 'success', '11:01:00', '11:04:00')],
    );
    expect(r).toMatchObject({ attempt: 2, conclusion: 'success', ttdSeconds: 240, failedStage: undefined });
  });
  test('no deploy-named job: every job that ran is one; a run-only record spans trigger → updated_at', () => {
    expect(buildRecord(RUN, [job(1, 'build', 'success', '10:00:30', '10:03:00')]).ttdSeconds).toBe(180);
    expect(recordFromRunOnly(RUN)).toMatchObject({ ttdSeconds: 1200, jobs: [], conclusion: 'failure' });
  });
});

function rec(i: number, now: number): RunRecord {
  return {
    runId: 9_000_000_000 + i,
    attempt: 1 + (i % 3),
    triggeredAt: now - i * 600_000 - 700_000,
    completedAt: now - i * 600_000,
    conclusion: i % 17 === 0 ? 'failure' : 'success',
    branch: i % 5 === 0 ? 'release' : 'main',
    headSha: (i * 2654435761).toString(16).padStart(40, 'f'),
    commitAt: now - i * 600_000 - 3_600_000,
    ttdSeconds: 300 + (i % 400),
    durationSeconds: 650 + (i % 50),
    queueSeconds: i % 9,
    failedStage: i % 17 === 0 ? 'deploy-api/Deploy to Railway' : undefined,
    rollback: i % 34 === 0,
    jobs: [
      { name: 'build', conclusion: 'success', seconds: 90 + (i % 30) },
      { name: 'deploy-api', conclusion: i % 17 === 0 ? 'failure' : 'success', seconds: 150 + (i % 60) },
      { name: 'deploy-web', conclusion: 'success', seconds: 160 + (i % 70) },
      { name: 'migrate', conclusion: 'success', seconds: 30 + (i % 40) },
    ],
  };
}

describe('history', () => {
  const now = Date.UTC(2026, 10, 26, 12);
  test('round-trips through the compact encoding (SHA kept to 12 characters)', () => {
    const records = [
      rec(1, now),
      rec(17, now),
      { ...rec(2, now), commitAt: undefined, ttdSeconds: undefined },
    ];
    const back = decodeHistory(encodeHistory(records));
    expect(back).toEqual(records.map((r) => ({ ...r, headSha: r.headSha.slice(0, 12) })));
  });
  test('10,000 records stay under 1 MB', () => {
    const records = Array.from({ length: 10_000 }, (_, i) => rec(i, now));
    const bytes = encodeHistory(records);
    expect(bytes.length).toBeLessThan(1_000_000);
    expect(decodeHistory(bytes)).toHaveLength(10_000);
  });
  test('bounded by history-days', () => {
    const records = [rec(1, now), { ...rec(2, now), completedAt: now - 91 * 86_400_000 }];
    expect(pruneHistory(records, now, 90).map((r) => r.runId)).toEqual([records[0]?.runId]);
  });
  test('merged by key when two summaries raced: the fuller record wins, nothing doubles', () => {
    const a = rec(1, now);
    const partial = { ...a, jobs: a.jobs.slice(0, 1) };
    const merged = mergeHistory([partial, rec(2, now)], [a, rec(3, now)]);
    expect(merged).toHaveLength(3);
    expect(merged.find((r) => r.runId === a.runId)?.jobs).toHaveLength(4);
    expect(mergeHistory(merged, merged)).toEqual(merged);
  });
  test('anything but a history fails to decode', () => {
    expect(() => decodeHistory(Buffer.from('not gzip'))).toThrow();
  });
});

describe('summary metric updates', () => {
  const record = buildRecord(RUN, JOBS, 6);
  const labels = {
    workflow: 'deploy-full-stack',
    repository: 'octo-org/octo-repo',
    environment: 'production',
  };
  test('a first summary: +1 run, one histogram observation (cumulative buckets), frequency, marker', () => {
    const u = summaryUpdates(record, labels, { '1d': 1, '7d': 3, '30d': 9 }, true);
    const by = (name: string) => u.filter((x) => x.name === name).map((x) => [x.labels, x.value]);
    const runLabels = {
      workflow: 'deploy-full-stack',
      repository: 'octo-org/octo-repo',
      branch: 'main',
      conclusion: 'failure',
    };
    expect(by('github_workflow_runs_total')).toEqual([[runLabels, 1]]);
    expect(by('github_action_duration_seconds')).toEqual([[runLabels, 475]]);
    // TTD 480 s: le 60 and 300 get 0, 480 (inclusive) and up get 1
    expect(by('time_to_deploy_seconds_bucket').map(([l, v]) => [(l as { le: string }).le, v])).toEqual([
      ['60', 0],
      ['300', 0],
      ['480', 1],
      ['600', 1],
      ['720', 1],
      ['900', 1],
      ['1200', 1],
      ['1500', 1],
      ['1800', 1],
      ['+Inf', 1],
    ]);
    expect(by('time_to_deploy_seconds_sum')).toEqual([[{ environment: 'production' }, 480]]);
    expect(by('time_to_deploy_seconds_count')).toEqual([[{ environment: 'production' }, 1]]);
    expect(by('deployment_frequency')).toEqual([
      [{ environment: 'production', service: 'all', period: '1d' }, 1],
      [{ environment: 'production', service: 'all', period: '7d' }, 3],
      [{ environment: 'production', service: 'all', period: '30d' }, 9],
    ]);
    expect(by(COUNTED_MARKER.name)).toEqual([[{}, 555_001]]);
  });
  test('an attempt counted before adds no counter; other durations are kept', () => {
    const other = {
      name: 'github_action_duration_seconds',
      labels: { workflow: 'w', repository: 'r', branch: 'dev', conclusion: 'success', job: 'deployment' },
      value: 12,
    };
    const u = summaryUpdates(record, labels, { '1d': 0, '7d': 0, '30d': 0 }, false, [other]);
    expect(u.some((x) => x.definition.merge === 'sum')).toBe(false);
    expect(u.filter((x) => x.name === 'github_action_duration_seconds').map((x) => x.value)).toEqual([
      12, 475,
    ]);
  });
  test('histogram: a value above every bucket lands in +Inf only', () => {
    const u = histogramObservation(METRICS.timeToDeploy, { environment: 'x' }, 5000);
    expect(u.filter((x) => x.name.endsWith('_bucket')).map((x) => x.value)).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    ]);
    expect(markerValue({ runId: 12, attempt: 3 })).toBe(12_003);
  });
});

describe('summary inputs', () => {
  const read = (values: Record<string, string>) => (name: string) => values[name] ?? '';
  test('defaults', () => {
    expect(readSummaryInputs(read({}), '42')).toEqual({
      inputs: { runId: '42', history: true, historyDays: 90, sloSuccessRate: 0.995, sloTtdP95Seconds: 720 },
      problems: [],
    });
  });
  test('bad values fall back, each problem names its input', () => {
    const { inputs, problems } = readSummaryInputs(
      read({
        'run-id': 'abc',
        history: 'maybe',
        'history-days': '0',
        'slo-success-rate': '99.5',
        'slo-ttd-p95-seconds': '-1',
      }),
      '42',
    );
    expect(inputs).toEqual({
      runId: '42',
      history: true,
      historyDays: 90,
      sloSuccessRate: 0.995,
      sloTtdP95Seconds: 720,
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'input run-id',
      'input history',
      'input history-days',
      'input slo-success-rate',
      'input slo-ttd-p95-seconds',
    ]);
    expect(Object.isFrozen(inputs)).toBe(true);
  });
});

describe('rendering', () => {
  const now = Date.UTC(2026, 10, 26, 12);
  const history = Array.from({ length: 10_000 }, (_, i) => rec(i, now));
  const record = history[0] as RunRecord;
  const ctx = (records: RunRecord[]): SummaryContext => ({
    record,
    figures: computeFigures(records, now, 90, 0.995, 720),
    workflow: 'deploy-full-stack',
    repository: 'octo-org/octo-repo',
    runUrl: 'https://github.com/octo-org/octo-repo/actions/runs/1',
    sloSuccessRate: 0.995,
    sloTtdP95Seconds: 720,
    slowJobSeconds: 100,
    notes: ['History bootstrapped'],
    pullRequest: 7,
  });
  test('the job summary with 10,000 records is well under 1 MiB and has every section', () => {
    const md = renderJobSummary(ctx(history));
    expect(Buffer.byteLength(md)).toBeLessThan(64 * 1024);
    for (const heading of [
      '### This run',
      '### Stage durations',
      '### Time to deploy',
      '### Failure root causes',
      '### Error budget',
      '### DORA',
    ])
      expect(md).toContain(heading);
    expect(md).toContain('xychart-beta');
    expect(md).toContain('(PR #7)');
  });
  test('no deployments renders without charts of nothing', () => {
    const md = renderJobSummary(ctx([]));
    expect(md).toContain('No failed deployments in the window.');
    expect(md).not.toContain('Time to deploy (successful runs)');
  });
  test('annotations: failed stage, slow stages, SLO breaches; pages of ≤ 50', () => {
    const failed = { ...record, failedStage: 'deploy_railway', ttdSeconds: 1000 };
    const a = checkAnnotations({ ...ctx(history), record: failed }, '.github/workflows/deploy.yml');
    expect(a.map((x) => x.title)).toEqual([
      'Deployment failed',
      'Slow stage',
      'Slow stage',
      'Time to deploy over SLO',
      'Success-rate SLO breached',
    ]);
    expect(a.every((x) => x.path === '.github/workflows/deploy.yml')).toBe(true);
    expect(annotationPages(Array.from({ length: 120 }, (_, i) => i)).map((p) => p.length)).toEqual([
      50, 50, 20,
    ]);
    expect(checkConclusion('startup_failure')).toBe('failure');
    expect(checkConclusion('cancelled')).toBe('cancelled');
  });
});
