/**
 * Pushgateway faults, end to end (real dist/ bundles, runner emulator, a real
 * Pushgateway behind a small fault proxy): 500 on push, 400 type conflict, a
 * slow answer, and a metrics-file that cannot be written. For each: exit code
 * 0, the warning, post within its budget, and no wrong number pushed (counters
 * never go backwards; counts that could not be pushed arrive later, once).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiSteps, API_STAGE_MAP, runTrackedJob } from '../../tools/scenarios/index.js';
import { startPushgateway } from '../../tools/services/index.js';
import { gatewayValue, gatewayValues, newRunId, startBed, type Bed } from './helpers.js';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.close();
});

type Job = Awaited<ReturnType<typeof runTrackedJob>>;
const warningsOf = (job: Job): string[] =>
  job.result.annotations.filter((a) => a.level === 'warning').map((a) => a.message);

interface FaultProxy {
  url: string;
  /** Pushes (PUT/POST/DELETE under /metrics) answered so far, by status. */
  readonly pushes: number[];
  mode: { failPushWith?: number; delayMs?: number };
  close(): Promise<void>;
}

/** A proxy in front of the real Pushgateway that can fail pushes or answer late. */
async function faultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const proxy: FaultProxy = {
    url: '',
    pushes: [],
    mode: {},
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        if (req.method !== 'GET') proxy.pushes.push(answer.statusCode ?? 0);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => {
      res.writeHead(502);
      res.end('proxy: upstream error');
    });
    out.end(body);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const answer = (): void => {
        if (req.method !== 'GET' && proxy.mode.failPushWith !== undefined) {
          proxy.pushes.push(proxy.mode.failPushWith);
          res.writeHead(proxy.mode.failPushWith, { 'content-type': 'text/plain' });
          res.end('simulated storage failure\n');
          return;
        }
        forward(req, res, body);
      };
      // A delayed answer, not a sleep in the test.
      if (proxy.mode.delayMs) setTimeout(answer, proxy.mode.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return proxy;
}

const deploy = (env: string, url: string, extra: Record<string, string> = {}): Promise<Job> =>
  runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { environment: env, 'pushgateway-url': url, stages: API_STAGE_MAP, ...extra },
  });

/** The counters a deploy of the api job moves, read from the real Pushgateway. */
async function counts(env: string): Promise<{ runs: number[]; build: number[] }> {
  return {
    runs: await gatewayValues(bed.pg.url, 'deployment_runs_total', {
      environment: env,
      service: 'api',
      status: 'success',
    }),
    build: await gatewayValues(bed.pg.url, 'deployment_total', {
      environment: env,
      service: 'api',
      stage: 'build',
    }),
  };
}

test('Pushgateway answering 500 on push: warning with the HTTP 500, exit 0, within budget; counts carried once', async () => {
  const env = 'pgf-500';
  await deploy(env, bed.pg.url);
  expect(await counts(env)).toEqual({ runs: [1], build: [1] });

  const proxy = await faultProxy(bed.pg.url);
  try {
    proxy.mode = { failPushWith: 500 };
    const job = await deploy(env, proxy.url);
    expect(job.pre?.exitCode).toBe(0);
    expect(job.post?.exitCode).toBe(0);
    expect(job.post?.durationMs).toBeLessThan(30000);
    const warnings = warningsOf(job);
    expect(
      warnings.some(
        (w) =>
          w.includes('failed: HTTP 500: simulated storage failure') &&
          w.includes('counts kept in') &&
          w.includes('for the next successful push'),
      ),
    ).toBe(true);
    // Retried (5xx), but bounded.
    expect(proxy.pushes.length).toBeGreaterThan(1);
    expect(proxy.pushes.every((s) => s === 500)).toBe(true);
    // Nothing wrong reached the gateway: the counts are as before.
    expect(await counts(env)).toEqual({ runs: [1], build: [1] });
  } finally {
    await proxy.close();
  }

  const next = await deploy(env, bed.pg.url);
  expect(next.post?.summary).toContain('with the counts of 1 earlier deployment(s) whose push had failed');
  expect(await counts(env)).toEqual({ runs: [3], build: [3] });
  // Once only.
  await deploy(env, bed.pg.url);
  expect(await counts(env)).toEqual({ runs: [4], build: [4] });
}, 90000);

test('400 type conflict (deployment_total is a gauge in another group): the 400 is named, counts carried, not lost', async () => {
  // A Pushgateway of its own: the shared one already holds deployment_total as a counter.
  const pg = await startPushgateway();
  const env = 'pgf-400';
  const group = { environment: env, service: 'api' };
  const countsIn = async (): Promise<{ runs: number[]; build: number[] }> => ({
    runs: await gatewayValues(pg.url, 'deployment_runs_total', { ...group, status: 'success' }),
    build: await gatewayValues(pg.url, 'deployment_total', { ...group, stage: 'build' }),
  });
  try {
    const conflict = `${pg.url}/metrics/job/someone-else/environment/${env}`;
    const put = await fetch(conflict, {
      method: 'PUT',
      body: '# TYPE deployment_total gauge\ndeployment_total{stage="x"} 7\n',
    });
    expect(put.status).toBeLessThan(300);
    const job = await deploy(env, pg.url);
    expect(job.pre?.exitCode).toBe(0);
    expect(job.post?.exitCode).toBe(0);
    expect(job.post?.durationMs).toBeLessThan(30000);
    const warning = warningsOf(job).find((w) => w.startsWith('Not pushed to'));
    expect(warning).toContain('failed: HTTP 400');
    expect(warning).toContain('deployment_total');
    expect(warning).toContain('counts kept in');
    // Nothing of this deployment's counts reached the api group.
    expect(await countsIn()).toEqual({ runs: [], build: [] });

    // The conflict gone, the next deployment pushes both deployments' counts, once.
    expect((await fetch(conflict, { method: 'DELETE' })).status).toBeLessThan(300);
    const next = await deploy(env, pg.url);
    expect(next.post?.summary).toContain('with the counts of 1 earlier deployment(s) whose push had failed');
    expect(warningsOf(next)).toEqual([]);
    expect(await countsIn()).toEqual({ runs: [2], build: [2] });
    await deploy(env, pg.url);
    expect(await countsIn()).toEqual({ runs: [3], build: [3] });
  } finally {
    await pg.stop();
  }
}, 90000);

test('a slow Pushgateway (every answer after 3 s): within budget, no warning, counts exact', async () => {
  const env = 'pgf-slow';
  const proxy = await faultProxy(bed.pg.url);
  try {
    proxy.mode = { delayMs: 3000 };
    const first = await deploy(env, proxy.url);
    const second = await deploy(env, proxy.url);
    for (const job of [first, second]) {
      expect(job.pre?.exitCode).toBe(0);
      expect(job.post?.exitCode).toBe(0);
      expect(warningsOf(job)).toEqual([]);
      expect(job.pre?.durationMs).toBeLessThan(8000 + 2000);
      expect(job.post?.durationMs).toBeLessThan(30000);
      // The delay was really paid: a read and a push, each 3 s.
      expect(job.post?.durationMs).toBeGreaterThanOrEqual(6000);
    }
    expect(await counts(env)).toEqual({ runs: [2], build: [2] });
    expect(
      await gatewayValue(bed.pg.url, 'deployment_in_progress', { environment: env, service: 'api' }),
    ).toBe(0);
  } finally {
    await proxy.close();
  }
}, 120000);

test('metrics-file not writable (a path under a file): a warning naming metrics-file, exit 0, the push still made', async () => {
  const env = 'pgf-file';
  const dir = mkdtempSync(join(tmpdir(), 'pgf-file-'));
  const blocker = join(dir, 'a-file');
  writeFileSync(blocker, 'not a directory');
  const path = join(blocker, 'metrics.prom');
  try {
    const job = await deploy(env, bed.pg.url, { 'metrics-file': path });
    expect(job.post?.exitCode).toBe(0);
    expect(job.post?.durationMs).toBeLessThan(30000);
    const warnings = warningsOf(job);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`metrics-file ${path} could not be written`);
    expect(await counts(env)).toEqual({ runs: [1], build: [1] });
    // And with fail-on-error the same problem fails post (the deployment's own steps still ran).
    const strict = await deploy(env, bed.pg.url, { 'metrics-file': path, 'fail-on-error': 'true' });
    expect(strict.pre?.exitCode).toBe(0);
    expect(strict.post?.exitCode).toBe(1);
    expect(await counts(env)).toEqual({ runs: [2], build: [2] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90000);
