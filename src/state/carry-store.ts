/**
 * Where counts of a failed push wait for the next push, in order of preference:
 * DEPLOYMENT_OBSERVABILITY_STATE_DIR (a directory the user keeps, e.g. on a
 * self-hosted runner), the Actions cache (GitHub-hosted runners: nothing on
 * disk outlives the job), RUNNER_TOOL_CACHE (persists on self-hosted runners).
 */
import * as actionsCache from '@actions/cache';
import { join } from 'node:path';
import { STATE_DIR_ENV } from '../config/constants.js';
import { ActionsCacheCarryStore, type CacheApi } from './actions-cache-store.js';
import { FileCarryStore, type CarryStore } from './carry.js';

/** `deadline` (ms) bounds every cache call: post's total budget. */
export function carryStoreOf(
  env: NodeJS.ProcessEnv,
  cache: CacheApi = actionsCache,
  deadline = Infinity,
): CarryStore | undefined {
  const explicit = env[STATE_DIR_ENV];
  if (explicit) return new FileCarryStore(explicit);
  if (cache.isFeatureAvailable()) {
    const temp = env.RUNNER_TEMP || '/tmp';
    const suffix =
      [env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT, env.GITHUB_JOB].filter(Boolean).join('-') || 'local';
    return new ActionsCacheCarryStore(
      cache,
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
