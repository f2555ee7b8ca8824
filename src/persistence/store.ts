/**
 * One stored item — the carried counts of one group, the history of one scope — as bytes, kept in
 * a directory or in the Actions cache. What the bytes mean is the caller's business
 * (`delivery/carry.ts`, `summary/history.ts`); here is only where they live and how long a call may take.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { withTimeout } from '../util/timeout.js';
import { inArchiveRoot } from './archive-root.js';
import type { CacheApi } from './cache-module.js';

export interface ByteStore {
  /** Where the item is kept, for messages. */
  readonly description: string;
  /** The stored bytes; undefined when nothing is stored yet. Throws when the store cannot be read. */
  load(): Promise<Buffer | undefined>;
  save(bytes: Uint8Array | string): Promise<void>;
}

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Written beside the target, then renamed: a concurrent reader sees the old file or the new one. */
async function writeAtomically(path: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

/** A file that outlives the job (a directory the user keeps, or the runner's tool cache). */
export class FileStore implements ByteStore {
  readonly description: string;
  constructor(private readonly path: string) {
    this.description = `the directory ${dirname(path)}`;
  }
  load(): Promise<Buffer | undefined> {
    return readIfPresent(this.path);
  }
  save(bytes: Uint8Array | string): Promise<void> {
    return writeAtomically(this.path, bytes);
  }
}

/**
 * What is known of the cache's keys without the cache module: false when the repository's cache
 * holds no key with this prefix, true when it does, undefined when it could not be asked.
 */
export type KeyProbe = (keyPrefix: string) => Promise<boolean | undefined>;

export interface CacheItem {
  /** Loads the cache module (once; `cache-module.ts`). */
  readonly cache: () => Promise<CacheApi>;
  /** The directory the cache's paths are anchored in (under RUNNER_TEMP). */
  readonly root: string;
  /** The item's directory below `root`, the path given to the cache: the same on every runner. */
  readonly dir: string;
  readonly fileName: string;
  /** Every save writes a new key `<prefix><suffix>-<ms>`; a load restores the newest with the prefix. */
  readonly keyPrefix: string;
  /** Unique per job run, e.g. `<run id>-<attempt>-<job>`. */
  readonly keySuffix: string;
  /** The longest one cache call may take (ms). */
  readonly timeoutMs: number;
  /** No cache call runs past this time (ms on `now`): the step's budget. */
  readonly deadline: number;
  readonly now: () => number;
  /** Asked before a load: when it says nothing is stored, the module is not even loaded. */
  readonly probe?: KeyProbe;
  /** What the item is, for messages ("carried counts"). */
  readonly what: string;
}

/** The Actions cache: keys are immutable, so every save writes a new key and a load restores the newest by prefix. */
export class ActionsCacheStore implements ByteStore {
  readonly description = 'the Actions cache';
  constructor(private readonly item: CacheItem) {}

  /** The time a call may take: its own bound, and never past the deadline. */
  private budget(what: string): number {
    const left = this.item.deadline - this.item.now();
    if (left <= 0) throw new Error(`${what}: no time left in this step's budget`);
    return Math.min(this.item.timeoutMs, left);
  }

  private get file(): string {
    return join(this.item.root, this.item.dir, this.item.fileName);
  }

  async load(): Promise<Buffer | undefined> {
    const item = this.item;
    const what = `Restoring ${item.what} from the Actions cache`;
    const ms = this.budget(what);
    const startBy = item.now() + ms;
    const restore = async (): Promise<string | undefined> => {
      if (item.probe && (await item.probe(item.keyPrefix)) === false) return undefined;
      const cache = await item.cache();
      return inArchiveRoot(
        item.root,
        async () => {
          await mkdir(join(item.root, item.dir), { recursive: true });
          const left = Math.max(1, startBy - item.now());
          return cache.restoreCache([item.dir], `${item.keyPrefix}${item.keySuffix}`, [item.keyPrefix], {
            timeoutInMs: left,
            segmentTimeoutInMs: left,
          });
        },
        startBy,
        item.now,
      );
    };
    const hit = await withTimeout(restore(), ms, what);
    return hit === undefined ? undefined : readIfPresent(this.file);
  }

  async save(bytes: Uint8Array | string): Promise<void> {
    const item = this.item;
    await writeAtomically(this.file, bytes);
    const what = `Saving ${item.what} to the Actions cache`;
    const ms = this.budget(what);
    const startBy = item.now() + ms;
    const save = async (): Promise<number> => {
      const cache = await item.cache();
      return inArchiveRoot(
        item.root,
        () => cache.saveCache([item.dir], `${item.keyPrefix}${item.keySuffix}-${item.now()}`),
        startBy,
        item.now,
      );
    };
    const id = await withTimeout(save(), ms, what);
    // The module answers -1 when the service refused or lost the entry (it has logged why).
    if (id === -1) throw new Error('the Actions cache did not keep the entry');
  }
}
