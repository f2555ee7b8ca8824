/**
 * What the two dashboard e2e files (dashboards.e2e, Pushgateway flavour; dashboards-remote-write.e2e,
 * remote-write flavour) share: the deploy jobs of their scenario, the committed dashboards' queries
 * run as Grafana runs them (template and interval variables substituted), the live series they send
 * (worker's deployment in progress, batch's finished one), and the checks of the figures both flavours
 * must show alike. Each file keeps how it sends data to Prometheus, the dashboards' titles and folder,
 * and the checks only its flavour has.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dashboardQueries, type DashboardQuery } from '../../dashboards/index.js';
import { NOT_STARTED_ORDER } from '../../dashboards/pipeline.js';
import type { StepSpec } from '../../tools/runner-emulator/index.js';
import {
  apiSteps,
  API_STAGE_MAP,
  databaseSteps,
  webSteps,
  type TrackedJob,
} from '../../tools/scenarios/index.js';
import { queryPrometheus, waitFor, type PromSample, type Service } from '../../tools/services/index.js';

/** Grafana's interval variables, as concrete values for an instant query. */
const GRAFANA_INTERVALS: Record<string, string> = {
  $__rate_interval: '1m',
  $__interval: '15s',
  // before $__range, which it starts with
  $__range_s: '3600',
  $__range: '1h',
};

/** The template variables as Grafana substitutes them: "All" services is `.*`, one service is its name. */
export interface TemplateVars {
  readonly environment: string;
  readonly service: string;
}

/** A panel's PromQL as Grafana runs it: the template variables and interval variables replaced. */
export function substitute(expr: string, vars: TemplateVars): string {
  let out = expr;
  for (const [name, value] of Object.entries(GRAFANA_INTERVALS)) out = out.split(name).join(value);
  return out.replace(/\$\{?environment\}?/g, vars.environment).replace(/\$\{?service\}?/g, vars.service);
}

/** Every panel and annotation query of the committed dashboard JSON in `dir`. */
export function committedQueries(dir: string): DashboardQuery[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => dashboardQueries(JSON.parse(readFileSync(path.join(dir, f), 'utf8'))));
}

/** One query's result: its samples, or the error Prometheus answered. */
export interface Outcome {
  readonly query: DashboardQuery;
  readonly promql: string;
  readonly samples?: PromSample[];
  readonly error?: string;
}

/** Runs every query as an instant query with `vars` substituted; an error is kept, not thrown. */
export async function runAll(
  prom: Service,
  queries: DashboardQuery[],
  vars: TemplateVars,
): Promise<Outcome[]> {
  return Promise.all(
    queries.map(async (query) => {
      const promql = substitute(query.expr, vars);
      try {
        return { query, promql, samples: await queryPrometheus(prom.url, promql, { timeoutMs: 10_000 }) };
      } catch (err) {
        return { query, promql, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

/** Whether the query answered with at least one finite value. */
export const hasData = (o: Outcome): boolean =>
  o.error === undefined && (o.samples ?? []).some((s) => Number.isFinite(Number(s.value[1])));

/** Queries that errored or returned no finite value, one line each: dashboard / panel [refId]: query. */
export function failures(outcomes: Outcome[]): string[] {
  return outcomes
    .filter((o) => !hasData(o))
    .map(
      (o) =>
        `${o.query.dashboard} / ${o.query.panel} [${o.query.refId}]: ${o.error ?? 'no data'}\n    ${o.promql.replace(/\s+/g, ' ')}`,
    );
}

/**
 * Polls until every query has data (rules and scrapes catch up within seconds, so no fixed wait);
 * then, or at the timeout, fails listing every query still without data.
 */
export async function expectDataForEveryQuery(
  prom: Service,
  queries: DashboardQuery[],
  vars: TemplateVars,
  o: { timeoutMs: number; description: string },
): Promise<void> {
  let failed: string[] = [];
  await waitFor(async () => {
    failed = failures(await runAll(prom, queries, vars));
    return failed.length === 0;
  }, o).catch(() => undefined);
  if (failed.length > 0) throw new Error(`${failed.length} panel queries failed:\n${failed.join('\n')}`);
}

/** The values of one panel target, by the JSON of each series' labels. */
export function valuesOf(
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

/** A panel target's values by dashboard title (the Pushgateway flavour's), panel title and refId. */
export type PanelValues = (dashboard: string, panelTitle: string, refId?: string) => Record<string, number>;

/** The JSON of a series' labels as Prometheus returns them (sorted by name), to look its value up. */
export const key = (labels: Record<string, string>): string =>
  JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))));

/** Runs one deploy job of the scenario through the real bundles. */
export type Deploy = (
  environment: string,
  job: string,
  steps: StepSpec[],
  stages?: string,
) => Promise<TrackedJob>;

/** The smoke test step's script when a smoke test fails: two tests reported, one failed, exit 1. */
const SMOKE_FAILS = [
  `echo 'smoke_test_total{test_name="/health"} 1' >> "$DEPLOY_METRICS_FILE"`,
  `echo 'smoke_test_total{test_name="/api/v1/items"} 1' >> "$DEPLOY_METRICS_FILE"`,
  `echo 'smoke_test_failures_total{test_name="/api/v1/items"} 1' >> "$DEPLOY_METRICS_FILE"`,
  'exit 1',
].join('; ');

/**
 * The deploy jobs of the scenario: in `environment`, api 4 times (success, failed health check with a
 * rollback, failed smoke test with a rollback, success), database twice (failed migration, success),
 * web twice (cancelled while it installs, success); one web deployment in `otherEnvironment`. One chain
 * per group (a group's deployments follow each other), groups in parallel. Resolves with the latest
 * API and database jobs.
 */
export async function runScenario(
  deploy: Deploy,
  environment: string,
  otherEnvironment: string,
): Promise<{ latestApi: TrackedJob; latestDatabase: TrackedJob }> {
  const [latestApi, latestDatabase] = await Promise.all([
    (async () => {
      await deploy(environment, 'deploy-api', apiSteps(), API_STAGE_MAP);
      // Health check fails: failure at health_check, rollback reported.
      await deploy(environment, 'deploy-api', apiSteps({ healthFails: true }), API_STAGE_MAP);
      // A smoke test fails: failure at smoke_test, rollback.
      await deploy(
        environment,
        'deploy-api',
        apiSteps().map((s) => ('run' in s && s.name === 'Run smoke tests' ? { ...s, run: SMOKE_FAILS } : s)),
        API_STAGE_MAP,
      );
      return deploy(environment, 'deploy-api', apiSteps(), API_STAGE_MAP);
    })(),
    (async () => {
      await deploy(environment, 'migrate', databaseSteps({ applyFails: true }));
      return deploy(environment, 'migrate', databaseSteps());
    })(),
    (async () => {
      // A person cancels a web deployment while it installs; the next one succeeds.
      await deploy(
        environment,
        'deploy-web',
        webSteps().map((s) =>
          'run' in s && s.name === 'Install dependencies' ? { ...s, cancelJob: true } : s,
        ),
      );
      await deploy(environment, 'deploy-web', webSteps());
    })(),
    deploy(otherEnvironment, 'deploy-web', webSteps()),
  ]);
  return { latestApi, latestDatabase };
}

/** The scenario's jobs ended as it says: 5 succeeded, 3 failed at health_check, migration_apply and smoke_test. */
export function expectScenarioOutcomes(jobs: readonly TrackedJob[]): void {
  const outcomes = jobs.map((j) => [j.post?.outputs.status, j.post?.outputs['failed-stage'] ?? '']);
  expect(outcomes.filter(([s]) => s === 'success')).toHaveLength(5);
  expect(
    outcomes
      .filter(([s]) => s === 'failure')
      .map(([, stage]) => stage)
      .sort(),
  ).toEqual(['health_check', 'migration_apply', 'smoke_test']);
}

/** The scenario's numbers that both flavours' key panels show alike. */
export function expectScenarioNumbers(values: PanelValues): void {
  // 7 deployments in the environment: api 2 of 4 succeeded, database 1 of 2, web 1 of 1 (and 1
  // cancelled).
  expect(Object.values(values('Deployment Success Rate', 'Success rate (30 days)'))[0]).toBeCloseTo(4 / 7, 9);
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
  expect(Object.values(values('Deployment Success Rate', 'Error budget remaining (30 days)'))[0]).toBeCloseTo(
    1 - 3 / 7 / 0.005,
    6,
  );
  // Both failed API deployments rolled back.
  expect(values('Deployment Success Rate', 'Rollbacks')).toEqual({ '{"status":"success"}': 2 });
  // Costs over the range: 2.50 railway_compute per API deployment (4), 0.40 vercel_build for the web one.
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
}

/**
 * With $environment = `environment` and $service = web: no query errors, no series of another
 * environment or service shows (`all` is the summary series' service), and web's own panels have
 * its data (its cost is vercel_build only).
 */
export function expectWebSelection(outcomes: Outcome[], environment: string): void {
  const errors = outcomes.filter((o) => o.error !== undefined).map((o) => `${o.query.panel}: ${o.error}`);
  expect(errors).toEqual([]);
  const leaks = outcomes.flatMap((o) =>
    (o.samples ?? [])
      .filter(
        (s) =>
          (s.metric.environment !== undefined && s.metric.environment !== environment) ||
          (s.metric.service !== undefined && !['web', 'all'].includes(s.metric.service)),
      )
      .map((s) => `${o.query.dashboard} / ${o.query.panel}: ${JSON.stringify(s.metric)}`),
  );
  expect(leaks).toEqual([]);
  const cost = outcomes.find((o) => o.query.panel === 'Cost by component' && o.query.refId === 'total');
  expect(cost?.samples?.map((s) => s.metric.resource)).toEqual(['vercel_build']);
}

/** The panels of the live series (Deployment Pipeline, first rows). */
const LIVE_PANELS = [
  'Current stage',
  'Running stage: elapsed / threshold',
  'Progress (latest deployment)',
  'Stages of the latest deployment: $service',
];

/** The live panels' queries among `queries`, those of the dashboard titled `pipeline`. */
export const livePanelQueries = (queries: DashboardQuery[], pipeline: string): DashboardQuery[] =>
  queries.filter((q) => q.dashboard === pipeline && LIVE_PANELS.includes(q.panel));

/** The states of a stage; the Pushgateway flavour sends the current one, remote write all five. */
export const STATES = ['waiting', 'running', 'success', 'failure', 'skipped'] as const;

/** One stage as the live reporter sends it. */
export interface LiveStage {
  readonly stage: string;
  readonly state: (typeof STATES)[number];
  /** Seconds before the send that it started (started stages only). */
  readonly startedAgo?: number;
  /** Duration of a finished stage, in seconds; its status is its state. */
  readonly duration?: number;
}

/** A deployment's live series: what pre, the live reporter and post send for its group. */
export interface LiveDeployment {
  readonly service: string;
  readonly deploymentId: string;
  /** Seconds before the send that the deployment started. */
  readonly startedAgo: number;
  readonly inProgress: 0 | 1;
  readonly stages: readonly LiveStage[];
  /** The thresholds input as sent (deployment_stage_threshold_seconds). */
  readonly thresholds: Readonly<Record<string, number>>;
}

/** The Unix time, in seconds, `ago` seconds before `at` (ms). */
export const secondsBefore = (at: number, ago: number): number => (at - ago * 1000) / 1000;

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
/** Thresholds the worker's deployment sent: some stages only (deploy_railway falls back to the default). */
const WORKER_THRESHOLDS = { build: 100, push: 45, total: 600 };

/** Worker's deployment `deploymentId` in progress, started 2 minutes before the send, at `stages`. */
export const liveWorker = (
  deploymentId: string,
  stages: readonly LiveStage[] = WORKER_STAGES,
  thresholds: Record<string, number> = WORKER_THRESHOLDS,
): LiveDeployment => ({
  service: 'worker',
  deploymentId,
  startedAgo: 120,
  inProgress: 1,
  stages,
  thresholds,
});

/**
 * An older deployment of worker, finished (post's final states: every stage of WORKER_STAGES a
 * success of 10 s), started `startedAgo` seconds before the send; its stages 100 s after it.
 */
export const liveOlderWorker = (deploymentId: string, startedAgo: number): LiveDeployment => ({
  service: 'worker',
  deploymentId,
  startedAgo,
  inProgress: 0,
  stages: WORKER_STAGES.map((s) => ({
    stage: s.stage,
    state: 'success',
    startedAgo: startedAgo - 100,
    duration: 10,
  })),
  thresholds: WORKER_THRESHOLDS,
});

/** Batch's finished deployment `deploymentId` (post's final states): its smoke test failed. */
export const liveBatch = (deploymentId: string): LiveDeployment => ({
  service: 'batch',
  deploymentId,
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

/**
 * Whether Prometheus shows `d` as sent at `at` (ms): `starts` (its stage start timestamps) are this
 * send's, and `states` (its series of each stage's current state) are one a stage, with this send's
 * states.
 */
export function showsLive(
  d: LiveDeployment,
  at: number,
  starts: PromSample[],
  states: PromSample[],
): boolean {
  const expected = new Map(
    d.stages.flatMap((s) => (s.startedAgo === undefined ? [] : [[s.stage, secondsBefore(at, s.startedAgo)]])),
  );
  return (
    starts.length === expected.size &&
    starts.every((x) => Math.abs(Number(x.value[1]) - (expected.get(x.metric.stage ?? '') ?? NaN)) < 0.01) &&
    states.length === d.stages.length &&
    d.stages.every((s) => states.some((x) => x.metric.stage === s.stage && x.metric.state === s.state))
  );
}

/** One row of the stage-state table. */
interface StageRow {
  readonly stage: string;
  readonly state: string;
  readonly order: number;
  readonly seconds?: number;
}

/** The stage-state table's rows as the panel sorts them (by the order key; ties by stage). */
export function stageRows(outcomes: Outcome[]): StageRow[] {
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
}

/** What the live-panel checks need from a flavour: its dashboard, its live deployments and how it sends. */
export interface LiveSuite {
  /** The Deployment Pipeline dashboard's title in this flavour. */
  readonly pipeline: string;
  /** The live panels' outcomes for one service. */
  readonly panels: (service: string) => Promise<Outcome[]>;
  /** Worker's deployment in progress, its older deployment (sent before) and batch's finished one. */
  readonly ids: { readonly worker: string; readonly olderWorker: string; readonly batch: string };
  /**
   * Sends `d` now (`final`: post's send of the whole group) and resolves, once Prometheus shows it
   * to the panels, with the time it was sent (ms).
   */
  readonly send: (d: LiveDeployment, o?: { final?: boolean }) => Promise<number>;
}

/**
 * The live panels of worker's deployment in progress, sent at `sentAt` (ms) as liveWorker's defaults
 * (the running stage then had run 40 s), and of batch's finished one: the running stage, elapsed
 * against the threshold, progress and the stage states, with exact figures.
 */
export async function expectLiveInProgress(suite: LiveSuite, sentAt: number): Promise<void> {
  const { worker: workerId, olderWorker, batch: batchId } = suite.ids;
  const liveValues = (outcomes: Outcome[], panelTitle: string, refId = 'A'): Record<string, number> =>
    valuesOf(outcomes, suite.pipeline, panelTitle, refId);
  const railwayStart = sentAt - 40_000;
  const before = Date.now();
  const live = await suite.panels('worker');
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

  // Elapsed of the running stage: time() - its start, the query's time being between before and after.
  const elapsed = liveValues(live, 'Current stage', 'elapsed');
  expect(Object.keys(elapsed)).toEqual([key(current)]);
  const seconds = elapsed[key(current)] as number;
  expect(seconds).toBeGreaterThanOrEqual(35);
  expect(seconds).toBeLessThanOrEqual(120);
  expect(seconds).toBeGreaterThanOrEqual((before - railwayStart) / 1000 - 1);
  expect(seconds).toBeLessThanOrEqual((after - railwayStart) / 1000 + 1);

  // Threshold: the deployment sent none for deploy_railway, so the action's default, 180 s.
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
    [110, 60, 40].map((ago) => secondsBefore(sentAt, ago)),
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
  // Only the latest deployment: worker's older one (all stages success) shows nowhere.
  expect(JSON.stringify(live.map((o) => o.samples))).not.toContain(olderWorker);

  // A finished deployment (post's final states): no stage runs, so its status; 100 % done.
  const batch = await suite.panels('batch');
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
}

/**
 * The live panels follow worker's next sends: between stages (none runs, one waits), the next stage
 * running with a threshold of its own (45 s, not the default 30 s), and post's final send (every stage
 * final, nothing runs, 100 % done).
 */
export async function expectLiveFollows(suite: LiveSuite): Promise<void> {
  const workerId = suite.ids.worker;
  const liveValues = (outcomes: Outcome[], panelTitle: string, refId = 'A'): Record<string, number> =>
    valuesOf(outcomes, suite.pipeline, panelTitle, refId);
  const railwayDone = WORKER_STAGES.map((s) =>
    s.stage === 'deploy_railway' ? { ...s, state: 'success' as const, duration: 38 } : s,
  );
  // deploy_railway finished, health_check not started yet: no stage runs, one waits.
  await suite.send(liveWorker(workerId, railwayDone));
  let live = await suite.panels('worker');
  const between = { current: 'waiting for the next stage', deployment_id: workerId, service: 'worker' };
  expect(liveValues(live, 'Current stage', 'progress')).toEqual({ [key(between)]: 4 / 7 });
  expect(liveValues(live, 'Current stage', 'elapsed')).toEqual({});

  // health_check runs; the deployment sent a threshold for it: 45 s, not the default 30 s.
  const healthRuns = railwayDone.map((s) =>
    s.stage === 'health_check' ? { ...s, state: 'running' as const, startedAgo: 5 } : s,
  );
  await suite.send(liveWorker(workerId, healthRuns, { ...WORKER_THRESHOLDS, health_check: 45 }));
  live = await suite.panels('worker');
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

  // Post's final send of the whole group: every stage final, nothing runs.
  const final: LiveStage[] = [
    { stage: 'build', state: 'success', startedAgo: 110, duration: 50 },
    { stage: 'push', state: 'success', startedAgo: 60, duration: 20 },
    { stage: 'deploy_railway', state: 'success', startedAgo: 40, duration: 38 },
    { stage: 'health_check', state: 'success', startedAgo: 5, duration: 2 },
    { stage: 'migration', state: 'success', startedAgo: 3, duration: 1 },
    { stage: 'smoke_test', state: 'success', startedAgo: 2, duration: 1 },
    { stage: 'rollback', state: 'skipped' },
  ];
  await suite.send({ ...liveWorker(workerId, final), inProgress: 0 }, { final: true });
  live = await suite.panels('worker');
  const done = { current: 'succeeded', deployment_id: workerId, service: 'worker' };
  expect(liveValues(live, 'Current stage', 'progress')).toEqual({ [key(done)]: 1 });
  expect(liveValues(live, 'Progress (latest deployment)')).toEqual({
    [key({ deployment_id: workerId, service: 'worker' })]: 1,
  });
  expect(stageRows(live).map((r) => [r.stage, r.state, r.seconds])).toEqual(
    final.map((f) => [f.stage, f.state, f.duration]),
  );
}
