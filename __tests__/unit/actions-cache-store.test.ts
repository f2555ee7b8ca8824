/**
 * Carried counts in the Actions cache, against a fake cache with the same
 * interface and semantics as @actions/cache: immutable keys, restore of the
 * newest entry by prefix, paths saved and restored as a whole.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRICS } from '../../src/metrics/definitions.js';
import {
  ActionsCacheCarryStore,
  CACHE_KEY_PREFIX,
  type CacheApi,
} from '../../src/state/actions-cache-store.js';
import { FileCarryStore, type CarriedEntry } from '../../src/state/carry.js';
import { carryStoreOf } from '../../src/state/carry-store.js';

class FakeCache implements CacheApi {
  readonly entries: { key: string; files: Map<string, string> }[] = [];
  available = true;
  isFeatureAvailable(): boolean {
    return this.available;
  }
  async restoreCache(
    paths: string[],
    primaryKey: string,
    restoreKeys: string[] = [],
  ): Promise<string | undefined> {
    const exact = this.entries.find((e) => e.key === primaryKey);
    const byPrefix = [...this.entries].reverse().find((e) => restoreKeys.some((p) => e.key.startsWith(p)));
    const hit = exact ?? byPrefix;
    if (!hit) return undefined;
    const dir = paths[0] as string;
    mkdirSync(dir, { recursive: true });
    for (const [name, content] of hit.files) writeFileSync(join(dir, name), content);
    return hit.key;
  }
  async saveCache(paths: string[], key: string): Promise<number> {
    if (this.entries.some((e) => e.key === key))
      throw new Error(`Unable to reserve cache with key ${key}, another job may be creating this cache.`);
    const dir = paths[0] as string;
    const files = new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
    this.entries.push({ key, files });
    return this.entries.length;
  }
}

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

test('a save on one runner is restored on another (the newest key wins), entries intact', async () => {
  const cache = new FakeCache();
  let clock = 1000;
  const first = new ActionsCacheCarryStore(cache, temp(), '100-1-deploy', 5000, () => clock);
  await first.save('group-a', [entry('100', 10)]);
  clock = 1001;
  await first.save('group-a', [entry('100', 10), entry('101', 20)]);
  expect(cache.entries.map((e) => e.key)).toEqual([
    expect.stringMatching(new RegExp(`^${CACHE_KEY_PREFIX}[0-9a-f]{24}-100-1-deploy-1000$`)),
    expect.stringMatching(new RegExp(`^${CACHE_KEY_PREFIX}[0-9a-f]{24}-100-1-deploy-1001$`)),
  ]);
  const second = new ActionsCacheCarryStore(cache, temp(), '102-1-deploy');
  const loaded = await second.load('group-a');
  expect(loaded.map((e) => e.deploymentId)).toEqual(['100', '101']);
  expect(loaded[1]?.updates[0]?.definition).toBe(METRICS.deploymentRunsTotal);
});

test('groups do not see each other; an empty cache loads nothing', async () => {
  const cache = new FakeCache();
  const store = new ActionsCacheCarryStore(cache, temp(), '1-1-j');
  expect(await store.load('group-a')).toEqual([]);
  await store.save('group-a', [entry('1', 1)]);
  expect(await new ActionsCacheCarryStore(cache, temp(), '2-1-j').load('group-b')).toEqual([]);
});

test('a cache that hangs is cut off at the timeout with a message', async () => {
  const cache = new FakeCache();
  cache.restoreCache = () => new Promise(() => undefined);
  const store = new ActionsCacheCarryStore(cache, temp(), '1-1-j', 30);
  await expect(store.load('g')).rejects.toThrow(
    'Restoring carried counts from the Actions cache: no answer within 30 ms',
  );
});

test('no cache call starts past the deadline (post\u2019s budget)', async () => {
  const cache = new FakeCache();
  const store = new ActionsCacheCarryStore(cache, temp(), '1-1-j', 5000, () => 2000, 1999);
  await expect(store.load('g')).rejects.toThrow(
    "Restoring carried counts from the Actions cache: no time left in this step's budget",
  );
  await expect(store.save('g', [entry('1', 1)])).rejects.toThrow(
    "Saving carried counts to the Actions cache: no time left in this step's budget",
  );
  expect(cache.entries).toEqual([]);
});

test('a failing save (read-only token) rejects, so the caller can warn', async () => {
  const cache = new FakeCache();
  cache.saveCache = () => Promise.reject(new Error('Cache service responded with 403'));
  await expect(new ActionsCacheCarryStore(cache, temp(), '1-1-j').save('g', [entry('1', 1)])).rejects.toThrow(
    '403',
  );
});

describe('carryStoreOf', () => {
  const cache = new FakeCache();
  test.each([
    [
      'the state dir wins',
      { DEPLOYMENT_OBSERVABILITY_STATE_DIR: '/keep', RUNNER_TOOL_CACHE: '/tc' },
      true,
      'the directory /keep',
    ],
    [
      'the Actions cache when available',
      { RUNNER_TOOL_CACHE: '/tc', RUNNER_TEMP: '/t' },
      true,
      'the Actions cache',
    ],
    [
      'the tool cache otherwise',
      { RUNNER_TOOL_CACHE: '/tc' },
      false,
      'the directory /tc/deployment-observability',
    ],
  ])('%s', async (_what, env, available, description) => {
    cache.available = available;
    expect((await carryStoreOf(env, cache))?.description).toBe(description);
  });
  test('nowhere to keep counts: undefined', async () => {
    cache.available = false;
    expect(await carryStoreOf({}, cache)).toBeUndefined();
  });
  test('a file store is a FileCarryStore', async () => {
    expect(await carryStoreOf({ DEPLOYMENT_OBSERVABILITY_STATE_DIR: '/keep' }, cache)).toBeInstanceOf(
      FileCarryStore,
    );
  });
  test('isFeatureAvailable() throwing counts as unavailable: the tool cache serves', async () => {
    const throwing = new FakeCache();
    throwing.isFeatureAvailable = () => {
      throw new Error('Cache service url not found');
    };
    expect((await carryStoreOf({ RUNNER_TOOL_CACHE: '/tc' }, throwing))?.description).toBe(
      'the directory /tc/deployment-observability',
    );
  });
  test('without a cache service in the environment, nothing is loaded and the tool cache serves', async () => {
    expect((await carryStoreOf({ RUNNER_TOOL_CACHE: '/tc' }))?.description).toBe(
      'the directory /tc/deployment-observability',
    );
  });
});
