/**
 * Every panel of the committed dashboards (deploy/grafana/dashboards/*.json),
 * run against real data: a real Prometheus (1 s scrape and evaluation, the
 * shipped rule files) scraping a real Pushgateway fed by emulated deployments
 * through the real dist/ bundles — successes, a failed health check with a
 * rollback, failing smoke tests with a rollback, a failed and a successful
 * database migration, a web deployment, costs, memory and CPU reported through
 * DEPLOY_METRICS_FILE, and a deployment in another environment.
 *
 * Each panel's PromQL (and each annotation's) runs through /api/v1/query with
 * the template variables substituted as Grafana does ($environment, $service:
 * "All" is `.*`, one service is its name) and Grafana's interval variables
 * replaced by concrete values; a query that errors or returns nothing fails
 * the test, which lists every such panel with its query.
 *
 * Series that track mode does not push are pushed here as synthetic series of
 * the contract's shape, so that every panel is still checked:
 * - summary mode: time_to_deploy_seconds (histogram), github_action_duration_seconds,
 *   github_workflow_runs_total, deployment_frequency — in a summary group
 *   (job/repository/workflow);
 * - verify mode: post_deployment_error_rate, api_health_check_total,
 *   api_health_check_failures_total — POSTed into the API's track group, with
 *   the latest deployment's id, as verify mode does;
 * - the live reporter (track mode, while the job runs): deployment_stage_state,
 *   deployment_stage_start_timestamp_seconds, deployment_stage_duration_seconds
 *   of the finished stages and deployment_stage_threshold_seconds, POSTed into
 *   a group every interval, with pre's deployment_in_progress and
 *   deployment_start_timestamp_seconds — for a deployment of `worker` in
 *   progress, one of `batch` that finished (post's PUT of the whole group), and
 *   an older deployment of `worker` under another Pushgateway job. The live
 *   panels (current stage, elapsed against the threshold, progress, stage
 *   states) are checked with exact figures for those.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dashboardQueries, DASHBOARDS_DIR, type DashboardQuery } from '../../dashboards/index.js';
import {
  apiSteps,
  API_STAGE_MAP,
  databaseSteps,
  REPOSITORY,
  runTrackedJob,
  webSteps,
  type TrackedJob,
} from '../../tools/scenarios/index.js';
import type { StepSpec } from '../../tools/runner-emulator/index.js';
import {
  queryPrometheus,
  startPrometheus,
  waitFor,
  type PromSample,
  type Service,
} from '../../tools/services/index.js';
import { RULE_FILES, withoutGroupIntervals } from '../rule-files.js';
import { newRunId, startBed, type Bed } from './helpers.js';
import { NOT_STARTED_ORDER } from '../../dashboards/pipeline.js';

const ENV = 'dashboards-e2e';
const OTHER_ENV = 'dashboards-e2e-other';

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

/** The panels of the live series (Deployment Pipeline, first rows). */
const LIVE_PANELS = [
  'Current stage',
  'Running stage: elapsed / threshold',
  'Progress (latest deployment)',
  'Stages of the latest deployment: $service',
];

function committedQueries(): DashboardQuery[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => dashboardQueries(JSON.parse(readFileSync(path.join(DASHBOARDS_DIR, f), 'utf8'))));
}

/** One stage as the live reporter pushes it. */
interface LiveStage {
  readonly stage: string;
  readonly state: 'waiting' | 'running' | 'success' | 'failure' | 'skipped';
  /** Seconds before the push that it started (started stages only). */
  readonly startedAgo?: number;
  /** Duration of a finished stage, in seconds, and its status. */
  readonly duration?: number;
}

/** A deployment's live series: what pre, the live reporter and post push into its group. */
interface LiveDeployment {
  readonly service: string;
  readonly deploymentId: string;
  /** Seconds before the push that the deployment started. */
  readonly startedAgo: number;
  readonly inProgress: 0 | 1;
  readonly stages: readonly LiveStage[];
  /** The thresholds input as pushed (deployment_stage_threshold_seconds). */
  readonly thresholds: Readonly<Record<string, number>>;
}

/** The exposition text of a live push at `now` (ms): one deployment_stage_state series per stage. */
function liveExposition(d: LiveDeployment, now: number): string {
  const run = `environment="${ENV}",deployment_id="${d.deploymentId}",service="${d.service}"`;
  const at = (ago: number): number => (now - ago * 1000) / 1000;
  return [
    '# TYPE deployment_stage_state gauge',
    ...d.stages.map((s) => `deployment_stage_state{${run},stage="${s.stage}",state="${s.state}"} 1`),
    '# TYPE deployment_stage_start_timestamp_seconds gauge',
    ...d.stages.flatMap((s) =>
      s.startedAgo === undefined
        ? []
        : [`deployment_stage_start_timestamp_seconds{${run},stage="${s.stage}"} ${at(s.startedAgo)}`],
    ),
    '# TYPE deployment_stage_duration_seconds gauge',
    ...d.stages.flatMap((s) =>
      s.duration === undefined
        ? []
        : [`deployment_stage_duration_seconds{${run},stage="${s.stage}",status="${s.state}"} ${s.duration}`],
    ),
    '# TYPE deployment_stage_threshold_seconds gauge',
    ...Object.entries(d.thresholds).map(
      ([stage, seconds]) =>
        `deployment_stage_threshold_seconds{environment="${ENV}",service="${d.service}",stage="${stage}"} ${seconds}`,
    ),
    '# TYPE deployment_in_progress gauge',
    `deployment_in_progress{${run},branch="main",triggered_by="push"} ${d.inProgress}`,
    '# TYPE deployment_start_timestamp_seconds gauge',
    `deployment_start_timestamp_seconds{${run}} ${at(d.startedAgo)}`,
    '',
  ].join('\n');
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
/** Thresholds the worker's deployment pushed: some stages only (deploy_railway falls back to the default). */
const WORKER_THRESHOLDS = { build: 100, push: 45, total: 600 };

interface Outcome {
  readonly query: DashboardQuery;
  readonly promql: string;
  readonly samples?: PromSample[];
  readonly error?: string;
}

async function runAll(prom: Service, queries: DashboardQuery[], service: string): Promise<Outcome[]> {
  return Promise.all(
    queries.map(async (query) => {
      const promql = substitute(query.expr, { environment: ENV, service });
      try {
        return { query, promql, samples: await queryPrometheus(prom.url, promql, { timeoutMs: 10_000 }) };
      } catch (err) {
        return { query, promql, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

/** Queries that errored or returned no finite value, one line each: dashboard / panel [refId]: query. */
function failures(outcomes: Outcome[]): string[] {
  return outcomes
    .filter((o) => o.error !== undefined || !o.samples?.some((s) => Number.isFinite(Number(s.value[1]))))
    .map(
      (o) =>
        `${o.query.dashboard} / ${o.query.panel} [${o.query.refId}]: ${o.error ?? 'no data'}\n    ${o.promql.replace(/\s+/g, ' ')}`,
    );
}

describe('every dashboard panel against a real Prometheus fed by the action', () => {
  let bed: Bed;
  let prom: Service;
  const jobs: TrackedJob[] = [];
  let latestApi: TrackedJob;
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
   * Pushes a deployment's live series into its group (POST: the live reporter's push, which
   * replaces the families it carries; PUT: post's push of the whole group) and waits until
   * Prometheus has scraped this push (its deployment start, as pushed).
   */
  const pushLive = async (
    d: LiveDeployment,
    o: { method?: 'POST' | 'PUT'; job?: string } = {},
  ): Promise<number> => {
    const now = Date.now();
    const res = await fetch(
      `${bed.pg.url}/metrics/job/${o.job ?? 'deployment'}/environment/${ENV}/service/${d.service}`,
      { method: o.method ?? 'POST', body: liveExposition(d, now) },
    );
    expect({ status: res.status, body: await res.text() }).toEqual({ status: 200, body: '' });
    const expected = new Map(
      d.stages.flatMap((s) =>
        s.startedAgo === undefined ? [] : [[s.stage, (now - s.startedAgo * 1000) / 1000]],
      ),
    );
    await waitFor(
      async () => {
        const starts = await queryPrometheus(
          prom.url,
          `deployment_stage_start_timestamp_seconds{environment="${ENV}", deployment_id="${d.deploymentId}"}`,
        );
        const states = await queryPrometheus(
          prom.url,
          `deployment_stage_state{environment="${ENV}", deployment_id="${d.deploymentId}"}`,
        );
        return (
          starts.length === expected.size &&
          starts.every(
            (x) => Math.abs(Number(x.value[1]) - (expected.get(x.metric.stage ?? '') ?? NaN)) < 0.01,
          ) &&
          d.stages.every((s) => states.some((x) => x.metric.stage === s.stage && x.metric.state === s.state))
        );
      },
      {
        timeoutMs: 15_000,
        description: `Prometheus scraped the live push of ${d.service} ${d.deploymentId}`,
      },
    );
    return now;
  };

  const deploy = async (
    environment: string,
    job: string,
    steps: StepSpec[],
    stages?: string,
  ): Promise<TrackedJob> => {
    const tracked = await runTrackedJob({
      gh: bed.gh,
      runId: newRunId(),
      job,
      steps,
      stateDir: bed.stateDir,
      with: { environment, 'pushgateway-url': bed.pg.url, ...(stages ? { stages } : {}) },
    });
    jobs.push(tracked);
    // Gauges of the latest deployment are replaced by the group's next deployment: wait until
    // Prometheus has scraped this one's (real deployments are minutes apart, not milliseconds).
    const id = tracked.post?.outputs['deployment-id'];
    await waitFor(
      async () =>
        (
          await queryPrometheus(
            prom.url,
            `deployment_stage_duration_seconds{environment="${environment}", deployment_id="${id}"}`,
          )
        ).length > 0,
      { timeoutMs: 15_000, description: `Prometheus scraped deployment ${id} of ${job}` },
    );
    return tracked;
  };

  beforeAll(async () => {
    bed = await startBed();
    prom = await startPrometheus({
      scrapeTargets: [{ job: 'pushgateway', url: bed.pg.url, honorLabels: true }],
      // the 30-day groups' own 5-minute interval would delay their first evaluation by up to 5 minutes
      ruleFiles: withoutGroupIntervals(RULE_FILES),
      scrapeIntervalSeconds: 1,
      evaluationIntervalSeconds: 1,
    });
    await waitFor(async () => (await queryPrometheus(prom.url, 'up{job="pushgateway"} == 1')).length === 1, {
      timeoutMs: 30_000,
      description: 'Prometheus scraping the Pushgateway',
    });

    const smokeFails = [
      `echo 'smoke_test_total{test_name="/health"} 1' >> "$DEPLOY_METRICS_FILE"`,
      `echo 'smoke_test_total{test_name="/api/v1/items"} 1' >> "$DEPLOY_METRICS_FILE"`,
      `echo 'smoke_test_failures_total{test_name="/api/v1/items"} 1' >> "$DEPLOY_METRICS_FILE"`,
      'exit 1',
    ].join('; ');
    // One chain per Pushgateway group (a group's deployments follow each other); groups in parallel.
    await Promise.all([
      (async () => {
        await deploy(ENV, 'deploy-api', apiSteps(), API_STAGE_MAP);
        // Health check fails: failure at health_check, rollback reported.
        await deploy(ENV, 'deploy-api', apiSteps({ healthFails: true }), API_STAGE_MAP);
        // A smoke test fails: failure at smoke_test, rollback.
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
        await deploy(ENV, 'migrate', databaseSteps());
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

    // Verify mode's series, into the API's track group (POST keeps the track metrics).
    const deploymentId = latestApi.post?.outputs['deployment-id'] ?? 'unknown';
    const verify = await fetch(`${bed.pg.url}/metrics/job/deployment/environment/${ENV}/service/api`, {
      method: 'POST',
      body: [
        '# TYPE post_deployment_error_rate gauge',
        `post_deployment_error_rate{environment="${ENV}",deployment_id="${deploymentId}",service="api"} 0.004`,
        '# TYPE api_health_check_total counter',
        `api_health_check_total{environment="${ENV}",service="api"} 20`,
        '# TYPE api_health_check_failures_total counter',
        `api_health_check_failures_total{environment="${ENV}",service="api"} 1`,
        '',
      ].join('\n'),
    });
    expect(verify.status).toBe(200);
    // Summary mode's series, in a summary group (job/repository/workflow; the repository has a
    // '/', so the @base64 form).
    const repository = Buffer.from(REPOSITORY).toString('base64url');
    const buckets = [60, 300, 600, 900, 1200, 1500, 1800];
    const counts = [0, 1, 2, 3, 3, 3, 3];
    const summary = await fetch(
      `${bed.pg.url}/metrics/job/deployment/repository@base64/${repository}/workflow/deploy-full-stack`,
      {
        method: 'PUT',
        body: [
          '# TYPE time_to_deploy_seconds histogram',
          ...buckets.map(
            (le, i) => `time_to_deploy_seconds_bucket{environment="${ENV}",le="${le}"} ${counts[i]}`,
          ),
          `time_to_deploy_seconds_bucket{environment="${ENV}",le="+Inf"} 3`,
          `time_to_deploy_seconds_sum{environment="${ENV}"} 1650`,
          `time_to_deploy_seconds_count{environment="${ENV}"} 3`,
          '# TYPE github_action_duration_seconds gauge',
          'github_action_duration_seconds{branch="main",conclusion="success"} 540',
          '# TYPE github_workflow_runs_total counter',
          'github_workflow_runs_total{branch="main",conclusion="success"} 2',
          'github_workflow_runs_total{branch="main",conclusion="failure"} 2',
          '# TYPE deployment_frequency gauge',
          ...['1d', '7d', '30d'].map(
            (p) => `deployment_frequency{environment="${ENV}",service="all",period="${p}"} 2`,
          ),
          '',
        ].join('\n'),
      },
    );
    expect(summary.status).toBe(200);

    // The live series (see the header): worker in progress, batch finished, and an older worker
    // deployment in another Pushgateway job's group.
    await pushLive(worker());
    await pushLive(
      {
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
      },
      { method: 'PUT' },
    );
    await pushLive(
      {
        service: 'worker',
        deploymentId: olderWorkerId,
        startedAgo: 3600,
        inProgress: 0,
        stages: WORKER_STAGES.map((s) => ({
          stage: s.stage,
          state: 'success',
          startedAgo: 3500,
          duration: 10,
        })),
        thresholds: WORKER_THRESHOLDS,
      },
      { method: 'PUT', job: 'deployment-previous' },
    );
  }, 90_000);

  afterAll(async () => {
    await prom?.stop();
    await bed?.close();
  });

  test('the deployments ran as the scenario says', () => {
    const outcomes = jobs.map((j) => [j.post?.outputs.status, j.post?.outputs['failed-stage'] ?? '']);
    expect(outcomes.filter(([s]) => s === 'success')).toHaveLength(5);
    expect(
      outcomes
        .filter(([s]) => s === 'failure')
        .map(([, stage]) => stage)
        .sort(),
    ).toEqual(['health_check', 'migration_apply', 'smoke_test']);
  });

  test('every panel query returns data with all services selected ($service = All)', async () => {
    const queries = committedQueries();
    expect(new Set(queries.map((q) => q.dashboard)).size).toBe(5);
    let failed: string[] = [];
    // Rules and scrapes catch up within a few seconds: poll until every query has data.
    await waitFor(
      async () => {
        failed = failures(await runAll(prom, queries, '.*'));
        return failed.length === 0;
      },
      { timeoutMs: 30_000, description: 'data for every panel query' },
    ).catch(() => undefined);
    if (failed.length > 0) throw new Error(`${failed.length} panel queries failed:\n${failed.join('\n')}`);
  }, 40_000);

  test('key panels show the scenario’s numbers', async () => {
    const outcomes = await runAll(prom, committedQueries(), '.*');
    const values = (dashboard: string, panelTitle: string, refId = 'A'): Record<string, number> => {
      const o = outcomes.find(
        (x) => x.query.dashboard === dashboard && x.query.panel === panelTitle && x.query.refId === refId,
      );
      if (!o?.samples) throw new Error(`${dashboard} / ${panelTitle} [${refId}]: ${o?.error ?? 'not found'}`);
      return Object.fromEntries(o.samples.map((s) => [JSON.stringify(s.metric), Number(s.value[1])]));
    };
    // 7 deployments in the environment: api 2 of 4 succeeded, database 1 of 2, web 1 of 1 (and 1
    // cancelled). Counts are exact differences of the counters (they were compared rounded while
    // the panels used increase(), which extrapolates over a minute of samples).
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
    // Costs: 2.50 railway_compute per API deployment (4), 0.40 vercel_build for the web one.
    expect(Object.values(values('Deployment Costs', 'Total deployment cost'))[0]).toBeCloseTo(10.4, 6);
    expect(values('Deployment Costs', 'Cost by service')).toEqual({
      '{"service":"api"}': 10,
      '{"service":"web"}': 0.4,
    });
    // The latest API deployment succeeded, the database's too (after a failed one).
    expect(values('Deployment Pipeline', 'Outcome of the latest finished deployment')).toEqual({
      '{"service":"api"}': 1,
      '{"service":"database"}': 1,
      '{"service":"web"}': 1,
    });
  });

  test('a time series of counts adds up to the events: one verify run of 20 checks is 20, not more', async () => {
    // The "Health checks made and failed" panel as Grafana runs it: a range query whose step is
    // $__interval. Each point holds the checks counted since the previous point (an exact
    // difference), so the points add up to what verify pushed: 20 made, 1 failed. With
    // increase(…[$__rate_interval]) each point extrapolated a 1-minute window around one push
    // and consecutive windows overlapped: the same 20 checks showed several times, as 23 and more.
    const panel = committedQueries().filter(
      (q) => q.dashboard === 'Post-Deployment Health' && q.panel === 'Health checks made and failed',
    );
    expect(panel.map((q) => q.refId)).toEqual(['A', 'B']);
    const step = 15;
    const end = Math.ceil(Date.now() / 1000);
    const sums = await Promise.all(
      panel.map(async (q) => {
        const url = new URL('api/v1/query_range', `${prom.url}/`);
        url.searchParams.set('query', substitute(q.expr, { environment: ENV, service: 'api' }));
        url.searchParams.set('start', String(end - 600));
        url.searchParams.set('end', String(end));
        url.searchParams.set('step', `${step}s`);
        const body = (await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).json()) as {
          data: { result: { values: [number, string][] }[] };
        };
        return body.data.result.flatMap((r) => r.values).reduce((sum, [, v]) => sum + Number(v), 0);
      }),
    );
    expect(sums).toEqual([20, 1]);
  });

  test('$environment and $service select: no series of another environment or service', async () => {
    const outcomes = await runAll(prom, committedQueries(), 'web');
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
    // The web service's own panels have its data: its cost is vercel_build only.
    const cost = outcomes.find((o) => o.query.panel === 'Cost by component' && o.query.refId === 'total');
    expect(cost?.samples?.map((s) => s.metric.resource)).toEqual(['vercel_build']);
  });
  /** The live panels' values for one service, by panel and refId, then by the JSON of the labels. */
  const livePanels = async (service: string): Promise<Outcome[]> =>
    runAll(
      prom,
      committedQueries().filter(
        (q) => q.dashboard === 'Deployment Pipeline' && LIVE_PANELS.includes(q.panel),
      ),
      service,
    );
  const liveValues = (outcomes: Outcome[], panelTitle: string, refId = 'A'): Record<string, number> => {
    const o = outcomes.find((x) => x.query.panel === panelTitle && x.query.refId === refId);
    if (!o?.samples) throw new Error(`${panelTitle} [${refId}]: ${o?.error ?? 'not found'}`);
    return Object.fromEntries(o.samples.map((x) => [JSON.stringify(x.metric), Number(x.value[1])]));
  };
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

  test('live panels: the deployment in progress — its running stage, elapsed against the threshold, progress and stage states', async () => {
    // Pushed again now, so that the running stage has run 40 s when the queries run.
    const pushedAt = await pushLive(worker());
    const railwayStart = pushedAt - 40_000;
    const before = Date.now();
    const live = await livePanels('worker');
    const after = Date.now();
    const errors = live.filter((o) => o.error !== undefined).map((o) => `${o.query.panel}: ${o.error}`);
    expect(errors).toEqual([]);
    const current = { current: 'deploy_railway', deployment_id: workerId, service: 'worker' };
    const running = { deployment_id: workerId, service: 'worker', stage: 'deploy_railway' };

    // Progress: finished stages (build, push; rollback skipped) / all 7 stages.
    const progress = liveValues(live, 'Current stage', 'progress');
    expect(Object.keys(progress)).toEqual([key(current)]);
    expect(progress[key(current)]).toBeCloseTo(3 / 7, 9);
    expect(liveValues(live, 'Progress (latest deployment)')).toEqual({
      [key({ deployment_id: workerId, service: 'worker' })]: progress[key(current)],
    });

    // Elapsed of the running stage: time() - its start, the query's time being between before and after.
    const elapsed = liveValues(live, 'Current stage', 'elapsed');
    expect(Object.keys(elapsed)).toEqual([key(current)]);
    const seconds = elapsed[key(current)] as number;
    expect(seconds).toBeGreaterThanOrEqual(35);
    expect(seconds).toBeLessThanOrEqual(120);
    expect(seconds).toBeGreaterThanOrEqual((before - railwayStart) / 1000 - 1);
    expect(seconds).toBeLessThanOrEqual((after - railwayStart) / 1000 + 1);

    // Threshold: the deployment pushed none for deploy_railway, so the action's default, 180 s.
    expect(liveValues(live, 'Current stage', 'threshold')).toEqual({ [key(current)]: 180 });
    const ratio = liveValues(live, 'Running stage: elapsed / threshold');
    expect(Object.keys(ratio)).toEqual([key(running)]);
    expect(ratio[key(running)]).toBeCloseTo(seconds / 180, 2);

    // The stage states in stage order: started ones by start time, then the skipped one, then the waiting ones.
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
      [110, 60, 40].map((ago) => (pushedAt - ago * 1000) / 1000),
    );
    expect(rows.slice(3).map((r) => r.order)).toEqual([
      NOT_STARTED_ORDER.other,
      NOT_STARTED_ORDER.waiting,
      NOT_STARTED_ORDER.waiting,
      NOT_STARTED_ORDER.waiting,
    ]);
    // Seconds: a finished stage's duration, the running one's elapsed time; none for the others.
    expect(rows.map((r) => (r.seconds === undefined ? undefined : Math.round(r.seconds)))).toEqual([
      50,
      20,
      Math.round(seconds),
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // Only the latest deployment: the older one of the other Pushgateway job shows nowhere.
    expect(JSON.stringify(live.map((o) => o.samples))).not.toContain(olderWorkerId);

    // A finished deployment (post's final states): no stage runs, so its status; 100 % done.
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

  test('live panels follow the next pushes: between stages, the next stage with a pushed threshold, the end', async () => {
    const railwayDone = WORKER_STAGES.map((s) =>
      s.stage === 'deploy_railway' ? { ...s, state: 'success' as const, duration: 38 } : s,
    );
    // deploy_railway finished, health_check not started yet: no stage runs, one waits.
    await pushLive(worker(railwayDone));
    let live = await livePanels('worker');
    const between = { current: 'waiting for the next stage', deployment_id: workerId, service: 'worker' };
    expect(liveValues(live, 'Current stage', 'progress')).toEqual({ [key(between)]: 4 / 7 });
    expect(liveValues(live, 'Current stage', 'elapsed')).toEqual({});

    // health_check runs; the deployment pushed a threshold for it: 45 s, not the default 30 s.
    const healthRuns = railwayDone.map((s) =>
      s.stage === 'health_check' ? { ...s, state: 'running' as const, startedAgo: 5 } : s,
    );
    await pushLive(worker(healthRuns, { ...WORKER_THRESHOLDS, health_check: 45 }));
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

    // Post's final push of the whole group: every stage final, nothing runs.
    const final: LiveStage[] = [
      { stage: 'build', state: 'success', startedAgo: 110, duration: 50 },
      { stage: 'push', state: 'success', startedAgo: 60, duration: 20 },
      { stage: 'deploy_railway', state: 'success', startedAgo: 40, duration: 38 },
      { stage: 'health_check', state: 'success', startedAgo: 5, duration: 2 },
      { stage: 'migration', state: 'success', startedAgo: 3, duration: 1 },
      { stage: 'smoke_test', state: 'success', startedAgo: 2, duration: 1 },
      { stage: 'rollback', state: 'skipped' },
    ];
    await pushLive({ ...worker(final), inProgress: 0 }, { method: 'PUT' });
    live = await livePanels('worker');
    const done = { current: 'succeeded', deployment_id: workerId, service: 'worker' };
    expect(liveValues(live, 'Current stage', 'progress')).toEqual({ [key(done)]: 1 });
    expect(liveValues(live, 'Progress (latest deployment)')).toEqual({
      [key({ deployment_id: workerId, service: 'worker' })]: 1,
    });
    expect(stageRows(live).map((r) => [r.stage, r.state, r.seconds])).toEqual(
      final.map((f) => [f.stage, f.state, f.duration]),
    );
  }, 40_000);
});
