/**
 * Two posts of one Pushgateway group at once (docs/reliability.md, "Two concurrent deploys of the
 * same service"): each reads the group, adds its counts and writes it back whole. A write built
 * on an overtaken read is rebuilt; a write another one replaced is applied again, once.
 */
import { describe, expect, test } from '@jest/globals';
import { METRICS } from '../../src/metrics/definitions.js';
import type { MetricFamily, Sample } from '../../src/metrics/exposition.js';
import {
  APPLIED,
  APPLIED_KEPT,
  appliedTokens,
  appliedUpdates,
  othersInProgress,
  publishGroups,
  type GroupPlan,
} from '../../src/delivery/publish.js';
import { type GroupingKey, type MetricsSink, type WriteOptions } from '../../src/delivery/sink.js';
import type { ExistingGroup, SeriesUpdate } from '../../src/metrics/series.js';
import type { Clock } from '../../src/util/clock.js';
import { RecordingLogger } from '../support/recording.js';

const T0 = Date.UTC(2024, 0, 1, 10, 0, 0);
const KEY: GroupingKey = [
  ['job', 'deployment'],
  ['environment', 'production'],
  ['service', 'api'],
];

class FakeClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}

/** One Pushgateway group in memory: PUT replaces it, POST the families sent. */
class MemoryGateway implements MetricsSink {
  readonly name = 'the Pushgateway';
  readonly target = 'memory';
  readonly replacesGroups = true;
  readonly carryPrefix = '';
  families = new Map<string, MetricFamily>();
  /** `deployment_runs_total` by status after every write, in order. */
  readonly history: Record<string, number>[] = [];
  async readGroup(): Promise<ExistingGroup> {
    const samples = new Map<string, Sample[]>();
    const types = new Map<string, { type: string; help: string }>();
    for (const f of this.families.values()) {
      samples.set(
        f.name,
        f.samples.map((s) => ({ ...s, labels: { ...s.labels } })),
      );
      types.set(f.name, { type: f.type.toUpperCase(), help: f.help });
    }
    return { samples, types };
  }
  async write(
    _k: GroupingKey,
    families: readonly MetricFamily[],
    _d: number,
    o: WriteOptions,
  ): Promise<void> {
    if (o.method === 'PUT') this.families = new Map();
    for (const f of families) this.families.set(f.name, f);
    this.history.push(this.runs());
  }
  runs(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.families.get(METRICS.deploymentRunsTotal.name)?.samples ?? [])
      out[s.labels.status as string] = s.value;
    return out;
  }
}

/** A gate: `wait()` until `open()`. */
function gate(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const p = new Promise<void>((resolve) => (open = resolve));
  return { wait: () => p, open };
}

/**
 * A view of the gateway for one post that can hold it at a point: after its first read returns
 * (`afterRead`), or just before a write (`beforeWrite`, the first write only).
 */
function held(
  pg: MemoryGateway,
  hold: { afterRead?: Promise<void>; beforeWrite?: Promise<void>; readDone?: () => void },
): MetricsSink {
  let reads = 0;
  let writes = 0;
  return {
    name: pg.name,
    target: pg.target,
    replacesGroups: true,
    carryPrefix: '',
    readGroup: async () => {
      const group = await pg.readGroup();
      if (reads++ === 0) {
        hold.readDone?.();
        await hold.afterRead;
      }
      return group;
    },
    write: async (k, f, d, o) => {
      if (writes++ === 0) await hold.beforeWrite;
      await pg.write(k, f, d, o);
    },
  };
}

const runs = (status: string): SeriesUpdate => ({
  definition: METRICS.deploymentRunsTotal,
  name: METRICS.deploymentRunsTotal.name,
  labels: { environment: 'production', service: 'api', status },
  value: 1,
});
const plan = (status: string): GroupPlan => ({ key: KEY, updates: [runs(status)], replaceGroup: true });

async function post(sink: MetricsSink, status: string, id: string, clock: Clock, contested = false) {
  const [out] = await publishGroups([plan(status)], {
    client: sink,
    store: undefined,
    deploymentId: id,
    deadline: clock.now() + 25_000,
    clock,
    logger: new RecordingLogger(),
    cumulative: true,
    replaceGroup: true,
    contested,
  });
  return out;
}

/**
 * The group as seven earlier deployments left it (3 successes, 4 failures), then the pre of
 * `running` (its `deployment_in_progress` 1; the other concurrent deployment's pre ran before and
 * saw it, so its post is `contested`).
 */
async function seeded(clock: Clock, running: string): Promise<MemoryGateway> {
  const pg = new MemoryGateway();
  for (const [status, n] of [
    ['success', 3],
    ['failure', 4],
  ] as const)
    for (let i = 0; i < n; i++) await post(pg, status, `seed-${status}-${i}`, clock);
  const gauge = (def: typeof METRICS.inProgress, value: number): MetricFamily => ({
    name: def.name,
    type: 'gauge',
    help: def.help,
    samples: [{ name: def.name, labels: { deployment_id: running }, value }],
  });
  await pg.write(KEY, [gauge(METRICS.inProgress, 1), gauge(METRICS.startTimestamp, clock.now() / 1000)], 0, {
    method: 'POST',
    at: clock.now(),
  });
  pg.history.length = 0;
  return pg;
}

function neverDecreased(history: readonly Record<string, number>[]): void {
  for (let i = 1; i < history.length; i++)
    for (const [status, value] of Object.entries(history[i - 1] ?? {}))
      expect((history[i] ?? {})[status] ?? 0).toBeGreaterThanOrEqual(value);
}

describe('two posts of one group at once', () => {
  test.each([
    ['the success reads first, the failure writes first', 'success', 'failure'],
    ['the failure reads first, the success writes first', 'failure', 'success'],
  ])(
    '%s: a write built on an overtaken read is rebuilt; exact counts, never lower',
    async (_, held1, other) => {
      const clock = new FakeClock(T0);
      const pg = await seeded(clock, 'second');
      const release = gate();
      const readDone = gate();
      // The first post reads, then waits while the second one reads, adds and writes.
      const first = post(
        held(pg, { afterRead: release.wait(), readDone: readDone.open }),
        held1,
        'first',
        clock,
      );
      await readDone.wait();
      const second = await post(pg, other, 'second', clock, true);
      release.open();
      const out = await first;
      expect([out?.pushed, second?.pushed]).toEqual([true, true]);
      expect(pg.runs()).toEqual({ success: 4, failure: 5 });
      neverDecreased(pg.history);
      // The seven earlier pushes and both of these, each once.
      expect(appliedTokens(await pg.readGroup()).size).toBe(9);
    },
  );

  test('a write replaced by one built on an older read is applied again, once; the replaced one is found', async () => {
    const clock = new FakeClock(T0);
    const pg = await seeded(clock, 's');
    // Both read, both pass their last look before writing; the failure writes first, the success's
    // write (built without the failure) replaces it: failure 5 → 4 for a moment, then the failure's
    // check after its write finds its token gone and adds it again on top.
    const successLooked = gate();
    const failureWrote = gate();
    const successWrote = gate();
    let failureReads = 0;
    const failureSink: MetricsSink = {
      ...held(pg, {}),
      readGroup: async () => {
        // Its check after its write comes after the success's write.
        if (++failureReads === 3) await successWrote.wait();
        return pg.readGroup();
      },
      write: async (k, f, d, o) => {
        await successLooked.wait(); // the success has taken its last look before writing
        await pg.write(k, f, d, o);
        failureWrote.open();
      },
    };
    let successReads = 0;
    let successWrites = 0;
    const successSink: MetricsSink = {
      ...held(pg, {}),
      readGroup: async () => {
        const g = await pg.readGroup();
        if (++successReads === 2) successLooked.open();
        return g;
      },
      write: async (k, f, d, o) => {
        if (successWrites++ === 0) await failureWrote.wait();
        await pg.write(k, f, d, o);
        successWrote.open();
      },
    };
    const [failure, success] = await Promise.all([
      post(failureSink, 'failure', 'f', clock),
      post(successSink, 'success', 's', clock, true),
    ]);
    expect([failure?.pushed, success?.pushed]).toEqual([true, true]);
    expect(pg.runs()).toEqual({ success: 4, failure: 5 });
    // The one moment a counter was lower: the replaced write, repaired by the next one.
    expect(pg.history.map((h) => h.failure)).toEqual([5, 4, 5]);
  });
});

test('no other deployment in progress: a look before and after the one write, no waiting', async () => {
  const clock = new FakeClock(T0);
  const pg = new MemoryGateway();
  let reads = 0;
  const sink: MetricsSink = {
    ...held(pg, {}),
    readGroup: async () => {
      reads++;
      return pg.readGroup();
    },
  };
  expect((await post(sink, 'success', 'only', clock))?.pushed).toBe(true);
  expect([reads, pg.history.length, clock.now()]).toEqual([3, 1, T0]);
});

describe('merge logic', () => {
  const group = (samples: Record<string, Sample[]>): ExistingGroup => ({
    samples: new Map(Object.entries(samples)),
    types: new Map(),
  });

  test(`appliedUpdates keeps the newest ${APPLIED_KEPT - 1} tokens and adds this push’s`, () => {
    const existing = Array.from({ length: 30 }, (_, i) => ({
      name: APPLIED.name,
      labels: { deployment_id: `d${i}`, push: `t${i}` },
      value: 1000 + i,
    }));
    const out = appliedUpdates(new Map([[APPLIED.name, existing]]), 'me', 'mine', 2000);
    expect(out).toHaveLength(APPLIED_KEPT);
    expect(out.map((u) => u.labels.push)).toEqual([
      ...Array.from({ length: APPLIED_KEPT - 1 }, (_, i) => `t${29 - i}`),
      'mine',
    ]);
    expect(out.at(-1)?.labels).toEqual({ deployment_id: 'me', push: 'mine' });
  });

  test('othersInProgress: another deployment at 1 started under 6 h ago; not ours, not 0, not stale', () => {
    const now = T0;
    const g = group({
      [METRICS.inProgress.name]: [
        { name: METRICS.inProgress.name, labels: { deployment_id: 'a' }, value: 1 },
        { name: METRICS.inProgress.name, labels: { deployment_id: 'b' }, value: 0 },
        { name: METRICS.inProgress.name, labels: { deployment_id: 'old' }, value: 1 },
        { name: METRICS.inProgress.name, labels: { deployment_id: 'me' }, value: 1 },
      ],
      [METRICS.startTimestamp.name]: [
        { name: METRICS.startTimestamp.name, labels: { deployment_id: 'a' }, value: (now - 60_000) / 1000 },
        { name: METRICS.startTimestamp.name, labels: { deployment_id: 'b' }, value: now / 1000 },
        {
          name: METRICS.startTimestamp.name,
          labels: { deployment_id: 'old' },
          value: (now - 7 * 3600_000) / 1000,
        },
        { name: METRICS.startTimestamp.name, labels: { deployment_id: 'me' }, value: now / 1000 },
      ],
    });
    expect(othersInProgress(g, 'me', now)).toEqual(['a']);
  });
});
