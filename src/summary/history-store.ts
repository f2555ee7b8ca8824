/**
 * Where the history lives between summaries: a directory when
 * DEPLOYMENT_OBSERVABILITY_STATE_DIR is set (self-hosted runners, tests),
 * else the Actions cache. Cache keys are immutable, so every save writes a new
 * key and a load restores the newest by prefix (docs/platform.md, "The Actions cache").
 * Every cache call is bounded.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STATE_DIR_ENV } from '../config/constants.js';
import type { CacheApi } from '../state/actions-cache-store.js';
import { withTimeout } from '../util/timeout.js';
import { decodeHistory, encodeHistory } from './history.js';
import type { RunRecord } from './record.js';

export const HISTORY_CACHE_PREFIX = 'deployment-observability-history-v1-';
const FILE_NAME = 'history.json.gz';

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

async function readIfPresent(path: string): Promise<RunRecord[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return decodeHistory(bytes);
}

async function writeAtomically(dir: string, records: readonly RunRecord[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${FILE_NAME}.${process.pid}.tmp`);
  await writeFile(tmp, encodeHistory(records));
  await rename(tmp, join(dir, FILE_NAME));
}

/** One file per scope in a directory. */
export class FileHistoryStore implements HistoryStore {
  readonly description: string;
  private readonly dir: string;
  constructor(root: string, scope: string) {
    this.dir = join(root, 'history', scope);
    this.description = `${this.dir}`;
  }
  load(): Promise<RunRecord[]> {
    return readIfPresent(join(this.dir, FILE_NAME));
  }
  save(records: readonly RunRecord[]): Promise<void> {
    return writeAtomically(this.dir, records);
  }
}

/** The Actions cache, one new key per save, newest restored by prefix. */
export class ActionsCacheHistoryStore implements HistoryStore {
  readonly description = 'the Actions cache';
  constructor(
    private readonly cache: CacheApi,
    private readonly workDir: string,
    private readonly scope: string,
    /** Unique per summary, e.g. `<run id>-<attempt>-<job>`. */
    private readonly keySuffix: string,
    private readonly deadline: number,
    private readonly now: () => number = Date.now,
    private readonly timeoutMs = 10_000,
  ) {}

  private budget(what: string): number {
    const left = this.deadline - this.now();
    if (left <= 0) throw new Error(`${what}: no time left in this step's budget`);
    return Math.min(this.timeoutMs, left);
  }

  private get prefix(): string {
    return `${HISTORY_CACHE_PREFIX}${this.scope}-`;
  }

  async load(): Promise<RunRecord[]> {
    await mkdir(this.workDir, { recursive: true });
    const what = 'Restoring the deployment history from the Actions cache';
    const ms = this.budget(what);
    const hit = await withTimeout(
      this.cache.restoreCache([this.workDir], `${this.prefix}${this.keySuffix}`, [this.prefix], {
        timeoutInMs: ms,
        segmentTimeoutInMs: ms,
      }),
      ms,
      what,
    );
    return hit === undefined ? [] : readIfPresent(join(this.workDir, FILE_NAME));
  }

  async save(records: readonly RunRecord[]): Promise<void> {
    await writeAtomically(this.workDir, records);
    const what = 'Saving the deployment history to the Actions cache';
    const ms = this.budget(what);
    await withTimeout(
      this.cache.saveCache([this.workDir], `${this.prefix}${this.keySuffix}-${this.now()}`),
      ms,
      what,
    );
  }
}

/** @actions/cache is loaded only where the runner offers a cache service (it is large). */
async function loadActionsCache(env: NodeJS.ProcessEnv): Promise<CacheApi | undefined> {
  if (!env.ACTIONS_CACHE_URL && !env.ACTIONS_RESULTS_URL) return undefined;
  return (await import('@actions/cache')) as CacheApi;
}

/**
 * The history store for this scope, or a reason there is none (the summary
 * then works from the API alone and says so).
 */
export async function historyStoreOf(
  env: NodeJS.ProcessEnv,
  scope: string,
  deadline: number,
  cache?: CacheApi,
): Promise<{ store: HistoryStore } | { store: undefined; reason: string }> {
  const dir = env[STATE_DIR_ENV];
  if (dir) return { store: new FileHistoryStore(dir, scope) };
  let api: CacheApi | undefined;
  try {
    api = cache ?? (await loadActionsCache(env));
  } catch (error) {
    return { store: undefined, reason: `the Actions cache could not be loaded: ${(error as Error).message}` };
  }
  let available: boolean;
  try {
    // @actions/cache reads the runner's environment here; a module that throws must not cost the summary.
    available = api?.isFeatureAvailable() === true;
  } catch (error) {
    return {
      store: undefined,
      reason: `the Actions cache could not say whether it is available: ${(error as Error).message}`,
    };
  }
  if (!available || !api)
    return { store: undefined, reason: 'the Actions cache service is not available to this job' };
  const suffix =
    [env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT, env.GITHUB_JOB].filter(Boolean).join('-') || 'local';
  return {
    store: new ActionsCacheHistoryStore(
      api,
      join(env.RUNNER_TEMP || '/tmp', 'deployment-observability-history', scope),
      scope,
      suffix,
      deadline,
    ),
  };
}
