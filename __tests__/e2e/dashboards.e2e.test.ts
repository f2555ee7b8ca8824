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
 *
 * The scenario's jobs, the query helpers and the checks both flavours make
 * alike (with dashboards-remote-write.e2e.test.ts) are in
 * __tests__/support/dashboards.ts.
 */
import { DASHBOARDS_DIR } from '../../dashboards/index.js';
import { REPOSITORY, runTrackedJob, type TrackedJob } from '../../tools/scenarios/index.js';
import { queryPrometheus, startPrometheus, waitFor, type Service } from '../../tools/services/index.js';
import { RULE_FILES, withoutGroupIntervals } from '../rule-files.js';
import {
  committedQueries,
  expectDataForEveryQuery,
  expectLiveFollows,
  expectLiveInProgress,
  expectScenarioNumbers,
  expectScenarioOutcomes,
  expectWebSelection,
  liveBatch,
  liveOlderWorker,
  livePanelQueries,
  liveWorker,
  runAll,
  runScenario,
  secondsBefore,
  showsLive,
  substitute,
  valuesOf,
  type Deploy,
  type LiveDeployment,
  type LiveSuite,
} from '../support/dashboards.js';
import { newRunId, startBed, type Bed } from './helpers.js';

const ENV = 'dashboards-e2e';
const OTHER_ENV = 'dashboards-e2e-other';

/** The exposition text of a live push at `now` (ms): one deployment_stage_state series per stage. */
function liveExposition(d: LiveDeployment, now: number): string {
  const run = `environment="${ENV}",deployment_id="${d.deploymentId}",service="${d.service}"`;
  return [
    '# TYPE deployment_stage_state gauge',
    ...d.stages.map((s) => `deployment_stage_state{${run},stage="${s.stage}",state="${s.state}"} 1`),
    '# TYPE deployment_stage_start_timestamp_seconds gauge',
    ...d.stages.flatMap((s) =>
      s.startedAgo === undefined
        ? []
        : [
            `deployment_stage_start_timestamp_seconds{${run},stage="${s.stage}"} ${secondsBefore(now, s.startedAgo)}`,
          ],
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
    `deployment_start_timestamp_seconds{${run}} ${secondsBefore(now, d.startedAgo)}`,
    '',
  ].join('\n');
}

describe('every dashboard panel against a real Prometheus fed by the action', () => {
  let bed: Bed;
  let prom: Service;
  const jobs: TrackedJob[] = [];
  let latestApi: TrackedJob;
  const workerId = `${newRunId()}-1`;
  const olderWorkerId = `${newRunId()}-1`;
  const batchId = `${newRunId()}-1`;

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
    const sel = `{environment="${ENV}", deployment_id="${d.deploymentId}"}`;
    await waitFor(
      async () =>
        showsLive(
          d,
          now,
          await queryPrometheus(prom.url, `deployment_stage_start_timestamp_seconds${sel}`),
          await queryPrometheus(prom.url, `deployment_stage_state${sel}`),
        ),
      {
        timeoutMs: 15_000,
        description: `Prometheus scraped the live push of ${d.service} ${d.deploymentId}`,
      },
    );
    return now;
  };

  /** One deploy job through the real bundles, pushing; resolves once Prometheus has scraped it. */
  const deploy: Deploy = async (environment, job, steps, stages) => {
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

    ({ latestApi } = await runScenario(deploy, ENV, OTHER_ENV));

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
    await pushLive(liveWorker(workerId));
    await pushLive(liveBatch(batchId), { method: 'PUT' });
    await pushLive(liveOlderWorker(olderWorkerId, 3600), { method: 'PUT', job: 'deployment-previous' });
  }, 90_000);

  afterAll(async () => {
    await prom?.stop();
    await bed?.close();
  });

  test('the deployments ran as the scenario says', () => {
    expectScenarioOutcomes(jobs);
  });

  test('every panel query returns data with all services selected ($service = All)', async () => {
    const queries = committedQueries(DASHBOARDS_DIR);
    expect(new Set(queries.map((q) => q.dashboard)).size).toBe(5);
    // Rules and scrapes catch up within a few seconds: poll until every query has data.
    await expectDataForEveryQuery(
      prom,
      queries,
      { environment: ENV, service: '.*' },
      { timeoutMs: 30_000, description: 'data for every panel query' },
    );
  }, 40_000);

  test('key panels show the scenario’s numbers', async () => {
    const outcomes = await runAll(prom, committedQueries(DASHBOARDS_DIR), {
      environment: ENV,
      service: '.*',
    });
    // Counts are exact differences of the counters (they were compared rounded while the panels used
    // increase(), which extrapolates over a minute of samples).
    expectScenarioNumbers((dashboard, panelTitle, refId) => valuesOf(outcomes, dashboard, panelTitle, refId));
  });

  test('a time series of counts adds up to the events: one verify run of 20 checks is 20, not more', async () => {
    // The "Health checks made and failed" panel as Grafana runs it: a range query whose step is
    // $__interval. Each point holds the checks counted since the previous point (an exact
    // difference), so the points add up to what verify pushed: 20 made, 1 failed. With
    // increase(…[$__rate_interval]) each point extrapolated a 1-minute window around one push
    // and consecutive windows overlapped: the same 20 checks showed several times, as 23 and more.
    const panel = committedQueries(DASHBOARDS_DIR).filter(
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
    expectWebSelection(
      await runAll(prom, committedQueries(DASHBOARDS_DIR), { environment: ENV, service: 'web' }),
      ENV,
    );
  });

  /** The live panels as this flavour shows them, fed by pushes (post's final push a PUT of the group). */
  const live: LiveSuite = {
    pipeline: 'Deployment Pipeline',
    panels: (service) =>
      runAll(prom, livePanelQueries(committedQueries(DASHBOARDS_DIR), 'Deployment Pipeline'), {
        environment: ENV,
        service,
      }),
    ids: { worker: workerId, olderWorker: olderWorkerId, batch: batchId },
    send: (d, o = {}) => pushLive(d, o.final ? { method: 'PUT' } : {}),
  };

  test('live panels: the deployment in progress — its running stage, elapsed against the threshold, progress and stage states', async () => {
    // Pushed again now, so that the running stage has run 40 s when the queries run.
    await expectLiveInProgress(live, await live.send(liveWorker(workerId)));
  }, 40_000);

  test('live panels follow the next pushes: between stages, the next stage with a pushed threshold, the end', async () => {
    await expectLiveFollows(live);
  }, 40_000);
});
