/**
 * Untrusted text in the job summaries and the check run renders as text, checked with a real GFM
 * renderer (Debian's cmark-gfm, as GitHub renders): step, job, branch and service names, error
 * types, a receiver's error body in a delivery line, notes. Each document is rendered twice, with
 * hostile text and with plain text in the same places: the HTML must have the same structure (no
 * link, image, emphasis, heading, list or table cell more), and no link but the action's own.
 */
import { describe, expect, test } from '@jest/globals';
import type { DeploymentResult, StageResult } from '../../src/model/deployment.js';
import { cell, code, codeCell, inline, markdownLine } from '../../src/report/markdown.js';
import { renderTrackSummary } from '../../src/report/job-summary.js';
import { computeFigures } from '../../src/summary/figures.js';
import type { ApiRun, ApiRunJob } from '../../src/github/runs.js';
import { buildRecord } from '../../src/summary/record.js';
import { checkOutput, renderJobSummary } from '../../src/summary/render.js';
import { decide } from '../../src/verify/decision.js';
import { verifySchedule } from '../../src/verify/schedule.js';
import { renderVerifySummary } from '../../src/verify/job-summary.js';
import type { VerifySample } from '../../src/verify/timeline.js';
import { linkTargets, renderGfm, tableShapes, tagsOf } from '../gfm.js';
import { stage, T0 } from './builders.js';

/** Text a fork PR, a step or a receiver could put in front of the renderer. */
const HOSTILE = [
  '[Approve the release here](https://evil.example/approve)',
  '![pixel](https://evil.example/pixel.png)',
  '<img src=x onerror=alert(1)>',
  '<a href="https://evil.example">click</a>',
  'https://evil.example/a?token=1',
  'see www.evil.example now',
  'mail attacker@evil.example',
  '<https://evil.example>',
  '`a|b` | c',
  'a | b || c',
  'x\n| forged | row |\n',
  '**bold** _em_ ~~strike~~ *x*',
  '# heading',
  '> quote',
  '- item',
  '1. item',
  '[ ] task',
  '\\|escaped pipe\\',
  'trailing backslash \\',
  '``double`` and ` single',
  '&lt;img src=x&gt; &amp;',
  '<!-- comment',
  '$\\href{https://evil.example}{x}$',
  '[ref]: https://evil.example',
  '::add-mask::deploy_railway',
];
const PLAIN = 'plain';

/** Same structure and no foreign link: hostile text is text. */
function expectSameDocument(hostile: string, plain: string, allowedLinks: readonly string[] = []): void {
  const h = renderGfm(hostile);
  const p = renderGfm(plain);
  expect(tagsOf(h)).toEqual(tagsOf(p));
  expect(tableShapes(h)).toEqual(tableShapes(p));
  for (const target of linkTargets(h)) expect(allowedLinks).toContain(target);
  expect(h).not.toMatch(/<img\b/);
}

describe('the escaping functions, one by one', () => {
  test.each(HOSTILE.map((t) => [JSON.stringify(t), t]))(
    '%s in a table cell, a list item and a heading',
    (_t, text) => {
      const doc = (s: string, c: string, k: string): string =>
        `## Title ${s}\n\n| a | b | c |\n|---|---|---|\n| ${s} | ${k} | end |\n\n- ${s}\n- ${markdownLine(`x ${c} \`code ${c}\` y`)}\n- ${code(c)}\n\n${inline(c)}\n`;
      expectSameDocument(doc(cell(text), text, codeCell(text)), doc(cell(PLAIN), PLAIN, codeCell(PLAIN)));
    },
  );

  test('a pipe inside inline code in a table cell does not cut the row, and shows as a pipe', () => {
    for (const text of ['a|b', 'a\\|b', 'a\\\\|b', '|', '\\|', '`|`']) {
      const html = renderGfm(`| a | b |\n|---|---|\n| ${codeCell(text)} | end |\n`);
      expect(tableShapes(html)).toEqual([[2, 2]]);
      expect(html).toContain('<td>end</td>');
      expect(html).toMatch(/<td><code>[^<]*\|[^<]*<\/code><\/td>/);
    }
  });

  test('escaped text renders as itself', () => {
    for (const text of ['deploy_railway', 'a|b', '<b>', 'x * y', 'www.example.com', 'a@b.example']) {
      const html = renderGfm(`| x |\n|---|\n| ${cell(text)} |\n`);
      const shown = /<td>(.*)<\/td>/.exec(html)?.[1] ?? '';
      const decoded = shown
        .replace(/\u200b/g, '')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&');
      expect(decoded).toBe(text);
    }
  });
});

function deployment(stages: StageResult[], errorType: string, message: string): DeploymentResult {
  const failedStage = stages.find((s) => s.status === 'failure');
  return {
    status: 'failure',
    stages,
    failedStage,
    errorType,
    failureMessage: message,
    startedAt: T0,
    completedAt: T0 + 100_000,
    durationSeconds: 100,
    totalThresholdSeconds: 900,
    slow: false,
    rollback: undefined,
    mainSteps: [],
  };
}

describe('track mode: the job summary', () => {
  const RUN_URL = 'https://github.com/octo-org/octo-repo/actions/runs/1';
  const render = (text: string): string =>
    renderTrackSummary({
      deployment: deployment(
        [
          stage({ stage: text, service: text, startedAt: T0, completedAt: T0 + 50_000, durationSeconds: 50 }),
          stage({
            stage: `${text}2`,
            service: 'api',
            status: 'failure',
            startedAt: T0 + 50_000,
            completedAt: T0 + 100_000,
            durationSeconds: 50,
          }),
        ],
        text,
        `Stage failed in step "${text}"`,
      ),
      deploymentId: '1',
      environment: text,
      service: text,
      branch: text,
      runUrl: RUN_URL,
      delivery: [
        { ok: true, text: `Pushed to the Pushgateway http://pg group \`{service="${text}"}\`` },
        { ok: false, text: `Not pushed to \`{job="d"}\`: HTTP 400 ${text}; counts kept in /tmp/x` },
      ],
      live: `Live tracking: 3 look(s); stages first visible: ${text} 1s; ended by itself: ${text}.`,
      notes: [text, `DEPLOY_METRICS_FILE line 3: ${text}`],
      stagesKnown: true,
    });

  test.each(HOSTILE.map((t) => [JSON.stringify(t), t]))('%s everywhere', (_t, text) => {
    expectSameDocument(render(text), render(PLAIN), [RUN_URL]);
  });
});

describe('summary mode: the job summary and the check run', () => {
  const RUN_URL = 'https://github.com/octo-org/octo-repo/actions/runs/555';
  const now = Date.UTC(2026, 10, 20, 12);
  const context = (text: string) => {
    const run: ApiRun = {
      id: 555,
      name: text,
      head_branch: text,
      head_sha: 'a'.repeat(40),
      status: 'completed',
      conclusion: 'failure',
      created_at: '2026-11-20T10:00:00Z',
      run_started_at: '2026-11-20T10:00:05Z',
      updated_at: '2026-11-20T10:20:00Z',
      html_url: RUN_URL,
    };
    const jobs: ApiRunJob[] = [
      {
        id: 1,
        name: `deploy ${text}`,
        status: 'completed',
        conclusion: 'failure',
        started_at: '2026-11-20T10:01:00Z',
        completed_at: '2026-11-20T10:30:00Z',
        steps: [{ name: `Deploy ${text}`, conclusion: 'failure' }],
      },
      {
        id: 2,
        name: text,
        status: 'completed',
        conclusion: 'success',
        started_at: '2026-11-20T10:00:30Z',
        completed_at: '2026-11-20T10:01:00Z',
      },
    ];
    const record = buildRecord(run, jobs, undefined);
    return {
      record,
      figures: computeFigures([record], now, 90, 0.995, 720),
      workflow: text,
      repository: 'octo-org/octo-repo',
      runUrl: RUN_URL,
      sloSuccessRate: 0.995,
      sloTtdP95Seconds: 720,
      slowJobSeconds: 900,
      notes: [text],
      pullRequest: 7,
    };
  };

  test.each(HOSTILE.map((t) => [JSON.stringify(t), t]))(
    '%s in job, step, branch and workflow names',
    (_t, text) => {
      expectSameDocument(renderJobSummary(context(text)), renderJobSummary(context(PLAIN)), [RUN_URL]);
      expectSameDocument(checkOutput(context(text)).summary, checkOutput(context(PLAIN)).summary, [RUN_URL]);
    },
  );

  test('a fork PR’s job name cannot put a live link or a remote image in the check run', () => {
    const html = renderGfm(
      checkOutput(
        context('[Approve the release here](https://evil.example/approve) ![x](https://evil.example/p.png)'),
      ).summary,
    );
    expect(html).toContain('Approve the release here');
    expect(linkTargets(html)).toEqual([RUN_URL]);
    expect(html).not.toMatch(/<img\b/);
  });
});

describe('verify mode: the job summary', () => {
  const W20 = verifySchedule(20);
  const render = (text: string): string => {
    const timeline: VerifySample[] = [
      { kind: 'probe', source: 'api', at: T0, status: 'unhealthy', latencyMs: 5, attempts: 1, problem: text },
      { kind: 'error_rate', source: 'error rate', at: T0, value: undefined, problem: text },
    ];
    return renderVerifySummary({
      decision: decide(timeline, W20, { probeSources: ['api'], errorRate: true }),
      schedule: W20,
      service: text,
      environment: text,
      deploymentId: '42',
      startedAt: T0,
      endedAt: T0 + 5000,
      early: false,
      timeline,
      targets: [{ name: 'api', display: `https://api.example.com/${text}` }],
      errorRateQuery: `sum(rate(x{a=~"${text}"}[1m]))`,
      delivery: [{ ok: false, text: `Not pushed to \`{job="d"}\`: HTTP 500 ${text}` }],
      notes: [text],
    });
  };

  test.each(HOSTILE.map((t) => [JSON.stringify(t), t]))('%s everywhere', (_t, text) => {
    expectSameDocument(render(text), render(PLAIN));
  });
});
