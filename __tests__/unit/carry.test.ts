/**
 * Counts a failed push could not deliver, kept on disk until the next push of the same group
 * (README, "Carried counts of failed pushes"). A real temp directory, cleaned up after each test.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { METRICS } from '../../src/metrics/definitions.js';
import { customDefinition } from '../../src/metrics/reported.js';
import type { SeriesUpdate } from '../../src/metrics/series.js';
import {
  carryStoreOf,
  MAX_CARRIED_ENTRIES,
  pendingAfter,
  type CarriedEntry,
  type CarryStore,
} from '../../src/delivery/carry.js';

/** Carried counts kept in a directory (DEPLOYMENT_OBSERVABILITY_STATE_DIR). */
const fileCarry = (d: string): CarryStore =>
  carryStoreOf({ DEPLOYMENT_OBSERVABILITY_STATE_DIR: d }, { deadline: Infinity }) as CarryStore;

const GROUP = 'job="deployment",environment="production",service="api"';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carry-test-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function entry(deploymentId: string, recordedAt: number, updates: SeriesUpdate[] = []): CarriedEntry {
  return { deploymentId, recordedAt, updates };
}

const runs = (status: string, value = 1): SeriesUpdate => ({
  definition: METRICS.deploymentRunsTotal,
  name: 'deployment_runs_total',
  labels: { environment: 'production', service: 'api', status },
  value,
});

async function onlyFile(): Promise<string> {
  const files = await readdir(dir);
  expect(files).toHaveLength(1);
  return join(dir, files[0] as string);
}

describe('carried counts in a directory', () => {
  test('describes where it keeps entries', () => {
    expect(fileCarry('/x/y').description).toBe('the directory /x/y');
  });

  test('missing file → []', async () => {
    await expect(fileCarry(dir).load(GROUP)).resolves.toEqual([]);
  });

  test('missing directory → []', async () => {
    await expect(fileCarry(join(dir, 'not', 'there')).load(GROUP)).resolves.toEqual([]);
  });

  test('save → load round trip, table definitions restored by identity', async () => {
    const store = fileCarry(dir);
    const histogramBucket: SeriesUpdate = {
      definition: METRICS.timeToDeploy,
      name: 'time_to_deploy_seconds_bucket',
      labels: { environment: 'production', le: '+Inf' },
      value: 1,
    };
    const timestamp: SeriesUpdate = {
      definition: METRICS.lastFailureTimestamp,
      name: 'deployment_last_failure_timestamp_seconds',
      labels: { environment: 'production', service: 'api' },
      value: 1_704_103_200,
    };
    const entries = [
      entry('100', 1_000, [runs('success'), timestamp]),
      entry('101-2', 2_000, [runs('failure', 2), histogramBucket]),
    ];
    await store.save(GROUP, entries);
    const loaded = await store.load(GROUP);
    expect(loaded).toEqual(entries);
    expect(loaded[0]?.updates[0]?.definition).toBe(METRICS.deploymentRunsTotal);
    expect(loaded[1]?.updates[1]?.definition).toBe(METRICS.timeToDeploy);
  });

  test('custom metrics come back with a custom definition of the same type and labels', async () => {
    const store = fileCarry(dir);
    const def = customDefinition('jobs_processed_total', ['queue']);
    await store.save(GROUP, [
      entry('1', 1, [
        {
          definition: def,
          name: 'jobs_processed_total',
          labels: { environment: 'production', service: 'api', queue: 'q1' },
          value: 3,
        },
      ]),
    ]);
    const loaded = await store.load(GROUP);
    const update = loaded[0]?.updates[0];
    expect(update?.definition).toEqual(def);
    expect(update?.labels).toEqual({ environment: 'production', service: 'api', queue: 'q1' });
    expect(update?.value).toBe(3);
  });

  test('groups are kept apart; the file name does not contain the raw group id', async () => {
    const store = fileCarry(dir);
    const other = 'job="deployment",environment="production",service="web/../../etc"';
    await store.save(GROUP, [entry('a', 1)]);
    await store.save(other, [entry('b', 2)]);
    expect((await store.load(GROUP)).map((e) => e.deploymentId)).toEqual(['a']);
    expect((await store.load(other)).map((e) => e.deploymentId)).toEqual(['b']);
    const files = await readdir(dir);
    expect(files).toHaveLength(2);
    for (const f of files) expect(f).toMatch(/^carry-[0-9a-f]{32}\.json$/);
  });

  test('save replaces what was there; saving [] clears', async () => {
    const store = fileCarry(dir);
    await store.save(GROUP, [entry('a', 1), entry('b', 2)]);
    await store.save(GROUP, [entry('c', 3)]);
    expect((await store.load(GROUP)).map((e) => e.deploymentId)).toEqual(['c']);
    await store.save(GROUP, []);
    expect(await store.load(GROUP)).toEqual([]);
  });

  test('save creates the directory and leaves no temp file behind', async () => {
    const nested = join(dir, 'a', 'b');
    await fileCarry(nested).save(GROUP, [entry('a', 1)]);
    const files = await readdir(nested);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.json$/);
  });

  test(`at most MAX_CARRIED_ENTRIES (${MAX_CARRIED_ENTRIES}) are kept: the newest`, async () => {
    const store = fileCarry(dir);
    const many = Array.from({ length: MAX_CARRIED_ENTRIES + 50 }, (_, i) =>
      entry(String(i), i, [runs('success')]),
    );
    await store.save(GROUP, many);
    const loaded = await store.load(GROUP);
    expect(loaded).toHaveLength(MAX_CARRIED_ENTRIES);
    expect(loaded[0]?.deploymentId).toBe('50');
    expect(loaded.at(-1)?.deploymentId).toBe(String(MAX_CARRIED_ENTRIES + 49));
  });

  test('corrupt entries and updates are skipped; good ones kept', async () => {
    const store = fileCarry(dir);
    await store.save(GROUP, [entry('seed', 0)]);
    const file = await onlyFile();
    const good = {
      name: 'deployment_runs_total',
      family: 'deployment_runs_total',
      labels: { environment: 'production', service: 'api', status: 'success' },
      value: 1,
    };
    await writeFile(
      file,
      JSON.stringify({
        group: GROUP,
        entries: [
          null,
          42,
          'text',
          {},
          { deploymentId: 7, recordedAt: 1, updates: [] },
          { deploymentId: 'x', recordedAt: '1', updates: [] },
          { deploymentId: 'x', recordedAt: 1, updates: 'nope' },
          {
            deploymentId: 'good',
            recordedAt: 5,
            updates: [
              good,
              null,
              3,
              { family: 1, value: 1, labels: {} },
              { family: 'deployment_runs_total', value: '1', labels: {} },
              { family: 'f', value: 1 },
            ],
          },
        ],
      }),
    );
    const loaded = await store.load(GROUP);
    expect(loaded.map((e) => e.deploymentId)).toEqual(['good']);
    expect(loaded[0]?.updates).toEqual([
      {
        definition: METRICS.deploymentRunsTotal,
        name: 'deployment_runs_total',
        labels: good.labels,
        value: 1,
      },
    ]);
  });

  // `typeof null === 'object'` lets `labels: null` through the check in fromStored: for a custom family
  // Object.keys(null) throws and load() rejects (every carried count of the group is then dropped by
  // publish's loadCarried); for a table family the update comes back with null labels, which
  // mergeUpdates later dereferences.
  test.each<[string, string]>([
    ['custom family', 'my_counter_total'],
    ['table family', 'deployment_runs_total'],
  ])('an update with labels: null is skipped like any corrupt update (%s)', async (_what, family) => {
    const store = fileCarry(dir);
    await store.save(GROUP, [entry('seed', 0)]);
    const file = await onlyFile();
    const good = {
      name: 'deployment_runs_total',
      family: 'deployment_runs_total',
      labels: { environment: 'production', service: 'api', status: 'success' },
      value: 1,
    };
    await writeFile(
      file,
      JSON.stringify({
        group: GROUP,
        entries: [
          {
            deploymentId: 'good',
            recordedAt: 5,
            updates: [{ name: family, family, labels: null, value: 1 }, good],
          },
        ],
      }),
    );
    const loaded = await store.load(GROUP);
    expect(loaded.map((e) => e.deploymentId)).toEqual(['good']);
    expect(loaded[0]?.updates.map((u) => u.labels)).toEqual([good.labels]);
  });

  test('a file that is not JSON is not read as entries (load rejects; publish turns that into a warning)', async () => {
    const store = fileCarry(dir);
    await store.save(GROUP, [entry('seed', 0)]);
    await writeFile(await onlyFile(), '{ half a file');
    await expect(store.load(GROUP)).rejects.toThrow(SyntaxError);
  });

  test('the stored form is plain JSON with the group id', async () => {
    const store = fileCarry(dir);
    await store.save(GROUP, [entry('a', 1, [runs('success')])]);
    const stored = JSON.parse(await readFile(await onlyFile(), 'utf8')) as {
      group: string;
      entries: unknown[];
    };
    expect(stored.group).toBe(GROUP);
    expect(stored.entries).toEqual([
      {
        deploymentId: 'a',
        recordedAt: 1,
        updates: [
          {
            name: 'deployment_runs_total',
            family: 'deployment_runs_total',
            labels: runs('success').labels,
            value: 1,
          },
        ],
      },
    ]);
  });
});

describe('pendingAfter', () => {
  const entries = [entry('a', 1_000_000), entry('b', 2_000_000), entry('c', 3_000_000)];

  test.each<[string, number | undefined, string[]]>([
    ['no marker: all pending', undefined, ['a', 'b', 'c']],
    ['marker before all', 999, ['a', 'b', 'c']],
    ['marker between', 2_500, ['c']],
    ['marker equal to an entry: that entry is included already', 2_000, ['c']],
    ['marker after all', 4_000, []],
    ['marker 0', 0, ['a', 'b', 'c']],
  ])('%s', (_what, marker, ids) => {
    expect(pendingAfter(entries, marker).map((e) => e.deploymentId)).toEqual(ids);
  });

  test('returns a new array', () => {
    const out = pendingAfter(entries, undefined);
    expect(out).not.toBe(entries);
    expect(out).toEqual(entries);
  });
});
