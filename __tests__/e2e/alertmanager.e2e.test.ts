/**
 * The example Alertmanager configuration (deploy/alertmanager/alertmanager.yml)
 * proven with amtool and with a real Alertmanager fed by a real Prometheus:
 *
 * - amtool: the failed deployments 1001 and 1002 of one service both route to
 *   the pager, whose route groups by deployment_id (a group, a notification and
 *   a PagerDuty incident each) and waits no longer than the 2-minute paging
 *   criterion allows; every templated notification field renders something for
 *   a group of alerts that differ (.CommonAnnotations is empty then), naming
 *   every alert.
 * - a real Prometheus (1 s scrape and evaluation, the shipped rule files)
 *   scraping a real Pushgateway fed by the action's real bundles, sending to a
 *   real Alertmanager that runs the example's routing tree, timings and
 *   inhibitions with each receiver replaced by a webhook: a tiny HTTP server in
 *   this test that records what Alertmanager posts. Two failed deployments of
 *   the same service (each with a rollback) page twice, once each, each within
 *   2 minutes of its failure; the rollbacks they raise are inhibited, and
 *   nothing else is notified for them.
 */
import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { apiSteps, API_STAGE_MAP, runTrackedJob, type TrackedJob } from '../../tools/scenarios/index.js';
import {
  findBinary,
  prometheusAlerts,
  queryPrometheus,
  startAlertmanager,
  startPrometheus,
  waitFor,
  type PromAlert,
  type Service,
} from '../../tools/services/index.js';
import { ALERTMANAGER_CONFIG, REPO_ROOT, RULE_FILES } from '../rule-files.js';
import { newRunId, startBed, type Bed } from './helpers.js';

interface CommandResult {
  readonly command: string;
  readonly code: number;
  readonly output: string;
}

function amtool(): string {
  const binary = findBinary(['amtool']);
  if (!binary) {
    throw new Error(
      'amtool is not installed: apt-get install -y prometheus-alertmanager (or run scripts/setup-test-deps.sh)',
    );
  }
  return binary;
}

function run(binary: string, args: readonly string[]): Promise<CommandResult> {
  const command = [path.basename(binary), ...args.map((a) => path.relative(REPO_ROOT, a) || a)].join(' ');
  return new Promise((resolve) => {
    execFile(binary, args, { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ command, code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

function expectSuccess(result: CommandResult): string {
  if (result.code !== 0)
    throw new Error(`\`${result.command}\` exited with ${result.code}:\n${result.output}`);
  return result.output;
}

interface Route {
  receiver?: string;
  matchers?: string[];
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  routes?: Route[];
}

interface AlertmanagerConfig {
  route: Route;
  receivers: { name: string; [integration: string]: unknown }[];
  inhibit_rules: unknown[];
}

const config = (): AlertmanagerConfig =>
  parse(readFileSync(ALERTMANAGER_CONFIG, 'utf8')) as AlertmanagerConfig;

/** Seconds of an Alertmanager duration such as `10s`, `1m`, `1h30m`. */
function seconds(d: string | undefined): number {
  if (!d) return NaN;
  let total = 0;
  for (const [, n, unit] of d.matchAll(/(\d+)(ms|s|m|h)/g)) {
    total += Number(n) * ({ ms: 0.001, s: 1, m: 60, h: 3600 } as Record<string, number>)[unit ?? 's']!;
  }
  return total;
}

describe('the example Alertmanager configuration, with amtool', () => {
  const failed = (deploymentId: string): string[] => [
    'alertname=DeploymentFailed',
    'severity=critical',
    'environment=production',
    'service=api',
    'stage=health_check',
    `deployment_id=${deploymentId}`,
  ];

  test('two failed deployments of one service both go to the pager', async () => {
    for (const id of ['1001', '1002']) {
      expectSuccess(
        await run(amtool(), [
          'config',
          'routes',
          'test',
          `--config.file=${ALERTMANAGER_CONFIG}`,
          '--verify.receivers=pager',
          ...failed(id),
        ]),
      );
    }
  });

  test('the pager route groups by deployment_id and notifies a new group within the paging criterion', () => {
    const pager = config().route.routes?.find((r) => r.receiver === 'pager');
    expect(pager?.matchers).toEqual(['severity="critical"']);
    // each failed deployment is a group of its own: a notification, and a PagerDuty incident, each
    expect(pager?.group_by).toEqual(
      expect.arrayContaining(['alertname', 'environment', 'service', 'deployment_id']),
    );
    // DeploymentFailed fires at most 1 m 30 s after the failure (15 s scrape, 15 s evaluation,
    // for: 1m); a new group waits group_wait, an open group group_interval: both keep the page
    // within 2 minutes
    expect(seconds(pager?.group_wait)).toBeLessThanOrEqual(15);
    expect(seconds(pager?.group_interval)).toBeLessThanOrEqual(60);
  });

  test('what duplicates DeploymentFailed is inhibited by it, in the same environment and service', () => {
    const rules = config().inhibit_rules as {
      source_matchers: string[];
      target_matchers: string[];
      equal?: string[];
    }[];
    const byFailure = rules.filter((r) => r.source_matchers.includes('alertname="DeploymentFailed"'));
    const targets = byFailure.flatMap((r) => r.target_matchers).join(' ');
    for (const alert of [
      'RollbackTriggered',
      'RollbackCompleted',
      'SmokeTestsFailingPostDeploy',
      'DatabaseMigrationFailed',
      'HealthCheckLatencyHigh',
    ]) {
      expect(targets).toContain(alert);
    }
    expect(byFailure[0]?.equal).toEqual(['environment', 'service']);
  });

  test('every templated notification field names every alert of a group whose alerts differ', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'am-template-'));
    try {
      // A group of three alerts that share no description, summary or service (one resolved):
      // .CommonAnnotations holds the runbook only.
      const alert = (service: string, status: 'firing' | 'resolved'): Record<string, unknown> => ({
        status,
        labels: {
          alertname: 'SmokeTestsFailingPostDeploy',
          severity: 'high',
          environment: 'production',
          service,
        },
        annotations: {
          summary: `Smoke tests of ${service} in production failing after deployment`,
          description: `Smoke tests of ${service} failed (description of ${service}).`,
          runbook_url: 'docs/runbooks/SmokeTestsFailingPostDeploy.md',
          dashboard_url: `/d/post-deployment-health?var-environment=production&var-service=${service}`,
        },
      });
      const data = {
        receiver: 'chat',
        status: 'firing',
        alerts: [alert('api', 'firing'), alert('web', 'firing'), alert('worker', 'resolved')],
        groupLabels: { alertname: 'SmokeTestsFailingPostDeploy' },
        commonLabels: {
          alertname: 'SmokeTestsFailingPostDeploy',
          severity: 'high',
          environment: 'production',
        },
        commonAnnotations: { runbook_url: 'docs/runbooks/SmokeTestsFailingPostDeploy.md' },
        externalURL: 'http://alertmanager:9093',
      };
      const dataFile = path.join(dir, 'group.json');
      writeFileSync(dataFile, JSON.stringify(data));
      const emptyGlob = path.join(dir, 'none-*.tmpl');
      const fields: { where: string; text: string }[] = [];
      const walk = (o: unknown, where: string): void => {
        if (typeof o === 'string' && o.includes('{{')) fields.push({ where, text: o });
        else if (Array.isArray(o)) o.forEach((v, i) => walk(v, `${where}[${i}]`));
        else if (o && typeof o === 'object')
          for (const [k, v] of Object.entries(o)) walk(v, where ? `${where}.${k}` : k);
      };
      for (const r of config().receivers) walk(r, r.name);
      expect(fields.map((f) => f.where)).toEqual(
        expect.arrayContaining([
          'pager.pagerduty_configs[0].description',
          'pager.pagerduty_configs[0].details.description',
          'chat.slack_configs[0].title',
          'chat.slack_configs[0].text',
        ]),
      );
      const rendered: Record<string, string> = {};
      for (const f of fields) {
        const out = expectSuccess(
          await run(amtool(), [
            'template',
            'render',
            `--template.glob=${emptyGlob}`,
            `--template.text=${f.text}`,
            `--template.data=${dataFile}`,
          ]),
        );
        rendered[f.where] = out;
      }
      // the summaries: the first alert's, and that there are more
      expect(rendered['pager.pagerduty_configs[0].description']).toBe(
        'Smoke tests of api in production failing after deployment (and others: 3 alerts)',
      );
      expect(rendered['chat.slack_configs[0].title']).toBe(
        '[FIRING] Smoke tests of api in production failing after deployment (and others: 3 alerts)',
      );
      // the descriptions: every firing alert's, and what resolved
      const details = rendered['pager.pagerduty_configs[0].details.description'] ?? '';
      expect(details).toContain('(description of api)');
      expect(details).toContain('(description of web)');
      expect(details).toContain('Resolved: Smoke tests of worker in production failing after deployment.');
      const text = rendered['chat.slack_configs[0].text'] ?? '';
      for (const service of ['api', 'web', 'worker']) {
        expect(text).toContain(`(description of ${service})`);
        expect(text).toContain(
          `Dashboard: /d/post-deployment-health?var-environment=production&var-service=${service}`,
        );
      }
      expect(text).toContain('Resolved: Smoke tests of worker failed');
      expect(rendered['pager.pagerduty_configs[0].details.runbook']).toBe(
        'docs/runbooks/SmokeTestsFailingPostDeploy.md',
      );
      // nothing renders empty
      expect(
        Object.entries(rendered).filter(
          ([where, out]) => out === '' && !/details\.(deployment_id|environment|service)$/.test(where),
        ),
      ).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** One POST Alertmanager made to a webhook receiver. */
interface Notification {
  /** The receiver it replaces (the URL path). */
  readonly receiver: string;
  readonly receivedAt: number;
  readonly body: {
    status: 'firing' | 'resolved';
    groupLabels: Record<string, string>;
    alerts: {
      status: 'firing' | 'resolved';
      labels: Record<string, string>;
      annotations: Record<string, string>;
    }[];
  };
}

/** The tiny webhook receiver: records every notification Alertmanager posts. */
async function startWebhook(): Promise<{
  url: string;
  notifications: Notification[];
  close(): Promise<void>;
}> {
  const notifications: Notification[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      try {
        notifications.push({
          receiver: (req.url ?? '/').slice(1),
          receivedAt: Date.now(),
          body: JSON.parse(raw) as Notification['body'],
        });
      } catch {
        // Not JSON: not Alertmanager's.
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    notifications,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The example configuration with every receiver that notifies (pager, chat, ticket) replaced by a
 * webhook to `base`/<receiver>; `log` notifies nobody, as in the example.
 */
function exampleWithWebhooks(base: string): string {
  const c = config();
  c.receivers = c.receivers.map((r) =>
    Object.keys(r).length === 1
      ? r
      : { name: r.name, webhook_configs: [{ url: `${base}/${r.name}`, send_resolved: true }] },
  );
  return stringify(c);
}

describe('a real Alertmanager with the example configuration, fed by a real Prometheus with the shipped rules', () => {
  const ENV = 'am-e2e';
  /** The design's paging criterion, from the failure to the notification. */
  const PAGE_WITHIN_MS = 120_000;

  let bed: Bed;
  let prom: Service;
  let am: Service;
  let webhook: Awaited<ReturnType<typeof startWebhook>>;
  const deployments: { job: TrackedJob; id: string; failedAtMs: number; paged?: Notification }[] = [];

  const pagesFor = (id: string): Notification[] =>
    webhook.notifications.filter(
      (n) =>
        n.receiver === 'pager' &&
        n.body.alerts.some(
          (a) => a.status === 'firing' && a.labels.environment === ENV && a.labels.deployment_id === id,
        ),
    );

  const promAlerts = (): Promise<PromAlert[]> => prometheusAlerts(prom.url);

  /** A deployment of the API that fails its health check and rolls back; waits until its page. */
  async function failedDeployment(): Promise<void> {
    const job = await runTrackedJob({
      gh: bed.gh,
      runId: newRunId(),
      job: 'deploy-api',
      steps: apiSteps({ healthFails: true }),
      stateDir: bed.stateDir,
      with: { environment: ENV, 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
    });
    const id = job.post?.outputs['deployment-id'] ?? '';
    expect([job.post?.outputs.status, job.post?.outputs['failed-stage']]).toEqual([
      'failure',
      'health_check',
    ]);
    // The failure as the action recorded it (post's clock), once Prometheus has it.
    let seen = '';
    const failure = await waitFor(
      async () => {
        const samples = await queryPrometheus(
          prom.url,
          `deployment_last_failure_timestamp_seconds{environment="${ENV}",service="api"}`,
        );
        seen = JSON.stringify(samples);
        const at = Number(samples[0]?.value[1]) * 1000;
        return Number.isFinite(at) && deployments.every((d) => at > d.failedAtMs) ? at : undefined;
      },
      { timeoutMs: 30_000, description: `the failure of ${id} in Prometheus` },
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}; Prometheus has ${seen}; before: ${JSON.stringify(deployments.map((d) => d.failedAtMs))}`,
      );
    });
    const deployment: (typeof deployments)[number] = { job, id, failedAtMs: failure };
    deployments.push(deployment);
    deployment.paged = await waitFor(() => pagesFor(id)[0], {
      timeoutMs: PAGE_WITHIN_MS + 60_000,
      description: `the page for deployment ${id}`,
    });
  }

  beforeAll(async () => {
    webhook = await startWebhook();
    bed = await startBed();
    am = await startAlertmanager({ configYaml: exampleWithWebhooks(webhook.url) });
    prom = await startPrometheus({
      scrapeTargets: [{ job: 'pushgateway', url: bed.pg.url, honorLabels: true }],
      ruleFiles: RULE_FILES,
      scrapeIntervalSeconds: 1,
      evaluationIntervalSeconds: 1,
      alertmanagerUrls: [am.url],
    });
    await waitFor(async () => (await queryPrometheus(prom.url, 'up{job="pushgateway"} == 1')).length === 1, {
      timeoutMs: 30_000,
      description: 'Prometheus scraping the Pushgateway',
    });
    await waitFor(
      async () => {
        const res = await fetch(`${prom.url}/api/v1/alertmanagers`, { signal: AbortSignal.timeout(5000) });
        const body = (await res.json()) as { data: { activeAlertmanagers: unknown[] } };
        return body.data.activeAlertmanagers.length === 1;
      },
      { timeoutMs: 30_000, description: 'Prometheus sending to the Alertmanager' },
    );

    // Two failed deployments of the same service, the second once the first has paged.
    await failedDeployment();
    await failedDeployment();
    // Both rollbacks' alerts have been firing for longer than the chat route's group_wait (30 s),
    // so a notification of theirs would have been sent by now.
    await waitFor(
      async () =>
        (await promAlerts()).some(
          (a) =>
            a.labels.alertname === 'RollbackTriggered' &&
            a.labels.environment === ENV &&
            a.state === 'firing' &&
            Date.now() - Date.parse(a.activeAt) > 60_000 + 35_000,
        ),
      { timeoutMs: 150_000, description: 'RollbackTriggered firing for longer than the chat group_wait' },
    );
  }, 600_000);

  afterAll(async () => {
    await prom?.stop();
    await am?.stop();
    await bed?.close();
    await webhook?.close();
  });

  test('each failed deployment pages within 2 minutes of its failure', () => {
    expect(deployments).toHaveLength(2);
    expect(new Set(deployments.map((d) => d.id)).size).toBe(2);
    for (const d of deployments) {
      const ms = (d.paged?.receivedAt ?? Infinity) - d.failedAtMs;
      console.log(`deployment ${d.id}: paged ${ms} ms after its failure`);
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThan(PAGE_WITHIN_MS);
    }
  });

  test('each failed deployment pages once: its own notification with DeploymentFailed only', () => {
    for (const d of deployments) {
      const pages = pagesFor(d.id);
      expect(pages).toHaveLength(1);
      const [page] = pages;
      expect(page?.body.groupLabels).toEqual({
        alertname: 'DeploymentFailed',
        environment: ENV,
        service: 'api',
        deployment_id: d.id,
      });
      expect(
        page?.body.alerts.map((a) => [a.labels.alertname, a.labels.deployment_id, a.labels.stage]),
      ).toEqual([['DeploymentFailed', d.id, 'health_check']]);
    }
    // every page of this environment is one of those two
    const ids = webhook.notifications
      .filter((n) => n.receiver === 'pager' && n.body.status === 'firing')
      .flatMap((n) => n.body.alerts.filter((a) => a.labels.environment === ENV && a.status === 'firing'))
      .map((a) => a.labels.deployment_id);
    expect(ids.sort()).toEqual(deployments.map((d) => d.id).sort());
  });

  test('the rollbacks are inhibited by DeploymentFailed: nothing else is notified for the two failures', async () => {
    const others = webhook.notifications
      .filter((n) => n.receiver !== 'pager')
      .flatMap((n) => n.body.alerts.filter((a) => a.labels.environment === ENV))
      .map((a) => `${a.labels.alertname} (${a.status})`);
    expect(others).toEqual([]);
    // Alertmanager has them, inhibited by the DeploymentFailed of the second deployment.
    const res = await fetch(`${am.url}/api/v2/alerts?filter=environment%3D%22${ENV}%22`, {
      signal: AbortSignal.timeout(5000),
    });
    const alerts = (await res.json()) as {
      labels: Record<string, string>;
      status: { state: string; inhibitedBy: string[] };
    }[];
    const rollback = alerts.filter((a) => /^Rollback(Triggered|Completed)$/.test(a.labels.alertname ?? ''));
    expect(rollback.map((a) => [a.labels.alertname, a.status.state]).sort()).toEqual([
      ['RollbackCompleted', 'suppressed'],
      ['RollbackTriggered', 'suppressed'],
    ]);
    for (const a of rollback) expect(a.status.inhibitedBy).toHaveLength(1);
  });
});
