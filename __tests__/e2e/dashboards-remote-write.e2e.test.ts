/**
 * Every panel of the remote-write flavour of the dashboards
 * (deploy/grafana/dashboards-remote-write/*.json) against real remote-written
 * data: a real Prometheus started with `--web.enable-remote-write-receiver`
 * and the remote-write rules loaded (densify, recording, alerts; 1 s
 * evaluation), written to by the real dist/ bundles under the runner emulator
 * (`remote-write-url`), with the scenario of dashboards.e2e.test.ts (run by
 * runScenario in __tests__/support/dashboards.ts):
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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DASHBOARDS_DIR, REMOTE_WRITE_DASHBOARDS_DIR } from '../../dashboards/index.js';
import { REMOTE_WRITE_HEADERS } from '../../src/delivery/remote-write/writer.js';
import { encodeWriteRequest, type WireSeries } from '../../src/delivery/remote-write/wire.js';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.js';
import { FAKE_TOKEN, REPOSITORY, runTrackedJob, type TrackedJob } from '../../tools/scenarios/index.js';
import { queryPrometheus, startPrometheus, waitFor, type Service } from '../../tools/services/index.js';
import { REMOTE_WRITE_RULE_FILES, withoutGroupIntervals } from '../rule-files.js';
import {
  committedQueries,
  expectDataForEveryQuery,
  expectLiveFollows,
  expectLiveInProgress,
  expectScenarioNumbers,
  expectScenarioOutcomes,
  expectWebSelection,
  hasData,
  liveBatch,
  liveOlderWorker,
  livePanelQueries,
  liveWorker,
  runAll,
  runScenario,
  secondsBefore,
  showsLive,
  STATES,
  valuesOf,
  type Deploy,
  type LiveDeployment,
  type LiveSuite,
} from '../support/dashboards.js';
import { newRunId } from './helpers.js';

const ENV = 'dashboards-rw-e2e';
const OTHER_ENV = 'dashboards-rw-e2e-other';
/** A deployment written 20 minutes back (synthetic, as the action writes one), beyond the 5-minute lookback. */
const OLD_ENV = 'dashboards-rw-e2e-old';
const MIN = 60_000;

/** A dashboard's title in the remote-write flavour. */
const RW = (title: string): string => `${title} (remote write)`;

describe('every remote-write dashboard panel against a real Prometheus receiving the action’s remote writes', () => {
  let prom: Service;
  let gh: FakeGitHub;
  let stateDir: string;
  const jobs: TrackedJob[] = [];
  let latestApi: TrackedJob;
  let latestDatabase: TrackedJob;

  /** One deploy job through the real bundles, remote-writing; its steps ran 20 minutes ago. */
  const deploy: Deploy = async (environment, job, steps, stages) => {
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

  /**
   * One write of a deployment's live series at `at` (ms), as the live reporter (and post, at the
   * end) writes them: every state of every stage, 1 on the current one.
   */
  const writeLive = async (d: LiveDeployment, at: number): Promise<void> => {
    const group = { job: 'deployment', environment: ENV, service: d.service };
    const run = { ...group, deployment_id: d.deploymentId };
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
                secondsBefore(at, s.startedAgo),
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
      [{ __name__: 'deployment_start_timestamp_seconds', ...run }, secondsBefore(at, d.startedAgo)],
    ]);
  };

  /** Writes `d` now and waits until the densify rules have recorded this write (its starts and states). */
  const writeLiveNow = async (d: LiveDeployment): Promise<number> => {
    const now = Date.now();
    await writeLive(d, now);
    const sel = `{environment="${ENV}", deployment_id="${d.deploymentId}"}`;
    await waitFor(
      async () =>
        showsLive(
          d,
          now,
          await queryPrometheus(prom.url, `remote_write:deployment_stage_start_timestamp_seconds${sel}`),
          await queryPrometheus(prom.url, `remote_write:deployment_stage_state${sel} == 1`),
        ),
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

    ({ latestApi, latestDatabase } = await runScenario(deploy, ENV, OTHER_ENV));

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
    await writeLive(liveOlderWorker(olderWorkerId, 300), now - 10 * MIN);
    await writeLiveNow(liveWorker(workerId));
    await writeLiveNow(liveBatch(batchId));
  }, 120_000);

  afterAll(async () => {
    await Promise.all([prom?.stop(), gh?.close()]);
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  test('the deployments ran as the scenario says, and were remote-written without a warning', () => {
    expectScenarioOutcomes(jobs);
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
    // The densify group runs every second: poll until every query has data.
    await expectDataForEveryQuery(
      prom,
      queries,
      { environment: ENV, service: '.*' },
      { timeoutMs: 60_000, description: 'data for every remote-write panel query' },
    );
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
        const outcomes = await runAll(prom, committedQueries(REMOTE_WRITE_DASHBOARDS_DIR), {
          environment: OLD_ENV,
          service: '.*',
        });
        return panels.every(([d, p]) =>
          outcomes.some((o) => o.query.dashboard === RW(d) && o.query.panel === p && hasData(o)),
        )
          ? outcomes
          : undefined;
      },
      { timeoutMs: 30_000, description: `the remote-write panels of ${OLD_ENV}` },
    );
    const pg = await runAll(prom, committedQueries(DASHBOARDS_DIR), { environment: OLD_ENV, service: '.*' });
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
    const outcomes = await runAll(prom, committedQueries(REMOTE_WRITE_DASHBOARDS_DIR), {
      environment: ENV,
      service: '.*',
    });
    const values = (dashboard: string, panelTitle: string, refId = 'A'): Record<string, number> =>
      valuesOf(outcomes, RW(dashboard), panelTitle, refId);
    // Rates, counts, rollbacks, costs over the range (from the raw per-deployment series), outcomes.
    expectScenarioNumbers(values);
    // Stage failures, from deployment_total (densified for the dashboards only).
    expect(values('Deployment Success Rate', 'Failed stages')).toEqual({
      '{"service":"api","stage":"health_check"}': 1,
      '{"service":"api","stage":"smoke_test"}': 1,
      '{"service":"database","stage":"migration_apply"}': 1,
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
    expectWebSelection(
      await runAll(prom, committedQueries(REMOTE_WRITE_DASHBOARDS_DIR), { environment: ENV, service: 'web' }),
      ENV,
    );
  });

  /** The live panels as this flavour shows them, from the densified series of its writes. */
  const live: LiveSuite = {
    pipeline: RW('Deployment Pipeline'),
    panels: (service) =>
      runAll(
        prom,
        livePanelQueries(committedQueries(REMOTE_WRITE_DASHBOARDS_DIR), RW('Deployment Pipeline')),
        { environment: ENV, service },
      ),
    ids: { worker: workerId, olderWorker: olderWorkerId, batch: batchId },
    send: (d) => writeLiveNow(d),
  };

  test('live panels: the deployment in progress — its running stage, elapsed against the threshold, progress and stage states, from the densified series', async () => {
    // Written again now, so that the running stage has run 40 s when the queries run.
    const writtenAt = await live.send(liveWorker(workerId));
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
    await expectLiveInProgress(live, writtenAt);
  }, 40_000);

  test('live panels follow the next writes (the latest sample of each state wins): between stages, the next stage with a written threshold, the end', async () => {
    await expectLiveFollows(live);
  }, 60_000);
});
