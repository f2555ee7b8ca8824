/**
 * What the repository's Actions cache holds, asked through the REST API
 * (`GET /repos/{owner}/{repo}/actions/caches?key=<prefix>`, `actions: read`) instead of the cache
 * module: post asks once whether any carried counts wait, and loads `@actions/cache` only when some
 * do (docs/performance.md). The listing can include entries this job cannot restore (another
 * branch's scope): then the module is loaded and finds nothing, which costs time, never counts.
 */
import type { GitHubClient } from './client.js';

/** Keys per page the API returns at most. */
const PAGE = 100;

/**
 * A probe for key prefixes under `common` (e.g. every carry key): one listing, made on the first
 * question or on `start()`, answers every later one. false: no key with the prefix; true: some;
 * undefined: the API could not say (no `actions: read`, an error, more keys than one page).
 */
export interface CacheKeyProbe {
  (keyPrefix: string): Promise<boolean | undefined>;
  /** Sends the listing now, so its answer is there when the first question comes. */
  start(): void;
}

export function cacheKeyProbe(client: GitHubClient, common: string, deadline: number): CacheKeyProbe {
  let listing: Promise<{ keys: string[]; complete: boolean } | undefined> | undefined;
  const list = () =>
    (listing ??= client.listActionsCacheKeys(common, PAGE, deadline).then(
      ({ totalCount, keys }) => ({ keys, complete: totalCount <= keys.length }),
      () => undefined,
    ));
  const probe = async (keyPrefix: string): Promise<boolean | undefined> => {
    if (!keyPrefix.startsWith(common)) return undefined;
    const known = await list();
    if (!known) return undefined;
    if (known.keys.some((k) => k.startsWith(keyPrefix))) return true;
    return known.complete ? false : undefined;
  };
  return Object.assign(probe, { start: () => void list() });
}
