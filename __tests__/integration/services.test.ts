/**
 * The services harness against the real Debian binaries: a Pushgateway fed
 * through its HTTP API, restarted and stopped; Prometheus scraping it with
 * honor_labels. No fixed sleeps: every wait is a bounded waitFor.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  freePort,
  prometheusConfig,
  pushgatewayMetrics,
  queryPrometheus,
  startAlertmanager,
  startPrometheus,
  startPushgateway,
  startService,
  waitFor,
  type Service,
} from '../../tools/services/index.js';

const started: Service[] = [];
let scratch: string;

/** `<label>@base64/<base64url>`: the Pushgateway's form for values with `/` (a `%2F` gives HTTP 400). */
function groupSegment(label: string, value: string): string {
  return `${label}@base64/${Buffer.from(value).toString('base64url') || '='}`;
}

async function push(
  url: string,
  groupPath: string,
  body: string,
  method: 'POST' | 'PUT' = 'POST',
): Promise<Response> {
  return fetch(`${url}/metrics/job/${groupPath}`, {
    method,
    body,
    headers: { 'content-type': 'text/plain; version=0.0.4' },
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const COUNTER =
  '# TYPE deploys_total counter\n# HELP deploys_total Deployments.\ndeploys_total{result="success"} 3\n';

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'services-test-'));
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await Promise.all(started.map((s) => rm(s.dataDir, { recursive: true, force: true })));
  await rm(scratch, { recursive: true, force: true });
});

async function track(s: Promise<Service>): Promise<Service> {
  const svc = await s;
  started.push(svc);
  return svc;
}

describe('services harness', () => {
  test('freePort gives usable loopback ports', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    expect(ports.every((p) => p > 1024 && p < 65536)).toBe(true);
  });

  test('waitFor returns the first truthy value and times out loudly', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : undefined), { intervalMs: 1 })).resolves.toBe(3);
    await expect(
      waitFor(
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 50, intervalMs: 5, description: 'never' },
      ),
    ).rejects.toThrow(/timed out after 50 ms.*never; last error: not yet/);
  });

  test('Pushgateway: push with @base64 grouping, read back, restart keeps the port and loses data, stop leaves no process', async () => {
    const pg = await track(startPushgateway());
    expect(pg.url).toBe(`http://127.0.0.1:${pg.port}`);
    expect(existsSync(pg.logFile)).toBe(true);

    // A grouping value with `/`: plain and %2F forms are rejected, @base64 works.
    const service = 'api/v2';
    const bad = await push(pg.url, `deployment/service/${encodeURIComponent(service)}`, COUNTER);
    expect(bad.status).toBe(400);
    const ok = await push(
      pg.url,
      `deployment/${groupSegment('service', service)}/${groupSegment('environment', 'production')}`,
      COUNTER,
    );
    expect(ok.status).toBe(200);

    const groups = await pushgatewayMetrics(pg.url);
    expect(groups).toHaveLength(1);
    const group = groups[0];
    expect(group?.labels).toEqual({ job: 'deployment', service: 'api/v2', environment: 'production' });
    expect(group?.deploys_total).toMatchObject({
      type: 'COUNTER',
      metrics: [
        {
          labels: { job: 'deployment', service: 'api/v2', environment: 'production', result: 'success' },
          value: '3',
        },
      ],
    });
    // The Pushgateway adds its own per-group timestamps.
    expect(Object.keys(group ?? {})).toEqual(
      expect.arrayContaining(['push_time_seconds', 'push_failure_time_seconds']),
    );

    const { port, pid } = pg;
    await pg.restart();
    expect(pg.port).toBe(port);
    expect(pg.pid).not.toBe(pid);
    expect(isRunning(pid)).toBe(false);
    await expect(pushgatewayMetrics(pg.url)).resolves.toEqual([]);

    const last = pg.pid;
    await pg.stop();
    expect(() => process.kill(last, 0)).toThrow();
    await pg.stop(); // idempotent
    await expect(fetch(`${pg.url}/-/ready`)).rejects.toThrow();
  });

  test('Pushgateway with a persistence file keeps groups across a restart', async () => {
    const pg = await track(startPushgateway({ persistenceFile: path.join(scratch, 'pg.data') }));
    expect((await push(pg.url, 'deployment/environment/staging', COUNTER)).status).toBe(200);
    await pg.restart();
    const groups = await pushgatewayMetrics(pg.url);
    expect(groups.map((g) => g.labels)).toEqual([{ job: 'deployment', environment: 'staging' }]);
    await pg.stop();
  });

  test('Prometheus scrapes the Pushgateway with honor_labels and answers /api/v1/query', async () => {
    const pg = await track(startPushgateway());
    expect((await push(pg.url, `deployment/${groupSegment('service', 'web/app')}`, COUNTER)).status).toBe(
      200,
    );
    const rules = path.join(scratch, 'rules.yml');
    await writeFile(
      rules,
      'groups:\n  - name: t\n    rules:\n      - record: deploys:sum\n        expr: sum(deploys_total)\n',
    );
    const prom = await track(
      startPrometheus({
        scrapeTargets: [{ job: 'pushgateway', url: `${pg.url}/metrics`, honorLabels: true }],
        ruleFiles: [rules],
      }),
    );

    const series = await waitFor(
      async () => {
        const r = await queryPrometheus(prom.url, 'deploys_total');
        return r.length > 0 ? r : undefined;
      },
      { timeoutMs: 20_000, description: 'deploys_total scraped' },
    );
    // honor_labels keeps the pushed job label instead of the scrape job's.
    expect(series).toEqual([
      {
        metric: expect.objectContaining({
          __name__: 'deploys_total',
          job: 'deployment',
          service: 'web/app',
          result: 'success',
        }),
        value: [expect.any(Number), '3'],
      },
    ]);
    const recorded = await waitFor(async () => (await queryPrometheus(prom.url, 'deploys:sum'))[0], {
      timeoutMs: 20_000,
      description: 'recording rule',
    });
    expect(recorded.value[1]).toBe('3');
    await expect(queryPrometheus(prom.url, 'sum(')).rejects.toThrow(/Prometheus query failed/);
  });

  test('Prometheus config: intervals, honor_labels, remote write flag', async () => {
    const cfg = prometheusConfig({
      scrapeTargets: [{ job: 'pg', url: 'http://127.0.0.1:9091', honorLabels: true }],
      scrapeIntervalSeconds: 2,
    });
    expect(cfg).toEqual({
      global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '1s' },
      rule_files: [],
      scrape_configs: [
        {
          job_name: 'pg',
          honor_labels: true,
          scheme: 'http',
          metrics_path: '/metrics',
          static_configs: [{ targets: ['127.0.0.1:9091'] }],
        },
      ],
    });
    const prom = await track(startPrometheus({ remoteWriteReceiver: true }));
    // With the receiver on, an empty body is a decode error (400), not 404.
    const res = await fetch(`${prom.url}/api/v1/write`, { method: 'POST', body: '' });
    expect(res.status).not.toBe(404);
    await prom.stop();
  });

  test('a bad rule file fails the start with the log tail', async () => {
    const rules = path.join(scratch, 'bad-rules.yml');
    await writeFile(rules, 'groups:\n  - name: t\n    rules:\n      - record: x\n        expr: sum(\n');
    await expect(startPrometheus({ ruleFiles: [rules] })).rejects.toThrow(
      /exited with 1 before it was ready[\s\S]*--- Prometheus log[\s\S]*bad-rules\.yml/,
    );
  });

  test('a missing binary names the Debian package to install', async () => {
    await expect(
      startService({
        name: 'Pushgateway',
        binaries: ['no-such-pushgateway-binary'],
        debianPackage: 'prometheus-pushgateway',
        args: () => [],
      }),
    ).rejects.toThrow('apt-get install -y prometheus-pushgateway');
  });

  test('services die with the process that started them (exit hook)', async () => {
    const script = path.join(scratch, 'orphan.mts'); // .mts: ESM outside the package
    const harness = path.resolve('tools/services/index.ts');
    await writeFile(
      script,
      `import { startPushgateway } from ${JSON.stringify(harness)};\nconst pg = await startPushgateway();\nconsole.log(JSON.stringify({ pid: pg.pid, dataDir: pg.dataDir }));\nprocess.exit(0);\n`,
    );
    const { NODE_OPTIONS: _omit, ...env } = process.env;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(path.resolve('node_modules/.bin/tsx'), [script], { env, timeout: 30_000 }, (err, out) =>
        err ? reject(err) : resolve(out),
      );
    });
    const { pid, dataDir } = JSON.parse(stdout) as { pid: number; dataDir: string };
    expect(pid).toBeGreaterThan(0);
    await expect(
      waitFor(() => !isRunning(pid), { timeoutMs: 5000, description: 'orphan gone' }),
    ).resolves.toBe(true);
    await rm(dataDir, { recursive: true, force: true });
  });

  test('Alertmanager starts with clustering off', async () => {
    const am = await track(startAlertmanager());
    const res = await fetch(`${am.url}/api/v2/status`);
    expect(res.status).toBe(200);
    await am.stop();
    expect(() => process.kill(am.pid, 0)).toThrow();
  });
});
