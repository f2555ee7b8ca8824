/**
 * Where the history lives between summaries: one item per scope in the persistence layer
 * (`persistence/stores.ts`: a kept directory when DEPLOYMENT_OBSERVABILITY_STATE_DIR is set, else
 * the Actions cache), encoded by `history.ts`. Every cache call is bounded by the step's deadline.
 */
import { createHash } from 'node:crypto';
import type { CacheApi } from '../persistence/cache-module.js';
import { storesFor } from '../persistence/stores.js';
import { decodeHistory, encodeHistory } from './history.js';
import type { RunRecord } from './record.js';

export interface HistoryStore {
  readonly description: string;
  /** The stored records; empty when there is none yet. Throws when the store cannot be read. */
  load(): Promise<RunRecord[]>;
  save(records: readonly RunRecord[]): Promise<void>;
}

/** A short stable id of the history's scope (repository, workflow, environment). */
export function historyScope(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 24);
}

/**
 * The history store for this scope, or a reason there is none (the summary then works from the
 * API alone and says so). `cache` replaces `@actions/cache` (tests).
 */
export function historyStoreOf(
  env: NodeJS.ProcessEnv,
  scope: string,
  deadline: number,
  cache?: CacheApi,
): { store: HistoryStore; reason?: undefined } | { store: undefined; reason: string } {
  const choice = storesFor('history', env, {
    deadline,
    ...(cache ? { cache: () => Promise.resolve(cache) } : {}),
  });
  if (!choice.stores) return { store: undefined, reason: choice.reason };
  const item = choice.stores.item(scope);
  return {
    store: {
      description: item.description,
      load: async () => {
        const bytes = await item.load();
        return bytes === undefined ? [] : decodeHistory(bytes);
      },
      save: (records) => item.save(encodeHistory(records)),
    },
  };
}
