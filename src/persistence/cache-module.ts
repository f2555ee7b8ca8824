/**
 * The Actions cache module (`@actions/cache`), loaded only when an entry is really to be restored
 * or saved: with the Azure SDK under it, it is the largest chunk of the bundles and about doubles
 * post's start-up (docs/performance.md). Whether the runner offers a cache service is decided from
 * the environment alone, the way the module decides it, so asking costs nothing.
 */

/** The part of `@actions/cache` the stores use; tests pass a fake with the same shape. */
export interface CacheApi {
  isFeatureAvailable(): boolean;
  restoreCache(
    paths: string[],
    primaryKey: string,
    restoreKeys?: string[],
    options?: { timeoutInMs?: number; segmentTimeoutInMs?: number },
  ): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

/** Hosts where the cache service v2 is offered (GitHub Enterprise Server only has v1). */
function isGitHubCom(serverUrl: string | undefined): boolean {
  let host: string;
  try {
    host = new URL(serverUrl || 'https://github.com').hostname.toUpperCase();
  } catch {
    return false;
  }
  return host === 'GITHUB.COM' || host.endsWith('.GHE.COM') || host.endsWith('.LOCALHOST');
}

/**
 * Whether the runner offers a cache service to this job: what `isFeatureAvailable()` of
 * `@actions/cache` answers for this environment (service v2, on github.com: `ACTIONS_RESULTS_URL`;
 * service v1, and always on GitHub Enterprise Server: `ACTIONS_CACHE_URL`), without loading it.
 */
export function cacheServiceOffered(env: NodeJS.ProcessEnv): boolean {
  const v2 = Boolean(env.ACTIONS_CACHE_SERVICE_V2) && isGitHubCom(env.GITHUB_SERVER_URL);
  return v2 ? Boolean(env.ACTIONS_RESULTS_URL) : Boolean(env.ACTIONS_CACHE_URL);
}

/** A loader that imports the module once, on first use. */
export function lazyCacheModule(): () => Promise<CacheApi> {
  let loading: Promise<CacheApi> | undefined;
  return () => (loading ??= import('@actions/cache') as Promise<CacheApi>);
}
