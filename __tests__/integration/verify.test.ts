/**
 * The verify hook in-process through runHook and main's dispatch, with a
 * recording ActionIO, a clock whose sleeps pass at once (so a 300 s window
 * takes milliseconds), a local HTTP service and a real Pushgateway: outputs,
 * cumulative counters across two verifications, fail-on-unhealthy,
 * fail-on-error, nothing to check, and metrics-file written only as a
 * regular file.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mainHook } from '../../src/hooks/main.js';
import { runHook } from '../../src/hooks/run-wrapper.js';
import type { Clock } from '../../src/util/clock.js';
import { RecordingIO } from '../support/recording.js';
import { freePort, pushgatewayMetrics, startPushgateway, type Service } from '../../tools/services/index.js';

/** Time moves only by sleeps, which pass at once: one source at a time keeps it exact. */
function instantClock(): Clock & { t: number } {
  const clock = {
    t: Date.UTC(2026, 10, 26, 12, 0, 0),
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += Math.max(0, ms);
    },
  };
  return clock;
}

let pg: Service;
let server: Server;
let base: string;
let temp: string;
let status = 200;
beforeAll(async () => {
  pg = await startPushgateway();
  server = createServer((_req, res) => {
    res.statusCode = status;
    res.end(status === 200 ? 'ok' : 'down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  temp = mkdtempSync(join(tmpdir(), 'verify-hook-'));
});
afterAll(async () => {
  server?.close();
  await pg?.stop();
  rmSync(temp, { recursive: true, force: true });
});

function env(runId: string): NodeJS.ProcessEnv {
  return {
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'verify-api',
    RUNNER_TEMP: temp,
    DEPLOYMENT_OBSERVABILITY_STATE_DIR: join(temp, 'state'),
  };
}

async function verify(inputs: Record<string, string>, runId = '500'): Promise<RecordingIO> {
  const io = new RecordingIO({ mode: 'verify', environment: 'itest', ...inputs });
  await runHook('main', mainHook, io, env(runId), instantClock());
  return io;
}

async function counter(name: string, service: string): Promise<number | undefined> {
  for (const g of await pushgatewayMetrics(pg.url)) {
    if (g.labels.environment !== 'itest' || g.labels.service !== service) continue;
    const family = g[name] as { metrics: { value?: string }[] } | undefined;
    if (family) return Number(family.metrics[0]?.value);
  }
  return undefined;
}

test('healthy window of 300 s: 11 probes, outputs, counters cumulative over two verifications', async () => {
  status = 200;
  const inputs = { service: 'api', 'health-urls': `api=${base}/health`, 'pushgateway-url': pg.url };
  const first = await verify(inputs, '501');
  expect(Object.fromEntries(first.outputs)).toMatchObject({
    'deployment-id': '501',
    healthy: 'true',
    'rollback-recommended': 'false',
  });
  expect(first.messages('warning')).toEqual([]);
  expect(first.failed).toBeUndefined();
  expect(first.summary).toContain('watched 5m of 5m');
  expect(await counter('api_health_check_total', 'api')).toBe(11);
  await verify(inputs, '502');
  expect(await counter('api_health_check_total', 'api')).toBe(22);
  expect(await counter('api_health_check_failures_total', 'api')).toBe(0);
});

test('503 throughout: the health gate holds at half the window; fail-on-unhealthy fails the step', async () => {
  status = 503;
  const io = await verify({
    service: 'down',
    'health-urls': `${base}/health`,
    'pushgateway-url': pg.url,
    'fail-on-unhealthy': 'true',
  });
  expect(Object.fromEntries(io.outputs)).toMatchObject({ healthy: 'false', 'rollback-recommended': 'true' });
  expect(io.summary).toMatch(/watched 2m3\ds of 5m \(\*\*ended early\*\*: a gate held\)/); // + the retries' backoff
  expect(io.failed).toMatch(
    /^Deployment of down is unhealthy \(fail-on-unhealthy\): health checks of 127\.0\.0\.1:\d+\/health failing for 2m30s/,
  );
  expect(io.messages('error')[0]).toMatch(/^Rollback recommended: health checks of/);
  expect(await counter('api_health_check_failures_total', 'down')).toBe(6);
});

test('503 without fail-on-unhealthy: the step succeeds, the output says roll back', async () => {
  status = 503;
  const io = await verify({ service: 'down2', 'health-urls': `${base}/health` });
  expect(io.outputs.get('rollback-recommended')).toBe('true');
  expect(io.failed).toBeUndefined();
  expect(io.summary).toContain('No `pushgateway-url` or `remote-write-url`: nothing pushed');
});

test('Prometheus down with fail-on-error: a telemetry problem, the step fails', async () => {
  const port = await freePort();
  const io = await verify({
    service: 'prom',
    'prometheus-url': `http://127.0.0.1:${port}/`,
    'error-rate-query': 'vector(0)',
    'verify-window-seconds': '10',
    'fail-on-error': 'true',
  });
  expect(io.outputs.get('healthy')).toBe('false');
  expect(io.outputs.get('rollback-recommended')).toBe('false');
  expect(io.messages('warning')[0]).toBe(
    `Prometheus at http://127.0.0.1:${port} is unreachable: connection refused (ECONNREFUSED): nothing listens there; the error rate is missing for this sample (asked again every 1s)`,
  );
  expect(io.failed).toMatch(/telemetry problem\(s\) and fail-on-error is true/);
});

test('nothing to check: says so, outputs false, no waiting', async () => {
  const io = await verify({});
  expect(io.messages('warning')).toEqual([
    'verify mode has nothing to check: set health-urls, or prometheus-url and error-rate-query; nothing was verified',
  ]);
  expect(Object.fromEntries(io.outputs)).toEqual({
    'deployment-id': '500',
    healthy: 'false',
    'rollback-recommended': 'false',
  });
});

test('credentials in a health URL are masked before anything is printed', async () => {
  status = 200;
  const io = await verify({
    service: 'auth',
    'health-urls': `api=http://probe:pr0be-secret@127.0.0.1:${(server.address() as AddressInfo).port}/health`,
    'verify-window-seconds': '10',
  });
  expect(io.secrets).toContain('pr0be-secret');
  expect(JSON.stringify(io.entries) + io.summary).not.toContain('pr0be-secret');
  expect(io.outputs.get('healthy')).toBe('true');
});

describe('metrics-file is written only as a regular file, as in track mode', () => {
  test('a symbolic link at metrics-file: verify says it cannot write there and writes nothing through it', async () => {
    status = 200;
    const target = join(temp, 'elsewhere.txt');
    writeFileSync(target, 'not for the action\n');
    const link = join(temp, 'verify-link.prom');
    symlinkSync(target, link);
    const io = await verify({
      service: 'link',
      'health-urls': `${base}/health`,
      'verify-window-seconds': '10',
      'metrics-file': link,
    });
    expect(io.outputs.get('healthy')).toBe('true');
    expect(io.messages('warning')).toEqual([
      `metrics-file ${link} could not be written: it exists and is not a regular file`,
    ]);
    expect(io.outputs.has('metrics-file')).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe('not for the action\n');
  });

  test('a FIFO at metrics-file: verify says it cannot write there and ends (opening it would block until a reader came)', async () => {
    status = 200;
    const fifo = join(temp, 'verify-fifo.prom');
    execFileSync('mkfifo', [fifo]);
    const run = verify({
      service: 'fifo',
      'health-urls': `${base}/health`,
      'verify-window-seconds': '10',
      'metrics-file': fifo,
    });
    const ended = await Promise.race([
      run.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000).unref()),
    ]);
    if (!ended) {
      // Blocked opening the FIFO: a reader lets it go, so the test fails instead of hanging.
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      await run;
      closeSync(reader);
    }
    expect(ended).toBe(true);
    expect((await run).messages('warning')).toEqual([
      `metrics-file ${fifo} could not be written: it exists and is not a regular file`,
    ]);
  });
});
