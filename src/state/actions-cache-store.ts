/**
 * Carried counts in the GitHub Actions cache, for GitHub-hosted runners where
 * nothing on disk outlives the job. Cache keys are immutable, so every save
 * writes a new key and a load restores the newest by prefix (docs/platform.md,
 * "The Actions cache"). Each call is bounded: the cache must never hold post up.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { withTimeout } from '../util/timeout.js';
import { FileCarryStore, type CarriedEntry, type CarryStore } from './carry.js';

/** The part of `@actions/cache` this store uses; tests pass a fake with the same shape. */
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

export const CACHE_KEY_PREFIX = 'deployment-observability-carry-v1-';

export class ActionsCacheCarryStore implements CarryStore {
  readonly description = 'the Actions cache';

  /**
   * @param workDir where restored files land (the same path on every runner: the cache version hashes it)
   * @param keySuffix unique per job run, e.g. `<run id>-<attempt>-<job>`
   */
  constructor(
    private readonly cache: CacheApi,
    private readonly workDir: string,
    private readonly keySuffix: string,
    private readonly timeoutMs = 5000,
    private readonly now: () => number = Date.now,
    /** No cache call runs past this time (ms): post's total budget. */
    private readonly deadline = Infinity,
  ) {}

  /** The time a call may take: its own bound, and never past the deadline. */
  private budget(what: string): number {
    const left = this.deadline - this.now();
    if (left <= 0) throw new Error(`${what}: no time left in this step's budget`);
    return Math.min(this.timeoutMs, left);
  }

  private where(groupId: string): { dir: string; prefix: string } {
    const hash = createHash('sha256').update(groupId).digest('hex').slice(0, 24);
    return { dir: join(this.workDir, hash), prefix: `${CACHE_KEY_PREFIX}${hash}-` };
  }

  async load(groupId: string): Promise<CarriedEntry[]> {
    const { dir, prefix } = this.where(groupId);
    await mkdir(dir, { recursive: true });
    const what = 'Restoring carried counts from the Actions cache';
    const ms = this.budget(what);
    const hit = await withTimeout(
      this.cache.restoreCache([dir], `${prefix}${this.keySuffix}`, [prefix], {
        timeoutInMs: ms,
        segmentTimeoutInMs: ms,
      }),
      ms,
      what,
    );
    if (hit === undefined) return [];
    return new FileCarryStore(dir).load(groupId);
  }

  async save(groupId: string, entries: readonly CarriedEntry[]): Promise<void> {
    const { dir, prefix } = this.where(groupId);
    await new FileCarryStore(dir).save(groupId, entries);
    const what = 'Saving carried counts to the Actions cache';
    const ms = this.budget(what);
    await withTimeout(this.cache.saveCache([dir], `${prefix}${this.keySuffix}-${this.now()}`), ms, what);
  }
}
