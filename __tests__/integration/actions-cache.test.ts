/**
 * The persistence layer with the real `@actions/cache` (and the real tar) against a local cache
 * service that answers like GitHub's (tools/fake-cache): what is saved on one runner is restored on
 * another whose temp directory and workspace sit elsewhere, and nothing lands in the workspace.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { carryStoreOf, type CarriedEntry } from '../../src/delivery/carry.js';
import { METRICS } from '../../src/metrics/definitions.js';
import type { CacheApi } from '../../src/persistence/cache-module.js';
import { historyScope, historyStoreOf } from '../../src/summary/history-store.js';
import type { RunRecord } from '../../src/summary/record.js';
import { FakeCacheService } from '../../tools/fake-cache/server.js';

const service = new FakeCacheService();
let root: string;
const saved: Record<string, string | undefined> = {};
const ENV_NAMES = [
  'ACTIONS_RESULTS_URL',
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_CACHE_SERVICE_V2',
  'ACTIONS_CACHE_URL',
];

beforeAll(async () => {
  await service.start();
  root = mkdtempSync(join(tmpdir(), 'actions-cache-'));
  for (const n of ENV_NAMES) saved[n] = process.env[n];
  delete process.env.ACTIONS_CACHE_URL;
  // @actions/cache reads the service from the process environment, as on a runner.
  Object.assign(process.env, service.cacheEnv());
});
afterAll(async () => {
  for (const n of ENV_NAMES) {
    if (saved[n] === undefined) delete process.env[n];
    else process.env[n] = saved[n];
  }
  await service.close();
  rmSync(root, { recursive: true, force: true });
});

/** A runner: its own temp directory and workspace, at a depth of its own. */
function runner(name: string, depth: number, run: string): NodeJS.ProcessEnv {
  const base = join(root, name, ...Array.from({ length: depth }, (_, i) => `d${i}`));
  const workspace = join(base, '_work', 'repo', 'repo');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'README.md'), 'the user\u2019s checkout\n');
  return {
    ...service.cacheEnv(),
    RUNNER_TEMP: join(base, '_work', '_temp'),
    GITHUB_WORKSPACE: workspace,
    GITHUB_RUN_ID: run,
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'deploy',
  };
}

const entry = (id: string): CarriedEntry => ({
  deploymentId: id,
  recordedAt: 1_700_000_000_000,
  updates: [
    {
      definition: METRICS.deploymentRunsTotal,
      name: 'deployment_runs_total',
      labels: { environment: 'production', service: 'api', status: 'failure' },
      value: 1,
    },
  ],
});

/** Runs `fn` as the runner would: with the job's GITHUB_WORKSPACE as the process's own. */
async function asJob<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const before = process.env.GITHUB_WORKSPACE;
  process.env.GITHUB_WORKSPACE = env.GITHUB_WORKSPACE;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.GITHUB_WORKSPACE;
    else process.env.GITHUB_WORKSPACE = before;
  }
}

test('counts carried on one runner are restored on another whose RUNNER_TEMP and workspace differ', async () => {
  const a = runner('runner-a', 1, '501');
  const b = runner('runner-b', 4, '502');
  expect(a.RUNNER_TEMP).not.toBe(b.RUNNER_TEMP);
  await asJob(a, () => carryStoreOf(a, { deadline: Infinity })!.save('production/api', [entry('501')]));
  expect(service.committed()).toHaveLength(1);
  const loaded = await asJob(b, () => carryStoreOf(b, { deadline: Infinity })!.load('production/api'));
  expect(loaded.map((e) => e.deploymentId)).toEqual(['501']);
  expect(loaded[0]?.updates[0]?.definition).toBe(METRICS.deploymentRunsTotal);
  // Nothing of ours in either workspace: the archive is anchored in our own directory.
  expect(readdirSync(a.GITHUB_WORKSPACE!)).toEqual(['README.md']);
  expect(readdirSync(b.GITHUB_WORKSPACE!)).toEqual(['README.md']);
  expect(existsSync(join(b.RUNNER_TEMP!, 'deployment-observability-cache', 'carry'))).toBe(true);
}, 60_000);

test('the deployment history, too, follows the repository from runner to runner', async () => {
  const a = runner('runner-c', 2, '601');
  const b = runner('runner-d', 0, '602');
  const scope = historyScope(['octo-org/octo-repo', '42', 'production']);
  const now = Date.UTC(2026, 11, 1);
  const record: RunRecord = {
    runId: 601,
    attempt: 1,
    triggeredAt: now - 700_000,
    completedAt: now,
    conclusion: 'success',
    branch: 'main',
    // The history keeps 12 characters of the head SHA.
    headSha: 'ffac537e6cbb',
    commitAt: now - 3_600_000,
    ttdSeconds: 640,
    durationSeconds: 650,
    queueSeconds: 4,
    failedStage: undefined,
    rollback: false,
    jobs: [{ name: 'deploy-api', conclusion: 'success', seconds: 150 }],
  };
  const first = historyStoreOf(a, scope, Infinity).store!;
  const second = historyStoreOf(b, scope, Infinity).store!;
  expect(first.description).toBe('the Actions cache');
  await asJob(a, () => first.save([record]));
  await expect(asJob(b, () => second.load())).resolves.toEqual([record]);
}, 60_000);

test('the platform behaviour this guards against: an absolute path restores only where it was saved', async () => {
  const cache = (await import('@actions/cache')) as CacheApi;
  const a = runner('runner-e', 1, '701');
  const b = runner('runner-f', 3, '702');
  const dirOf = (env: NodeJS.ProcessEnv) => join(env.RUNNER_TEMP!, 'absolute');
  mkdirSync(dirOf(a), { recursive: true });
  writeFileSync(join(dirOf(a), 'carry.json'), '{}');
  await asJob(a, () => cache.saveCache([dirOf(a)], 'absolute-path-701'));
  // Another runner names its own temp directory: another version, so a miss.
  await expect(
    asJob(b, () => cache.restoreCache([dirOf(b)], 'absolute-path-702', ['absolute-path-'])),
  ).resolves.toBeUndefined();
  // The same absolute path from another workspace depth: a hit, extracted relative to the new
  // workspace, so not where it was asked for.
  rmSync(dirOf(a), { recursive: true, force: true });
  await expect(
    asJob(b, () => cache.restoreCache([dirOf(a)], 'absolute-path-702', ['absolute-path-'])),
  ).resolves.toBe('absolute-path-701');
  expect(existsSync(join(dirOf(a), 'carry.json'))).toBe(false);
}, 60_000);
