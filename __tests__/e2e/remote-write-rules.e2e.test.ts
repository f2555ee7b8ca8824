/**
 * The remote-write variant of the rules (deploy/prometheus/remote-write/),
 * proven with promtool as __tests__/e2e/rules.e2e.test.ts proves the shipped
 * ones: `promtool check rules` on the three generated files, and
 * `promtool test rules` on every test file in deploy/prometheus/remote-write/tests
 * (sparse, remote-written input series; one of them feeds the same data to
 * the shipped rules, which stop firing after the 5-minute lookback). Then a
 * real Prometheus with its remote-write receiver on and the variant loaded
 * (1 s evaluation), sent a deployment that failed 20 minutes ago and one whose
 * runner died 20 minutes ago, as the action writes them (one sample per
 * series, at the deployment's times): an instant query sees none of the raw
 * series, yet DeploymentFailed, RollbackTriggered and DeploymentTakingTooLong
 * are active. Two more dead runners' deployments wrote a total threshold at
 * their start (the thresholds input, deployment_stage_threshold_seconds): 600 s
 * fires DeploymentTakingTooLong with that threshold, 3600 s keeps it quiet.
 */
import { REMOTE_WRITE_HEADERS } from '../../src/delivery/remote-write/writer.js';
import { encodeWriteRequest, type WireSeries } from '../../src/delivery/remote-write/wire.js';
import {
  activeAlert as pendingOrFiring,
  prometheusAlerts,
  queryPrometheus,
  startPrometheus,
  waitFor,
  type PromAlert,
  type Service,
} from '../../tools/services/index.js';
import { REMOTE_WRITE_RULE_FILES, remoteWriteRuleTestFiles, withoutGroupIntervals } from '../rule-files.js';
import {
  expectSuccess,
  promtool,
  promtoolTestRules,
  PROMTOOL_TEST_TIMEOUT_MS,
  run,
} from '../support/promtool.js';

describe('promtool on the remote-write variant', () => {
  test('promtool check rules: the densify, recording and alert files', async () => {
    const output = expectSuccess(await run(promtool(), ['check', 'rules', ...REMOTE_WRITE_RULE_FILES]));
    for (const name of ['deployment-densify', 'deployment-recording', 'deployment-alerts']) {
      expect(output).toMatch(new RegExp(`${name}\\.yml\\s+SUCCESS: \\d+ rules found`));
    }
  });

  test(
    'promtool test rules: every test file in deploy/prometheus/remote-write/tests',
    async () => {
      const files = remoteWriteRuleTestFiles();
      expect(files.length).toBeGreaterThan(0);
      for (const output of await promtoolTestRules(files)) expect(output).toContain('SUCCESS');
    },
    PROMTOOL_TEST_TIMEOUT_MS,
  );
});

describe('a real Prometheus receiving remote writes, with the variant loaded', () => {
  const ENV_FAILED = 'rw-rules-e2e-failed';
  const ENV_STUCK = 'rw-rules-e2e-stuck';
  const ENV_STRICT = 'rw-rules-e2e-strict';
  const ENV_PATIENT = 'rw-rules-e2e-patient';
  let prom: Service;
  let failedAt: number;

  /** One write request, one sample per series at `at` (ms), as the action sends it. */
  async function write(at: number, series: [Record<string, string>, number][]): Promise<void> {
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
  }

  const alerts = (): Promise<PromAlert[]> => prometheusAlerts(prom.url);
  const activeAlert = (alertname: string, environment: string): Promise<PromAlert> =>
    pendingOrFiring(prom.url, alertname, environment, 60_000);

  beforeAll(async () => {
    prom = await startPrometheus({
      // the 30-day and restore groups' own 5-minute interval would delay their first evaluation by
      // up to 5 minutes
      ruleFiles: withoutGroupIntervals(REMOTE_WRITE_RULE_FILES),
      remoteWriteReceiver: true,
      evaluationIntervalSeconds: 1,
    });
    const group = { job: 'deployment', service: 'api' };
    const now = Date.now();
    // ENV_FAILED: deployment 9001 started 25 minutes ago and failed its health check 20 minutes ago.
    const started = now - 25 * 60_000;
    failedAt = now - 20 * 60_000;
    const failed = { ...group, environment: ENV_FAILED };
    const run = { ...failed, deployment_id: '9001' };
    await write(started, [
      [{ __name__: 'deployment_start_timestamp_seconds', ...run }, started / 1000],
      [{ __name__: 'deployment_in_progress', ...run, branch: 'main', triggered_by: 'github_actions' }, 1],
    ]);
    await write(failedAt, [
      [{ __name__: 'deployment_in_progress', ...run, branch: 'main', triggered_by: 'github_actions' }, 0],
      [
        { __name__: 'deployment_stage_duration_seconds', ...run, stage: 'health_check', status: 'failure' },
        45,
      ],
      [{ __name__: 'deployment_last_failure_timestamp_seconds', ...failed }, failedAt / 1000],
      [{ __name__: 'deployment_runs_total', ...failed, status: 'failure' }, 1],
      [
        {
          __name__: 'deployment_errors_total',
          ...failed,
          stage: 'health_check',
          error_type: 'health_check_failed',
        },
        1,
      ],
      [
        {
          __name__: 'deployment_rollback_total',
          ...failed,
          reason: 'health_check_failed',
          status: 'success',
        },
        1,
      ],
      [
        { __name__: 'deployment_observability_counters_updated_timestamp_seconds', ...failed },
        failedAt / 1000,
      ],
    ]);
    // ENV_STUCK: deployment 9002 started 20 minutes ago; its runner died, nothing else came.
    const stuck = { ...group, environment: ENV_STUCK, deployment_id: '9002' };
    await write(failedAt, [
      [{ __name__: 'deployment_start_timestamp_seconds', ...stuck }, failedAt / 1000],
      [{ __name__: 'deployment_in_progress', ...stuck, branch: 'main', triggered_by: 'manual' }, 1],
    ]);
    // ENV_STRICT, ENV_PATIENT: the same, with the total threshold pre writes (total=600, total=3600).
    for (const [environment, total] of [
      [ENV_STRICT, 600],
      [ENV_PATIENT, 3600],
    ] as const) {
      const run = { ...group, environment, deployment_id: '9003' };
      await write(failedAt, [
        [{ __name__: 'deployment_start_timestamp_seconds', ...run }, failedAt / 1000],
        [{ __name__: 'deployment_in_progress', ...run, branch: 'main', triggered_by: 'manual' }, 1],
        [{ __name__: 'deployment_stage_threshold_seconds', ...group, environment, stage: 'total' }, total],
      ]);
    }
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
  });

  test('the raw series are sparse: an instant query sees none of them 20 minutes later', async () => {
    for (const env of [ENV_FAILED, ENV_STUCK]) {
      // Once the rules have run (always, in a slow run), their output carries the same labels.
      await waitFor(
        async () =>
          (await queryPrometheus(prom.url, `remote_write:deployment_in_progress{environment="${env}"}`))
            .length,
        { timeoutMs: 30_000, description: `the densify rules ran for ${env}` },
      );
      // Raw series only: the rules' own output (remote_write:*, deployment:*) has a colon in its name.
      const raw = `{job="deployment",environment="${env}",__name__!~".*:.*"}`;
      expect(await queryPrometheus(prom.url, raw)).toEqual([]);
      expect(await queryPrometheus(prom.url, `count(last_over_time(${raw}[1h]))`)).not.toEqual([]);
    }
  });

  test('DeploymentFailed is active for the failure written 20 minutes ago, with its deployment and stage', async () => {
    const alert = await activeAlert('DeploymentFailed', ENV_FAILED);
    expect(alert.labels).toMatchObject({
      severity: 'critical',
      job: 'deployment',
      service: 'api',
      deployment_id: '9001',
      stage: 'health_check',
    });
    expect(alert.annotations.description).toContain(
      `Deployment 9001 of api to ${ENV_FAILED} failed at stage health_check (error type: health_check_failed)`,
    );
    const [densified] = await queryPrometheus(
      prom.url,
      `remote_write:deployment_last_failure_timestamp_seconds{environment="${ENV_FAILED}"}`,
    );
    expect(Number(densified?.value[1])).toBe(failedAt / 1000);
  }, 70_000);

  test('RollbackTriggered is active for the first-ever rollback', async () => {
    const alert = await activeAlert('RollbackTriggered', ENV_FAILED);
    expect(alert.labels).toMatchObject({
      severity: 'high',
      reason: 'health_check_failed',
      status: 'success',
    });
    expect(alert.annotations.description).toContain('in deployment 9001.');
  }, 70_000);

  test('DeploymentTakingTooLong is active for the deployment whose runner died', async () => {
    const alert = await activeAlert('DeploymentTakingTooLong', ENV_STUCK);
    expect(alert.labels).toMatchObject({ severity: 'high', deployment_id: '9002', triggered_by: 'manual' });
    expect(alert.annotations.description).toContain('(total threshold 15m 0s)');
    // the failed deployment finished (in_progress 0): nothing for it
    expect(
      (await alerts()).filter(
        (a) => a.labels.alertname === 'DeploymentTakingTooLong' && a.labels.environment === ENV_FAILED,
      ),
    ).toEqual([]);
  }, 70_000);

  test('DeploymentTakingTooLong follows the total threshold the deployment wrote 20 minutes ago', async () => {
    const alert = await activeAlert('DeploymentTakingTooLong', ENV_STRICT);
    expect(alert.labels).toMatchObject({ severity: 'high', deployment_id: '9003' });
    expect(alert.annotations.description).toContain('(total threshold 10m 0s)');
    // the rules ran with the written thresholds (ENV_STRICT fires on its 600 s): 20 minutes of a
    // 60-minute total is neither too long nor behind schedule
    expect(
      (await alerts()).filter(
        (a) =>
          a.labels.environment === ENV_PATIENT &&
          a.state !== 'inactive' &&
          ['DeploymentTakingTooLong', 'DeploymentSlightlyBehindSchedule'].includes(a.labels.alertname ?? ''),
      ),
    ).toEqual([]);
    const [threshold] = await queryPrometheus(
      prom.url,
      `remote_write:deployment_stage_threshold_seconds{environment="${ENV_PATIENT}",stage="total"}`,
    );
    expect(Number(threshold?.value[1])).toBe(3600);
  }, 70_000);
});
