/**
 * Corporate proxies: with HTTP_PROXY/HTTPS_PROXY in the job's environment, every request of the
 * bundles goes through a real forward proxy (tinyproxy, its log read back), NO_PROXY hosts do not,
 * proxy credentials are masked, and a dead proxy is a warning naming it (redacted) within post's budget.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiSteps, API_STAGE_MAP, runTrackedJob } from '../../tools/scenarios/index.js';
import { freePort, waitFor } from '../../tools/services/index.js';
import { newRunId, startBed, type Bed } from './helpers.js';

const PROXY_USER = 'proxyuser';
const PROXY_PASSWORD = 'Pr0xyPassw0rd';

let bed: Bed;
let proxy: ChildProcess;
let proxyPort: number;
let dir: string;
const proxyLog = (): string => readFileSync(join(dir, 'tinyproxy.log'), 'utf8');

beforeAll(async () => {
  bed = await startBed();
  dir = mkdtempSync(join(tmpdir(), 'deploy-obs-proxy-'));
  proxyPort = await freePort();
  writeFileSync(
    join(dir, 'tinyproxy.conf'),
    [
      `Port ${proxyPort}`,
      'Listen 127.0.0.1',
      'Allow 127.0.0.1',
      'Timeout 30',
      `LogFile "${join(dir, 'tinyproxy.log')}"`,
      'LogLevel Info',
      'MaxClients 20',
      `BasicAuth ${PROXY_USER} ${PROXY_PASSWORD}`,
      '',
    ].join('\n'),
  );
  proxy = spawn('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')], { stdio: 'ignore' });
  await waitFor(() => /listening on|Accepting connections/i.test(safeRead()), { timeoutMs: 10_000 });
});

/** What a phase printed, as the runner shows it (`::add-mask::` lines are commands, not shown). */
const printed = (phase: { stdout: string; stderr: string; annotations: unknown[] }): string =>
  `${phase.stdout.replace(/^::add-mask::.*$/gm, '')}${phase.stderr}${JSON.stringify(phase.annotations)}`;

function safeRead(): string {
  try {
    return proxyLog();
  } catch {
    return '';
  }
}

afterAll(async () => {
  if (proxy?.pid) process.kill(proxy.pid, 'SIGTERM');
  await bed?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('requests go through the proxy, NO_PROXY hosts do not; the job works and the password is masked', async () => {
  const pgPort = new URL(bed.pg.url).port;
  const proxyUrl = `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${proxyPort}`;
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { environment: 'proxy-ok', 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
    env: { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, NO_PROXY: `example.com, 127.0.0.1:${pgPort}` },
  });
  expect(job.post?.exitCode).toBe(0);
  expect(job.result.annotations.filter((a) => a.level === 'warning')).toEqual([]);
  expect(JSON.parse(job.post?.outputs['stages-json'] ?? '[]')).toHaveLength(6);
  const log = proxyLog();
  // undici tunnels every proxied request (CONNECT, http targets too). The GitHub API (the fake one,
  // on loopback: loopback is not bypassed by itself) was reached through the proxy …
  expect(log).toContain(`CONNECT 127.0.0.1:${new URL(bed.gh.url).port} `);
  // … the Pushgateway, named in NO_PROXY with its port, directly.
  expect(log).not.toContain(`127.0.0.1:${pgPort}`);
  for (const phase of job.result.phases) {
    expect(printed(phase)).not.toContain(PROXY_PASSWORD);
  }
  expect(job.post?.masks).toContain(PROXY_PASSWORD);
});

test('a dead proxy: a warning naming it, credentials redacted; post ends within its budget', async () => {
  const deadPort = await freePort();
  const deadUrl = `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${deadPort}`;
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { environment: 'proxy-dead', 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
    env: { HTTP_PROXY: deadUrl, HTTPS_PROXY: deadUrl },
  });
  expect(job.post?.exitCode).toBe(0);
  expect(job.post?.durationMs).toBeLessThan(30_000);
  const warnings = job.result.annotations.filter((a) => a.level === 'warning').map((a) => a.message);
  expect(warnings.join('\n')).toContain(`through proxy http://…@127.0.0.1:${deadPort}`);
  for (const phase of job.result.phases) {
    expect(printed(phase)).not.toContain(PROXY_PASSWORD);
  }
});
