/**
 * Carried counts on GitHub-hosted runners, with the real bundles under the runner emulator and a
 * local cache service the bundled `@actions/cache` talks to (tools/fake-cache). Every emulated job
 * has its own RUNNER_TEMP and workspace, like jobs on different runners: counts a failed push left
 * in the cache are delivered by the next job's push. With nothing carried, post asks the REST API
 * once and never calls the cache service.
 */
import { notAccessible } from '../../tools/fake-github/server.js';
import { FakeCacheService } from '../../tools/fake-cache/server.js';
import { apiSteps, API_STAGE_MAP, runTrackedJob } from '../../tools/scenarios/index.js';
import { freePort } from '../../tools/services/index.js';
import { gatewayValue, newRunId, startBed, type Bed } from './helpers.js';

const cache = new FakeCacheService();
let bed: Bed;

beforeAll(async () => {
  await cache.start();
  bed = await startBed({ caches: () => cache.committed() });
});
afterAll(async () => {
  await Promise.all([bed?.close(), cache.close()]);
});

const warningsOf = (job: Awaited<ReturnType<typeof runTrackedJob>>): string[] =>
  job.result.annotations.filter((a) => a.level === 'warning').map((a) => a.message);

/** A tracked job on a GitHub-hosted runner: the cache service announced, no kept directory. */
const hostedJob = (environment: string, pushgatewayUrl: string, healthFails = false) =>
  runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps: apiSteps({ healthFails }),
    stateDir: bed.stateDir,
    env: { ...cache.cacheEnv(), DEPLOYMENT_OBSERVABILITY_STATE_DIR: '' },
    with: { environment, 'pushgateway-url': pushgatewayUrl, stages: API_STAGE_MAP },
  });

const cacheListings = (from: number): number =>
  bed.gh.requests.slice(from).filter((r) => /\/actions\/caches(\?|$)/.test(r.path)).length;

test('counts of a failed push are carried through the Actions cache to a job on another runner', async () => {
  const env = 'hc-carry';
  const down = `http://127.0.0.1:${await freePort()}`;
  const first = await hostedJob(env, down, true);
  expect(first.post?.exitCode).toBe(0);
  expect(warningsOf(first).some((w) => w.includes('counts kept in the Actions cache'))).toBe(true);
  expect(cache.committed().map((e) => e.key)).toEqual([
    expect.stringMatching(/^deployment-observability-carry-v2-[0-9a-f]{32}-/),
  ]);

  const second = await hostedJob(env, bed.pg.url);
  expect(second.post?.exitCode).toBe(0);
  // Each emulated job has its own temp root (RUNNER_TEMP, workspace): another runner's paths.
  expect(second.result.workdir).not.toBe(first.result.workdir);
  expect(second.post?.summary).toContain('with the counts of 1 earlier deployment(s) whose push had failed');
  const group = { environment: env, service: 'api' };
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'failure' })).toBe(1);
  expect(await gatewayValue(bed.pg.url, 'deployment_runs_total', { ...group, status: 'success' })).toBe(1);
  expect(warningsOf(second)).toEqual([]);
}, 120_000);

test('nothing carried: post lists the cache keys once and never calls the cache service', async () => {
  const fromGh = bed.gh.requests.length;
  const fromCache = cache.requests.length;
  const job = await hostedJob('hc-nothing', bed.pg.url);
  expect(job.post?.exitCode).toBe(0);
  expect(warningsOf(job)).toEqual([]);
  expect(cacheListings(fromGh)).toBe(1);
  expect(cache.requests.slice(fromCache)).toEqual([]);
  expect(
    await gatewayValue(bed.pg.url, 'deployment_runs_total', {
      environment: 'hc-nothing',
      service: 'api',
      status: 'success',
    }),
  ).toBe(1);
}, 120_000);

test('the token cannot list caches (no actions: read): the cache is asked as before, quietly', async () => {
  bed.gh.inject(notAccessible({ route: /\/actions\/caches$/, times: 1 }));
  const fromCache = cache.requests.length;
  const job = await hostedJob('hc-forbidden', bed.pg.url);
  expect(job.post?.exitCode).toBe(0);
  expect(warningsOf(job)).toEqual([]);
  expect(cache.requests.slice(fromCache)).toEqual(['POST GetCacheEntryDownloadURL']);
}, 120_000);
