/**
 * What GitHub would show: the demo's job summaries rendered as GFM with their Mermaid diagrams drawn
 * by Mermaid, in headless Chromium (scripts/chromium.ts: Debian's chromium, no network).
 *
 * One demo run (`scripts/demo.ts --out <temp>`, about 30 s) gives the summaries. Then:
 * - the demo's own `index.html` shows every job, draws every diagram and fetches nothing;
 * - with each Mermaid major installed (10, 11 and the latest; GitHub upgrades its Mermaid without
 *   notice) the same summaries, plus gantts the demo does not make (services interleaved, over an
 *   hour, over a day), render without an error box, and every gantt bar sits where its times say:
 *   bars in time order, x and width proportional to the start and duration in the diagram's text
 *   (`dateFormat X` drew every bar from 0 on Mermaid 11.12 and later);
 * - the error budget's burndown (summary mode) draws a line and bars in every major, also in the
 *   month's first week, where it has one week to show (a one-point line draws nothing);
 * - the README's picture is current: the HTML of the failed deploy-api summary, regenerated,
 *   equals docs/images/failed-deploy-summary.html (scripts/readme-picture.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium, mermaidOutcome, type Browser } from '../../scripts/chromium.js';
import { PICTURE_HTML, PICTURE_JOB, pictureHtml, sameSummaryHtml } from '../../scripts/readme-picture.js';
import { MERMAID_PACKAGES, summariesPage, type SummaryEntry } from '../../scripts/render-summaries.js';
import type { DeploymentResult, StageResult } from '../../src/model/deployment.js';
import { renderTrackSummary } from '../../src/report/job-summary.js';
import { computeFigures } from '../../src/summary/figures.js';
import type { RunRecord } from '../../src/summary/record.js';
import { renderJobSummary } from '../../src/summary/render.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** A zone half an hour off UTC: a gantt that mixed Unix times with local axis labels would show it. */
const TIMEZONE = 'Asia/Kolkata';

let out: string;
let browser: Browser;
/** A summary on the page, with its Markdown. */
type Entry = SummaryEntry & { readonly markdown: string };
let demo: Entry[];

function runDemo(dir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
    const child = spawn(tsx, ['scripts/demo.ts', '--out', dir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(log) : reject(new Error(`demo exited ${code}:\n${log}`)),
    );
  });
}

beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), 'render-e2e-'));
  await runDemo(path.join(out, 'demo'));
  demo = readdirSync(path.join(out, 'demo'))
    .filter((d) => /^\d+-/.test(d))
    .sort((a, b) => parseInt(a) - parseInt(b))
    .map((dir) => ({
      id: dir,
      job: dir.replace(/^\d+-/, ''),
      markdown: readFileSync(path.join(out, 'demo', dir, 'summary.md'), 'utf8'),
    }));
  browser = await launchChromium({ timezoneId: TIMEZONE, viewport: { width: 1100, height: 900 } });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

/** Opens a local page and waits for Mermaid. */
async function open(
  file: string,
): Promise<{ page: Page; mermaid: { state: string; error?: string; version?: string } }> {
  const page = await browser.context.newPage();
  await page.goto(pathToFileURL(file).href);
  return { page, mermaid: await mermaidOutcome(page) };
}

interface Task {
  readonly id: string;
  readonly start: number;
  readonly end: number;
}

/** Seconds of a gantt time in the summary's date format. */
function seconds(text: string, dateFormat: string): number {
  if (dateFormat === 'HH:mm:ss') {
    const [h, m, s] = text.split(':').map(Number);
    return (h ?? NaN) * 3600 + (m ?? NaN) * 60 + (s ?? NaN);
  }
  if (dateFormat === 'YYYY-MM-DD HH:mm:ss') return Date.parse(`${text.replace(' ', 'T')}Z`) / 1000;
  throw new Error(`a gantt date format the test does not read: ${dateFormat}`);
}

/** The Mermaid blocks of a summary, each with its gantt tasks (none for other diagrams). */
function mermaidBlocks(markdown: string): { kind: string; text: string; tasks: Task[] }[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => {
    const text = m[1] ?? '';
    const kind = text.trim().split('\n')[0]?.trim() ?? '';
    const dateFormat = /^\s*dateFormat (.+)$/m.exec(text)?.[1]?.trim() ?? '';
    const tasks = [...text.matchAll(/^ {2}.+ :(?:done|active|crit), (s\d+), ([^,]+), ([^,\n]+)$/gm)].map(
      (t) => ({
        id: t[1] as string,
        start: seconds(t[2] as string, dateFormat),
        end: seconds(t[3] as string, dateFormat),
      }),
    );
    return { kind, text, tasks };
  });
}

/** What the page drew for one entry: per Mermaid block, its SVG's bars (by task id) and axis labels. */
async function drawn(
  page: Page,
  id: string,
): Promise<{
  text: string;
  svgs: { bars: { id: string; x: number; width: number }[]; ticks: string[] }[];
  blocks: number;
}> {
  return (await page.evaluate(`(() => {
    const section = document.getElementById(${JSON.stringify(`job-${id}`)});
    if (!section) return { text: '', svgs: [], blocks: -1 };
    const blocks = section.querySelectorAll('pre.mermaid');
    const svgs = [...blocks].map((pre) => pre.querySelector('svg')).filter(Boolean).map((svg) => ({
      bars: [...svg.querySelectorAll('rect.task')].map((r) => ({
        id: (/(?:^|-)(s\\d+)$/.exec(r.id) || [])[1] || r.id,
        x: Number(r.getAttribute('x')),
        width: Number(r.getAttribute('width')),
      })),
      ticks: [...svg.querySelectorAll('.tick text')].map((t) => t.textContent),
    }));
    return { text: section.innerText, svgs, blocks: blocks.length };
  })()`)) as Awaited<ReturnType<typeof drawn>>;
}

/**
 * Every bar where its times put it: x and width linear in start and duration, one scale for the
 * diagram (1.5 px of rounding allowed), so bars sorted by start sit left to right.
 */
function expectBarsInTimeOrder(
  tasks: readonly Task[],
  bars: readonly { id: string; x: number; width: number }[],
): void {
  expect(bars.map((b) => b.id).sort()).toEqual(tasks.map((t) => t.id).sort());
  const first = Math.min(...tasks.map((t) => t.start));
  const last = tasks.reduce((a, b) => (b.start > a.start ? b : a));
  const bar = (id: string): { x: number; width: number } =>
    bars.find((b) => b.id === id) ?? { x: NaN, width: NaN };
  const x0 = Math.min(...bars.map((b) => b.x));
  expect(last.start).toBeGreaterThan(first); // every gantt checked has bars starting apart
  const scale = (bar(last.id).x - x0) / (last.start - first);
  expect(scale).toBeGreaterThan(0); // dateFormat X on Mermaid 11.12+: every bar at x0, scale 0
  const misplaced = tasks
    .map((t) => ({
      task: `${t.id} ${t.start}s–${t.end}s`,
      x: bar(t.id).x,
      expectedX: x0 + (t.start - first) * scale,
      width: bar(t.id).width,
      expectedWidth: (t.end - t.start) * scale,
    }))
    .filter((b) => !(Math.abs(b.x - b.expectedX) <= 1.5 && Math.abs(b.width - b.expectedWidth) <= 1.5));
  expect(misplaced).toEqual([]);
  const byStart = [...tasks].sort((a, b) => a.start - b.start);
  for (let i = 1; i < byStart.length; i++) {
    const [a, b] = [byStart[i - 1] as Task, byStart[i] as Task];
    if (b.start > a.start) expect(bar(b.id).x).toBeGreaterThan(bar(a.id).x);
  }
}

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
function stage(
  over: Partial<StageResult> & Pick<StageResult, 'stage' | 'startedAt' | 'completedAt'>,
): StageResult {
  return {
    service: 'api',
    status: 'success',
    durationSeconds: (over.completedAt - over.startedAt) / 1000,
    thresholdSeconds: undefined,
    slow: false,
    steps: [over.stage],
    conclusion: over.status === 'failure' ? 'failure' : 'success',
    complete: true,
    ...over,
  };
}

/** A track summary the demo does not make, through the real renderer. */
function synthetic(id: string, stages: StageResult[]): Entry {
  const failed = stages.find((s) => s.status === 'failure');
  const end = Math.max(...stages.map((s) => s.completedAt));
  const deployment: DeploymentResult = {
    status: failed ? 'failure' : 'success',
    stages,
    failedStage: failed,
    errorType: failed ? 'health_check_failed' : undefined,
    failureMessage: undefined,
    startedAt: T0,
    completedAt: end,
    durationSeconds: (end - T0) / 1000,
    totalThresholdSeconds: 900,
    slow: false,
    rollback: undefined,
    mainSteps: [],
  };
  return {
    id,
    job: id,
    markdown: renderTrackSummary({
      deployment,
      deploymentId: '42',
      environment: 'production',
      service: 'api',
      branch: 'main',
      runUrl: undefined,
      delivery: [],
      notes: [],
      stagesKnown: true,
    }),
  };
}

const S = 1000;
const EXTRA: readonly Entry[] = [
  synthetic('services-interleaved', [
    stage({ stage: 'migration_apply', service: 'database', startedAt: T0, completedAt: T0 + 20 * S }),
    stage({ stage: 'build', startedAt: T0 + 20 * S, completedAt: T0 + 40 * S }),
    stage({ stage: 'build', service: 'web', startedAt: T0 + 40 * S, completedAt: T0 + 60 * S }),
    stage({ stage: 'verification', service: 'database', startedAt: T0 + 60 * S, completedAt: T0 + 70 * S }),
    stage({ stage: 'deploy_railway', startedAt: T0 + 70 * S, completedAt: T0 + 90 * S, status: 'failure' }),
  ]),
  synthetic('over-an-hour', [
    stage({ stage: 'build', startedAt: T0, completedAt: T0 + 95 * S }),
    stage({ stage: 'deploy_railway', startedAt: T0 + 95 * S, completedAt: T0 + 4_000 * S, slow: true }),
    stage({ stage: 'smoke_test', startedAt: T0 + 4_000 * S, completedAt: T0 + 4_100 * S }),
  ]),
  synthetic('over-a-day', [
    stage({ stage: 'build', startedAt: T0, completedAt: T0 + 3_600 * S }),
    stage({ stage: 'migration', startedAt: T0 + 3_600 * S, completedAt: T0 + 100_000 * S }),
    stage({ stage: 'health_check', startedAt: T0 + 100_000 * S, completedAt: T0 + 100_030 * S }),
  ]),
];

/**
 * A summary-mode summary on the 2nd of the month, 1 of 2 deployments failed: the burndown has the
 * month's first week only (the demo's has as many weeks as the day it runs on allows).
 */
function firstWeekSummary(): Entry {
  const now = Date.UTC(2026, 11, 2, 12);
  const record = (runId: number, conclusion: string): RunRecord => ({
    runId,
    attempt: 1,
    triggeredAt: now - 2 * 3_600_000,
    completedAt: now - 3_600_000 + runId * 1000,
    conclusion,
    branch: 'main',
    headSha: 'abcdef012345',
    commitAt: undefined,
    ttdSeconds: 420,
    durationSeconds: 400,
    queueSeconds: 5,
    failedStage: conclusion === 'failure' ? 'health_check' : undefined,
    failedStep: conclusion === 'failure' ? 'deploy-api/Wait for health check' : undefined,
    rollback: false,
    jobs: [{ name: 'deploy-api', conclusion, seconds: 380 }],
  });
  const records = [record(1, 'success'), record(2, 'failure')];
  return {
    id: 'summary-first-week',
    job: 'summary',
    markdown: renderJobSummary({
      record: records[1] as RunRecord,
      figures: computeFigures(records, now, 90, 0.995, 720),
      workflow: 'deploy-full-stack',
      repository: 'octo-org/octo-repo',
      runUrl: undefined,
      sloSuccessRate: 0.995,
      sloTtdP95Seconds: 720,
      slowJobSeconds: 900,
      notes: [],
      pullRequest: undefined,
    }),
  };
}
const SUMMARY_EXTRA: readonly Entry[] = [firstWeekSummary()];

/** Per Mermaid block of an entry: the drawn lengths of its xychart lines and heights of its bars. */
async function xyPlots(page: Page, id: string): Promise<{ lines: number[]; bars: number[] }[]> {
  return (await page.evaluate(`(() => {
    const section = document.getElementById(${JSON.stringify(`job-${id}`)});
    return [...(section ? section.querySelectorAll('pre.mermaid') : [])].map((pre) => ({
      lines: [...pre.querySelectorAll('svg [class^="line-plot"] path')].map((p) => p.getTotalLength()),
      bars: [...pre.querySelectorAll('svg [class^="bar-plot"] rect')].map((r) => Number(r.getAttribute('height'))),
    }));
  })()`)) as { lines: number[]; bars: number[] }[];
}

function installedVersion(pkg: string): string {
  return (
    JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
}

test('three Mermaid majors are installed: 10, 11 and the latest', () => {
  const majors = MERMAID_PACKAGES.map((pkg) => Number(installedVersion(pkg).split('.')[0]));
  expect(majors.slice(0, 2)).toEqual([10, 11]);
  expect(majors[2]).toBeGreaterThanOrEqual(12);
});

test("the demo's index.html: every job's summary, every diagram drawn, nothing fetched", async () => {
  const { page, mermaid } = await open(path.join(out, 'demo', 'index.html'));
  try {
    expect(mermaid).toMatchObject({ state: 'done' });
    expect(demo.map((e) => e.id)).toEqual([
      '1-deploy-api',
      '2-deploy-web',
      '3-migrate',
      '4-deploy-api',
      '5-summary',
      '6-deploy-api',
    ]);
    for (const entry of demo) {
      const d = await drawn(page, entry.id);
      // The summary's headline, rendered: the section is there and holds this job's summary.
      const headline = (entry.markdown.split('\n')[0] ?? '')
        .replace(/^## /, '')
        .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
      expect(d.text).toContain(headline.replace(/`/g, ''));
      expect(d.text).not.toContain('Syntax error in text');
      expect(d.blocks).toBe(mermaidBlocks(entry.markdown).length);
      expect(d.svgs).toHaveLength(d.blocks);
    }
    expect(browser.refused).toEqual([]);
  } finally {
    await page.close();
  }
});

describe.each(MERMAID_PACKAGES)('the summaries with %s', (pkg) => {
  let page: Page;
  let mermaid: Awaited<ReturnType<typeof mermaidOutcome>>;
  const entries = (): Entry[] => [...demo, ...EXTRA, ...SUMMARY_EXTRA];

  beforeAll(async () => {
    const file = path.join(out, `summaries-${pkg}.html`);
    writeFileSync(file, summariesPage({ title: `Summaries, ${pkg}`, entries: entries(), mermaid: pkg }));
    ({ page, mermaid } = await open(file));
  }, 120_000);
  afterAll(async () => {
    await page?.close();
  });

  test('Mermaid ran without an error box', async () => {
    expect(mermaid).toEqual({ state: 'done', version: installedVersion(pkg) });
    for (const entry of entries()) {
      const d = await drawn(page, entry.id);
      expect({ id: entry.id, error: d.text.includes('Syntax error in text') }).toEqual({
        id: entry.id,
        error: false,
      });
      expect(d.svgs).toHaveLength(mermaidBlocks(entry.markdown).length);
    }
    expect(browser.refused).toEqual([]);
  });

  test('every gantt bar where its times say, in time order', async () => {
    let gantts = 0;
    for (const entry of entries()) {
      const d = await drawn(page, entry.id);
      for (const [i, block] of mermaidBlocks(entry.markdown).entries()) {
        if (block.kind !== 'gantt') continue;
        gantts++;
        expectBarsInTimeOrder(block.tasks, d.svgs[i]?.bars ?? []);
      }
    }
    // The demo's five track summaries and the three above.
    expect(gantts).toBe(8);
  });

  test("the error budget's burndown draws a line and bars, also with one week of the month", async () => {
    let charts = 0;
    for (const entry of entries()) {
      const plots = await xyPlots(page, entry.id);
      for (const [i, block] of mermaidBlocks(entry.markdown).entries()) {
        if (block.kind !== 'xychart-beta' || !block.text.includes('Error budget left this month')) continue;
        charts++;
        const drawnPlot = plots[i] ?? { lines: [], bars: [] };
        // A line of one point is a path of length 0: nothing on the plot.
        expect({ id: entry.id, line: drawnPlot.lines.some((l) => l > 50) }).toEqual({
          id: entry.id,
          line: true,
        });
        // The month's start (100 % left) is a bar of most of the plot's height.
        expect({ id: entry.id, bar: Math.max(0, ...drawnPlot.bars) > 100 }).toEqual({
          id: entry.id,
          bar: true,
        });
      }
    }
    expect(charts).toBe(2); // the demo's summary and the first-week one
  });

  test('the axis counts from the first start, in any time zone', async () => {
    const d = await drawn(page, '4-deploy-api');
    expect(d.svgs[0]?.ticks[0]).toBe('00:00'); // minutes:seconds from the first start
  });
});

test("the README's picture is current: the failed deploy-api summary renders to the committed HTML", () => {
  const summary = demo.find((e) => e.id === PICTURE_JOB)?.markdown ?? '';
  expect(summary).toContain('Deployment failed at health_check');
  const committed = readFileSync(path.join(ROOT, PICTURE_HTML), 'utf8');
  const fresh = pictureHtml(summary);
  // On a difference: `npm run demo && npm run screenshot`, then commit docs/images/. (The
  // deployment's total may differ by a few seconds: the emulated runner's own steps take real time.)
  if (!sameSummaryHtml(fresh, committed)) expect(fresh).toBe(committed);
});
