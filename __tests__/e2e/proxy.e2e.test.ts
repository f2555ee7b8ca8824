/**
 * Corporate proxies: with HTTP_PROXY/HTTPS_PROXY in the job's environment, every request of the
 * bundles goes through a real forward proxy (tinyproxy, its log read back), NO_PROXY hosts do not,
 * proxy credentials are masked, and a dead proxy is a warning naming it (redacted) within post's budget.
 */
import { apiSteps, API_STAGE_MAP, runTrackedJob } from '../../tools/scenarios/index.js';
import { freePort, startTinyproxy, type Proxy } from '../../tools/services/index.js';
import { newRunId, startBed, type Bed } from './helpers.js';

const PROXY_USER = 'proxyuser';
const PROXY_PASSWORD = 'Pr0xyPassw0rd';

let bed: Bed;
let proxy: Proxy;
let proxyPort: number;
const proxyLog = (): string => proxy.log();

beforeAll(async () => {
  [bed, proxy] = await Promise.all([
    startBed(),
    startTinyproxy({ user: PROXY_USER, password: PROXY_PASSWORD }),
  ]);
  proxyPort = proxy.port;
});

/** What a phase printed, as the runner shows it (`::add-mask::` lines are commands, not shown). */
const printed = (phase: { stdout: string; stderr: string; annotations: unknown[] }): string =>
  `${phase.stdout.replace(/^::add-mask::.*$/gm, '')}${phase.stderr}${JSON.stringify(phase.annotations)}`;

afterAll(async () => {
  await Promise.all([proxy?.stop(), bed?.close()]);
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
