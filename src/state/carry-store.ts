/**
 * Where counts of a failed push wait for the next push, in order of preference:
 * DEPLOYMENT_OBSERVABILITY_STATE_DIR (a directory the user keeps, e.g. on a
 * self-hosted runner), the Actions cache (GitHub-hosted runners: nothing on
 * disk outlives the job), RUNNER_TOOL_CACHE (persists on self-hosted runners).
 */
import { join } from 'node:path';
import { STATE_DIR_ENV } from '../config/constants.js';
import { ActionsCacheCarryStore, type CacheApi } from './actions-cache-store.js';
import { FileCarryStore, type CarryStore } from './carry.js';

/**
 * @actions/cache (and the Azure SDK under it) is loaded only where the runner
 * offers a cache service: it more than triples post's bundle and start-up.
 */
async function loadActionsCache(env: NodeJS.ProcessEnv): Promise<CacheApi | undefined> {
  if (!env.ACTIONS_CACHE_URL && !env.ACTIONS_RESULTS_URL) return undefined;
  return (await import('@actions/cache')) as CacheApi;
}

/** isFeatureAvailable() that throws counts as "not available": the carry store must not cost the push. */
function cacheAvailable(cache: CacheApi | undefined): cache is CacheApi {
  try {
    return cache?.isFeatureAvailable() === true;
  } catch {
    return false;
  }
}

/** `deadline` (ms) bounds every cache call: post's total budget. */
export async function carryStoreOf(
  env: NodeJS.ProcessEnv,
  cache?: CacheApi,
  deadline = Infinity,
): Promise<CarryStore | undefined> {
  const explicit = env[STATE_DIR_ENV];
  if (explicit) return new FileCarryStore(explicit);
  const actionsCache = cache ?? (await loadActionsCache(env));
  if (cacheAvailable(actionsCache)) {
    const temp = env.RUNNER_TEMP || '/tmp';
    const suffix =
      [env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT, env.GITHUB_JOB].filter(Boolean).join('-') || 'local';
    return new ActionsCacheCarryStore(
      actionsCache,
      join(temp, 'deployment-observability-carry'),
      suffix,
      5000,
      Date.now,
      deadline,
    );
  }
  if (env.RUNNER_TOOL_CACHE)
    return new FileCarryStore(join(env.RUNNER_TOOL_CACHE, 'deployment-observability'));
  return undefined;
}
