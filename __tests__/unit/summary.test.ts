/**
 * The track-mode job summary: outcome, the stage table, a Mermaid gantt (one `section` per service),
 * failure details, delivery lines and notes. Hostile names never break a table row or a gantt line.
 */
import { describe, expect, test } from '@jest/globals';
import type { DeploymentResult, StageResult } from '../../src/model/deployment.js';
import { renderTrackSummary, type TrackSummaryInput } from '../../src/report/job-summary.js';
import { stage, T0 } from './builders.js';

function deployment(stages: StageResult[], over: Partial<DeploymentResult> = {}): DeploymentResult {
  const failedStage = stages.find((s) => s.status === 'failure');
  return {
    status: failedStage ? 'failure' : 'success',
    stages,
    failedStage,
    errorType: failedStage ? 'health_check_failed' : undefined,
    failureMessage: failedStage
      ? `Stage ${failedStage.stage} (${failedStage.service}) failed after 31s in step "${failedStage.steps.join('", "')}"`
      : undefined,
    startedAt: T0,
    completedAt: T0 + 300_000,
    durationSeconds: 300,
    totalThresholdSeconds: 900,
    slow: false,
    rollback: stages.find((s) => s.stage === 'rollback'),
    mainSteps: [],
    ...over,
  };
}

function input(d: DeploymentResult, over: Partial<TrackSummaryInput> = {}): TrackSummaryInput {
  return {
    deployment: d,
    deploymentId: '9876543210',
    environment: 'production',
    service: 'api',
    branch: 'main',
    runUrl: 'https://github.com/octo-org/octo-repo/actions/runs/9876543210',
    delivery: [{ ok: true, text: 'Pushed to the Pushgateway' }],
    notes: [],
    stagesKnown: true,
    ...over,
  };
}

const STAGES = [
  stage({
    stage: 'build',
    startedAt: T0,
    completedAt: T0 + 95_000,
    durationSeconds: 95,
    thresholdSeconds: 120,
  }),
  stage({
    stage: 'push',
    startedAt: T0 + 95_000,
    completedAt: T0 + 160_000,
    durationSeconds: 65,
    thresholdSeconds: 60,
    slow: true,
  }),
  stage({
    stage: 'deploy_railway',
    startedAt: T0 + 160_000,
    completedAt: T0 + 250_000,
    durationSeconds: 90,
    thresholdSeconds: 180,
  }),
  stage({
    stage: 'health_check',
    startedAt: T0 + 250_000,
    completedAt: T0 + 281_000,
    durationSeconds: 31,
    thresholdSeconds: 30,
    slow: true,
    status: 'failure',
    steps: ['Wait for health check'],
  }),
  stage({ stage: 'rollback', startedAt: T0 + 281_000, completedAt: T0 + 300_000, durationSeconds: 19 }),
];

/** A short test title for a possibly long string. */
function title(text: string): string {
  return text.length > 60
    ? `${JSON.stringify(text.slice(0, 24))}… (${text.length} characters)`
    : JSON.stringify(text);
}

/** Table rows: the lines from the header to the first line that is not a row. */
function tableRows(md: string): string[] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| Stage |'));
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith('|')) break;
    out.push(line);
  }
  return out;
}

function unescapedPipes(row: string): number {
  let n = 0;
  for (let i = 0; i < row.length; i++) if (row[i] === '|' && row[i - 1] !== '\\') n++;
  return n;
}

function ganttLines(md: string): string[] {
  const lines = md.split('\n');
  const start = lines.indexOf('```mermaid');
  if (start < 0) return [];
  const end = lines.indexOf('```', start + 1);
  return lines.slice(start + 1, end);
}

const GANTT_LINE = [
  /^gantt$/,
  /^ {2}title [^:;#\n]+$/,
  /^ {2}dateFormat HH:mm:ss$/,
  /^ {2}axisFormat %M:%S$/,
  /^ {2}section [^:;#\n"`{}<>]+$/,
  /^ {2}(?!.*%%)[^:;#\n"`{}<>]+ :(done|active|crit), s\d+, \d\d:\d\d:\d\d, \d\d:\d\d:\d\d$/,
];

describe('a failed deployment', () => {
  const md = renderTrackSummary(input(deployment(STAGES)));

  test('headline names the failed stage, service and environment', () => {
    expect(md.split('\n')[0]).toBe('## ❌ Deployment failed at health_check: api · production');
  });

  test('the deployment line: id, total against the SLO, branch, run link', () => {
    expect(md).toContain(
      'Deployment `9876543210` · 5m 00s of 15m 00s allowed · branch `main` · [run](https://github.com/octo-org/octo-repo/actions/runs/9876543210)',
    );
  });

  test('the stage table: header, alignment, one row per stage with duration, threshold and slow mark', () => {
    expect(tableRows(md)).toEqual([
      '| Stage | Service | Status | Duration | Threshold | Slow |',
      '|---|---|---|---:|---:|---|',
      '| build | api | ✅ success | 1m 35s | 2m 00s |  |',
      '| push | api | ✅ success | 1m 05s | 1m 00s | 🐢 slow |',
      '| deploy_railway | api | ✅ success | 1m 30s | 3m 00s |  |',
      '| health_check | api | ❌ failure | 31s | 30s | 🐢 slow |',
      '| rollback | api | ✅ success | 19s | — |  |',
    ]);
  });

  test('the gantt: one section, one task per stage, crit for the failure, active for slow', () => {
    expect(ganttLines(md)).toEqual([
      'gantt',
      '  title api deployment 9876543210',
      '  dateFormat HH:mm:ss',
      '  axisFormat %M:%S',
      '  section api',
      '  build :done, s0, 00:00:00, 00:01:35',
      '  push :active, s1, 00:01:35, 00:02:40',
      '  deploy_railway :done, s2, 00:02:40, 00:04:10',
      '  health_check :crit, s3, 00:04:10, 00:04:41',
      '  rollback :done, s4, 00:04:41, 00:05:00',
    ]);
  });

  test('failure details', () => {
    expect(md).toContain('### Failure');
    expect(md).toContain('- **Stage:** health_check (api)');
    expect(md).toContain('- **Error type:** `health_check_failed`');
    expect(md).toContain(
      '- **Message:** Stage health_check (api) failed after 31s in step "Wait for health check"',
    );
    expect(md).toContain('- **Rollback:** ran, success (19s)');
  });

  test('delivery lines', () => {
    expect(md).toContain('### Metrics');
    expect(md).toContain('- ✔ Pushed to the Pushgateway');
  });
});

describe('other outcomes', () => {
  test('success: headline, no failure section', () => {
    const md = renderTrackSummary(input(deployment([stage({ stage: 'build' })])));
    expect(md.split('\n')[0]).toBe('## ✅ Deployment succeeded: api · production');
    expect(md).not.toContain('### Failure');
  });

  test('slow overall: marked over the SLO', () => {
    const md = renderTrackSummary(
      input(deployment([stage({ stage: 'build' })], { durationSeconds: 1000, slow: true })),
    );
    expect(md).toContain('16m 40s of 15m 00s allowed 🐢 **over the SLO**');
  });

  test('no total threshold: just the duration', () => {
    const md = renderTrackSummary(
      input(deployment([stage({ stage: 'build' })], { totalThresholdSeconds: undefined })),
    );
    expect(md).toContain('Deployment `9876543210` · 5m 00s · branch `main`');
  });

  test('a cancelled stage and a stage still running', () => {
    const md = renderTrackSummary(
      input(
        deployment([
          stage({ stage: 'build', complete: false }),
          stage({ stage: 'deploy_railway', status: 'cancelled', conclusion: 'cancelled' }),
        ]),
      ),
    );
    expect(tableRows(md)).toContain('| build | api | ✅ success | 10s (still running) | — |  |');
    expect(tableRows(md)).toContain('| deploy_railway | api | ⛔ cancelled | 10s | — |  |');
  });

  test('a stage the job\u2019s time limit cancelled failed', () => {
    const md = renderTrackSummary(
      input(deployment([stage({ stage: 'deploy_railway', status: 'failure', conclusion: 'cancelled' })])),
    );
    expect(tableRows(md)).toContain('| deploy_railway | api | ❌ failure (time limit) | 10s | — |  |');
  });

  test('failure without a mapped stage', () => {
    const md = renderTrackSummary(
      input(
        deployment([], {
          status: 'failure',
          errorType: 'unknown',
          failureMessage: 'Step "Lint" failed; it is not mapped to a deployment stage',
        }),
      ),
    );
    expect(md.split('\n')[0]).toBe('## ❌ Deployment failed: api · production');
    expect(md).toContain('- **Stage:** none of the mapped stages');
    expect(md).toContain('- **Error type:** `unknown`');
  });

  test('no stages: a hint instead of the table and the gantt', () => {
    const md = renderTrackSummary(input(deployment([])));
    expect(md).toContain('No step of this job maps to a deployment stage');
    expect(tableRows(md)).toEqual([]);
    expect(ganttLines(md)).toEqual([]);
  });

  test('steps unknown (API unreadable): said so, no table', () => {
    const md = renderTrackSummary(input(deployment(STAGES), { stagesKnown: false }));
    expect(md).toContain('Stages are not shown');
    expect(tableRows(md)).toEqual([]);
  });

  test('no branch, no run URL', () => {
    const md = renderTrackSummary(input(deployment([]), { branch: '', runUrl: undefined }));
    expect(md).toContain('branch `unknown`');
    expect(md).not.toContain('[run]');
  });

  test('notes: in a details block, at most 50 shown', () => {
    const notes = Array.from({ length: 55 }, (_, i) => `note ${i}`);
    const md = renderTrackSummary(input(deployment([]), { notes }));
    expect(md).toContain('<details><summary>Notes</summary>');
    expect(md).toContain('- note 49');
    expect(md).not.toContain('- note 50\n');
    expect(md).toContain('- … 5 more');
  });

  test('failed delivery is marked', () => {
    const md = renderTrackSummary(input(deployment([]), { delivery: [{ ok: false, text: 'Not pushed' }] }));
    expect(md).toContain('- ⚠️ Not pushed');
  });
});

describe('one section per service', () => {
  test('stages of three services, interleaved in time: each section named once, tasks under their service', () => {
    const stages = [
      stage({ stage: 'migration_apply', service: 'database', startedAt: T0, completedAt: T0 + 20_000 }),
      stage({ stage: 'build', service: 'api', startedAt: T0 + 20_000, completedAt: T0 + 40_000 }),
      stage({ stage: 'build', service: 'web', startedAt: T0 + 40_000, completedAt: T0 + 60_000 }),
      stage({ stage: 'verification', service: 'database', startedAt: T0 + 60_000, completedAt: T0 + 70_000 }),
      stage({ stage: 'deploy_railway', service: 'api', startedAt: T0 + 70_000, completedAt: T0 + 90_000 }),
    ];
    const lines = ganttLines(renderTrackSummary(input(deployment(stages))));
    const sections = lines.filter((l) => l.startsWith('  section '));
    expect(sections).toEqual(['  section database', '  section api', '  section web']);
    expect(lines.slice(4)).toEqual([
      '  section database',
      '  migration_apply :done, s0, 00:00:00, 00:00:20',
      '  verification :done, s1, 00:01:00, 00:01:10',
      '  section api',
      '  build :done, s2, 00:00:20, 00:00:40',
      '  deploy_railway :done, s3, 00:01:10, 00:01:30',
      '  section web',
      '  build :done, s4, 00:00:40, 00:01:00',
    ]);
  });

  test('a zero-length stage still gets one second in the gantt', () => {
    const lines = ganttLines(
      renderTrackSummary(input(deployment([stage({ stage: 'build', completedAt: T0, durationSeconds: 0 })]))),
    );
    expect(lines).toContain('  build :done, s0, 00:00:00, 00:00:01');
  });

  test('times are clock times from the first start; the axis in minutes, hours past an hour, days past a day', () => {
    const long = (hours: number): string[] =>
      ganttLines(
        renderTrackSummary(
          input(
            deployment([
              stage({ stage: 'build', startedAt: T0, completedAt: T0 + 95_000 }),
              stage({
                stage: 'deploy_railway',
                startedAt: T0 + 95_000,
                completedAt: T0 + hours * 3_600_000 + 5_000,
              }),
            ]),
          ),
        ),
      );
    expect(long(23).slice(2)).toEqual([
      '  dateFormat HH:mm:ss',
      '  axisFormat %H:%M',
      '  section api',
      '  build :done, s0, 00:00:00, 00:01:35',
      '  deploy_railway :done, s1, 00:01:35, 23:00:05',
    ]);
    // 24 h do not fit a clock time: dated from 2000-01-01, the day of the month on the axis.
    expect(long(50).slice(2)).toEqual([
      '  dateFormat YYYY-MM-DD HH:mm:ss',
      '  axisFormat %d %H:%M',
      '  section api',
      '  build :done, s0, 2000-01-01 00:00:00, 2000-01-01 00:01:35',
      '  deploy_railway :done, s1, 2000-01-01 00:01:35, 2000-01-03 02:00:05',
    ]);
  });

  test('at most 30 stages in the gantt, 60 rows in the table', () => {
    const many = Array.from({ length: 70 }, (_, i) =>
      stage({ stage: `stage_${i}`, startedAt: T0 + i * 1000, completedAt: T0 + i * 1000 + 1000 }),
    );
    const md = renderTrackSummary(input(deployment(many)));
    expect(ganttLines(md).filter((l) => / :done, /.test(l))).toHaveLength(30);
    const rows = tableRows(md);
    expect(rows).toHaveLength(2 + 60 + 1);
    expect(rows.at(-1)).toBe('| … 10 more stages | | | | | |');
  });
});

describe('hostile names never break a table row or a gantt line', () => {
  const hostile = [
    'pipe | in | name',
    'new\nline\r\nname',
    'back`tick`s ``double``',
    'n'.repeat(500),
    'colon: semi; hash # end',
    '"quotes" {braces} <angle>',
    'section evil',
    '%% mermaid comment',
    'trailing backslash \\',
    '\\| escaped pipe',
    '',
  ];

  function check(md: string, rowsExpected: number, tasksExpected: number): void {
    const rows = tableRows(md);
    expect(rows).toHaveLength(rowsExpected);
    for (const row of rows) {
      expect(row.endsWith('|')).toBe(true);
      expect(unescapedPipes(row)).toBe(7);
    }
    const gantt = ganttLines(md);
    for (const line of gantt) expect(GANTT_LINE.some((re) => re.test(line))).toBe(true);
    const sections = gantt.filter((l) => l.startsWith('  section '));
    expect(new Set(sections).size).toBe(sections.length);
    expect(gantt.filter((l) => / :(done|active|crit), s\d+, /.test(l))).toHaveLength(tasksExpected);
    // The summary stays small whatever the names, and the headline stays one line.
    expect(md.length).toBeLessThan(10_000);
    expect(md.split('\n')[0]?.startsWith('## ')).toBe(true);
  }

  // What users control: step names (in the failure message), the `service` input (free text:
  // table cells, the section name, the title), environment, branch, and notes.
  test.each(hostile.map((n) => [title(n), n]))(
    'step, service, environment and branch named %s',
    (_title, name) => {
      const stages = [
        stage({
          stage: 'health_check',
          service: name,
          steps: [name, `${name} again`],
          startedAt: T0,
          completedAt: T0 + 5000,
          status: 'failure',
        }),
        stage({ stage: 'build', service: 'api', startedAt: T0 + 5000, completedAt: T0 + 9000 }),
      ];
      const d = deployment(stages, {
        failureMessage: `Stage health_check (${name}) failed after 5s in step "${name}"`,
      });
      const md = renderTrackSummary(
        input(d, { service: name, environment: name, branch: name, deploymentId: name, notes: [name] }),
      );
      check(md, 4, 2);
      // The failure message is one list item.
      const message = md.split('\n').filter((l) => l.startsWith('- **Message:** '));
      expect(message).toHaveLength(1);
      expect(message[0]?.length).toBeLessThan(450);
    },
  );

  // Stage names come from the stage map (validated as names) or inference (fixed names); the
  // summary still copes with any string there. (`%%` is left out: mermaidText keeps it, and a task
  // line holding `%%` would be a Mermaid comment; no stage name can hold it today.)
  test.each(hostile.filter((n) => !n.includes('%%')).map((n) => [title(n), n]))(
    'a stage named %s',
    (_title, name) => {
      const stages = [
        stage({ stage: name, service: 'api', startedAt: T0, completedAt: T0 + 5000, status: 'failure' }),
        stage({ stage: 'build', service: 'web', startedAt: T0 + 5000, completedAt: T0 + 9000 }),
      ];
      check(renderTrackSummary(input(deployment(stages))), 4, 2);
    },
  );
});
