/**
 * Where each kind of stored item lives, in order of preference:
 *
 * 1. `DEPLOYMENT_OBSERVABILITY_STATE_DIR`, a directory the user keeps (self-hosted runners, tests);
 * 2. the Actions cache, where the runner offers one (GitHub-hosted runners: nothing on disk outlives
 *    the job);
 * 3. for carried counts only, `RUNNER_TOOL_CACHE`, which persists on self-hosted runners.
 *
 * The file layout in a kept directory is the one earlier versions wrote, so an upgrade keeps what
 * was stored. In the cache, the key prefixes name a layout version (`-v2-`: paths relative to our
 * own root, the same on every runner).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { STATE_DIR_ENV } from '../config/constants.js';
import { cacheServiceOffered, lazyCacheModule, type CacheApi } from './cache-module.js';
import { ActionsCacheStore, FileStore, type ByteStore, type KeyProbe } from './store.js';

export type StoredKind = 'carry' | 'history';

interface KindLayout {
  /** What an item is, for messages. */
  readonly what: string;
  /** The file in a kept directory. */
  file(root: string, digest: string): string;
  /** The directory in the tool cache, when this kind may live there. */
  toolCacheFile?(toolCache: string, digest: string): string;
  readonly cacheKeyPrefix: string;
  readonly cacheFileName: string;
  readonly timeoutMs: number;
  /** The item's id as it appears in paths and keys. */
  digest(id: string): string;
}

const sha = (id: string, length: number): string =>
  createHash('sha256').update(id).digest('hex').slice(0, length);

export const CACHE_KEY_PREFIXES: Readonly<Record<StoredKind, string>> = Object.freeze({
  carry: 'deployment-observability-carry-v2-',
  history: 'deployment-observability-history-v2-',
});

const LAYOUTS: Record<StoredKind, KindLayout> = {
  carry: {
    what: 'carried counts',
    digest: (id) => sha(id, 32),
    file: (root, digest) => join(root, `carry-${digest}.json`),
    toolCacheFile: (toolCache, digest) => join(toolCache, 'deployment-observability', `carry-${digest}.json`),
    cacheKeyPrefix: CACHE_KEY_PREFIXES.carry,
    cacheFileName: 'carry.json',
    timeoutMs: 5000,
  },
  history: {
    what: 'the deployment history',
    // A history's id is already a short digest of its scope (`historyScope`).
    digest: (id) => id,
    file: (root, digest) => join(root, 'history', digest, 'history.json.gz'),
    cacheKeyPrefix: CACHE_KEY_PREFIXES.history,
    cacheFileName: 'history.json.gz',
    timeoutMs: 10_000,
  },
};

export interface StoresOptions {
  /** No cache call runs past this time (ms on `now`). */
  readonly deadline: number;
  readonly now?: () => number;
  /** The cache module; default: `@actions/cache`, imported on first use. */
  readonly cache?: () => Promise<CacheApi>;
  /** Asked before restoring from the cache (`github/caches.ts`): nothing stored, nothing loaded. */
  readonly probe?: KeyProbe;
}

/** Items of one kind: `item(id)` is the store of one group's counts, one scope's history. */
export interface Stores {
  readonly description: string;
  item(id: string): ByteStore;
}

export type StoresChoice = { stores: Stores; reason?: undefined } | { stores: undefined; reason: string };

/** Whether items would be kept in the Actions cache here (no kept directory, a cache service offered). */
export function keptInActionsCache(env: NodeJS.ProcessEnv): boolean {
  return !env[STATE_DIR_ENV] && cacheServiceOffered(env);
}

/** The stores for this kind in this environment, or why there are none. Loads nothing. */
export function storesFor(kind: StoredKind, env: NodeJS.ProcessEnv, options: StoresOptions): StoresChoice {
  const layout = LAYOUTS[kind];
  const kept = env[STATE_DIR_ENV];
  if (kept) {
    return {
      stores: {
        description: `the directory ${kept}`,
        item: (id) => new FileStore(layout.file(kept, layout.digest(id))),
      },
    };
  }
  if (cacheServiceOffered(env)) {
    const cache = options.cache ?? lazyCacheModule();
    const root = join(env.RUNNER_TEMP || '/tmp', 'deployment-observability-cache');
    const keySuffix =
      [env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT, env.GITHUB_JOB].filter(Boolean).join('-') || 'local';
    return {
      stores: {
        description: 'the Actions cache',
        item: (id) => {
          const digest = layout.digest(id);
          return new ActionsCacheStore({
            cache,
            root,
            dir: `${kind}/${digest}`,
            fileName: layout.cacheFileName,
            keyPrefix: `${layout.cacheKeyPrefix}${digest}-`,
            keySuffix,
            timeoutMs: layout.timeoutMs,
            deadline: options.deadline,
            now: options.now ?? Date.now,
            probe: options.probe,
            what: layout.what,
          });
        },
      },
    };
  }
  const toolCache = env.RUNNER_TOOL_CACHE;
  if (toolCache && layout.toolCacheFile) {
    const file = layout.toolCacheFile;
    return {
      stores: {
        description: `the directory ${join(toolCache, 'deployment-observability')}`,
        item: (id) => new FileStore(file(toolCache, layout.digest(id))),
      },
    };
  }
  return { stores: undefined, reason: 'the Actions cache service is not available to this job' };
}
