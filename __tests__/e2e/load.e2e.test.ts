/**
 * Load, end to end (real dist/ bundles under the runner emulator, one real
 * Pushgateway): 50 deploy jobs of different services at once, 20 sequential
 * deploys of one service — every count exact — and two concurrent deploys of the SAME
 * service (both counted; pre warns; `concurrency:` stays the advice).
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { apiSteps, runTrackedJob } from '../../tools/scenarios/index.js';
import { pushgatewayMetrics } from '../../tools/services/index.js';
import { gatewayValue, newRunId, startBed, type Bed } from './helpers.js';

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

/** Stages the api steps infer to (no stage map: every stage belongs to the job's service). */
const INFERRED = ['build', 'push', 'deploy_railway', 'health_check', 'migration', 'smoke_test'];

/** Runs `tasks` with at most `limit` at a time; results in order. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

const deploy = (env: string, service: string, url = bed.pg.url): Promise<Job> =>
  runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps(),
    stateDir: bed.stateDir,
    with: { environment: env, service, 'pushgateway-url': url },
  });

test('50 deploy jobs of different services at once (10 at a time): every group exact', async () => {
  const env = 'load-50';
  const services = Array.from({ length: 50 }, (_, i) => `svc-${i + 1}`);
  const started = Date.now();
  const jobs = await pool(
    services.map((s) => () => deploy(env, s)),
    10,
  );
  const wallMs = Date.now() - started;
  const posts = jobs.map((j) => j.post?.durationMs ?? NaN).sort((a, b) => a - b);
  console.log(
    `load: 50 jobs, 10 at a time, ${(wallMs / 1000).toFixed(1)} s wall; post median ${Math.round(posts[25] ?? NaN)} ms, max ${Math.round(posts[49] ?? NaN)} ms`,
  );
  for (const job of jobs) {
    expect(job.pre?.exitCode).toBe(0);
    expect(job.post?.exitCode).toBe(0);
    expect(warningsOf(job)).toEqual([]);
    expect(job.post?.durationMs).toBeLessThan(30000);
  }
  // One read of the whole Pushgateway, then every group checked from it.
  const snapshot = await pushgatewayMetrics(bed.pg.url);
  const values = (metric: string, labels: Record<string, string>): number[] =>
    snapshot.flatMap((group) => {
      const family = group[metric] as
        { metrics?: { labels: Record<string, string>; value?: string }[] } | undefined;
      return (family?.metrics ?? [])
        .filter((m) => Object.entries(labels).every(([k, v]) => m.labels[k] === v))
        .map((m) => Number(m.value));
    });
  for (const service of services) {
    const group = { environment: env, service };
    // The failure series from the first deployment on, at 0 (increase() sees a first failure).
    expect(values('deployment_runs_total', { ...group, status: 'failure' })).toEqual([0]);
    expect(values('deployment_runs_total', { ...group, status: 'success' })).toEqual([1]);
    for (const stage of INFERRED)
      expect(values('deployment_total', { ...group, stage, status: 'success' })).toEqual([1]);
    expect(values('deployment_total', group)).toHaveLength(INFERRED.length);
    expect(values('deployment_in_progress', group)).toEqual([0]);
  }
}, 90000);

test('20 sequential deploys of one service: deployment_runs_total 20, each stage 20', async () => {
  const env = 'load-seq';
  const group = { environment: env, service: 'svc-seq' };
  const started = Date.now();
  let previous = 0;
  for (let i = 1; i <= 20; i++) {
    const job = await deploy(env, 'svc-seq');
    expect(job.post?.exitCode).toBe(0);
    // Never backwards, always by exactly one.
    const runs = await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'success' });
    expect(runs).toBe(previous + 1);
    previous = runs;
  }
  console.log(`load: 20 sequential deploys, ${((Date.now() - started) / 1000).toFixed(1)} s wall`);
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'success' })).toBe(20);
  for (const stage of INFERRED)
    expect(await gatewayValue(bed.pg.url, 'deployment_total', { ...group, stage, status: 'success' })).toBe(
      20,
    );
}, 90000);

/**
 * A proxy in front of the Pushgateway that holds each read of the groups until
 * a second read has arrived: both deployments read the group before either
 * pushes — the race of two concurrent deploys of one service, made certain.
 */
async function readBarrierProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  let waiting: (() => void) | undefined;
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
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    out.end(body);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const go = (): void => forward(req, res, body);
      if (req.method === 'GET' && req.url?.startsWith('/api/v1/metrics')) {
        if (waiting) {
          const first = waiting;
          waiting = undefined;
          first();
          go();
        } else {
          // Released by the second read, or after 3 s (within the 5 s per-attempt timeout).
          const timer = setTimeout(() => {
            waiting = undefined;
            go();
          }, 3000);
          waiting = () => {
            clearTimeout(timer);
            go();
          };
        }
      } else go();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('two concurrent deploys of the SAME service: both read at once; both counted, pre warns (concurrency: stays the advice)', async () => {
  const env = 'load-same';
  const group = { environment: env, service: 'svc-same' };
  const proxy = await readBarrierProxy(bed.pg.url);
  try {
    const [a, b] = await Promise.all([
      deploy(env, 'svc-same', proxy.url),
      deploy(env, 'svc-same', proxy.url),
    ]);
    for (const job of [a, b]) {
      expect(job?.post?.exitCode).toBe(0);
      for (const w of warningsOf(job as Job))
        expect(w).toMatch(/^Another deployment of svc-same to load-same is in progress/);
    }
    // Both deployments counted: a write another one replaced was applied again on top of it.
    expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'success' })).toBe(2);
    expect(await gatewayValue(bed.pg.url, 'deployment_total', { ...group, stage: 'build' })).toBe(2);
  } finally {
    await proxy.close();
  }
  // Serialised (what `concurrency:` does), the next deploy counts exactly one more.
  await deploy(env, 'svc-same');
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'success' })).toBe(3);
}, 90000);
