/**
 * Every panel of the remote-write flavour of the dashboards
 * (deploy/grafana/dashboards-remote-write/*.json) against real remote-written
 * data: a real Prometheus started with `--web.enable-remote-write-receiver`
 * and the remote-write rules loaded (densify, recording, alerts; 1 s
 * evaluation), written to by the real dist/ bundles under the runner emulator
 * (`remote-write-url`), with the scenario of dashboards.e2e.test.ts:
 * successes, a failed health check with a rollback, failing smoke tests with a
 * rollback, a failed and a successful database migration, a web deployment,
 * costs, memory and CPU reported through DEPLOY_METRICS_FILE, and a deployment
 * in another environment.
 *
 * Every remote-write panel must return finite values, from the densified
 * remote_write:<metric> series once the densify rules have run (polled, no
 * fixed wait); each query runs through /api/v1/query with the template
 * variables substituted as Grafana does. The jobs' steps ran 20 minutes ago
 * (stage durations carry those times; the action's own start, end and counter
 * samples carry the real ones). A deployment written 20 minutes back in
 * another environment, one sample per series as the action writes it, shows
 * why the flavour exists: its raw samples are past the 5-minute lookback, so
 * the Pushgateway flavour's instant panels are empty for it while the
 * remote-write flavour's show its values.
 *
 * Series that track mode does not write are remote-written here as synthetic
 * series of the contract's shape, as summary and verify mode write them (one
 * sample per series, now): time_to_deploy_seconds, github_action_duration_seconds,
 * github_workflow_runs_total, deployment_frequency (a summary group:
 * job/repository/workflow); post_deployment_error_rate with the latest API
 * deployment's id, api_health_check_total and api_health_check_failures_total
 * (the API's track group). And the live reporter's series (track mode, while
 * the job runs), as it remote-writes them every interval: each stage's
 * deployment_stage_state with all five states (1 on the current one, 0 on the
 * four others), deployment_stage_start_timestamp_seconds,
 * deployment_stage_duration_seconds of the finished stages and
 * deployment_stage_threshold_seconds, with pre's deployment_in_progress and
 * deployment_start_timestamp_seconds: a deployment of `worker` in progress,
 * the previous one of the same group 10 minutes back (its raw series persist),
 * and one of `batch` that finished. The live panels are checked with exact
 * figures through the densified series.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  dashboardQueries,
  DASHBOARDS_DIR,
  REMOTE_WRITE_DASHBOARDS_DIR,
  type DashboardQuery,
} from '../../dashboards/index.js';
import { REMOTE_WRITE_HEADERS } from '../../src/delivery/remote-write/writer.js';
import { encodeWriteRequest, type WireSeries } from '../../src/delivery/remote-write/wire.js';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.js';
import type { StepSpec } from '../../tools/runner-emulator/index.js';
import {
  apiSteps,
  API_STAGE_MAP,
  databaseSteps,
  FAKE_TOKEN,
  REPOSITORY,
  runTrackedJob,
  webSteps,
  type TrackedJob,
} from '../../tools/scenarios/index.js';
import {
  queryPrometheus,
  startPrometheus,
  waitFor,
  type PromSample,
  type Service,
} from '../../tools/services/index.js';
import { REMOTE_WRITE_RULE_FILES, withoutGroupIntervals } from '../rule-files.js';
import { newRunId } from './helpers.js';
import { NOT_STARTED_ORDER } from '../../dashboards/pipeline.js';

const ENV = 'dashboards-rw-e2e';
const OTHER_ENV = 'dashboards-rw-e2e-other';
/** A deployment written 20 minutes back (synthetic, as the action writes one), beyond the 5-minute lookback. */
const OLD_ENV = 'dashboards-rw-e2e-old';
const MIN = 60_000;

/** The panels of the live series (Deployment Pipeline, first rows). */
const LIVE_PANELS = [
  'Current stage',
  'Running stage: elapsed / threshold',
  'Progress (latest deployment)',
  'Stages of the latest deployment: $service',
];

const STATES = ['waiting', 'running', 'success', 'failure', 'skipped'] as const;

/** One stage as the live reporter writes it. */
interface LiveStage {
  readonly stage: string;
  readonly state: (typeof STATES)[number];
  /** Seconds before the write that it started (started stages only). */
  readonly startedAgo?: number;
  /** Duration of a finished stage, in seconds. */
  readonly duration?: number;
}

/** A deployment's live series: what pre, the live reporter and post write for its group. */
interface LiveDeployment {
  readonly service: string;
  readonly deploymentId: string;
  /** Seconds before the write that the deployment started. */
  readonly startedAgo: number;
  readonly inProgress: 0 | 1;
  readonly stages: readonly LiveStage[];
  readonly thresholds: Readonly<Record<string, number>>;
}

/** The worker's deployment in progress: build and push done, deploy_railway running for 40 s. */
const WORKER_STAGES: readonly LiveStage[] = [
  { stage: 'build', state: 'success', startedAgo: 110, duration: 50 },
  { stage: 'push', state: 'success', startedAgo: 60, duration: 20 },
  { stage: 'deploy_railway', state: 'running', startedAgo: 40 },
  { stage: 'health_check', state: 'waiting' },
  { stage: 'migration', state: 'waiting' },
  { stage: 'smoke_test', state: 'waiting' },
  { stage: 'rollback', state: 'skipped' },
];
/** Thresholds the worker's deployment wrote: some stages only (deploy_railway falls back to the default). */
const WORKER_THRESHOLDS = { build: 100, push: 45, total: 600 };

/** Grafana's interval variables, as concrete values for an instant query. */
const GRAFANA_INTERVALS: Record<string, string> = {
  $__rate_interval: '1m',
  $__interval: '15s',
  // before $__range, which it starts with
  $__range_s: '3600',
  $__range: '1h',
};

function substitute(expr: string, vars: { environment: string; service: string }): string {
  let out = expr;
  for (const [name, value] of Object.entries(GRAFANA_INTERVALS)) out = out.split(name).join(value);
  return out.replace(/\$\{?environment\}?/g, vars.environment).replace(/\$\{?service\}?/g, vars.service);
}

/** Every panel and annotation query of the committed JSON in `dir`. */
function committedQueries(dir: string): DashboardQuery[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => dashboardQueries(JSON.parse(readFileSync(path.join(dir, f), 'utf8'))));
}

interface Outcome {
  readonly query: DashboardQuery;
  readonly promql: string;
  readonly samples?: PromSample[];
  readonly error?: string;
}

async function runAll(
  prom: Service,
  queries: DashboardQuery[],
  service: string,
  environment = ENV,
): Promise<Outcome[]> {
  return Promise.all(
    queries.map(async (query) => {
      const promql = substitute(query.expr, { environment, service });
      try {
        return { query, promql, samples: await queryPrometheus(prom.url, promql, { timeoutMs: 10_000 }) };
      } catch (err) {
        return { query, promql, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

const hasData = (o: Outcome): boolean =>
  o.error === undefined && (o.samples ?? []).some((s) => Number.isFinite(Number(s.value[1])));

/** Queries that errored or returned no finite value, one line each: dashboard / panel [refId]: query. */
function failures(outcomes: Outcome[]): string[] {
  return outcomes
    .filter((o) => !hasData(o))
    .map(
      (o) =>
        `${o.query.dashboard} / ${o.query.panel} [${o.query.refId}]: ${o.error ?? 'no data'}\n    ${o.promql.replace(/\s+/g, ' ')}`,
    );
}

/** The values of one panel target, by the JSON of each series' labels. */
function valuesOf(
  outcomes: Outcome[],
  dashboard: string,
  panelTitle: string,
  refId = 'A',
): Record<string, number> {
  const o = outcomes.find(
    (x) => x.query.dashboard === dashboard && x.query.panel === panelTitle && x.query.refId === refId,
  );
  if (!o?.samples) throw new Error(`${dashboard} / ${panelTitle} [${refId}]: ${o?.error ?? 'not found'}`);
  return Object.fromEntries(o.samples.map((s) => [JSON.stringify(s.metric), Number(s.value[1])]));
}

const RW = (title: string): string => `${title} (remote write)`;

describe('every remote-write dashboard panel against a real Prometheus receiving the action’s remote writes', () => {
  let prom: Service;
  let gh: FakeGitHub;
  let stateDir: string;
  const jobs: TrackedJob[] = [];
  let latestApi: TrackedJob;
  let latestDatabase: TrackedJob;

  /** One deploy job through the real bundles, remote-writing; its steps ran 20 minutes ago. */
  const deploy = async (
    environment: string,
    job: string,
    steps: StepSpec[],
    stages?: string,
  ): Promise<TrackedJob> => {
    const tracked = await runTrackedJob({
      gh,
      runId: newRunId(),
      job,
      steps,
      stateDir,
      startTime: new Date(Date.now() - 20 * MIN),
      with: {
        environment,
        'remote-write-url': `${prom.url}/api/v1/write`,
        ...(stages ? { stages } : {}),
      },
    });
    jobs.push(tracked);
    return tracked;
  };

  /** One write request, one sample per series at `at` (ms), as the action sends it. */
  const write = async (at: number, series: [Record<string, string>, number][]): Promise<void> => {
    const timeseries: WireSeries[] = series.map(([labels, value]) => ({
      labels: Object.keys(labels)
        .sort()
        .map((name) => ({ name, value: labels[name] as string })),
      samples: [{ value, timestamp: at }],
    }));
    const res = await fetch(`${prom.url}/api/v1/write`, {
      method: 'POST',
      headers: { ...REMOTE_WRITE_HEADERS },
      body: encodeWriteRequest({ timeseries, metadata: [] }),
      signal: AbortSignal.timeout(5000),
    });
    if (res.status !== 204) throw new Error(`remote write: HTTP ${res.status} ${await res.text()}`);
  };

  const workerId = `${newRunId()}-1`;
  const olderWorkerId = `${newRunId()}-1`;
  const batchId = `${newRunId()}-1`;
  const worker = (
    stages = WORKER_STAGES,
    thresholds: Record<string, number> = WORKER_THRESHOLDS,
  ): LiveDeployment => ({
    service: 'worker',
    deploymentId: workerId,
    startedAgo: 120,
    inProgress: 1,
    stages,
    thresholds,
  });

  /**
   * One write of a deployment's live series at `at` (ms), as the live reporter (and post, at the
   * end) writes them: every state of every stage, 1 on the current one.
   */
  const writeLive = async (d: LiveDeployment, at: number): Promise<void> => {
    const group = { job: 'deployment', environment: ENV, service: d.service };
    const run = { ...group, deployment_id: d.deploymentId };
    const ago = (seconds: number): number => (at - seconds * 1000) / 1000;
    await write(at, [
      ...d.stages.flatMap((s) =>
        STATES.map((state): [Record<string, string>, number] => [
          { __name__: 'deployment_stage_state', ...run, stage: s.stage, state },
          state === s.state ? 1 : 0,
        ]),
      ),
      ...d.stages.flatMap((s): [Record<string, string>, number][] =>
        s.startedAgo === undefined
          ? []
          : [
              [
                { __name__: 'deployment_stage_start_timestamp_seconds', ...run, stage: s.stage },
                ago(s.startedAgo),
              ],
            ],
      ),
      ...d.stages.flatMap((s): [Record<string, string>, number][] =>
        s.duration === undefined
          ? []
          : [
              [
                { __name__: 'deployment_stage_duration_seconds', ...run, stage: s.stage, status: s.state },
                s.duration,
              ],
            ],
      ),
      ...Object.entries(d.thresholds).map(([stage, seconds]): [Record<string, string>, number] => [
        { __name__: 'deployment_stage_threshold_seconds', ...group, stage },
        seconds,
      ]),
      [{ __name__: 'deployment_in_progress', ...run, branch: 'main', triggered_by: 'push' }, d.inProgress],
      [{ __name__: 'deployment_start_timestamp_seconds', ...run }, ago(d.startedAgo)],
    ]);
  };

  /** Writes `d` now and waits until the densify rules have recorded this write (its starts and states). */
  const writeLiveNow = async (d: LiveDeployment): Promise<number> => {
    const now = Date.now();
    await writeLive(d, now);
    const expected = new Map(
      d.stages.flatMap((s) =>
        s.startedAgo === undefined ? [] : [[s.stage, (now - s.startedAgo * 1000) / 1000]],
      ),
    );
    await waitFor(
      async () => {
        const sel = `{environment="${ENV}", deployment_id="${d.deploymentId}"}`;
        const starts = await queryPrometheus(
          prom.url,
          `remote_write:deployment_stage_start_timestamp_seconds${sel}`,
        );
        const states = await queryPrometheus(prom.url, `remote_write:deployment_stage_state${sel} == 1`);
        return (
          starts.length === expected.size &&
          starts.every(
            (x) => Math.abs(Number(x.value[1]) - (expected.get(x.metric.stage ?? '') ?? NaN)) < 0.01,
          ) &&
          states.length === d.stages.length &&
          d.stages.every((s) => states.some((x) => x.metric.stage === s.stage && x.metric.state === s.state))
        );
      },
      { timeoutMs: 20_000, description: `the densified live series of ${d.service} ${d.deploymentId}` },
    );
    return now;
  };

  beforeAll(async () => {
    [prom, gh] = await Promise.all([
      startPrometheus({
        remoteWriteReceiver: true,
        // the 30-day and restore groups' own 5-minute interval would delay their first evaluation by
        // up to 5 minutes
        ruleFiles: withoutGroupIntervals(REMOTE_WRITE_RULE_FILES),
        evaluationIntervalSeconds: 1,
      }),
      startFakeGitHub({ token: FAKE_TOKEN }),
    ]);
    stateDir = mkdtempSync(path.join(tmpdir(), 'deploy-obs-dash-rw-'));

    const smokeFails = [
      `echo 'smoke_test_total{test_name="/health"} 1' >> "$DEPLOY_METRICS_FILE"`,
      `echo 'smoke_test_total{test_name="/api/v1/items"} 1' >> "$DEPLOY_METRICS_FILE"`,
      `echo 'smoke_test_failures_total{test_name="/api/v1/items"} 1' >> "$DEPLOY_METRICS_FILE"`,
      'exit 1',
    ].join('; ');
    // One chain per group (a group's deployments follow each other); groups in parallel.
    await Promise.all([
      (async () => {
        await deploy(ENV, 'deploy-api', apiSteps(), API_STAGE_MAP);
        await deploy(ENV, 'deploy-api', apiSteps({ healthFails: true }), API_STAGE_MAP);
        await deploy(
          ENV,
          'deploy-api',
          apiSteps().map((s) => ('run' in s && s.name === 'Run smoke tests' ? { ...s, run: smokeFails } : s)),
          API_STAGE_MAP,
        );
        latestApi = await deploy(ENV, 'deploy-api', apiSteps(), API_STAGE_MAP);
      })(),
      (async () => {
        await deploy(ENV, 'migrate', databaseSteps({ applyFails: true }));
        latestDatabase = await deploy(ENV, 'migrate', databaseSteps());
      })(),
      (async () => {
        // A person cancels a web deployment while it installs; the next one succeeds.
        await deploy(
          ENV,
          'deploy-web',
          webSteps().map((s) =>
            'run' in s && s.name === 'Install dependencies' ? { ...s, cancelJob: true } : s,
          ),
        );
        await deploy(ENV, 'deploy-web', webSteps());
      })(),
      deploy(OTHER_ENV, 'deploy-web', webSteps()),
    ]);

    // Verify mode's series, into the API's track group, with the latest deployment's id.
    const now = Date.now();
    const api = { job: 'deployment', environment: ENV, service: 'api' };
    const deploymentId = latestApi.post?.outputs['deployment-id'] ?? 'unknown';
    await write(now, [
      [{ __name__: 'post_deployment_error_rate', ...api, deployment_id: deploymentId }, 0.004],
      [{ __name__: 'api_health_check_total', ...api }, 20],
      [{ __name__: 'api_health_check_failures_total', ...api }, 1],
    ]);
    // Summary mode's series, in a summary group (job/repository/workflow).
    const summary = { job: 'deployment', repository: REPOSITORY, workflow: 'deploy-full-stack' };
    const buckets = ['60', '300', '600', '900', '1200', '1500', '1800', '+Inf'];
    const counts = [0, 1, 2, 3, 3, 3, 3, 3];
    await write(now, [
      ...buckets.map((le, i): [Record<string, string>, number] => [
        { __name__: 'time_to_deploy_seconds_bucket', ...summary, environment: ENV, le },
        counts[i] as number,
      ]),
      [{ __name__: 'time_to_deploy_seconds_sum', ...summary, environment: ENV }, 1650],
      [{ __name__: 'time_to_deploy_seconds_count', ...summary, environment: ENV }, 3],
      [
        { __name__: 'github_action_duration_seconds', ...summary, branch: 'main', conclusion: 'success' },
        540,
      ],
      [{ __name__: 'github_workflow_runs_total', ...summary, branch: 'main', conclusion: 'success' }, 2],
      [{ __name__: 'github_workflow_runs_total', ...summary, branch: 'main', conclusion: 'failure' }, 2],
      ...['1d', '7d', '30d'].map((period): [Record<string, string>, number] => [
        { __name__: 'deployment_frequency', ...summary, environment: ENV, service: 'all', period },
        2,
      ]),
    ]);

    // OLD_ENV: deployment 9100 of web started 25 minutes ago and succeeded 20 minutes ago.
    const old = { job: 'deployment', environment: OLD_ENV, service: 'web' };
    const oldRun = { ...old, deployment_id: '9100' };
    const started = now - 25 * MIN;
    const ended = now - 20 * MIN;
    await write(started, [
      [{ __name__: 'deployment_start_timestamp_seconds', ...oldRun }, started / 1000],
      [{ __name__: 'deployment_in_progress', ...oldRun, branch: 'main', triggered_by: 'push' }, 1],
    ]);
    await write(ended, [
      [{ __name__: 'deployment_in_progress', ...oldRun, branch: 'main', triggered_by: 'push' }, 0],
      [{ __name__: 'deployment_stage_duration_seconds', ...oldRun, stage: 'build', status: 'success' }, 80],
      [{ __name__: 'deployment_infrastructure_cost', ...oldRun, resource: 'vercel_build' }, 0.4],
      [{ __name__: 'deployment_runs_total', ...old, status: 'success' }, 1],
      [{ __name__: 'deployment_total', ...old, stage: 'build', status: 'success' }, 1],
      [{ __name__: 'deployment_last_success_timestamp_seconds', ...old }, ended / 1000],
      [{ __name__: 'deployment_observability_counters_updated_timestamp_seconds', ...old }, ended / 1000],
    ]);

    // The live series (see the header): worker's previous deployment 10 minutes back (final
    // states), its deployment in progress now, and batch's finished deployment.
    await writeLive(
      {
        service: 'worker',
        deploymentId: olderWorkerId,
        startedAgo: 300,
        inProgress: 0,
        stages: WORKER_STAGES.map((st) => ({
          stage: st.stage,
          state: 'success',
          startedAgo: 200,
          duration: 10,
        })),
        thresholds: WORKER_THRESHOLDS,
      },
      now - 10 * MIN,
    );
    await writeLiveNow(worker());
    await writeLiveNow({
      service: 'batch',
      deploymentId: batchId,
      startedAgo: 600,
      inProgress: 0,
      stages: [
        { stage: 'build', state: 'success', startedAgo: 590, duration: 60 },
        { stage: 'deploy_railway', state: 'success', startedAgo: 520, duration: 100 },
        { stage: 'smoke_test', state: 'failure', startedAgo: 400, duration: 30 },
        { stage: 'rollback', state: 'skipped' },
      ],
      thresholds: WORKER_THRESHOLDS,
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([prom?.stop(), gh?.close()]);
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  test('the deployments ran as the scenario says, and were remote-written without a warning', () => {
    const outcomes = jobs.map((j) => [j.post?.outputs.status, j.post?.outputs['failed-stage'] ?? '']);
    expect(outcomes.filter(([s]) => s === 'success')).toHaveLength(5);
    expect(
      outcomes
        .filter(([s]) => s === 'failure')
        .map(([, stage]) => stage)
        .sort(),
    ).toEqual(['health_check', 'migration_apply', 'smoke_test']);
    const writeWarnings = jobs.flatMap((j) =>
      j.result.annotations
        .filter((a) => a.level === 'warning' && /remote.?writ/i.test(a.message))
        .map((a) => a.message),
    );
    expect(writeWarnings).toEqual([]);
  });

  test('every remote-write panel query returns data with all services selected ($service = All)', async () => {
    const queries = committedQueries(REMOTE_WRITE_DASHBOARDS_DIR);
    expect(new Set(queries.map((q) => q.dashboard)).size).toBe(5);
    expect(queries.every((q) => q.dashboard.endsWith(' (remote write)'))).toBe(true);
    let failed: string[] = [];
    // The densify group runs every second: poll until every query has data.
    await waitFor(
      async () => {
        failed = failures(await runAll(prom, queries, '.*'));
        return failed.length === 0;
      },
      { timeoutMs: 60_000, description: 'data for every remote-write panel query' },
    ).catch(() => undefined);
    if (failed.length > 0) throw new Error(`${failed.length} panel queries failed:\n${failed.join('\n')}`);
  }, 70_000);

  test('a deployment 20 minutes back: the Pushgateway flavour’s instant panels are empty, the remote-write flavour’s show it', async () => {
    const raw = `{job="deployment",environment="${OLD_ENV}",__name__!~".*:.*"}`;
    // Past the lookback: no raw sample is visible to an instant query, though the samples are there.
    expect(await queryPrometheus(prom.url, raw)).toEqual([]);
    expect(await queryPrometheus(prom.url, `count(last_over_time(${raw}[1h]))`)).not.toEqual([]);
    const panels: [string, string, Record<string, number>][] = [
      ['Deployment Pipeline', 'Deployment status', { '{"service":"web"}': 0 }],
      ['Deployment Pipeline', 'Outcome of the latest finished deployment', { '{"service":"web"}': 1 }],
      [
        'Deployment Pipeline',
        'Stage timeline (latest deployment)',
        { '{"service":"web","stage":"build","status":"success"}': 80 },
      ],
      ['Deployment Costs', 'Cost of the latest deployment', { '{"service":"web"}': 0.4 }],
    ];
    // The densify rules run every second: wait until they have recorded this environment.
    const rw = await waitFor(
      async () => {
        const outcomes = await runAll(prom, committedQueries(REMOTE_WRITE_DASHBOARDS_DIR), '.*', OLD_ENV);
        return panels.every(([d, p]) =>
          outcomes.some((o) => o.query.dashboard === RW(d) && o.query.panel === p && hasData(o)),
        )
          ? outcomes
          : undefined;
      },
      { timeoutMs: 30_000, description: `the remote-write panels of ${OLD_ENV}` },
    );
    const pg = await runAll(prom, committedQueries(DASHBOARDS_DIR), '.*', OLD_ENV);
    for (const [dashboard, panel, expected] of panels) {
      expect({ panel, values: valuesOf(rw, RW(dashboard), panel) }).toEqual({ panel, values: expected });
      expect({ panel, values: valuesOf(pg, dashboard, panel) }).toEqual({ panel, values: {} });
    }
    // A range read of the raw per-deployment series is right on sparse data in both flavours.
    expect(valuesOf(rw, RW('Deployment Costs'), 'Total deployment cost')).toEqual({ '{}': 0.4 });
    expect(valuesOf(pg, 'Deployment Costs', 'Total deployment cost')).toEqual({ '{}': 0.4 });
  }, 40_000);

  test('key panels show the scenario’s numbers', async () => {
    // Counts are exact differences of the densified counters: they need the densify group to have
    // recorded each counter after its last write (before, while the panels used increase(), they
    // needed 30 s of history for the extrapolation to round away).
    const counters = [
      'deployment_runs_total',
      'deployment_total',
      'deployment_rollback_total',
      'deployment_errors_total',
    ];
    const history = async (name: string): Promise<number> =>
      Number(
        (
          await queryPrometheus(
            prom.url,
            `min(count_over_time(remote_write:${name}{environment="${ENV}"}[1h]))`,
          )
        )[0]?.value[1] ?? 0,
      );
    await waitFor(async () => (await Promise.all(counters.map(history))).every((n) => n >= 2), {
      timeoutMs: 90_000,
      description: 'densified counter history',
    });
    const outcomes = await runAll(prom, committedQueries(REMOTE_WRITE_DASHBOARDS_DIR), '.*');
    const values = (dashboard: string, panelTitle: string, refId = 'A'): Record<string, number> =>
      valuesOf(outcomes, RW(dashboard), panelTitle, refId);
    // 7 deployments in the environment: api 2 of 4 succeeded, database 1 of 2, web 1 of 1 (and
    // 1 cancelled).
    expect(Object.values(values('Deployment Success Rate', 'Success rate (30 days)'))[0]).toBeCloseTo(
      4 / 7,
      9,
    );
    // The cancelled web deployment is shown apart, and is in neither the rate nor the budget.
    expect(values('Deployment Success Rate', 'Deployments: success / failure / cancelled')).toEqual({
      '{"status":"cancelled"}': 1,
      '{"status":"failure"}': 3,
      '{"status":"success"}': 4,
    });
    expect(values('Deployment Success Rate', 'Deployments (30 days)')).toEqual({
      '{"status":"cancelled"}': 1,
      '{"status":"failure"}': 3,
      '{"status":"success"}': 4,
    });
    expect(
      Object.values(values('Deployment Success Rate', 'Error budget remaining (30 days)'))[0],
    ).toBeCloseTo(1 - 3 / 7 / 0.005, 6);
    // Both failed API deployments rolled back.
    expect(values('Deployment Success Rate', 'Rollbacks')).toEqual({ '{"status":"success"}': 2 });
    // Stage failures, from deployment_total (densified for the dashboards only).
    expect(values('Deployment Success Rate', 'Failed stages')).toEqual({
      '{"service":"api","stage":"health_check"}': 1,
      '{"service":"api","stage":"smoke_test"}': 1,
      '{"service":"database","stage":"migration_apply"}': 1,
    });
    // Costs over the range, from the raw per-deployment series: 2.50 railway_compute per API
    // deployment (4), 0.40 vercel_build for the web one.
    expect(Object.values(values('Deployment Costs', 'Total deployment cost'))[0]).toBeCloseTo(10.4, 6);
    expect(values('Deployment Costs', 'Cost by service')).toEqual({
      '{"service":"api"}': 10,
      '{"service":"web"}': 0.4,
    });
    // The latest deployment's gauges, densified (raw samples 20 minutes old).
    expect(values('Deployment Costs', 'Cost of the latest deployment')).toEqual({
      '{"service":"api"}': 2.5,
      '{"service":"web"}': 0.4,
    });
    expect(values('Deployment Costs', 'Railway peak memory / CPU (latest)', 'A')).toEqual({
      '{"service":"api"}': 512,
    });
    expect(values('Deployment Costs', 'Railway peak memory / CPU (latest)', 'B')).toEqual({
      '{"service":"api"}': 75.2,
    });
    expect(values('Deployment Pipeline', 'Deployment status')).toEqual({
      '{"service":"api"}': 0,
      '{"service":"batch"}': 0,
      '{"service":"database"}': 0,
      '{"service":"web"}': 0,
      '{"service":"worker"}': 1,
    });
    // The latest API deployment succeeded, the database's too (after a failed one).
    expect(values('Deployment Pipeline', 'Outcome of the latest finished deployment')).toEqual({
      '{"service":"api"}': 1,
      '{"service":"database"}': 1,
      '{"service":"web"}': 1,
    });
    const latest = outcomes.find((o) => o.query.panel === 'Latest deployment');
    expect(latest?.samples?.find((s) => s.metric.service === 'api')?.metric.deployment_id).toBe(
      latestApi.post?.outputs['deployment-id'],
    );
    // The database job's migrations, and the API job's (its migration step reports them too).
    expect(values('Database Migrations', 'Latest migration duration')).toEqual({
      [JSON.stringify({
        deployment_id: latestApi.post?.outputs['deployment-id'],
        migration_count: '5',
        service: 'api',
      })]: 23.4,
      [JSON.stringify({
        deployment_id: latestDatabase.post?.outputs['deployment-id'],
        migration_count: '3',
        service: 'database',
      })]: 61.2,
    });
    // Summary and verify mode's series, densified.
    expect(values('Post-Deployment Health', 'Error rate after deploy')).toEqual({
      '{"service":"api"}': 0.004,
    });
    expect(values('Deployment Pipeline', 'Workflow run duration')).toEqual({
      '{"branch":"main","conclusion":"success","workflow":"deploy-full-stack"}': 540,
    });
    expect(values('Deployment Pipeline', 'Workflow runs by conclusion')).toEqual({
      '{"conclusion":"failure","workflow":"deploy-full-stack"}': 2,
      '{"conclusion":"success","workflow":"deploy-full-stack"}': 2,
    });
    expect(values('Deployment Success Rate', 'Deployment frequency (DORA)')).toEqual({
      '{"period":"1d","service":"all"}': 2,
      '{"period":"30d","service":"all"}': 2,
      '{"period":"7d","service":"all"}': 2,
    });
  }, 120_000);

  test('$environment and $service select: no series of another environment or service', async () => {
    const outcomes = await runAll(prom, committedQueries(REMOTE_WRITE_DASHBOARDS_DIR), 'web');
    const errors = outcomes.filter((o) => o.error !== undefined).map((o) => `${o.query.panel}: ${o.error}`);
    expect(errors).toEqual([]);
    const leaks = outcomes.flatMap((o) =>
      (o.samples ?? [])
        .filter(
          (s) =>
            (s.metric.environment !== undefined && s.metric.environment !== ENV) ||
            (s.metric.service !== undefined && !['web', 'all'].includes(s.metric.service)),
        )
        .map((s) => `${o.query.dashboard} / ${o.query.panel}: ${JSON.stringify(s.metric)}`),
    );
    expect(leaks).toEqual([]);
    const cost = outcomes.find((o) => o.query.panel === 'Cost by component' && o.query.refId === 'total');
    expect(cost?.samples?.map((s) => s.metric.resource)).toEqual(['vercel_build']);
  });
  /** The live panels' outcomes for one service. */
  const livePanels = async (service: string): Promise<Outcome[]> =>
    runAll(
      prom,
      committedQueries(REMOTE_WRITE_DASHBOARDS_DIR).filter(
        (q) => q.dashboard === RW('Deployment Pipeline') && LIVE_PANELS.includes(q.panel),
      ),
      service,
    );
  const liveValues = (outcomes: Outcome[], panelTitle: string, refId = 'A'): Record<string, number> =>
    valuesOf(outcomes, RW('Deployment Pipeline'), panelTitle, refId);
  /** The stage-state table's rows as the panel sorts them (by the order key; ties by stage). */
  const stageRows = (
    outcomes: Outcome[],
  ): { stage: string; state: string; order: number; seconds?: number }[] => {
    const panelTitle = 'Stages of the latest deployment: $service';
    const rows = (refId: string): PromSample[] =>
      outcomes.find((x) => x.query.panel === panelTitle && x.query.refId === refId)?.samples ?? [];
    const seconds = new Map(rows('seconds').map((x) => [x.metric.stage, Number(x.value[1])]));
    return rows('order')
      .map((x) => ({
        stage: x.metric.stage ?? '',
        state: x.metric.state ?? '',
        order: Number(x.value[1]),
        ...(seconds.has(x.metric.stage) ? { seconds: seconds.get(x.metric.stage) } : {}),
      }))
      .sort((a, b) => a.order - b.order || a.stage.localeCompare(b.stage));
  };
  const key = (labels: Record<string, string>): string =>
    JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))));

  test('live panels: the deployment in progress — its running stage, elapsed against the threshold, progress and stage states, from the densified series', async () => {
    // Written again now, so that the running stage has run 40 s when the queries run.
    const writtenAt = await writeLiveNow(worker());
    const railwayStart = writtenAt - 40_000;
    // Each write carries all five states of each stage: 35 densified series, 7 of them 1.
    const worker35 = `remote_write:deployment_stage_state{environment="${ENV}", service="worker"}`;
    expect(await queryPrometheus(prom.url, `count(${worker35})`)).toMatchObject([
      { value: [expect.any(Number), '35'] },
    ]);
    expect(await queryPrometheus(prom.url, `count(${worker35} == 1)`)).toMatchObject([
      { value: [expect.any(Number), '7'] },
    ]);
    // The previous deployment's raw series are still there (sparse data keeps them).
    expect(
      await queryPrometheus(
        prom.url,
        `count(last_over_time(deployment_stage_state{deployment_id="${olderWorkerId}"}[1h]))`,
      ),
    ).toMatchObject([{ value: [expect.any(Number), '35'] }]);
    const before = Date.now();
    const live = await livePanels('worker');
    const after = Date.now();
    expect(live.filter((o) => o.error !== undefined).map((o) => `${o.query.panel}: ${o.error}`)).toEqual([]);
    const current = { current: 'deploy_railway', deployment_id: workerId, service: 'worker' };
    const running = { deployment_id: workerId, service: 'worker', stage: 'deploy_railway' };

    // Progress: finished stages (build, push; rollback skipped) / all 7 stages.
    const progress = liveValues(live, 'Current stage', 'progress');
    expect(Object.keys(progress)).toEqual([key(current)]);
    expect(progress[key(current)]).toBeCloseTo(3 / 7, 9);
    expect(liveValues(live, 'Progress (latest deployment)')).toEqual({
      [key({ deployment_id: workerId, service: 'worker' })]: progress[key(current)],
    });

    const elapsed = liveValues(live, 'Current stage', 'elapsed');
    expect(Object.keys(elapsed)).toEqual([key(current)]);
    const seconds = elapsed[key(current)] as number;
    expect(seconds).toBeGreaterThanOrEqual(35);
    expect(seconds).toBeLessThanOrEqual(120);
    expect(seconds).toBeGreaterThanOrEqual((before - railwayStart) / 1000 - 1);
    expect(seconds).toBeLessThanOrEqual((after - railwayStart) / 1000 + 1);

    // No threshold written for deploy_railway: the action's default, 180 s.
    expect(liveValues(live, 'Current stage', 'threshold')).toEqual({ [key(current)]: 180 });
    const ratio = liveValues(live, 'Running stage: elapsed / threshold');
    expect(Object.keys(ratio)).toEqual([key(running)]);
    expect(ratio[key(running)]).toBeCloseTo(seconds / 180, 2);

    const rows = stageRows(live);
    expect(rows.map((r) => [r.stage, r.state])).toEqual([
      ['build', 'success'],
      ['push', 'success'],
      ['deploy_railway', 'running'],
      ['rollback', 'skipped'],
      ['health_check', 'waiting'],
      ['migration', 'waiting'],
      ['smoke_test', 'waiting'],
    ]);
    expect(rows.slice(0, 3).map((r) => r.order)).toEqual(
      [110, 60, 40].map((ago) => (writtenAt - ago * 1000) / 1000),
    );
    expect(rows.slice(3).map((r) => r.order)).toEqual([
      NOT_STARTED_ORDER.other,
      NOT_STARTED_ORDER.waiting,
      NOT_STARTED_ORDER.waiting,
      NOT_STARTED_ORDER.waiting,
    ]);
    expect(rows.map((r) => (r.seconds === undefined ? undefined : Math.round(r.seconds)))).toEqual([
      50,
      20,
      Math.round(seconds),
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // Only the latest deployment of the group: the previous one (all stages success) shows nowhere.
    expect(JSON.stringify(live.map((o) => o.samples))).not.toContain(olderWorkerId);

    // A finished deployment: no stage runs, so its status; 100 % done.
    const batch = await livePanels('batch');
    const failed = { current: 'failed', deployment_id: batchId, service: 'batch' };
    expect(liveValues(batch, 'Current stage', 'progress')).toEqual({ [key(failed)]: 1 });
    expect(liveValues(batch, 'Current stage', 'elapsed')).toEqual({});
    expect(liveValues(batch, 'Current stage', 'threshold')).toEqual({});
    expect(liveValues(batch, 'Running stage: elapsed / threshold')).toEqual({});
    expect(stageRows(batch).map((r) => [r.stage, r.state, r.seconds])).toEqual([
      ['build', 'success', 60],
      ['deploy_railway', 'success', 100],
      ['smoke_test', 'failure', 30],
      ['rollback', 'skipped', undefined],
    ]);
  }, 40_000);

  test('live panels follow the next writes (the latest sample of each state wins): between stages, the next stage with a written threshold, the end', async () => {
    const railwayDone = WORKER_STAGES.map((st) =>
      st.stage === 'deploy_railway' ? { ...st, state: 'success' as const, duration: 38 } : st,
    );
    await writeLiveNow(worker(railwayDone));
    let live = await livePanels('worker');
    const between = { current: 'waiting for the next stage', deployment_id: workerId, service: 'worker' };
    expect(liveValues(live, 'Current stage', 'progress')).toEqual({ [key(between)]: 4 / 7 });
    expect(liveValues(live, 'Current stage', 'elapsed')).toEqual({});

    const healthRuns = railwayDone.map((st) =>
      st.stage === 'health_check' ? { ...st, state: 'running' as const, startedAgo: 5 } : st,
    );
    await writeLiveNow(worker(healthRuns, { ...WORKER_THRESHOLDS, health_check: 45 }));
    live = await livePanels('worker');
    const health = { current: 'health_check', deployment_id: workerId, service: 'worker' };
    expect(liveValues(live, 'Current stage', 'threshold')).toEqual({ [key(health)]: 45 });
    expect(liveValues(live, 'Current stage', 'progress')).toEqual({ [key(health)]: 4 / 7 });
    const elapsed = liveValues(live, 'Current stage', 'elapsed')[key(health)] ?? NaN;
    expect(elapsed).toBeGreaterThanOrEqual(4);
    expect(elapsed).toBeLessThanOrEqual(60);
    expect(stageRows(live).find((r) => r.stage === 'deploy_railway')).toMatchObject({
      state: 'success',
      seconds: 38,
    });

    // Post's final write: every stage final, nothing runs.
    const final: LiveStage[] = [
      { stage: 'build', state: 'success', startedAgo: 110, duration: 50 },
      { stage: 'push', state: 'success', startedAgo: 60, duration: 20 },
      { stage: 'deploy_railway', state: 'success', startedAgo: 40, duration: 38 },
      { stage: 'health_check', state: 'success', startedAgo: 5, duration: 2 },
      { stage: 'migration', state: 'success', startedAgo: 3, duration: 1 },
      { stage: 'smoke_test', state: 'success', startedAgo: 2, duration: 1 },
      { stage: 'rollback', state: 'skipped' },
    ];
    await writeLiveNow({ ...worker(final), inProgress: 0 });
    live = await livePanels('worker');
    const done = { current: 'succeeded', deployment_id: workerId, service: 'worker' };
    expect(liveValues(live, 'Current stage', 'progress')).toEqual({ [key(done)]: 1 });
    expect(liveValues(live, 'Progress (latest deployment)')).toEqual({
      [key({ deployment_id: workerId, service: 'worker' })]: 1,
    });
    expect(stageRows(live).map((r) => [r.stage, r.state, r.seconds])).toEqual(
      final.map((f) => [f.stage, f.state, f.duration]),
    );
  }, 60_000);
});
