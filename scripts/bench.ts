/**
 * `npm run bench` — a measuring script, not a timed test: it runs deploy jobs
 * through the real `dist/` bundles under the runner emulator, against the
 * local fake GitHub API and a real Pushgateway, N times per case, and reports
 * medians and p90s (never single timings):
 *
 * - a 12-step API job (apiSteps, with `check-run-id`): wall time of the
 *   action's pre, main and post phases, and the GitHub API requests post made;
 * - a 100-step job: post wall time;
 * - a run with 250 in-progress jobs, the tracked one found WITHOUT
 *   `check-run-id`: post wall time, API requests, peak RSS of the post process;
 * - bundle sizes (raw and gzip) of dist/pre, dist/main, dist/post.
 *
 * Prints one Markdown table and replaces docs/performance.md with it.
 *
 * Usage: npx tsx scripts/bench.ts [--runs N] [--node <path to node>]
 *   --runs  measured rounds (default 15), after one discarded warm-up round;
 *           each round runs every case once
 *   --node  Node binary that runs the bundles (default: the one running this
 *           script), e.g. tools/node24/node_modules/.bin/node
 */
import { computeFigures } from '../src/summary/figures.js';
import { encodeHistory } from '../src/summary/history.js';
import type { RunRecord } from '../src/summary/record.js';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { FakeCacheService } from '../tools/fake-cache/server.js';
import { notAccessible, startFakeGitHub, type FakeGitHub } from '../tools/fake-github/server.js';
import { loadActionManifest, repoActionDir, type RunStep } from '../tools/runner-emulator/index.js';
import {
  API_STAGE_MAP,
  FAKE_TOKEN,
  apiSteps,
  liveApiSteps,
  runTrackedJob,
  type TrackedJob,
  type TrackedJobOptions,
} from '../tools/scenarios/index.js';
import {
  findBinary,
  queryPrometheus,
  startPrometheus,
  startPushgateway,
  startTinyproxy,
  type Proxy,
  type Service,
} from '../tools/services/index.js';
import type { StepView } from '../tools/runner-emulator/index.js';

const ROOT = repoActionDir();
const DOC = path.join(ROOT, 'docs', 'performance.md');
const PHASES = ['pre', 'main', 'post'] as const;
const OTHER_JOBS = 249;

// ---------------------------------------------------------------------------------------------------
// Command line and environment

interface Options {
  readonly runs: number;
  /** Real-time live-tracking jobs per interval (each takes about half a minute). */
  readonly liveRuns: number;
  /** Absolute path of the Node binary that runs the bundles. */
  readonly node: string;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: { runs: { type: 'string' }, node: { type: 'string' }, 'live-runs': { type: 'string' } },
    allowPositionals: false,
  });
  const runs = values.runs === undefined ? 15 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs wants a positive integer, got ${values.runs}`);
  // Resolved against the caller's directory, as a shell user would expect.
  const node = values.node === undefined ? process.execPath : path.resolve(values.node);
  if (!existsSync(node)) throw new Error(`--node ${values.node}: no such file`);
  const liveRuns = values['live-runs'] === undefined ? 2 : Number(values['live-runs']);
  if (!Number.isInteger(liveRuns) || liveRuns < 0)
    throw new Error(`--live-runs wants a whole number, got ${values['live-runs']}`);
  return { runs, node, liveRuns };
}

interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly nodeVersion: string;
  readonly pushgatewayVersion: string;
}

function describeMachine(node: string, pushgatewayBinary: string): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU';
  // The version of the runtime that runs the bundles, not of the one running this script.
  const nodeVersion = execFileSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
  // The Pushgateway prints its version to stderr; 2>&1 keeps this independent of that.
  const pg = execFileSync('bash', ['-c', `"$0" --version 2>&1 | head -1`, pushgatewayBinary], {
    encoding: 'utf8',
  });
  const pushgatewayVersion = /version (\S+)/.exec(pg)?.[1] ?? 'unknown';
  return { cpu, cores: os.cpus().length, nodeVersion, pushgatewayVersion };
}

/**
 * Every bundle action.yml names must exist. Returns a fingerprint (size and
 * mtime of each) so a rebuild during the measurement can be detected.
 */
async function checkBundles(): Promise<string> {
  const manifest = await loadActionManifest(ROOT);
  const parts: string[] = [];
  for (const bundle of [manifest.pre, manifest.main, manifest.post]) {
    if (!bundle) continue;
    const file = path.join(ROOT, bundle);
    if (!existsSync(file)) throw new Error(`missing bundle ${bundle}: run \`npm run build\` first`);
    const { size, mtimeMs } = statSync(file);
    parts.push(`${bundle}:${size}:${mtimeMs}`);
  }
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------------
// Statistics

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function median(values: readonly number[]): number {
  const s = sorted(values);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Nearest-rank p90: the smallest value at least 90 % of the runs did not exceed. */
function p90(values: readonly number[]): number {
  const s = sorted(values);
  return s[Math.max(0, Math.ceil(0.9 * s.length) - 1)] as number;
}

// ---------------------------------------------------------------------------------------------------
// The test bed and one measured job

interface Bed {
  readonly gh: FakeGitHub;
  readonly pg: Service;
  /** Prometheus with its remote-write receiver, when `prometheus` is installed. */
  readonly prom: Service | undefined;
  readonly stateDir: string;
  readonly node: string;
  /** The cache service a GitHub-hosted runner announces; every job runs with its environment. */
  readonly cache: FakeCacheService;
  /** A forward proxy, when `tinyproxy` is installed. */
  readonly proxy: Proxy | undefined;
}

/** What one run of a case yields. */
interface Sample {
  readonly phaseMs: Record<(typeof PHASES)[number], number>;
  /** GitHub API requests to this job's routes (only post calls the GitHub API). */
  readonly apiRequests: number;
  /** Requests the cache service received during the job. */
  readonly cacheRequests: number;
}

let nextRunId = 8_000_001;

/** Requests recorded since `from` that hit the job itself or its run's job list. */
function countJobRequests(gh: FakeGitHub, from: number, jobId: number, runId: number): number {
  const job = new RegExp(`/actions/jobs/${jobId}(?:[/?]|$)`);
  const run = new RegExp(`/actions/runs/${runId}(?:[/?]|$)`);
  return gh.requests.slice(from).filter((r) => job.test(r.path) || run.test(r.path)).length;
}

/**
 * Runs one tracked job and checks the action really did its work (post exit
 * 0, stages read from the API): a timing of a broken run would be meaningless.
 */
async function measureJob(
  bed: Bed,
  o: Pick<TrackedJobOptions, 'job' | 'steps' | 'checkRunId' | 'with' | 'env'> & {
    nodePath?: string;
    /** Called with the run id before the job starts (to add other jobs to the run). */
    prepare?: (runId: number) => void;
  },
): Promise<Sample> {
  const runId = nextRunId++;
  o.prepare?.(runId);
  const from = bed.gh.requests.length;
  const cacheFrom = bed.cache.requests.length;
  const tracked: TrackedJob = await runTrackedJob({
    gh: bed.gh,
    runId,
    job: o.job,
    steps: o.steps,
    checkRunId: o.checkRunId,
    stateDir: bed.stateDir,
    nodePath: o.nodePath ?? bed.node,
    with: { environment: 'bench', 'pushgateway-url': bed.pg.url, ...o.with },
    // A GitHub-hosted runner: the cache service announced, no state directory kept.
    env: { ...bed.cache.cacheEnv(), DEPLOYMENT_OBSERVABILITY_STATE_DIR: '', ...o.env },
  });
  try {
    const { pre, main, post } = tracked;
    if (!pre || !main || !post || post.exitCode !== 0) {
      throw new Error(
        `${o.job} (run ${runId}): a phase did not run or post exited ${post?.exitCode ?? 'never'}:\n${tracked.result.log.slice(-3000)}`,
      );
    }
    const stages = JSON.parse(post.outputs['stages-json'] ?? '[]') as unknown[];
    if (stages.length === 0) {
      throw new Error(`${o.job} (run ${runId}): post reported no stages (job not found?):\n${post.stdout}`);
    }
    return {
      phaseMs: { pre: pre.durationMs, main: main.durationMs, post: post.durationMs },
      apiRequests: countJobRequests(bed.gh, from, tracked.jobId, runId),
      cacheRequests: bed.cache.requests.length - cacheFrom,
    };
  } finally {
    await tracked.result.cleanup();
  }
}

/**
 * Runs every case once per round: one discarded warm-up round (cold file
 * cache, first spawns), then `runs` measured rounds. Interleaving the cases
 * spreads any drift of the machine (another build, the Pushgateway warming
 * up) over all of them instead of biasing whichever ran first.
 */
async function interleave<K extends string>(
  runs: number,
  cases: Partial<Record<K, () => Promise<Sample>>>,
): Promise<Record<K, Sample[]>> {
  const entries = Object.entries(cases) as [K, (() => Promise<Sample>) | undefined][];
  const out = Object.fromEntries(entries.map(([n]) => [n, [] as Sample[]])) as Record<K, Sample[]>;
  for (let round = 0; round <= runs; round++) {
    process.stderr.write(round === 0 ? `rounds of ${Object.keys(cases).join(', ')}: warm-up` : ` ${round}`);
    for (const [name, once] of entries) {
      if (!once) continue;
      const sample = await once();
      if (round > 0) out[name].push(sample);
    }
  }
  process.stderr.write('\n');
  return out;
}

// ---------------------------------------------------------------------------------------------------
// The cases

/** `count` run steps with stage-like names (build, push, deploy, health, migrate, smoke, in turn). */
function manySteps(count: number): RunStep[] {
  const kinds = [
    ['Build Docker image', 40],
    ['Push image to registry', 20],
    ['Deploy to Railway', 60],
    ['Wait for health check', 5],
    ['Run database migrations', 15],
    ['Run smoke tests', 25],
  ] as const;
  return Array.from({ length: count }, (_, i) => {
    const [name, seconds] = kinds[i % kinds.length] as (typeof kinds)[number];
    return { name: `${name} ${Math.floor(i / kinds.length) + 1}`, run: 'true', durationSeconds: seconds };
  });
}

/** Adds `OTHER_JOBS` in-progress jobs on other runners to the run, like a wide matrix. */
function addOtherJobs(gh: FakeGitHub, runId: number): void {
  for (let n = 1; n <= OTHER_JOBS; n++) {
    gh.addJob({
      run_id: runId,
      name: `deploy (${n})`,
      status: 'in_progress',
      runner_name: `other-${n}`,
      steps: [],
    });
  }
}

/** `/usr/bin/time` when it is GNU time (BusyBox/BSD `time` have no `-f %M -o`), else why not. */
function gnuTime(): { path: string } | { missing: string } {
  const candidate = '/usr/bin/time';
  if (!existsSync(candidate)) return { missing: 'GNU time is not installed (apt-get install time)' };
  try {
    const out = execFileSync(candidate, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (/GNU/i.test(out)) return { path: candidate };
  } catch {
    // Not GNU: BSD/BusyBox time reject --version.
  }
  return { missing: 'the `time` found is not GNU time' };
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A bash script to use as the emulator's node: it runs the real node under GNU
 * time, which appends "<max RSS in KiB> <command line>" per process to
 * `rssFile`. Only used in a separate pass, so the timings never include it.
 */
async function rssWrapper(
  dir: string,
  name: string,
  time: string,
  node: string,
  rssFile: string,
): Promise<string> {
  const wrapper = path.join(dir, `node-under-time-${name}.sh`);
  await writeFile(
    wrapper,
    `#!/bin/bash\nexec ${shellQuote(time)} -a -o ${shellQuote(rssFile)} -f '%M %C' ${shellQuote(node)} "$@"\n`,
  );
  await chmod(wrapper, 0o755);
  return wrapper;
}

/** Peak RSS (bytes) of every process of one phase recorded in the GNU time file, in order. */
async function phaseRssBytes(rssFile: string, phase: (typeof PHASES)[number]): Promise<number[]> {
  const lines = (await readFile(rssFile, 'utf8')).split('\n');
  return lines
    .filter((l) => l.includes(`${path.sep}dist${path.sep}${phase}${path.sep}`))
    .map((l) => Number.parseInt(l, 10) * 1024);
}

// ---------------------------------------------------------------------------------------------------
// Live tracking, on real-time jobs

/** One real-time live job's figures. */
interface LiveSample {
  /** Seconds from each stage's step end to its duration first answering a Prometheus query. */
  readonly delays: number[];
  /** Seconds from the failed step's end to DeploymentFailed firing, when measured. */
  readonly firingAfter: number | undefined;
  readonly readsPerMinute: number;
  readonly notModifiedPerMinute: number;
  /** The reporter process: peak RSS (bytes) and CPU in % of one core over its life. */
  readonly reporterRss: number | undefined;
  readonly reporterCpuPercent: number | undefined;
  /** CPU in % of one core after its first 3 s, and the CPU seconds those first 3 s took. */
  readonly reporterSteadyCpuPercent: number | undefined;
  readonly reporterStartCpuSeconds: number | undefined;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** The running reporter's CPU ticks and peak RSS, read from /proc (one live job runs at a time here). */
function sampleReporter(): { pid: number; ticks: number; hwm: number } | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes(`${path.sep}dist${path.sep}live${path.sep}index.js`)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
      const hwm =
        Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0) * 1024;
      return { pid: Number(entry), ticks, hwm };
    } catch {
      // It ended while we read it.
    }
  }
  return undefined;
}

const STEP_OF_STAGE: Record<string, string> = {
  build: 'Build Docker image',
  push: 'Push image to registry',
  deploy_railway: 'Deploy to Railway',
  health_check: 'Wait for health check',
  rollback: 'Roll back deployment',
};

/**
 * One real-time api job with live tracking, watched in a real Prometheus
 * (1 s scrape and evaluation, the shipped rules): when each stage's duration
 * first answers a query, when DeploymentFailed fires, and what the reporter
 * cost.
 */
async function measureLiveJob(
  b: Bed,
  prom: Service,
  intervalSeconds: number,
  failing: boolean,
): Promise<LiveSample> {
  const runId = nextRunId++;
  const environment = `bench-live-${runId}`;
  const ends = new Map<string, number>();
  const starts = new Map<string, number>();
  const onStepsChange = (view: StepView[]): void => {
    for (const st of view) {
      if (st.started_at && !starts.has(st.name)) starts.set(st.name, Date.now());
      if (st.status === 'completed' && !ends.has(st.name)) ends.set(st.name, Date.now());
    }
  };
  const firstSeen = new Map<string, number>();
  let firingAt: number | undefined;
  let reporter:
    | {
        pid: number;
        ticks: number;
        hwm: number;
        first: number;
        last: number;
        base?: { ticks: number; at: number };
      }
    | undefined;
  const from = b.gh.requests.length;
  const running = runTrackedJob({
    gh: b.gh,
    runId,
    job: 'deploy-api',
    steps: liveApiSteps({
      healthFails: failing,
      // A deploy step that spans several looks, as real ones do: unchanged looks answer 304.
      deploySeconds: 25,
      // Long enough for DeploymentFailed (for: 1m) to fire while it runs.
      rollbackSeconds: failing ? 100 : 20,
    }),
    stateDir: b.stateDir,
    nodePath: b.node,
    realTime: true,
    timeoutMs: 240_000,
    onStepsChange,
    with: {
      environment,
      'pushgateway-url': b.pg.url,
      stages: API_STAGE_MAP,
      live: 'true',
      'live-interval-seconds': String(intervalSeconds),
    },
  });
  let over = false;
  void running.finally(() => {
    over = true;
  });
  while (!over) {
    const now = Date.now();
    const r = sampleReporter();
    if (r) {
      const same = reporter?.pid === r.pid ? reporter : undefined;
      const first = same?.first ?? now;
      // After its first 3 s (start-up and first look), what it costs while it only watches.
      const base = same?.base ?? (now - first >= 3000 ? { ticks: r.ticks, at: now } : undefined);
      reporter = { ...r, first, last: now, base };
    }
    try {
      for (const m of await queryPrometheus(
        prom.url,
        `deployment_stage_duration_seconds{environment="${environment}"}`,
      ))
        if (m.metric.stage && !firstSeen.has(m.metric.stage)) firstSeen.set(m.metric.stage, now);
      if (failing && firingAt === undefined) {
        const alerts = await queryPrometheus(
          prom.url,
          `ALERTS{alertname="DeploymentFailed",alertstate="firing",environment="${environment}"}`,
        );
        if (alerts.length > 0) firingAt = now;
      }
    } catch {
      // Tried again in 200 ms.
    }
    await Promise.race([new Promise((res) => setTimeout(res, 200)), running.catch(() => undefined)]);
  }
  const tracked = await running;
  try {
    if (tracked.post?.exitCode !== 0)
      throw new Error(`live job ${runId}: post exited ${tracked.post?.exitCode}`);
    const delays = [...firstSeen]
      .filter(([stage]) => ends.has(STEP_OF_STAGE[stage] ?? ''))
      .map(([stage, t]) => (t - (ends.get(STEP_OF_STAGE[stage] as string) as number)) / 1000);
    const preStart = starts.get('Pre Run acme/deployment-observability@v1') ?? 0;
    const postStart = starts.get('Post Run acme/deployment-observability@v1') ?? Date.now();
    const reads = b.gh.requests
      .slice(from)
      .filter((r) => r.path.endsWith(`/actions/jobs/${tracked.jobId}`) && r.at < postStart);
    const minutes = (postStart - preStart) / 60_000;
    const life = reporter ? Math.max(1, reporter.last - reporter.first) / 1000 : undefined;
    return {
      delays,
      firingAfter:
        failing && firingAt !== undefined
          ? (firingAt - (ends.get('Wait for health check') ?? firingAt)) / 1000
          : undefined,
      readsPerMinute: reads.length / minutes,
      notModifiedPerMinute: reads.filter((r) => r.notModified).length / minutes,
      reporterRss: reporter?.hwm,
      reporterCpuPercent: reporter && life ? (reporter.ticks / CLOCK_TICKS / life) * 100 : undefined,
      reporterSteadyCpuPercent:
        reporter?.base && reporter.last > reporter.base.at
          ? ((reporter.ticks - reporter.base.ticks) /
              CLOCK_TICKS /
              ((reporter.last - reporter.base.at) / 1000)) *
            100
          : undefined,
      reporterStartCpuSeconds: reporter?.base ? reporter.base.ticks / CLOCK_TICKS : undefined,
    };
  } finally {
    await tracked.result.cleanup();
  }
}

/** Live tracking's figures, from `runs` real-time jobs per interval and one failing job. */
async function liveRows(b: Bed, runs: number, pre: { on: Sample[]; off: Sample[] }): Promise<Row[]> {
  const ms = (list: readonly Sample[]): number[] => list.map((x) => x.phaseMs.pre);
  const rows: Row[] = [
    row('`pre` wall time, 12-step api job, live on (reporter started detached)', ms(pre.on), seconds, 200),
    {
      metric: '`pre` live on ÷ live off (ratio of medians)',
      median: (median(ms(pre.on)) / median(ms(pre.off))).toFixed(2),
      p90: '—',
      target: '—',
      verdict: '—',
    },
    row(
      '`post` wall time, 12-step api job, live on (stops the reporter first)',
      pre.on.map((x) => x.phaseMs.post),
      seconds,
      500,
    ),
  ];
  if (runs === 0 || !findBinary(['prometheus'])) return rows;
  const prom = await startPrometheus({
    scrapeTargets: [{ job: 'pushgateway', url: b.pg.url, honorLabels: true }],
    ruleFiles: [
      path.join(ROOT, 'deploy', 'prometheus', 'rules', 'deployment-recording.yml'),
      path.join(ROOT, 'deploy', 'prometheus', 'rules', 'deployment-alerts.yml'),
    ],
  });
  try {
    const byInterval = new Map<number, LiveSample[]>();
    for (const interval of [5, 10]) {
      const list: LiveSample[] = [];
      for (let i = 0; i < runs; i++) {
        console.error(`live tracking: real-time job ${i + 1}/${runs} at a ${interval} s interval…`);
        list.push(await measureLiveJob(b, prom, interval, false));
      }
      byInterval.set(interval, list);
    }
    console.error(
      'live tracking: a failing real-time job with a 100 s rollback (DeploymentFailed has for: 1m)…',
    );
    const failing = await measureLiveJob(b, prom, 5, true);
    for (const [interval, list] of byInterval) {
      const delays = list.flatMap((x) => x.delays);
      rows.push({
        ...row(
          `stage visible in Prometheus after its step ended, interval ${interval} s (p90 column: max)`,
          delays,
          (n) => `${n.toFixed(1)} s`,
          interval + 5,
        ),
        p90: `${Math.max(...delays).toFixed(1)} s`,
      });
    }
    const five = byInterval.get(5) ?? [];
    rows.push(
      {
        metric:
          "DeploymentFailed firing after the failed step's end (interval 5 s, scrape and evaluation 1 s, `for: 1m`)",
        median: failing.firingAfter === undefined ? 'never' : `${failing.firingAfter.toFixed(1)} s`,
        p90: '—',
        target: '≤ 90 s',
        verdict: failing.firingAfter !== undefined && failing.firingAfter <= 90 ? '✅' : '❌',
      },
      row(
        'job reads per minute, interval 5 s',
        five.map((x) => x.readsPerMinute),
        count,
      ),
      row(
        'of which 304 Not Modified (free of rate limit), per minute',
        five.map((x) => x.notModifiedPerMinute),
        count,
      ),
      row(
        'live reporter peak RSS',
        five.flatMap((x) => (x.reporterRss ? [x.reporterRss] : [])),
        megabytes,
      ),
      row(
        'live reporter CPU, % of one core over its life (interval 5 s)',
        five.flatMap((x) => (x.reporterCpuPercent !== undefined ? [x.reporterCpuPercent] : [])),
        (n) => `${n.toFixed(2)} %`,
        1,
      ),
      row(
        'live reporter CPU after its first 3 s, % of one core (interval 5 s)',
        five.flatMap((x) => (x.reporterSteadyCpuPercent !== undefined ? [x.reporterSteadyCpuPercent] : [])),
        (n) => `${n.toFixed(2)} %`,
      ),
      row(
        'live reporter CPU in its first 3 s (start-up, first look and push)',
        five.flatMap((x) => (x.reporterStartCpuSeconds !== undefined ? [x.reporterStartCpuSeconds] : [])),
        (n) => `${n.toFixed(2)} s`,
      ),
    );
  } finally {
    await prom.stop();
    await rm(prom.dataDir, { recursive: true, force: true });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------
// Report

type Verdict = '✅' | '❌' | '—';

interface Row {
  readonly metric: string;
  readonly median: string;
  readonly p90: string;
  readonly target: string;
  readonly verdict: Verdict;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
const count = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

/** A row from samples; `limit` is the target on the median (inclusive), when there is one. */
function row(metric: string, values: readonly number[], fmt: (n: number) => string, limit?: number): Row {
  const m = median(values);
  return {
    metric,
    median: fmt(m),
    p90: fmt(p90(values)),
    target: limit === undefined ? '—' : `≤ ${fmt(limit)}`,
    verdict: limit === undefined ? '—' : m <= limit ? '✅' : '❌',
  };
}

/** A synthetic history: one deploy-run attempt every 10 minutes back from `now`, 1 in 17 failed. */
function syntheticHistory(n: number, now: number): RunRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    runId: 9_000_000_000 + i,
    attempt: 1 + (i % 3),
    triggeredAt: now - i * 600_000 - 700_000,
    completedAt: now - i * 600_000,
    conclusion: i % 17 === 0 ? 'failure' : 'success',
    branch: 'main',
    headSha: (i * 2654435761).toString(16).padStart(40, 'f'),
    commitAt: now - i * 600_000 - 3_600_000,
    ttdSeconds: 300 + (i % 400),
    durationSeconds: 650 + (i % 50),
    queueSeconds: i % 9,
    failedStage: i % 17 === 0 ? 'deploy-api/Deploy to Railway' : undefined,
    rollback: i % 34 === 0,
    jobs: [
      { name: 'deploy-api', conclusion: i % 17 === 0 ? 'failure' : 'success', seconds: 150 + (i % 60) },
      { name: 'deploy-web', conclusion: 'success', seconds: 160 + (i % 70) },
      { name: 'migrate', conclusion: 'success', seconds: 30 + (i % 40) },
    ],
  }));
}

/** Summary mode's figures over 1,000 and 10,000 history records, and the size of that history stored. */
function summaryRows(runs: number): Row[] {
  const now = Date.now();
  const rows: Row[] = [];
  for (const n of [1000, 10000]) {
    const records = syntheticHistory(n, now);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      computeFigures(records, now, 90, 0.995, 720);
      times.push(performance.now() - t0);
    }
    rows.push(
      row(
        `summary figures over ${n.toLocaleString('en')} history records`,
        times,
        seconds,
        n === 10000 ? 200 : undefined,
      ),
    );
  }
  rows.push(
    row(
      'history size, 10,000 records (gzip)',
      [encodeHistory(syntheticHistory(10000, now)).length],
      kib,
      1024 * 1024,
    ),
  );
  return rows;
}

/**
 * The remote-write case against the same job pushed to the Pushgateway: its
 * wall times and the ratio of medians (the chunk with protobuf and snappy is
 * loaded only in this case).
 */
function remoteWriteRows(pushed: readonly Sample[], written: readonly Sample[] | undefined): Row[] {
  const ms = (list: readonly Sample[], phase: (typeof PHASES)[number]): number[] =>
    list.map((s) => s.phaseMs[phase]);
  if (!written || written.length === 0) {
    return [
      {
        metric: '`post` wall time, remote write',
        median: 'n/a (no prometheus)',
        p90: '—',
        target: '—',
        verdict: '—',
      },
    ];
  }
  const ratio = (phase: (typeof PHASES)[number]): Row => ({
    metric: `\`${phase}\` remote write ÷ Pushgateway, 12-step api job (ratio of medians)`,
    median: (median(ms(written, phase)) / median(ms(pushed, phase))).toFixed(2),
    p90: '—',
    target: '—',
    verdict: '—',
  });
  return [
    row('`pre` wall time, 12-step api job, remote write', ms(written, 'pre'), seconds, 200),
    row('`post` wall time, 12-step api job, remote write', ms(written, 'post'), seconds, 500),
    ratio('pre'),
    ratio('post'),
  ];
}

/** What a lazily loaded chunk holds, by a marker in its text. */
const CHUNKS: readonly [string, string][] = [
  ['ACTIONS_CACHE', '`@actions/cache`, loaded only when carried counts wait or must be kept'],
  ['prometheus.WriteRequest', 'the remote-write client and snappyjs, loaded only with `remote-write-url`'],
  ['fromJSON', 'protobufjs, loaded with the remote-write client'],
  ['EnvHttpProxyAgent', 'undici, loaded only with a proxy or with `@actions/cache`'],
  ['getIDToken', '`@actions/core`, loaded only with `@actions/cache` (which needs it) or under local-action'],
  ['rawCoreIO', 'the hooks through `@actions/core`, loaded only under local-action'],
];

function bundleRows(): Row[] {
  const dir = path.join(ROOT, 'dist', 'post');
  const chunks = readdirSync(dir)
    .filter((f) => /^\d+\.index\.js$/.test(f))
    .map((f): Row => {
      const raw = readFileSync(path.join(dir, f));
      const what = CHUNKS.find(([marker]) => raw.includes(marker))?.[1] ?? 'other lazily loaded code';
      return {
        metric: `chunk \`dist/post/${f}\` (raw / gzip): ${what}`,
        median: `${kib(raw.length)} / ${kib(gzipSync(raw).length)}`,
        p90: '—',
        target: '—',
        verdict: '—',
      };
    });
  return [...bundleIndexRows(), ...chunks];
}

function bundleIndexRows(): Row[] {
  return [...PHASES, 'live' as const].map((phase) => {
    const file = path.join(ROOT, 'dist', phase, 'index.js');
    const raw = readFileSync(file);
    return {
      metric: `bundle \`dist/${phase}/index.js\` (raw / gzip)`,
      median: `${kib(raw.length)} / ${kib(gzipSync(raw).length)}`,
      p90: '—',
      target: '—',
      verdict: '—',
    };
  });
}

function markdownTable(rows: readonly Row[]): string {
  return [
    '| metric | median | p90 | target | verdict |',
    '| --- | ---: | ---: | ---: | :---: |',
    ...rows.map((r) => `| ${r.metric} | ${r.median} | ${r.p90} | ${r.target} | ${r.verdict} |`),
  ].join('\n');
}

function localDate(): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Wraps prose at `width` columns so the Markdown source stays readable; never inside a code span. */
function wrap(text: string, width = 110): string {
  const lines: string[] = [];
  let line = '';
  // A word is a run of non-space characters in which a `code span` counts as one character.
  for (const word of text.match(/(?:[^\s`]|`[^`]*`)+/g) ?? []) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** The 1-minute load average before and after, so a busy machine is visible next to its figures. */
interface Load {
  readonly before: number;
  readonly after: number;
}

/** The rules' own cost is measured apart (a Prometheus on a backfilled TSDB): a pointer to it. */
const RULES_COST_LINE = [
  'What the shipped recording rules cost Prometheus itself, on a backfilled 35-day TSDB, before and after the',
  "30-day groups' `interval: 5m`: [rule-evaluation-cost.md](rule-evaluation-cost.md) (`scripts/bench-rules.ts`).",
].join('\n');

/** Bundle sizes across the changes that moved them (measured on the committed bundles, `wc -c`). */
const BUNDLE_HISTORY = [
  '**Bundle sizes before and after.** The GitHub client on Octokit (`@octokit/core` with the retry, throttling and',
  'pagination plugins, in place of a hand-written client) added about 155 KB to each bundle that calls the API:',
  '`dist/post/index.js` 1,317,706 → 1,471,988 bytes, `dist/main/index.js` 1,397,361 → 1,552,471, `dist/live/index.js`',
  '216,051 → 366,179 (`dist/pre/index.js`, which makes no API call, 1,243,864 → 1,243,211). Post loads the',
  '`@actions/cache` chunk (2,489,204 bytes, unchanged) only when carried counts wait or must be kept, which on a',
  'hosted runner used to happen on every run: the `cache listing refused` row shows what that costs.',
  '',
  '**Without `@actions/core` in the bundles.** The hooks now write the runner\u2019s protocol themselves',
  '(`src/hooks/runner-io.ts`). `@actions/core`\u2019s OIDC helper, never called, had put `@actions/http-client`,',
  'undici, `tls` and `tunnel` into the start of every step: `dist/pre/index.js` 1,256,039 \u2192 212,713 bytes,',
  '`dist/main/index.js` 1,561,779 \u2192 506,857, `dist/post/index.js` 1,486,254 \u2192 439,145. undici (a',
  '934,798-byte chunk) is now loaded only with a proxy or the cache module, and `@actions/core` (128,854) only',
  'with the cache module, which needs it, or under `@github/local-action`. `dist/live/index.js` never loaded',
  '`@actions/core` (379,036 \u2192 387,748: it now also holds the summary and verify input readers).',
].join('\n');

function documentText(table: string, machine: Machine, runs: number, rssNote: string, load: Load): string {
  const intro = [
    'Figures from `scripts/bench.ts`, which replaces this whole file on each run. Regenerate them on Node 24, the',
    'runtime `action.yml` declares, with `npx tsx scripts/bench.ts --node tools/node24/node_modules/.bin/node`',
    '(`npm run bench` uses the Node that runs it; `--runs N` changes the repetitions).',
  ];
  const howMeasured = [
    `**How measured.** ${runs} rounds after one discarded warm-up round, each round running every case once`,
    '(interleaved, so drift of the machine spreads over all cases); the table gives the median and the',
    'nearest-rank p90. Jobs run through the real `dist/` bundles under the runner emulator',
    '(`tools/runner-emulator`), against the local fake GitHub API (`tools/fake-github`) and a real Pushgateway',
    `${machine.pushgatewayVersion} on 127.0.0.1, so network latency to GitHub or a remote Pushgateway is not`,
    'included: on a hosted runner every API request and push adds a round trip. A phase’s wall time is the',
    'emulator’s `PhaseResult.durationMs`, from spawning `node dist/<phase>/index.js` until it exited and its',
    'output was drained, so it includes Node’s start-up and loading the bundle. The 12-step job is',
    '`apiSteps()` (12 steps in the API view post reads) with `check-run-id`, as `action.yml` wires it by',
    'default; the 100-step job cycles build/push/deploy/health/migrate/smoke step names; the 250-job run has',
    '249 other in-progress jobs and passes no `check-run-id`, so post pages through the run attempt’s jobs',
    '(100 a page) until it meets the one on its runner. API requests are counted at the fake API on the job’s',
    `and its run’s routes (only post calls the GitHub API). Every job runs in a GitHub-hosted runner’s`,
    'environment: `ACTIONS_RESULTS_URL`, `ACTIONS_RUNTIME_TOKEN` and `ACTIONS_CACHE_SERVICE_V2` point at a local',
    'cache service (`tools/fake-cache`) and no state directory is kept, so post lists the cache keys through the',
    'API (one request, sent while the job is looked up) before it would load `@actions/cache`; nothing fails in',
    'these jobs, so nothing is carried, and the benchmark stops if any other case called the cache service.',
    'The `cache listing refused` row answers that listing 403 (a token without `actions: read`), so post',
    'loads `@actions/cache` and asks the cache service, as every post on a hosted runner did before. The',
    '`no sink` row passes an empty `pushgateway-url`; the `through a proxy` rows set `HTTP_PROXY` and',
    '`HTTPS_PROXY` to a real tinyproxy on 127.0.0.1 (every request of the action goes through it).',
    `${rssNote} Bundle sizes are single values:`,
    '`index.js` bytes and its gzip size (zlib, default level).',
    'Live tracking: the `live on` rows run the same 12-step job with `live: true` (pre spawns the reporter',
    'detached and does not wait for it; post stops it before reading the job). The live rows after them come',
    'from real-time jobs (`liveApiSteps()`: build 3 s, push 2 s, deploy 25 s, health check 2 s, rollback)',
    'watched by a real Prometheus that scrapes the Pushgateway every second and evaluates the shipped rules',
    'every second: a stage is visible when its `deployment_stage_duration_seconds` first answers a query',
    '(polled every 200 ms), measured from the step’s end as the emulator saw it; DeploymentFailed is timed',
    'to `alertstate="firing"` on a job whose health check fails before a 100 s rollback. Requests per minute',
    'are the job reads the fake API received between pre and post. The reporter’s CPU is its utime + stime',
    'from /proc over its life, its peak RSS is VmHWM. In production add your scrape and evaluation intervals',
    '(15 s each in the example stack) to the visibility and paging figures.',
    `The 1-minute load average was ${load.before.toFixed(2)} before and ${load.after.toFixed(2)} after the`,
    `measurement (${machine.cores} cores): other work on the machine inflates the figures.`,
  ];
  return [
    '# Performance',
    '',
    wrap(intro.join(' ')),
    '',
    RULES_COST_LINE,
    '',
    BUNDLE_HISTORY,
    '',
    `## ${localDate()} · ${machine.cpu}, ${machine.cores} cores · Node ${machine.nodeVersion}`,
    '',
    table,
    '',
    wrap(howMeasured.join(' ')),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------
// Main

let bed: Bed | undefined;
let tempDir: string | undefined;

async function shutdown(): Promise<void> {
  const b = bed;
  bed = undefined;
  // stop() leaves the Pushgateway's temp directory (its log) behind: remove it too.
  const stopPg = async (pg: Service): Promise<void> => {
    await pg.stop();
    await rm(pg.dataDir, { recursive: true, force: true });
  };
  await Promise.allSettled([
    b && stopPg(b.pg),
    b?.prom && stopPg(b.prom),
    b?.gh.close(),
    b?.cache.close(),
    b?.proxy?.stop(),
  ]);
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
  tempDir = undefined;
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const pushgateway = findBinary(['prometheus-pushgateway', 'pushgateway']);
  if (!pushgateway) {
    throw new Error(
      'the benchmark pushes to a real Pushgateway, and none is on PATH (prometheus-pushgateway or pushgateway). Install it with: sudo apt-get install -y prometheus-pushgateway',
    );
  }
  const bundles = await checkBundles();
  const machine = describeMachine(opts.node, pushgateway);
  console.error(`Node ${machine.nodeVersion} · ${machine.cpu} (${machine.cores} cores) · ${opts.runs} runs`);
  const loadBefore = os.loadavg()[0] ?? 0;
  if (loadBefore > machine.cores / 2)
    console.error(`warning: the machine is busy (load ${loadBefore.toFixed(2)}): timings will be inflated`);

  tempDir = await mkdtemp(path.join(os.tmpdir(), 'deploy-obs-bench-'));
  const cache = await new FakeCacheService().start();
  const [gh, pg, prom, proxy] = await Promise.all([
    startFakeGitHub({ token: FAKE_TOKEN, caches: () => cache.committed() }),
    startPushgateway(),
    findBinary(['prometheus']) ? startPrometheus({ remoteWriteReceiver: true }) : undefined,
    findBinary(['tinyproxy']) ? startTinyproxy() : undefined,
  ]);
  bed = { gh, pg, prom, stateDir: path.join(tempDir, 'state'), node: opts.node, cache, proxy };
  const b = bed; // A const the closures below can use without re-checking `bed`.

  const wide = {
    job: 'deploy-api',
    steps: apiSteps(),
    with: { stages: API_STAGE_MAP },
    checkRunId: false,
    prepare: (runId: number) => addOtherJobs(b.gh, runId),
  };
  // Peak RSS comes from separate runs of each case: the GNU time wrapper adds
  // its own start-up, which must not reach the timings.
  const time = gnuTime();
  const cases = {
    api: { job: 'deploy-api', steps: apiSteps(), with: { stages: API_STAGE_MAP } },
    // The same job with the live reporter (the scenarios run without it unless asked).
    apiLive: { job: 'deploy-api', steps: apiSteps(), with: { stages: API_STAGE_MAP, live: 'true' } },
    hundred: { job: 'deploy-api', steps: manySteps(100) },
    wide,
    // The listing of cache keys refused (a token without `actions: read`): post loads
    // @actions/cache and asks the cache service, as every post did before it asked the API first.
    cacheLoaded: {
      job: 'deploy-api',
      steps: apiSteps(),
      with: { stages: API_STAGE_MAP },
      prepare: () => b.gh.inject(notAccessible({ route: /\/actions\/caches$/, times: 1 })),
    },
    // No sink at all: the job summary and outputs only.
    noSink: { job: 'deploy-api', steps: apiSteps(), with: { stages: API_STAGE_MAP, 'pushgateway-url': '' } },
    // Every request through a forward proxy (the runner's HTTP_PROXY/HTTPS_PROXY).
    proxied: proxy
      ? {
          job: 'deploy-api',
          steps: apiSteps(),
          with: { stages: API_STAGE_MAP },
          env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url },
        }
      : undefined,
    // The same api job, remote-written instead of pushed (reads the totals back, then writes).
    remoteWrite: prom
      ? {
          job: 'deploy-api',
          steps: apiSteps(),
          with: {
            stages: API_STAGE_MAP,
            'pushgateway-url': '',
            'remote-write-url': `${prom.url}/api/v1/write`,
          },
        }
      : undefined,
  };
  const rssCases = { api: '12-step api job', hundred: '100-step job', wide: '250-job run' } as const;
  const rssFiles = Object.fromEntries(
    Object.keys(rssCases).map((k) => [k, path.join(tempDir as string, `rss-${k}.txt`)]),
  ) as Record<keyof typeof rssCases, string>;
  const wrappers =
    'path' in time
      ? {
          api: await rssWrapper(tempDir, 'api', time.path, opts.node, rssFiles.api),
          hundred: await rssWrapper(tempDir, 'hundred', time.path, opts.node, rssFiles.hundred),
          wide: await rssWrapper(tempDir, 'wide', time.path, opts.node, rssFiles.wide),
        }
      : undefined;
  const samples = await interleave(opts.runs, {
    api: () => measureJob(b, cases.api),
    apiLive: () => measureJob(b, cases.apiLive),
    hundred: () => measureJob(b, cases.hundred),
    wide: () => measureJob(b, cases.wide),
    noSink: () => measureJob(b, cases.noSink),
    cacheLoaded: () => measureJob(b, cases.cacheLoaded),
    ...(cases.proxied
      ? { proxied: () => measureJob(b, cases.proxied as NonNullable<typeof cases.proxied>) }
      : {}),
    ...(cases.remoteWrite
      ? { remoteWrite: () => measureJob(b, cases.remoteWrite as NonNullable<typeof cases.remoteWrite>) }
      : {}),
    ...(wrappers
      ? {
          rssApi: () => measureJob(b, { ...cases.api, nodePath: wrappers.api }),
          rssHundred: () => measureJob(b, { ...cases.hundred, nodePath: wrappers.hundred }),
          rssWide: () => measureJob(b, { ...cases.wide, nodePath: wrappers.wide }),
        }
      : {}),
  });
  const { api, apiLive, hundred, wide: run250, remoteWrite, noSink, proxied, cacheLoaded } = samples;
  // Nothing failed, so nothing was carried: only the case whose listing was refused may ask the cache service.
  for (const [name, list] of Object.entries(samples) as [string, Sample[]][]) {
    const asked = list.reduce((n, x) => n + x.cacheRequests, 0);
    if ((name === 'cacheLoaded') !== asked > 0)
      throw new Error(`case ${name}: ${asked} request(s) reached the cache service`);
  }
  const live = await liveRows(b, opts.liveRuns, { on: apiLive, off: api });

  const rssRows: Row[] = [];
  let rssNote: string;
  if (wrappers) {
    for (const [key, label] of Object.entries(rssCases) as [keyof typeof rssCases, string][]) {
      for (const phase of PHASES) {
        // The first process of each phase is the warm-up round's.
        const rss = (await phaseRssBytes(rssFiles[key], phase)).slice(1);
        const limit = key === 'wide' && phase === 'post' ? 120e6 : undefined;
        rssRows.push(row(`peak RSS of \`${phase}\`, ${label}`, rss, megabytes, limit));
      }
    }
    rssNote = `Peak RSS is GNU time’s maximum resident set size of each process (1 MB = 10⁶ bytes), from ${opts.runs} extra runs of each case with node started under GNU \`time\`, whose timings are not in the table.`;
  } else {
    rssRows.push({
      metric: 'peak RSS of post, 250-job run',
      median: 'n/a',
      p90: 'n/a',
      target: '≤ 120 MB',
      verdict: '—',
    });
    rssNote = `Peak RSS was not measured: ${'missing' in time ? time.missing : 'no GNU time'}.`;
  }

  const ms = (list: Sample[], phase: (typeof PHASES)[number]): number[] => list.map((s) => s.phaseMs[phase]);
  const requests = (list: Sample[]): number[] => list.map((s) => s.apiRequests);
  const rows: Row[] = [
    row('`pre` wall time, 12-step api job', ms(api, 'pre'), seconds, 200),
    row('`main` wall time, 12-step api job', ms(api, 'main'), seconds),
    row('`post` wall time, 12-step api job (check-run-id)', ms(api, 'post'), seconds, 250),
    row('GitHub API requests by post, 12-step api job', requests(api), count, 2),
    row('`post` wall time, 12-step api job, no sink', ms(noSink, 'post'), seconds),
    row(
      '`post` wall time, 12-step api job, cache listing refused (loads `@actions/cache`)',
      ms(cacheLoaded, 'post'),
      seconds,
    ),
    {
      metric: '`post` loading `@actions/cache` ÷ not loading it, 12-step api job (ratio of medians)',
      median: (median(ms(cacheLoaded, 'post')) / median(ms(api, 'post'))).toFixed(2),
      p90: '—',
      target: '—',
      verdict: '—',
    },
    ...(proxied
      ? [
          row('`pre` wall time, 12-step api job, through a proxy', ms(proxied, 'pre'), seconds),
          row('`post` wall time, 12-step api job, through a proxy', ms(proxied, 'post'), seconds),
        ]
      : []),
    row('`post` wall time, 100-step job (later target)', ms(hundred, 'post'), seconds, 800),
    row('`post` wall time, 250-job run (no check-run-id)', ms(run250, 'post'), seconds),
    row('GitHub API requests by post, 250-job run', requests(run250), count),
    ...remoteWriteRows(api, remoteWrite),
    ...live,
    ...rssRows,
    ...summaryRows(opts.runs),
    ...bundleRows(),
  ];
  // A build that ran meanwhile (npm run build in another terminal) mixes two bundles in one table.
  if ((await checkBundles()) !== bundles) throw new Error('dist/ changed during the measurement: run again');
  const table = markdownTable(rows);
  console.log(`\n${table}\n`);
  const load = { before: loadBefore, after: os.loadavg()[0] ?? 0 };
  await mkdir(path.dirname(DOC), { recursive: true });
  await writeFile(DOC, documentText(table, machine, opts.runs, rssNote, load));
  console.log(`Written to ${path.relative(process.cwd(), DOC) || DOC}.`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the services…`);
    void shutdown().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

try {
  await main();
} catch (error) {
  console.error(`bench failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await shutdown();
}
