/**
 * `npm run demo`: a realistic deploy workflow, end to end, through the real
 * `dist/` bundles under the runner emulator (tools/runner-emulator), against
 * the fake GitHub API (tools/fake-github) and — when one is installed — a real
 * Pushgateway (tools/services).
 *
 * It plays one `deploy-full-stack` run (deploy-api, deploy-web with a slow
 * Vercel deploy, migrate), then a later run whose deploy-api fails its health
 * check and rolls back, then the summary workflow (`mode: summary`, on
 * `workflow_run`) for that run, then a deploy job in real time (about 25 s)
 * with live tracking, and writes what the action produced to `demo-output/`
 * (wiped first; `--out DIR` for another folder): per job `summary.md`,
 * `metrics.prom`, `outputs.json` and `log.txt`, the Pushgateway's `/metrics`
 * when one ran, a `README.md` index, and `index.html`: every job's summary as
 * GitHub renders it (GFM, Mermaid diagrams drawn by Mermaid; one page that
 * fetches nothing; scripts/render-summaries.ts).
 *
 * Without `prometheus-pushgateway` (or `pushgateway`) on PATH — or with
 * `--embedded` — the action runs with no `pushgateway-url`: it still writes
 * the summary and the metrics file. When `prometheus` is on PATH too, the jobs
 * also remote-write to a Prometheus started with its remote-write receiver,
 * and `remote-write-queries.txt` shows what PromQL reads back from it.
 *
 * Exits non-zero when a bundle is missing (run `npm run build`) or when any
 * job's post phase did not exit 0. Every service it starts is stopped, also on
 * error and Ctrl-C.
 */
import { access, copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startFakeGitHub, type FakeGitHub } from '../tools/fake-github/server.js';
import { loadActionManifest, repoActionDir, runJob, type StepSpec } from '../tools/runner-emulator/index.js';
import {
  ACTION_LABEL,
  API_STAGE_MAP,
  FAKE_TOKEN,
  REPOSITORY,
  apiSteps,
  databaseSteps,
  liveApiSteps,
  runTrackedJob,
  webSteps,
} from '../tools/scenarios/index.js';
import {
  findBinary,
  queryPrometheus,
  startPrometheus,
  startPushgateway,
  type Service,
} from '../tools/services/index.js';
import { mermaidBundle, summariesPage } from './render-summaries.js';

const ROOT = repoActionDir();
/** `--out DIR`: where to write (default demo-output/ of the repository; wiped first). */
const outArg = process.argv.indexOf('--out');
const OUT = path.resolve(outArg > 0 ? (process.argv[outArg + 1] ?? '') : path.join(ROOT, 'demo-output'));
const OUT_NAME = path.relative(process.cwd(), OUT) || '.';
const STATE_DIR = path.join(OUT, 'state');
const ENVIRONMENT = 'production';
const PUSHGATEWAY_BINARIES = ['prometheus-pushgateway', 'pushgateway'];

/** One job of the demo workflow. */
interface DemoJob {
  /** GITHUB_JOB. */
  readonly job: string;
  /** Which workflow run it belongs to (jobs of one run share the run id). */
  readonly run: 'first' | 'second' | 'live';
  readonly steps: StepSpec[];
  /** Extra action inputs (the stage map for the API job). */
  readonly with?: Record<string, string>;
  /** What the job shows, for the index. */
  readonly story: string;
  /** Steps really take their time and the API shows real times (the live-tracking job). */
  readonly realTime?: boolean;
}

/** What one job left behind, for the progress line and the index. */
interface JobReport {
  readonly dir: string;
  readonly job: string;
  readonly runId: number;
  readonly jobStatus: string;
  readonly postExitCode: number | null;
  readonly outputs: Record<string, string>;
  readonly postMs: number | undefined;
  readonly story: string;
  /** The job summary's live-tracking line, when it has one. */
  readonly liveLine?: string;
}

const JOBS: readonly DemoJob[] = [
  {
    job: 'deploy-api',
    run: 'first',
    steps: apiSteps(),
    with: { stages: API_STAGE_MAP },
    story: 'API: build → push → Railway → health check → migrations → smoke tests, mapped by the stage map',
  },
  {
    job: 'deploy-web',
    run: 'first',
    // 250 s is over deploy_vercel's 180 s threshold: a slow stage with its warning.
    steps: webSteps({ vercelSeconds: 250 }),
    story: 'Web: stages inferred from step names; the Vercel deploy takes 4m 10s and is marked slow',
  },
  {
    job: 'migrate',
    run: 'first',
    steps: databaseSteps(),
    story: 'Database: check → apply → verify',
  },
  {
    job: 'deploy-api',
    run: 'second',
    steps: apiSteps({ healthFails: true }),
    with: { stages: API_STAGE_MAP },
    story: 'A later run: the API health check fails (HTTP 503) and the deployment is rolled back',
  },
];

/** Run ids of the two workflow runs (the fake API is fresh each time, so fixed ids are fine). */
const RUN_IDS = { first: 9_100_001, second: 9_100_002, live: 9_100_003 } as const;
/**
 * When each run's jobs start: in the past, so every step has finished by
 * now in the API's timestamps (the emulator dates steps by their durations),
 * as when the summary workflow runs after the deploy workflow.
 */
const MINUTE = 60_000;
// Whole seconds, as the API shows times: every duration in the summaries is the same on every run.
const DEMO_START = Math.floor(Date.now() / 1000) * 1000;
const RUN_STARTS = {
  first: DEMO_START - 45 * MINUTE,
  second: DEMO_START - 20 * MINUTE,
  live: DEMO_START,
} as const;

/**
 * After the summary: a deploy job in real time (about 25 s) with live
 * tracking, so its summary shows what the live reporter did and how soon
 * each stage was visible while the job still ran.
 */
const LIVE_JOB: DemoJob = {
  job: 'deploy-api',
  run: 'live',
  steps: liveApiSteps({ healthFails: true, deploySeconds: 6, rollbackSeconds: 8 }),
  with: { stages: API_STAGE_MAP, live: 'true', 'live-interval-seconds': '5' },
  story:
    'Live tracking in real time: each stage is pushed seconds after it ends and the failure before the rollback is over (needs a Pushgateway or Prometheus)',
  realTime: true,
};

/** How each workflow run ends (with the status of its last job). */
const RUN_CONCLUSIONS: ReadonlyMap<DemoJob['run'], string> = new Map([
  ['first', 'success'],
  ['second', 'failure'],
  ['live', 'failure'],
]);
const WORKFLOW_ID = 4242;

const apiTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The deploy workflow run the jobs belong to, as the API shows it while it runs. */
function addWorkflowRun(gh: FakeGitHub, run: DemoJob['run']): void {
  const start = RUN_STARTS[run];
  gh.addRun({
    id: RUN_IDS[run],
    run_attempt: 1,
    name: 'deploy-full-stack',
    path: '.github/workflows/deploy-full-stack.yml',
    head_branch: 'main',
    head_sha: `${run === 'first' ? 'a1' : 'b2'}${'c0ffee'.repeat(7)}`.slice(0, 40),
    event: 'push',
    status: 'in_progress',
    conclusion: null,
    created_at: apiTime(start - 20_000), // queued 20 s
    run_started_at: apiTime(start - 20_000),
    updated_at: apiTime(start),
    pull_requests: [],
    workflow_id: WORKFLOW_ID,
    // Merged 12 minutes before the deploy workflow started: DORA's lead time starts here.
    head_commit_timestamp: apiTime(start - 12 * MINUTE),
  });
}

function completeWorkflowRun(gh: FakeGitHub, run: DemoJob['run'], conclusion: string | undefined): void {
  // The longest job (deploy-web, 6.5 min) ends the first run; the second ends with deploy-api.
  gh.updateRun(RUN_IDS[run], {
    status: 'completed',
    conclusion: conclusion ?? 'success',
    updated_at: apiTime(RUN_STARTS[run] + 7 * MINUTE),
  });
}

/**
 * The summary job: `mode: summary` in a workflow triggered by `workflow_run`
 * of the deploy workflow, reporting the second run (attempt-aware, with the
 * history, DORA and SLO figures, and a check run on its head commit).
 */
async function runSummaryJob(
  index: number,
  gh: FakeGitHub,
  pg?: Service,
  prom?: Service,
): Promise<JobReport> {
  const dirName = jobDirName(index, 'summary');
  const dir = path.join(OUT, dirName);
  await mkdir(dir, { recursive: true });
  const result = await runJob({
    name: 'summary',
    env: {
      GITHUB_API_URL: gh.url,
      GITHUB_REPOSITORY: REPOSITORY,
      GITHUB_RUN_ID: String(RUN_IDS.second + 1),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_REF_NAME: 'main',
      GITHUB_WORKFLOW: 'deploy-summary',
      GITHUB_EVENT_NAME: 'workflow_run',
      DEPLOYMENT_OBSERVABILITY_STATE_DIR: STATE_DIR,
    },
    context: { github: { token: FAKE_TOKEN }, job: { check_run_id: '' } },
    steps: [
      {
        uses: repoActionDir(),
        id: 'summary',
        label: ACTION_LABEL,
        with: {
          mode: 'summary',
          'run-id': String(RUN_IDS.second),
          environment: ENVIRONMENT,
          // The deploy jobs' stage map: the failed stage is named as the tracked job named it.
          stages: API_STAGE_MAP,
          ...(pg ? { 'pushgateway-url': pg.url } : {}),
          ...(prom ? { 'remote-write-url': `${prom.url}/api/v1/write` } : {}),
        },
      },
    ],
  });
  try {
    const main = result.phases.find((p) => p.id === 'summary' && p.phase === 'main' && !p.skipped);
    const outputs = main?.outputs ?? {};
    await writeFile(path.join(dir, 'summary.md'), main?.summary ?? '');
    await writeFile(path.join(dir, 'outputs.json'), `${JSON.stringify(outputs, null, 2)}\n`);
    await writeFile(path.join(dir, 'log.txt'), result.log);
    const metricsFile = outputs['metrics-file'];
    if (metricsFile) await copyFile(metricsFile, path.join(dir, 'metrics.prom'));
    return {
      dir: dirName,
      job: 'summary',
      runId: RUN_IDS.second,
      jobStatus: result.status,
      postExitCode: main?.exitCode ?? null,
      outputs,
      postMs: main?.durationMs,
      story:
        'The summary workflow (on: workflow_run) reports the second run: success rate, error budget, TTD, DORA, a check run',
    };
  } finally {
    await result.cleanup();
  }
}

/** Services started by this script; {@link shutdown} stops them exactly once. */
const started: { gh?: FakeGitHub; pg?: Service; prom?: Service } = {};
let shuttingDown: Promise<void> | undefined;

/** Stops the Pushgateway and removes its temp directory (its log), which stop() leaves behind. */
async function stopPushgateway(pg: Service | undefined): Promise<void> {
  if (!pg) return;
  await pg.stop();
  await rm(pg.dataDir, { recursive: true, force: true });
}

function shutdown(): Promise<void> {
  shuttingDown ??= Promise.allSettled([
    stopPushgateway(started.pg),
    stopPushgateway(started.prom),
    started.gh?.close(),
  ]).then(() => undefined);
  return shuttingDown;
}

/**
 * The folder is wiped before the run: refuse one that holds the repository (or is it), and a
 * non-empty one that is not an earlier demo's output.
 */
async function checkOutDir(): Promise<void> {
  if (outArg > 0 && !process.argv[outArg + 1]) throw new Error('--out needs a folder');
  const rel = path.relative(OUT, ROOT);
  if (rel === '' || !rel.startsWith('..')) throw new Error(`--out ${OUT} holds the repository`);
  const entries = await readdir(OUT).catch(() => [] as string[]);
  const index = await readFile(path.join(OUT, 'README.md'), 'utf8').catch(() => '');
  if (entries.length > 0 && !index.startsWith('# Deployment observability demo')) {
    throw new Error(`${OUT} is not empty and holds no earlier demo output: choose another --out`);
  }
}

/** Every job's summary as GitHub renders it, in one page (scripts/render-summaries.ts). */
async function writeIndexHtml(reports: readonly JobReport[]): Promise<string> {
  const entries = [];
  for (const r of reports) {
    entries.push({
      id: r.dir,
      job: r.job,
      caption: `${r.dir} · run ${r.runId} · ${r.outputs.status ?? r.jobStatus} — ${r.story}`,
      markdown: await readFile(path.join(OUT, r.dir, 'summary.md'), 'utf8'),
    });
  }
  const mermaid = mermaidBundle('mermaid');
  await writeFile(
    path.join(OUT, 'index.html'),
    summariesPage({
      title: 'Deployment observability demo: the job summaries',
      intro: `Generated by npm run demo: each job's summary as GitHub renders it (GitHub Flavored Markdown; Mermaid ${mermaid.version} draws the diagrams). Nothing is fetched.`,
      entries,
      mermaid: 'mermaid',
    }),
  );
  return mermaid.version;
}

/** Fails early, with the fix, when a bundle action.yml points at is missing. */
async function checkBundles(): Promise<void> {
  const manifest = await loadActionManifest(ROOT);
  const bundles = [manifest.pre, manifest.main, manifest.post].filter((b): b is string => b !== undefined);
  const missing: string[] = [];
  for (const bundle of bundles) {
    try {
      await access(path.join(ROOT, bundle));
    } catch {
      missing.push(bundle);
    }
  }
  if (missing.length > 0) {
    throw new Error(`missing bundle(s): ${missing.join(', ')}. Run \`npm run build\` first.`);
  }
}

/** Starts a real Pushgateway when one is installed (and not declined), else explains how to get one. */
async function maybeStartPushgateway(embedded: boolean): Promise<Service | undefined> {
  if (embedded) {
    console.log('Embedded mode (--embedded): no Pushgateway, nothing is pushed.');
    return undefined;
  }
  if (!findBinary(PUSHGATEWAY_BINARIES)) {
    console.log(
      'No Pushgateway on PATH: running embedded (no pushgateway-url; summaries and metrics files are still written). Get it with: sudo apt-get install -y prometheus-pushgateway',
    );
    return undefined;
  }
  const pg = await startPushgateway();
  console.log(`Pushgateway started at ${pg.url} (pid ${pg.pid}).`);
  return pg;
}

/** Prometheus with its remote-write receiver, when installed and not declined. */
async function maybeStartPrometheus(embedded: boolean): Promise<Service | undefined> {
  if (embedded) return undefined;
  if (!findBinary(['prometheus'])) {
    console.log(
      'No prometheus on PATH: the jobs do not remote-write. Get it with: sudo apt-get install -y prometheus',
    );
    return undefined;
  }
  const prom = await startPrometheus({ remoteWriteReceiver: true });
  console.log(`Prometheus (remote-write receiver) started at ${prom.url} (pid ${prom.pid}).`);
  return prom;
}

/** Questions a user asks of remote-written data, with PromQL's answers. */
const REMOTE_WRITE_QUERIES = [
  'last_over_time(deployment_runs_total[1h])',
  'last_over_time(deployment_total{status="failure"}[1h])',
  'last_over_time(deployment_rollback_total[1h])',
  'last_over_time(deployment_last_failure_timestamp_seconds[1h])',
  'max by (service, stage) (last_over_time(deployment_stage_duration_seconds[1h]))',
  'last_over_time(time_to_deploy_seconds_count[1h])',
];

async function remoteWrittenAnswers(prom: Service): Promise<string> {
  const out = [
    '# What PromQL reads back from the remote-written data (Prometheus HTTP API, instant queries)',
    '',
  ];
  for (const query of REMOTE_WRITE_QUERIES) {
    out.push(`## ${query}`, '');
    for (const s of await queryPrometheus(prom.url, query)) {
      const { __name__: name = '', ...labels } = s.metric;
      const text = Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      out.push(`${name}{${text}} ${s.value[1]}`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** The job folder name: `<n>-<job>`, numbered in the order the jobs ran. */
function jobDirName(index: number, job: string): string {
  return `${index + 1}-${job}`;
}

/** Runs one job and writes its summary, metrics file copy, outputs and log. */
async function runDemoJob(
  index: number,
  spec: DemoJob,
  gh: FakeGitHub,
  pg?: Service,
  prom?: Service,
): Promise<JobReport> {
  const dirName = jobDirName(index, spec.job);
  const dir = path.join(OUT, dirName);
  await mkdir(dir, { recursive: true });
  const runId = RUN_IDS[spec.run];
  const tracked = await runTrackedJob({
    gh,
    runId,
    job: spec.job,
    steps: spec.steps,
    stateDir: STATE_DIR,
    startTime: new Date(RUN_STARTS[spec.run]),
    realTime: spec.realTime,
    timeoutMs: spec.realTime ? 90_000 : undefined,
    with: {
      environment: ENVIRONMENT,
      ...(pg ? { 'pushgateway-url': pg.url } : {}),
      ...(prom ? { 'remote-write-url': `${prom.url}/api/v1/write` } : {}),
      ...spec.with,
    },
  });
  try {
    const outputs = tracked.post?.outputs ?? {};
    await writeFile(path.join(dir, 'summary.md'), tracked.post?.summary ?? '');
    await writeFile(path.join(dir, 'outputs.json'), `${JSON.stringify(outputs, null, 2)}\n`);
    await writeFile(path.join(dir, 'log.txt'), tracked.result.log);
    // The metrics file lives in the job's RUNNER_TEMP, which cleanup() removes: copy it first.
    const metricsFile = outputs['metrics-file'];
    if (metricsFile) await copyFile(metricsFile, path.join(dir, 'metrics.prom'));
    return {
      dir: dirName,
      job: spec.job,
      runId,
      jobStatus: tracked.result.status,
      postExitCode: tracked.post?.exitCode ?? null,
      outputs,
      postMs: tracked.post?.durationMs,
      story: spec.story,
      liveLine: /📡 (.*)/.exec(tracked.post?.summary ?? '')?.[1],
    };
  } finally {
    await tracked.result.cleanup();
  }
}

/** Stages the action marked slow (from its `stages-json` output). */
function slowStages(outputs: Record<string, string>): string[] {
  try {
    const stages = JSON.parse(outputs['stages-json'] ?? '[]') as { stage: string; slow: boolean }[];
    return stages.filter((s) => s.slow).map((s) => s.stage);
  } catch {
    return []; // A malformed output shows up in outputs.json; the progress line stays short.
  }
}

/** One progress line: job, status, failed stage / error type, duration, post wall time. */
function progressLine(r: JobReport): string {
  const ok = r.postExitCode === 0;
  const status = r.outputs.status ?? `(no status output; job ${r.jobStatus})`;
  const failure = r.outputs['failed-stage']
    ? `failed at ${r.outputs['failed-stage']} (${r.outputs['error-type'] || 'no error type'})`
    : 'no failed stage';
  const duration = r.outputs['duration-seconds'] ? `${r.outputs['duration-seconds']} s` : 'n/a';
  const post = r.postMs === undefined ? 'did not run' : `${(r.postMs / 1000).toFixed(2)} s`;
  const slow = slowStages(r.outputs);
  const extras = [
    slow.length > 0 ? `slow: ${slow.join(', ')}` : '',
    // Without it there is no metrics.prom to copy: say so rather than leave the folder short.
    r.outputs['metrics-file'] ? '' : 'no metrics-file output',
    ok ? '' : `POST EXIT ${r.postExitCode ?? 'none'}`,
  ]
    .filter(Boolean)
    .join('  ');
  return `${ok ? '✓' : '✗'} ${r.dir.padEnd(14)} ${status.padEnd(8)} ${failure.padEnd(44)} deployment ${duration.padStart(6)}  post ${post}${extras ? `  ${extras}` : ''}`;
}

/**
 * The Pushgateway's own exposition without its Go runtime, process and
 * `pushgateway_*` self-metrics: what is left is what was pushed (plus the
 * per-group `push_time_seconds` / `push_failure_time_seconds`).
 */
async function pushedMetrics(pg: Service): Promise<string> {
  const res = await fetch(`${pg.url}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`Pushgateway /metrics: HTTP ${res.status}`);
  const internal = /^(go_|process_|pushgateway_)/;
  const kept = (await res.text()).split('\n').filter((line) => {
    // `# HELP name …` / `# TYPE name …` belong to the family they name.
    const name = line.startsWith('# ') ? (line.split(' ')[2] ?? '') : line;
    return !internal.test(name);
  });
  return kept.join('\n');
}

/** The top-level index, with relative links only (no machine paths). */
function indexMarkdown(reports: readonly JobReport[], pushgateway: boolean, remoteWrite: boolean): string {
  const rows = reports.map((r) => {
    const f = (file: string): string => `[${file}](${r.dir}/${file})`;
    const failure = r.outputs['failed-stage']
      ? `${r.outputs['failed-stage']} / ${r.outputs['error-type'] ?? ''}`
      : '';
    return `| ${r.dir} | ${r.runId} | ${r.outputs.status ?? r.jobStatus} | ${failure} | ${r.story} | ${f('summary.md')} · ${f('metrics.prom')} · ${f('outputs.json')} · ${f('log.txt')} |`;
  });
  return [
    '# Deployment observability demo',
    '',
    'Generated by `npm run demo`: each job ran through the real `dist/` bundles (pre, main, post) under the',
    'runner emulator, against a local fake GitHub API. Re-running the demo replaces this folder.',
    '',
    pushgateway
      ? 'Metrics were pushed to a real local Pushgateway: [pushgateway-metrics.txt](pushgateway-metrics.txt) is its `/metrics` after the last job (without its go_/process_/pushgateway_ self-metrics).'
      : 'No Pushgateway ran (embedded mode): nothing was pushed; each job still wrote its summary and metrics file.',
    '',
    ...(remoteWrite
      ? [
          'The jobs also remote-wrote the same metrics to a local Prometheus (`--web.enable-remote-write-receiver`): [remote-write-queries.txt](remote-write-queries.txt) is what PromQL reads back.',
          '',
        ]
      : []),
    '| job | run id | status | failed stage / error type | what it shows | files |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '[index.html](index.html) shows every job’s summary as GitHub renders it (tables, Mermaid diagrams): open it in a browser.',
    '',
    'Per job: `summary.md` is the post phase’s job summary, `metrics.prom` a copy of the file named by the',
    '`metrics-file` output, `outputs.json` the post phase’s outputs, `log.txt` the job log as the runner shows it.',
    '`state/` is the action’s state directory (DEPLOYMENT_OBSERVABILITY_STATE_DIR).',
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const embedded = process.argv.includes('--embedded');
  await checkBundles();
  await checkOutDir();
  await rm(OUT, { recursive: true, force: true });
  await mkdir(STATE_DIR, { recursive: true });

  started.gh = await startFakeGitHub({ token: FAKE_TOKEN });
  started.pg = await maybeStartPushgateway(embedded);
  started.prom = await maybeStartPrometheus(embedded);
  const { gh, pg, prom } = started;

  const wallStart = performance.now();
  const reports: JobReport[] = [];
  for (const [i, spec] of JOBS.entries()) {
    // The run starts with its first job.
    if (JOBS[i - 1]?.run !== spec.run) addWorkflowRun(gh, spec.run);
    const report = await runDemoJob(i, spec, gh, pg, prom);
    console.log(progressLine(report));
    reports.push(report);
    // The run completes with its last job.
    if (JOBS[i + 1]?.run !== spec.run) completeWorkflowRun(gh, spec.run, RUN_CONCLUSIONS.get(spec.run));
  }
  // Then the summary workflow (on: workflow_run) reports the second run as a whole.
  const summary = await runSummaryJob(reports.length, gh, pg, prom);
  console.log(progressLine(summary));
  reports.push(summary);

  console.log('Now a deploy job in real time with live tracking (about 25 s)…');
  addWorkflowRun(gh, LIVE_JOB.run);
  const live = await runDemoJob(reports.length, LIVE_JOB, gh, pg, prom);
  completeWorkflowRun(gh, LIVE_JOB.run, RUN_CONCLUSIONS.get(LIVE_JOB.run));
  console.log(progressLine(live));
  reports.push(live);
  if (live.liveLine) console.log(`  ${live.liveLine}`);

  if (pg) await writeFile(path.join(OUT, 'pushgateway-metrics.txt'), await pushedMetrics(pg));
  if (prom) await writeFile(path.join(OUT, 'remote-write-queries.txt'), await remoteWrittenAnswers(prom));
  await writeFile(path.join(OUT, 'README.md'), indexMarkdown(reports, pg !== undefined, prom !== undefined));
  const mermaidVersion = await writeIndexHtml(reports);

  const seconds = ((performance.now() - wallStart) / 1000).toFixed(1);
  console.log(`\n${reports.length} jobs in ${seconds} s. Everything is in ${OUT_NAME}/:`);
  console.log(`  ${OUT_NAME}/README.md                 index of what follows`);
  console.log(
    `  ${OUT_NAME}/index.html                every summary as GitHub renders it (Mermaid ${mermaidVersion}): open it in a browser`,
  );
  console.log(`  ${OUT_NAME}/<n>-<job>/summary.md      the job summary post wrote`);
  console.log(`  ${OUT_NAME}/<n>-<job>/metrics.prom    the metrics file (exposition text)`);
  console.log(`  ${OUT_NAME}/<n>-<job>/outputs.json    post's outputs`);
  console.log(`  ${OUT_NAME}/<n>-<job>/log.txt         the job log`);
  if (pg) console.log(`  ${OUT_NAME}/pushgateway-metrics.txt   what the Pushgateway holds`);
  if (prom) console.log(`  ${OUT_NAME}/remote-write-queries.txt  PromQL over the remote-written data`);

  const failed = reports.filter((r) => r.postExitCode !== 0);
  if (failed.length > 0) {
    console.error(`\npost did not exit 0 in: ${failed.map((r) => r.dir).join(', ')} (see their log.txt)`);
    return 1;
  }
  return 0;
}

// Ctrl-C / termination: stop the services before leaving. (Step processes run
// in their own process groups; the emulator kills them when this process exits.)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the services…`);
    void shutdown().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(`demo failed: ${(error as Error).message}`);
} finally {
  await shutdown();
}
process.exitCode = code;
