/**
 * An in-memory stand-in for the part of `@actions/cache` the persistence layer uses, with its
 * semantics: keys are immutable (a second save of a key is refused), a restore takes the exact key
 * or else the newest entry whose key starts with a restore key, and a path is saved and restored as
 * a whole directory, relative to the current directory. The real module against a cache service
 * that answers like GitHub's is in __tests__/integration/actions-cache.test.ts.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CacheApi } from '../../src/persistence/cache-module.js';

function filesOf(dir: string, prefix = ''): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory())
      for (const [k, v] of filesOf(full, `${prefix}${name}/`)) files.set(k, v);
    else files.set(`${prefix}${name}`, readFileSync(full));
  }
  return files;
}

export class FakeCacheApi implements CacheApi {
  readonly entries: { key: string; files: Map<string, Buffer> }[] = [];
  /** What `isFeatureAvailable()` answers (the stores decide from the environment; tests set that too). */
  available = true;
  /** Every restore fails as a cache service answering 503 would. */
  failRestore = false;

  isFeatureAvailable(): boolean {
    return this.available;
  }

  async restoreCache(
    paths: string[],
    primaryKey: string,
    restoreKeys: string[] = [],
  ): Promise<string | undefined> {
    if (this.failRestore) throw new Error('Cache service responded with 503');
    const hit =
      this.entries.find((e) => e.key === primaryKey) ??
      [...this.entries].reverse().find((e) => restoreKeys.some((k) => e.key.startsWith(k)));
    if (!hit) return undefined;
    const dir = resolve(paths[0] as string);
    for (const [name, content] of hit.files) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    return hit.key;
  }

  async saveCache(paths: string[], key: string): Promise<number> {
    if (this.entries.some((e) => e.key === key))
      throw new Error(`Unable to reserve cache with key ${key}, another job may be creating this cache.`);
    this.entries.push({ key, files: filesOf(resolve(paths[0] as string)) });
    return this.entries.length;
  }
}
