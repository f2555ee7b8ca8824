/**
 * Verify mode end to end: the real dist/ bundles under the runner emulator,
 * a real Prometheus (1 s scrape and evaluation) scraping a real Pushgateway
 * with honor_labels, and local HTTP services the test starts. Windows are
 * shortened through `verify-window-seconds: 20` (a sample every 2 s, gates of
 * 10 s), and the verify jobs run side by side, so the file stays well under a
 * minute.
 *
 * - api: healthy probes; the error ratio (a gauge pushed into the Pushgateway)
 *   crosses 5 % after the third probe → the error-rate gate, early; the track
 *   group of the same deployment keeps every track metric.
 * - web: a service that answers healthy, then slow, then 503 → the health gate, early.
 * - hang: a service that never answers, an invalid health-urls line, PromQL
 *   Prometheus rejects, fail-on-unhealthy → clear messages, a failed step,
 *   within the window plus its margin.
 * - tls: a self-signed certificate and Prometheus down → clear messages.
 * - ok: healthy probes, error rate 0.1 % → healthy, ends with the window.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  repoActionDir,
  runJob,
  type JobResult,
  type PhaseResult,
} from '../../tools/runner-emulator/index.js';
import { ACTION_LABEL, apiSteps, API_STAGE_MAP, runTrackedJob } from '../../tools/scenarios/index.js';
import {
  freePort,
  pushgatewayMetrics,
  startPrometheus,
  waitFor,
  type PushgatewayGroup,
  type Service,
} from '../../tools/services/index.js';
import { gatewayValue, gatewayValues, newRunId, startBed, type Bed } from './helpers.js';

const WINDOW_SECONDS = 20;
/** Ends within the window, the in-flight sample's grace (2 s) and the push budget (10 s). */
const WINDOW_MARGIN_MS = 15_000;
const ENVIRONMENT = 'e2e-verify';

let bed: Bed;
let prometheus: Service;
let tempDir: string;
const servers: Server[] = [];

/** A local HTTP(S) service whose handler the test writes; closed (with its hanging sockets) after the suite. */
async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  tls?: { key: Buffer; cert: Buffer },
): Promise<string> {
  const server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function pushErrorRatio(value: number): Promise<void> {
  const res = await fetch(`${bed.pg.url}/metrics/job/app/instance/e2e`, {
    method: 'PUT',
    body: `# TYPE test_error_ratio gauge\ntest_error_ratio{case="api"} ${value}\n`,
  });
  if (res.status !== 200) throw new Error(`pushing test_error_ratio: HTTP ${res.status}`);
}

interface VerifyJob {
  readonly result: JobResult;
  readonly main: PhaseResult;
  readonly outputs: Record<string, string>;
}

/** Runs one job whose only step is the action in verify mode. */
async function runVerifyJob(
  runId: number,
  job: string,
  inputs: Record<string, string>,
  attempt = 1,
): Promise<VerifyJob> {
  const result = await runJob({
    name: job,
    env: {
      GITHUB_REPOSITORY: 'octo-org/octo-repo',
      GITHUB_RUN_ID: String(runId),
      GITHUB_RUN_ATTEMPT: String(attempt),
      GITHUB_REF_NAME: 'main',
      GITHUB_WORKFLOW: 'deploy-full-stack',
      DEPLOYMENT_OBSERVABILITY_STATE_DIR: bed.stateDir,
    },
    steps: [
      {
        uses: repoActionDir(),
        id: 'verify',
        label: ACTION_LABEL,
        with: {
          mode: 'verify',
          environment: ENVIRONMENT,
          'verify-window-seconds': String(WINDOW_SECONDS),
          ...inputs,
        },
      },
    ],
  });
  const main = result.phases.find((p) => p.id === 'verify' && p.phase === 'main');
  if (!main) throw new Error(`no main phase:\n${result.log}`);
  return { result, main, outputs: result.outputs.verify ?? {} };
}

/** The families of one Pushgateway group, by name. */
async function group(service: string): Promise<PushgatewayGroup | undefined> {
  return (await pushgatewayMetrics(bed.pg.url)).find(
    (g) =>
      g.labels.job === 'deployment' && g.labels.environment === ENVIRONMENT && g.labels.service === service,
  );
}

/** Track's families of a group with their samples (push_time_seconds aside), to compare before and after. */
function trackFamilies(g: PushgatewayGroup | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, family] of Object.entries(g ?? {})) {
    if (
      name === 'labels' ||
      name.startsWith('push_') ||
      name.startsWith('api_health_check') ||
      name === 'post_deployment_error_rate'
    )
      continue;
    if (
      name === 'deployment_observability_counters_updated_timestamp_seconds' ||
      name === 'deployment_observability_applied'
    )
      continue;
    out[name] = (family as { metrics: unknown }).metrics;
  }
  return out;
}

const apiRunId = newRunId();
let trackBefore: Record<string, unknown>;
let jobs: Record<'api' | 'web' | 'hang' | 'tls' | 'ok', VerifyJob>;
let apiProbes = 0;
let webRequests = 0;

beforeAll(async () => {
  tempDir = mkdtempSync(join(tmpdir(), 'verify-e2e-'));
  bed = await startBed();
  prometheus = await startPrometheus({
    scrapeTargets: [{ job: 'pushgateway', url: `${bed.pg.url}/metrics`, honorLabels: true }],
  });
  await pushErrorRatio(0.002);
  await waitFor(
    async () => {
      const r = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('test_error_ratio')}`);
      const body = (await r.json()) as { data: { result: unknown[] } };
      return body.data.result.length > 0;
    },
    { timeoutMs: 15_000, description: 'Prometheus scraped test_error_ratio from the Pushgateway' },
  );

  // A tracked deploy of the API in the same run: its group must survive verify's push.
  const track = await runTrackedJob({
    gh: bed.gh,
    runId: apiRunId,
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { environment: ENVIRONMENT, 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
  });
  if (track.result.status !== 'success') throw new Error(`track job failed:\n${track.result.log}`);
  trackBefore = trackFamilies(await group('api'));

  // api: healthy; the third probe pushes the error ratio over 5 % (an event, not a timer).
  const apiUrl = await serve((_req, res) => {
    apiProbes++;
    const send = (): void => void res.end('ok');
    if (apiProbes === 3) pushErrorRatio(0.09).then(send, send);
    else send();
  });
  // web: healthy twice, then one slow answer (1.2 s: degraded), then 503 for good.
  const webUrl = await serve((_req, res) => {
    webRequests++;
    if (webRequests <= 2) res.end('ok');
    else if (webRequests === 3) setTimeout(() => res.end('slow but ok'), 1200);
    else {
      res.statusCode = 503;
      res.end('Service Unavailable');
    }
  });
  const hangUrl = await serve(() => undefined);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      join(tempDir, 'key.pem'),
      '-out',
      join(tempDir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const tlsUrl = await serve((_req, res) => res.end('ok'), {
    key: readFileSync(join(tempDir, 'key.pem')),
    cert: readFileSync(join(tempDir, 'cert.pem')),
  });
  const okUrl = await serve((_req, res) => res.end('ok'));
  const deadPort = await freePort();

  const pg = { 'pushgateway-url': bed.pg.url };
  const [api, web, hang, tls, ok] = await Promise.all([
    runVerifyJob(apiRunId, 'verify-api', {
      ...pg,
      service: 'api',
      'health-urls': `api=${apiUrl}/health`,
      'prometheus-url': prometheus.url,
      'error-rate-query': 'max(test_error_ratio{case="api"})',
    }),
    runVerifyJob(newRunId(), 'verify-web', { ...pg, service: 'web', 'health-urls': `web=${webUrl}/health` }),
    runVerifyJob(newRunId(), 'verify-hang', {
      ...pg,
      service: 'hang',
      'health-urls': [`hung=${hangUrl}/health`, 'not a url', `bad=ftp://127.0.0.1/health`].join('\n'),
      'prometheus-url': prometheus.url,
      'error-rate-query': 'sum(rate(http_requests_total[1m]',
      'fail-on-unhealthy': 'true',
    }),
    runVerifyJob(newRunId(), 'verify-tls', {
      ...pg,
      service: 'tls',
      'health-urls': `tls=${tlsUrl}/health`,
      'prometheus-url': `http://127.0.0.1:${deadPort}`,
      'error-rate-query': 'vector(0)',
    }),
    runVerifyJob(newRunId(), 'verify-ok', {
      ...pg,
      service: 'ok',
      'health-urls': `ok=${okUrl}/health\n${okUrl}/ready`,
      'prometheus-url': prometheus.url,
      'error-rate-query': 'vector(0.001)',
    }),
  ]);
  jobs = { api, web, hang, tls, ok };
}, 90_000);

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await Promise.all([prometheus?.stop(), bed?.close()]);
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});

describe('error rate crossing 5 % (api)', () => {
  test('rollback recommended, early, by the error-rate gate', () => {
    const { outputs, main, result } = jobs.api;
    expect(result.status).toBe('success'); // fail-on-unhealthy is false: the step succeeds
    expect(outputs).toMatchObject({
      healthy: 'false',
      'rollback-recommended': 'true',
      'deployment-id': String(apiRunId),
    });
    expect(main.durationMs).toBeLessThan(WINDOW_SECONDS * 1000);
    expect(main.summary).toContain('❌ Rollback recommended: api · e2e-verify');
    expect(main.summary).toContain('**ended early**');
    // Real time: 10 s or more, shown with a decimal when not whole (a loaded CI machine gave 11.9s).
    expect(main.summary).toMatch(/error rate over 5 % for 1\d(\.\d)?s \(gate 10s; peak 9\.00 %\)/);
    expect(main.summary).toContain('xychart-beta');
    expect(
      main.annotations.some(
        (a) => a.level === 'error' && a.message.startsWith('Rollback recommended: error rate over 5 %'),
      ),
    ).toBe(true);
  });

  test('pushed into the track group with the run\u2019s deployment_id', async () => {
    const labels = { environment: ENVIRONMENT, deployment_id: String(apiRunId) };
    expect(await gatewayValue(bed.pg.url, 'post_deployment_error_rate', { ...labels, service: 'api' })).toBe(
      0.09,
    );
    expect(
      await gatewayValue(bed.pg.url, 'api_health_check_latency_ms', { ...labels, status: 'healthy' }),
    ).toBeLessThan(1000);
    const probes = (jobs.api.main.stdout.match(/\+[\d.m]+s api: /g) ?? []).length;
    expect(probes).toBeGreaterThanOrEqual(3);
    expect(
      await gatewayValue(bed.pg.url, 'api_health_check_total', { environment: ENVIRONMENT, service: 'api' }),
    ).toBe(probes);
    expect(
      await gatewayValue(bed.pg.url, 'api_health_check_failures_total', {
        environment: ENVIRONMENT,
        service: 'api',
      }),
    ).toBe(0);
  });

  test('the track metrics of the group are intact', async () => {
    expect(Object.keys(trackBefore)).toEqual(
      expect.arrayContaining([
        'deployment_total',
        'deployment_stage_duration_seconds',
        'deployment_last_success_timestamp_seconds',
      ]),
    );
    expect(trackFamilies(await group('api'))).toEqual(trackBefore);
  });
});

describe('healthy, then slow, then 503 (web)', () => {
  test('the health gate holds early; the timeline shows each phase', async () => {
    const { outputs, main } = jobs.web;
    expect(outputs).toMatchObject({ healthy: 'false', 'rollback-recommended': 'true' });
    expect(main.durationMs).toBeLessThan(WINDOW_SECONDS * 1000);
    expect(main.summary).toMatch(
      /health checks of web failing for 1\ds \(gate 10s; last: HTTP 503 after 3 attempt\(s\)\)/,
    );
    expect(main.summary).toMatch(/\| \+0s \| ✅ \d+ ms \|/);
    expect(main.summary).toMatch(/\| \+4s \| 🐢 1\d{3} ms \|/);
    expect(main.summary).toContain('❌ HTTP 503 after 3 attempt(s)');
    expect(
      await gatewayValue(bed.pg.url, 'api_health_check_latency_ms', {
        environment: ENVIRONMENT,
        status: 'unhealthy',
      }).catch(() => undefined),
    ).toBeUndefined(); // api group shows healthy; web group's latency is read below
    const web = await group('web');
    const latency = web?.api_health_check_latency_ms as { metrics: { labels: Record<string, string> }[] };
    expect(latency.metrics.map((m) => m.labels.status)).toEqual(['unhealthy']);
    const failures = await gatewayValues(bed.pg.url, 'api_health_check_failures_total', {
      service: 'web',
      environment: ENVIRONMENT,
    });
    expect(failures[0]).toBeGreaterThanOrEqual(5);
  });
});

describe('faults', () => {
  test('a hanging probe, a bad URL line and rejected PromQL: clear messages, fail-on-unhealthy fails the step in time', () => {
    const { outputs, main, result } = jobs.hang;
    expect(outputs).toMatchObject({ healthy: 'false', 'rollback-recommended': 'true' });
    expect(main.conclusion).toBe('failure');
    expect(result.status).toBe('failure');
    expect(main.durationMs).toBeLessThan(WINDOW_SECONDS * 1000 + WINDOW_MARGIN_MS);
    const warnings = main.annotations.filter((a) => a.level === 'warning').map((a) => a.message);
    expect(warnings).toContain('input health-urls line 2: "not a url" is not a URL; line skipped');
    expect(warnings).toContain(
      'input health-urls line 3: "ftp://127.0.0.1/health" is not an http or https URL; line skipped',
    );
    expect(
      warnings.some((w) => /^Prometheus rejected error-rate-query \(bad_data\): .*parse error/.test(w)),
    ).toBe(true);
    expect(main.summary).toMatch(/no answer within 2000 ms/);
    expect(main.annotations.some((a) => a.level === 'error' && a.message.includes('fail-on-unhealthy'))).toBe(
      true,
    );
  });

  test('a TLS error and Prometheus down: each a clear message; the TLS failure holds the gate', () => {
    const { outputs, main } = jobs.tls;
    expect(outputs).toMatchObject({ healthy: 'false', 'rollback-recommended': 'true' });
    expect(main.conclusion).toBe('success');
    expect(main.summary).toContain(
      'TLS error: DEPTH_ZERO_SELF_SIGNED_CERT (the server’s certificate is not trusted)',
    );
    const warnings = main.annotations.filter((a) => a.level === 'warning').map((a) => a.message);
    expect(
      warnings.some((w) =>
        /^Prometheus at http:\/\/127\.0\.0\.1:\d+ is unreachable: connection refused/.test(w),
      ),
    ).toBe(true);
  });
});

test('healthy: ends with the window, healthy=true, nothing recommended', async () => {
  const { outputs, main } = jobs.ok;
  expect(outputs).toMatchObject({ healthy: 'true', 'rollback-recommended': 'false' });
  expect(main.durationMs).toBeGreaterThanOrEqual(WINDOW_SECONDS * 1000);
  expect(main.durationMs).toBeLessThan(WINDOW_SECONDS * 1000 + WINDOW_MARGIN_MS);
  expect(main.summary).toContain('✅ Verified healthy: ok · e2e-verify');
  expect(main.annotations.filter((a) => a.level === 'error' || a.level === 'warning')).toEqual([]);
  expect(
    await gatewayValue(bed.pg.url, 'post_deployment_error_rate', { environment: ENVIRONMENT, service: 'ok' }),
  ).toBe(0.001);
  // Two URLs × 11 ticks (+0s … +20s).
  expect(
    await gatewayValue(bed.pg.url, 'api_health_check_total', { environment: ENVIRONMENT, service: 'ok' }),
  ).toBe(22);
});

test('only the verify job re-run (attempt 2): its health series carry the deploy’s deployment_id', async () => {
  const runId = newRunId();
  const track = await runTrackedJob({
    gh: bed.gh,
    runId,
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { environment: ENVIRONMENT, service: 'rerun', 'pushgateway-url': bed.pg.url },
  });
  if (track.result.status !== 'success') throw new Error(`track job failed:\n${track.result.log}`);
  const url = await serve((_req, res) => void res.end('ok'));
  const job = await runVerifyJob(
    runId,
    'verify-rerun',
    {
      'pushgateway-url': bed.pg.url,
      service: 'rerun',
      'health-urls': `rerun=${url}/health`,
      'verify-window-seconds': '10',
    },
    2,
  );
  expect(job.main.exitCode).toBe(0);
  expect(job.outputs['deployment-id']).toBe(String(runId));
  const inGroup = { environment: ENVIRONMENT, service: 'rerun' };
  expect(
    await gatewayValue(bed.pg.url, 'api_health_check_latency_ms', {
      ...inGroup,
      deployment_id: String(runId),
      status: 'healthy',
    }),
  ).toBeLessThan(1000);
  expect(
    await gatewayValues(bed.pg.url, 'api_health_check_latency_ms', {
      ...inGroup,
      deployment_id: `${runId}-2`,
    }),
  ).toEqual([]);
  // The join the alerts make: the deploy's start timestamp has the same deployment_id.
  expect(
    await gatewayValues(bed.pg.url, 'deployment_start_timestamp_seconds', {
      ...inGroup,
      deployment_id: String(runId),
    }),
  ).toHaveLength(1);
}, 60000);
