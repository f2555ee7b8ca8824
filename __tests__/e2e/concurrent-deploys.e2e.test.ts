/**
 * Two overlapping posts of one service against a real Pushgateway (docs/reliability.md, "Two
 * concurrent deploys of the same service"): the real PushgatewayClient, one of the two held
 * between its read of the group and its write while the other reads, adds and writes. In either
 * order the counts end exact, and the group read after every write never shows a counter lower
 * than before.
 */
import { METRICS } from '../../src/metrics/definitions.js';
import type { MetricFamily } from '../../src/metrics/exposition.js';
import { publishGroups, type GroupPlan } from '../../src/delivery/publish.js';
import { PushgatewayClient } from '../../src/delivery/pushgateway.js';
import { type GroupingKey, type MetricsSink } from '../../src/delivery/sink.js';
import type { SeriesUpdate } from '../../src/metrics/series.js';
import { systemClock } from '../../src/util/clock.js';
import { RecordingLogger } from '../support/recording.js';
import { startPushgateway, type Service } from '../../tools/services/index.js';
import { gatewayValues } from './helpers.js';

let pg: Service;
beforeAll(async () => {
  pg = await startPushgateway();
});
afterAll(async () => {
  await pg?.stop();
});

const client = (): PushgatewayClient =>
  new PushgatewayClient({ url: pg.url, authorization: undefined, job: 'deployment' }, systemClock);

/** Counts read back from the Pushgateway's own API after every write, in order. */
type Snapshot = Record<string, number>;

function plan(env: string, service: string, status: string, id: string): GroupPlan {
  const key: GroupingKey = [
    ['job', 'deployment'],
    ['environment', env],
    ['service', service],
  ];
  const labels = { environment: env, service };
  const u = (def: (typeof METRICS)[keyof typeof METRICS], l: Record<string, string>, v: number) =>
    ({ definition: def, name: def.name, labels: l, value: v }) satisfies SeriesUpdate;
  return {
    key,
    replaceGroup: true,
    updates: [
      u(METRICS.deploymentRunsTotal, { ...labels, status }, 1),
      u(METRICS.deploymentTotal, { ...labels, stage: 'deploy', status }, 1),
      u(METRICS.inProgress, { ...labels, deployment_id: id, branch: 'main', triggered_by: 'manual' }, 0),
    ],
  };
}

async function snapshot(env: string, service: string): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const status of ['success', 'failure']) {
    const [runs] = await gatewayValues(pg.url, 'deployment_runs_total', {
      environment: env,
      service,
      status,
    });
    const [stage] = await gatewayValues(pg.url, 'deployment_total', {
      environment: env,
      service,
      stage: 'deploy',
      status,
    });
    out[`runs_${status}`] = runs ?? 0;
    out[`deploy_${status}`] = stage ?? 0;
  }
  return out;
}

/** The real client, recording the group after each write; the first read can be held. */
function watched(
  env: string,
  service: string,
  seen: Snapshot[],
  hold?: { readDone: () => void; release: Promise<void> },
): MetricsSink {
  const real = client();
  let reads = 0;
  return {
    name: real.name,
    target: real.target,
    replacesGroups: real.replacesGroups,
    carryPrefix: real.carryPrefix,
    readGroup: async (key, deadline) => {
      const group = await real.readGroup(key, deadline);
      if (hold && reads++ === 0) {
        hold.readDone();
        await hold.release;
      }
      return group;
    },
    write: async (key, families: readonly MetricFamily[], deadline, options) => {
      await real.write(key, families, deadline, options);
      seen.push(await snapshot(env, service));
    },
  };
}

async function post(sink: MetricsSink, p: GroupPlan, id: string): Promise<boolean> {
  const [out] = await publishGroups([p], {
    client: sink,
    store: undefined,
    deploymentId: id,
    deadline: Date.now() + 25_000,
    clock: systemClock,
    logger: new RecordingLogger(),
    cumulative: true,
    replaceGroup: true,
  });
  return out?.pushed === true;
}

/** The pre of a deployment: `deployment_in_progress` 1 and its start, POSTed as pre does. */
async function pre(env: string, service: string, id: string): Promise<void> {
  const key = plan(env, service, 'success', id).key;
  const labels = { environment: env, service, deployment_id: id };
  const gauge = (def: typeof METRICS.inProgress, l: Record<string, string>, value: number): MetricFamily => ({
    name: def.name,
    type: 'gauge',
    help: def.help,
    samples: [{ name: def.name, labels: l, value }],
  });
  await client().write(
    key,
    [
      gauge(METRICS.inProgress, { ...labels, branch: 'main', triggered_by: 'manual' }, 1),
      gauge(METRICS.startTimestamp, labels, Date.now() / 1000),
    ],
    Date.now() + 5000,
    { method: 'POST', at: Date.now() },
  );
}

function neverDecreased(seen: readonly Snapshot[]): void {
  const lower: string[] = [];
  for (let i = 1; i < seen.length; i++)
    for (const [name, value] of Object.entries(seen[i - 1] ?? {}))
      if (((seen[i] ?? {})[name] ?? 0) < value)
        lower.push(`${name} ${value} → ${seen[i]?.[name]} at write ${i + 1}`);
  expect(lower).toEqual([]);
}

test.each([
  ['the failure is held between its read and its write; the success writes first', 'failure', 'success'],
  ['the success is held between its read and its write; the failure writes first', 'success', 'failure'],
])(
  'two overlapping posts of one service, %s: exact counts, never lower after any write',
  async (_, heldStatus, otherStatus) => {
    const env = `race-${heldStatus}`;
    const service = 'svc-race';
    const seen: Snapshot[] = [];
    // Earlier history: 3 successes and 4 failures, serialised.
    let n = 0;
    for (const status of ['success', 'success', 'success', 'failure', 'failure', 'failure', 'failure'])
      expect(
        await post(watched(env, service, seen), plan(env, service, status, `old-${n}`), `old-${n++}`),
      ).toBe(true);
    // Both deployments start (the second's pre after the first's: its in-progress is the one shown).
    await pre(env, service, 'held');
    await pre(env, service, 'other');
    let readDone!: () => void;
    const read = new Promise<void>((resolve) => (readDone = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held = post(
      watched(env, service, seen, { readDone, release: released }),
      plan(env, service, heldStatus, 'held'),
      'held',
    );
    await read; // the held post has read the group
    expect(await post(watched(env, service, seen), plan(env, service, otherStatus, 'other'), 'other')).toBe(
      true,
    );
    release();
    expect(await held).toBe(true);

    expect(await snapshot(env, service)).toEqual({
      runs_success: 4,
      deploy_success: 4,
      runs_failure: 5,
      deploy_failure: 5,
    });
    expect(seen.length).toBeGreaterThanOrEqual(9);
    neverDecreased(seen);
  },
  60000,
);
