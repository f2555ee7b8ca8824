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
 *   the latest deployment's id, as verify mode does.
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
import { RULE_FILES } from '../rule-files.js';
import { newRunId, startBed, type Bed } from './helpers.js';

const ENV = 'dashboards-e2e';
const OTHER_ENV = 'dashboards-e2e-other';

/** Grafana's interval variables, as concrete values for an instant query. */
const GRAFANA_INTERVALS: Record<string, string> = {
  $__rate_interval: '1m',
  $__interval: '15s',
  $__range: '1h',
};

function substitute(expr: string, vars: { environment: string; service: string }): string {
  let out = expr;
  for (const [name, value] of Object.entries(GRAFANA_INTERVALS)) out = out.split(name).join(value);
  return out.replace(/\$\{?environment\}?/g, vars.environment).replace(/\$\{?service\}?/g, vars.service);
}

function committedQueries(): DashboardQuery[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => dashboardQueries(JSON.parse(readFileSync(path.join(DASHBOARDS_DIR, f), 'utf8'))));
}

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
      ruleFiles: RULE_FILES,
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
      deploy(ENV, 'deploy-web', webSteps()),
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
    // 7 deployments in the environment: api 2 of 4 succeeded, database 1 of 2, web 1 of 1. Counts
    // come from increase(), which extrapolates over a minute of samples: compare them rounded.
    expect(Object.values(values('Deployment Success Rate', 'Success rate (30 days)'))[0]).toBeCloseTo(
      4 / 7,
      1,
    );
    const rounded = (v: Record<string, number>): Record<string, number> =>
      Object.fromEntries(Object.entries(v).map(([k, n]) => [k, Math.round(n)]));
    expect(rounded(values('Deployment Success Rate', 'Deployments: success / failure'))).toEqual({
      '{"status":"failure"}': 3,
      '{"status":"success"}': 4,
    });
    // Both failed API deployments rolled back.
    expect(rounded(values('Deployment Success Rate', 'Rollbacks'))).toEqual({ '{"status":"success"}': 2 });
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
});
