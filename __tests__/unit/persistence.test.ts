/**
 * The persistence layer against a fake cache with the same interface and semantics as
 * @actions/cache: immutable keys, restore of the newest entry by prefix, paths saved and restored
 * as a whole, relative to the current directory. The real module against a real-shaped service is
 * in __tests__/integration/actions-cache.test.ts.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { carryStoreOf, PersistedCarryStore, type CarriedEntry } from '../../src/delivery/carry.js';
import { METRICS } from '../../src/metrics/definitions.js';
import { cacheServiceOffered, type CacheApi } from '../../src/persistence/cache-module.js';
import { CACHE_KEY_PREFIXES, storesFor, type StoresOptions } from '../../src/persistence/stores.js';
import { FakeCacheApi } from '../support/cache-api.js';

const entry = (id: string, recordedAt: number, value = 1): CarriedEntry => ({
  deploymentId: id,
  recordedAt,
  updates: [
    {
      definition: METRICS.deploymentRunsTotal,
      name: 'deployment_runs_total',
      labels: { environment: 'p', service: 'api', status: 'failure' },
      value,
    },
  ],
});

let dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'cache-store-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

const HOSTED = { ACTIONS_RESULTS_URL: 'http://cache.invalid/', ACTIONS_CACHE_SERVICE_V2: 'True' };

function cacheStore(cache: CacheApi, runnerTemp: string, run: string, options: Partial<StoresOptions> = {}) {
  const { stores } = storesFor(
    'carry',
    { ...HOSTED, RUNNER_TEMP: runnerTemp, GITHUB_RUN_ID: run, GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'deploy' },
    { deadline: Infinity, cache: () => Promise.resolve(cache), ...options },
  );
  if (!stores) throw new Error('no stores');
  return new PersistedCarryStore(stores);
}

test('a save on one runner is restored on another (the newest key wins), entries intact', async () => {
  const cache = new FakeCacheApi();
  let clock = 1000;
  const first = cacheStore(cache, temp(), '100', { now: () => clock });
  await first.save('group-a', [entry('100', 10)]);
  clock = 1001;
  await first.save('group-a', [entry('100', 10), entry('101', 20)]);
  expect(cache.entries.map((e) => e.key)).toEqual([
    expect.stringMatching(new RegExp(`^${CACHE_KEY_PREFIXES.carry}[0-9a-f]{32}-100-1-deploy-1000$`)),
    expect.stringMatching(new RegExp(`^${CACHE_KEY_PREFIXES.carry}[0-9a-f]{32}-100-1-deploy-1001$`)),
  ]);
  const second = cacheStore(cache, temp(), '102');
  const loaded = await second.load('group-a');
  expect(loaded.map((e) => e.deploymentId)).toEqual(['100', '101']);
  expect(loaded[1]?.updates[0]?.definition).toBe(METRICS.deploymentRunsTotal);
});

test('the path given to the cache is relative and the same on every runner; cwd and GITHUB_WORKSPACE are put back', async () => {
  const cache = new FakeCacheApi();
  const seen: { paths: string[]; cwd: string; workspace: string | undefined }[] = [];
  const save = cache.saveCache.bind(cache);
  cache.saveCache = (paths, key) => {
    seen.push({ paths, cwd: process.cwd(), workspace: process.env.GITHUB_WORKSPACE });
    return save(paths, key);
  };
  const cwd = process.cwd();
  const workspace = process.env.GITHUB_WORKSPACE;
  const [a, b] = [temp(), join(temp(), 'deeper', 'still')];
  await cacheStore(cache, a, '1').save('g', [entry('1', 1)]);
  await cacheStore(cache, b, '2').save('g', [entry('2', 2)]);
  expect(seen[0]?.paths).toEqual(seen[1]?.paths);
  expect(seen[0]?.paths[0]).toMatch(/^carry\/[0-9a-f]{32}$/);
  expect(seen.map((s) => s.cwd)).toEqual([
    join(a, 'deployment-observability-cache'),
    join(b, 'deployment-observability-cache'),
  ]);
  expect(seen.map((s) => s.workspace)).toEqual(seen.map((s) => s.cwd));
  expect(process.cwd()).toBe(cwd);
  expect(process.env.GITHUB_WORKSPACE).toBe(workspace);
});

test('groups do not see each other; an empty cache loads nothing', async () => {
  const cache = new FakeCacheApi();
  const store = cacheStore(cache, temp(), '1');
  expect(await store.load('group-a')).toEqual([]);
  await store.save('group-a', [entry('1', 1)]);
  expect(await cacheStore(cache, temp(), '2').load('group-b')).toEqual([]);
});

test('a probe that says nothing is stored: the cache module is not loaded', async () => {
  const cache = new FakeCacheApi();
  let loads = 0;
  const probed: string[] = [];
  const store = cacheStore(cache, temp(), '1', {
    cache: () => {
      loads++;
      return Promise.resolve(cache);
    },
    probe: (prefix) => {
      probed.push(prefix);
      return Promise.resolve(false);
    },
  });
  expect(await store.load('group-a')).toEqual([]);
  expect(loads).toBe(0);
  expect(probed).toEqual([expect.stringMatching(new RegExp(`^${CACHE_KEY_PREFIXES.carry}[0-9a-f]{32}-$`))]);
  // Something stored, or the probe cannot tell: the module is loaded and asked.
  await cacheStore(cache, temp(), '0').save('group-a', [entry('0', 1)]);
  for (const answer of [true, undefined]) {
    const again = cacheStore(cache, temp(), '2', {
      cache: () => {
        loads++;
        return Promise.resolve(cache);
      },
      probe: () => Promise.resolve(answer),
    });
    expect((await again.load('group-a')).map((e) => e.deploymentId)).toEqual(['0']);
  }
  expect(loads).toBe(2);
});

test('a cache that hangs is cut off at the deadline; the next call waits its turn within its own bound', async () => {
  const cache = new FakeCacheApi();
  const restore = cache.restoreCache.bind(cache);
  let release: (value: undefined) => void = () => undefined;
  cache.restoreCache = () => new Promise((resolve) => (release = resolve));
  const cwd = process.cwd();
  const itemBy = (deadline: number) =>
    storesFor(
      'carry',
      { ...HOSTED, RUNNER_TEMP: temp() },
      { deadline, cache: () => Promise.resolve(cache) },
    ).stores?.item('g');
  await expect(itemBy(Date.now() + 30)?.load()).rejects.toThrow(
    /^Restoring carried counts from the Actions cache: no answer within \d+ ms$/,
  );
  // The hung call still holds the archive root (a late archive must land there): the next call
  // waits for it, and is refused at its own deadline.
  await expect(itemBy(Date.now() + 30)?.load()).rejects.toThrow(
    /^Restoring carried counts from the Actions cache: no answer within \d+ ms$/,
  );
  expect(process.cwd()).not.toBe(cwd);
  cache.restoreCache = restore;
  release(undefined);
  // Once the hung call settles, the directory and GITHUB_WORKSPACE are put back, and calls run again.
  await expect(itemBy(Infinity)?.load()).resolves.toBeUndefined();
  expect(process.cwd()).toBe(cwd);
});

test('no cache call starts past the deadline (post\u2019s budget)', async () => {
  const cache = new FakeCacheApi();
  const store = cacheStore(cache, temp(), '1', { deadline: 1999, now: () => 2000 });
  await expect(store.load('g')).rejects.toThrow(
    "Restoring carried counts from the Actions cache: no time left in this step's budget",
  );
  await expect(store.save('g', [entry('1', 1)])).rejects.toThrow(
    "Saving carried counts to the Actions cache: no time left in this step's budget",
  );
  expect(cache.entries).toEqual([]);
});

test('a failing save (read-only token) rejects, so the caller can warn; so does a refused one (-1)', async () => {
  const cache = new FakeCacheApi();
  cache.saveCache = () => Promise.reject(new Error('Cache service responded with 403'));
  await expect(cacheStore(cache, temp(), '1').save('g', [entry('1', 1)])).rejects.toThrow('403');
  cache.saveCache = () => Promise.resolve(-1);
  await expect(cacheStore(cache, temp(), '1').save('g', [entry('1', 1)])).rejects.toThrow(
    'the Actions cache did not keep the entry',
  );
});

describe('where items are kept', () => {
  test.each([
    [
      'the state dir wins',
      { DEPLOYMENT_OBSERVABILITY_STATE_DIR: '/keep', RUNNER_TOOL_CACHE: '/tc', ...HOSTED },
      'the directory /keep',
    ],
    [
      'the Actions cache when offered',
      { RUNNER_TOOL_CACHE: '/tc', RUNNER_TEMP: '/t', ...HOSTED },
      'the Actions cache',
    ],
    ['the tool cache otherwise', { RUNNER_TOOL_CACHE: '/tc' }, 'the directory /tc/deployment-observability'],
    [
      'service v2 URL without the v2 switch: v1 needs ACTIONS_CACHE_URL',
      { RUNNER_TOOL_CACHE: '/tc', ACTIONS_RESULTS_URL: 'http://x/' },
      'the directory /tc/deployment-observability',
    ],
  ])('%s', (_what, env, description) => {
    expect(carryStoreOf(env, { deadline: Infinity })?.description).toBe(description);
  });
  test('nowhere to keep counts: undefined; history says why', () => {
    expect(carryStoreOf({}, { deadline: Infinity })).toBeUndefined();
    expect(storesFor('history', { RUNNER_TOOL_CACHE: '/tc' }, { deadline: Infinity })).toEqual({
      stores: undefined,
      reason: 'the Actions cache service is not available to this job',
    });
  });
  test('a kept directory keeps the file names earlier versions wrote', async () => {
    const dir = temp();
    const env = { DEPLOYMENT_OBSERVABILITY_STATE_DIR: dir };
    await carryStoreOf(env, { deadline: Infinity })?.save('g', [entry('1', 1)]);
    storesFor('history', env, { deadline: Infinity }).stores?.item('abc').save('x');
    await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(dir).sort()).toEqual([expect.stringMatching(/^carry-[0-9a-f]{32}\.json$/), 'history']);
  });
});

describe('cacheServiceOffered agrees with @actions/cache isFeatureAvailable()', () => {
  const cases: Record<string, string>[] = [
    {},
    { ACTIONS_RESULTS_URL: 'http://r/' },
    { ACTIONS_RESULTS_URL: 'http://r/', ACTIONS_CACHE_SERVICE_V2: 'True' },
    { ACTIONS_CACHE_URL: 'http://c/' },
    { ACTIONS_CACHE_URL: 'http://c/', ACTIONS_CACHE_SERVICE_V2: 'True' },
    {
      ACTIONS_RESULTS_URL: 'http://r/',
      ACTIONS_CACHE_SERVICE_V2: 'True',
      GITHUB_SERVER_URL: 'https://ghes.example',
    },
    {
      ACTIONS_CACHE_URL: 'http://c/',
      ACTIONS_CACHE_SERVICE_V2: 'True',
      GITHUB_SERVER_URL: 'https://ghes.example',
    },
    {
      ACTIONS_RESULTS_URL: 'http://r/',
      ACTIONS_CACHE_SERVICE_V2: 'True',
      GITHUB_SERVER_URL: 'https://acme.ghe.com',
    },
  ];
  const NAMES = ['ACTIONS_RESULTS_URL', 'ACTIONS_CACHE_URL', 'ACTIONS_CACHE_SERVICE_V2', 'GITHUB_SERVER_URL'];
  test.each(cases)('%j', async (env) => {
    const cache = (await import('@actions/cache')) as CacheApi;
    const saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));
    try {
      for (const n of NAMES) delete process.env[n];
      Object.assign(process.env, env);
      expect(cacheServiceOffered(env)).toBe(cache.isFeatureAvailable());
    } finally {
      for (const n of NAMES) {
        if (saved[n] === undefined) delete process.env[n];
        else process.env[n] = saved[n];
      }
    }
  });
});
