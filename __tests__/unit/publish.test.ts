/**
 * combinedExposition (the metrics file: every group's families as one valid exposition document),
 * and publishGroups driven through a real PushgatewayClient over a fake fetch with an in-memory
 * carry store (README, "Carried counts of failed pushes").
 */
import { describe, expect, test } from '@jest/globals';
import { METRICS } from '../../src/metrics/definitions.js';
import { parseExpositionLine, type MetricFamily, type Sample } from '../../src/metrics/exposition.js';
import {
  combinedExposition,
  publishGroups,
  type GroupOutcome,
  type GroupPlan,
} from '../../src/delivery/publish.js';
import { PushgatewayClient } from '../../src/delivery/pushgateway.js';
import { type GroupingKey, type MetricsSink } from '../../src/delivery/sink.js';
import { mergeUpdates, type SeriesUpdate } from '../../src/metrics/series.js';
import type { CarriedEntry, CarryStore } from '../../src/delivery/carry.js';
import type { Clock } from '../../src/util/clock.js';
import type { FetchLike } from '../../src/util/http.js';
import { RecordingLogger } from '../support/recording.js';

const T0 = Date.UTC(2024, 0, 1, 10, 0, 0);
const key = (service: string): GroupingKey => [
  ['job', 'deployment'],
  ['environment', 'production'],
  ['service', service],
];

function outcome(service: string, updates: SeriesUpdate[]): GroupOutcome {
  return {
    key: key(service),
    sink: undefined,
    families: mergeUpdates(updates, undefined),
    pushed: false,
    cumulative: false,
    carriedIn: 0,
    carriedOut: false,
    problem: undefined,
  };
}

const u = (
  def: (typeof METRICS)[keyof typeof METRICS],
  labels: Record<string, string>,
  value: number,
): SeriesUpdate => ({ definition: def, name: def.name, labels, value });

function samples(text: string): Sample[] {
  return text
    .split('\n')
    .map(parseExpositionLine)
    .flatMap((p) => (p.kind === 'sample' ? [p.sample] : []));
}

function errors(text: string): string[] {
  return text
    .split('\n')
    .map(parseExpositionLine)
    .flatMap((p) => (p.kind === 'error' ? [p.message] : []));
}

describe('combinedExposition', () => {
  const api = outcome('api', [
    u(
      METRICS.deploymentTotal,
      { environment: 'production', service: 'api', stage: 'build', status: 'success' },
      1,
    ),
    u(METRICS.migrationSuccessTotal, { environment: 'production' }, 1),
    u(METRICS.countersUpdated, {}, T0 / 1000),
  ]);
  const web = outcome('web', [
    u(
      METRICS.deploymentTotal,
      { environment: 'production', service: 'web', stage: 'deploy_vercel', status: 'failure' },
      1,
    ),
    u(METRICS.migrationSuccessTotal, { environment: 'production' }, 1),
  ]);

  test('families of the same name are joined: one HELP and one TYPE each', () => {
    const text = combinedExposition([api, web]);
    expect(text.match(/^# TYPE deployment_total counter$/gm)).toHaveLength(1);
    expect(text.match(/^# HELP deployment_total /gm)).toHaveLength(1);
    expect(text.match(/^# TYPE migration_success_total counter$/gm)).toHaveLength(1);
    expect(errors(text)).toEqual([]);
  });

  test('several groups: a sample without service gets its group’s service, so series stay distinct', () => {
    const text = combinedExposition([api, web]);
    expect(samples(text).filter((s) => s.name === 'migration_success_total')).toEqual([
      { name: 'migration_success_total', labels: { environment: 'production', service: 'api' }, value: 1 },
      { name: 'migration_success_total', labels: { environment: 'production', service: 'web' }, value: 1 },
    ]);
  });

  test('a sample with its own service keeps it', () => {
    const text = combinedExposition([api, web]);
    expect(
      samples(text)
        .filter((s) => s.name === 'deployment_total')
        .map((s) => s.labels.service),
    ).toEqual(['api', 'web']);
  });

  test('the action’s counters-updated marker is left out', () => {
    expect(combinedExposition([api, web])).not.toContain(METRICS.countersUpdated.name);
    expect(combinedExposition([api])).not.toContain(METRICS.countersUpdated.name);
  });

  test('no outcomes → empty document', () => {
    expect(combinedExposition([])).toBe('');
  });

  test('every sample line parses back', () => {
    const text = combinedExposition([api, web]);
    expect(errors(text)).toEqual([]);
    expect(samples(text)).toHaveLength(4);
  });

  // JSDoc of combinedExposition: "each sample gets its group's `service` when it has none (as Prometheus
  // will see it after scraping the Pushgateway)". With a single group the code adds it only when
  // outcomes.length > 1, so the metrics file of a one-service job differs from what Prometheus sees.
  test('one group: a sample without service still gets the group’s service (JSDoc)', () => {
    const text = combinedExposition([api]);
    expect(samples(text).find((s) => s.name === 'migration_success_total')?.labels).toEqual({
      environment: 'production',
      service: 'api',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// publishGroups over a fake Pushgateway.

class MemoryStore implements CarryStore {
  readonly description = 'memory';
  readonly data = new Map<string, CarriedEntry[]>();
  saves = 0;
  async load(groupId: string): Promise<CarriedEntry[]> {
    return [...(this.data.get(groupId) ?? [])];
  }
  async save(groupId: string, entries: readonly CarriedEntry[]): Promise<void> {
    this.saves++;
    this.data.set(groupId, [...entries]);
  }
}

class FakeClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}

/** A Pushgateway with one group's API body; GET answers it, POST answers `pushStatus`. */
function fakePushgateway(
  groupFamilies: Record<string, unknown>,
  opts: { readStatus?: number; pushStatus?: number } = {},
) {
  const posts: { url: string; body: string; method: string }[] = [];
  const fetch: FetchLike = async (url, init) => {
    if ((init.method ?? 'GET') === 'GET') {
      const body = {
        status: 'success',
        data: [
          {
            labels: { job: 'deployment', environment: 'production', service: 'api' },
            last_push_successful: true,
            ...groupFamilies,
          },
        ],
      };
      return new Response(JSON.stringify(body), { status: opts.readStatus ?? 200 });
    }
    posts.push({ url, body: String(init.body), method: init.method ?? 'GET' });
    return new Response(opts.pushStatus === 400 ? 'invalid' : '', { status: opts.pushStatus ?? 200 });
  };
  return { fetch, posts };
}

const gl = { environment: 'production', instance: '', job: 'deployment', service: 'api' };
const runsUpdate = (status: string): SeriesUpdate =>
  u(METRICS.deploymentRunsTotal, { environment: 'production', service: 'api', status }, 1);
const durationUpdate = u(
  METRICS.stageDuration,
  { environment: 'production', deployment_id: '2', service: 'api', stage: 'build', status: 'success' },
  10,
);

function family(families: readonly MetricFamily[], name: string): MetricFamily | undefined {
  return families.find((f) => f.name === name);
}

describe('publishGroups', () => {
  const plan: GroupPlan = { key: key('api'), updates: [runsUpdate('success'), durationUpdate] };

  test('no client: families are this deployment’s own, nothing pushed', async () => {
    const clock = new FakeClock(T0);
    const [out] = await publishGroups([plan], {
      client: undefined,
      store: undefined,
      deploymentId: '2',
      deadline: T0 + 25_000,
      clock,
      logger: new RecordingLogger(),
      cumulative: true,
    });
    expect(out?.pushed).toBe(false);
    expect(family(out?.families ?? [], 'deployment_runs_total')?.samples[0]?.value).toBe(1);
  });

  test('cumulative: counters added to the group’s value, the marker pushed, POST to the group path', async () => {
    const clock = new FakeClock(T0);
    const pg = fakePushgateway({
      deployment_runs_total: {
        type: 'COUNTER',
        metrics: [{ labels: { ...gl, status: 'success' }, value: '41' }],
      },
    });
    const client = new PushgatewayClient(
      { url: 'http://pg:9091', authorization: undefined, job: 'deployment' },
      clock,
      pg.fetch,
    );
    const [out] = await publishGroups([plan], {
      client,
      store: new MemoryStore(),
      deploymentId: '2',
      deadline: T0 + 25_000,
      clock,
      logger: new RecordingLogger(),
      cumulative: true,
    });
    expect(out?.pushed).toBe(true);
    expect(out?.cumulative).toBe(true);
    expect(pg.posts).toHaveLength(1);
    expect(pg.posts[0]?.url).toBe('http://pg:9091/metrics/job/deployment/environment/production/service/api');
    const pushed = samples(pg.posts[0]?.body ?? '');
    expect(pushed.find((s) => s.name === 'deployment_runs_total')).toEqual({
      name: 'deployment_runs_total',
      labels: { environment: 'production', service: 'api', status: 'success' },
      value: 42,
    });
    expect(pushed.find((s) => s.name === METRICS.countersUpdated.name)?.value).toBe(T0 / 1000);
  });

  test('the group cannot be read: only gauges are pushed, counts are carried for the next push', async () => {
    const clock = new FakeClock(T0);
    const store = new MemoryStore();
    const pg = fakePushgateway({}, { readStatus: 500 });
    const client = new PushgatewayClient(
      { url: 'http://pg:9091', authorization: undefined, job: 'deployment' },
      clock,
      pg.fetch,
    );
    const [out] = await publishGroups([plan], {
      client,
      store,
      deploymentId: '2',
      deadline: T0 + 25_000,
      clock,
      logger: new RecordingLogger(),
      cumulative: true,
    });
    expect(out?.pushed).toBe(false);
    expect(out?.carriedOut).toBe(true);
    expect(out?.problem).toContain('HTTP 500');
    expect(pg.posts.map((p) => samples(p.body).map((s) => s.name))).toEqual([
      ['deployment_stage_duration_seconds'],
    ]);
    const carried = [...store.data.values()][0] ?? [];
    expect(carried.map((e) => [e.deploymentId, e.updates.map((x) => x.name)])).toEqual([
      ['2', ['deployment_runs_total']],
    ]);
  });

  test('the push fails: counts are carried; the next successful push adds them once', async () => {
    const clock = new FakeClock(T0);
    const store = new MemoryStore();
    const logger = new RecordingLogger();
    const existing = {
      deployment_runs_total: {
        type: 'COUNTER',
        metrics: [{ labels: { ...gl, status: 'success' }, value: '10' }],
      },
    };
    const failing = fakePushgateway(existing, { pushStatus: 400 });
    const c1 = new PushgatewayClient(
      { url: 'http://pg:9091', authorization: undefined, job: 'deployment' },
      clock,
      failing.fetch,
    );
    const [first] = await publishGroups([plan], {
      client: c1,
      store,
      deploymentId: '1',
      deadline: T0 + 25_000,
      clock,
      logger,
      cumulative: true,
    });
    expect(first?.pushed).toBe(false);
    expect(first?.carriedOut).toBe(true);
    expect(first?.problem).toContain('HTTP 400');

    clock.t = T0 + 60_000;
    const ok = fakePushgateway(existing);
    const c2 = new PushgatewayClient(
      { url: 'http://pg:9091', authorization: undefined, job: 'deployment' },
      clock,
      ok.fetch,
    );
    const [second] = await publishGroups([{ key: key('api'), updates: [runsUpdate('success')] }], {
      client: c2,
      store,
      deploymentId: '2',
      deadline: T0 + 85_000,
      clock,
      logger,
      cumulative: true,
    });
    expect(second?.pushed).toBe(true);
    expect(second?.carriedIn).toBe(1);
    // 10 in the group + 1 carried from deployment 1 + 1 of deployment 2.
    expect(samples(ok.posts[0]?.body ?? '').find((s) => s.name === 'deployment_runs_total')?.value).toBe(12);
    expect([...store.data.values()][0]).toEqual([]);
  });

  test('carried entries the group’s marker already includes are not added again', async () => {
    const clock = new FakeClock(T0 + 120_000);
    const store = new MemoryStore();
    const groupId = 'job="deployment",environment="production",service="api"';
    store.data.set(groupId, [{ deploymentId: '1', recordedAt: T0, updates: [runsUpdate('success')] }]);
    const pg = fakePushgateway({
      deployment_runs_total: {
        type: 'COUNTER',
        metrics: [{ labels: { ...gl, status: 'success' }, value: '11' }],
      },
      [METRICS.countersUpdated.name]: {
        type: 'GAUGE',
        metrics: [
          {
            labels: { instance: '', job: 'deployment', environment: 'production', service: 'api' },
            value: String(T0 / 1000 + 60),
          },
        ],
      },
    });
    const client = new PushgatewayClient(
      { url: 'http://pg:9091', authorization: undefined, job: 'deployment' },
      clock,
      pg.fetch,
    );
    const [out] = await publishGroups([{ key: key('api'), updates: [runsUpdate('success')] }], {
      client,
      store,
      deploymentId: '3',
      deadline: T0 + 200_000,
      clock,
      logger: new RecordingLogger(),
      cumulative: true,
    });
    expect(out?.carriedIn).toBe(0);
    expect(samples(pg.posts[0]?.body ?? '').find((s) => s.name === 'deployment_runs_total')?.value).toBe(12);
  });

  test('not cumulative (pre’s gauges): pushed without reading the group', async () => {
    const clock = new FakeClock(T0);
    const pg = fakePushgateway({}, { readStatus: 500 });
    const client = new PushgatewayClient(
      { url: 'http://pg:9091', authorization: undefined, job: 'deployment' },
      clock,
      pg.fetch,
    );
    const [out] = await publishGroups([{ key: key('api'), updates: [durationUpdate] }], {
      client,
      store: undefined,
      deploymentId: '2',
      deadline: T0 + 25_000,
      clock,
      logger: new RecordingLogger(),
      cumulative: false,
    });
    expect(out?.pushed).toBe(true);
    expect(pg.posts).toHaveLength(1);
  });
});

describe('groups and plans a hostile job could make', () => {
  const primarySink = (clock: Clock, fetch: FetchLike): PushgatewayClient =>
    new PushgatewayClient(
      { url: 'http://pg:9091', authorization: undefined, job: 'deployment' },
      clock,
      fetch,
    );
  const options = (clock: Clock, client: MetricsSink, store: CarryStore) => ({
    client,
    store,
    deploymentId: '2',
    deadline: T0 + 25_000,
    clock,
    logger: new RecordingLogger(),
    cumulative: true,
    replaceGroup: true,
  });
  const inProgressOfWeb = {
    deployment_in_progress: {
      type: 'GAUGE',
      metrics: [
        { labels: { ...gl, deployment_id: '99', branch: 'main', triggered_by: 'manual' }, value: '1' },
      ],
    },
  };

  test('replaceGroup: the job’s own group is PUT whole; a plan with replaceGroup false is POSTed, the group’s other gauges stay', async () => {
    const clock = new FakeClock(T0);
    const pg = fakePushgateway(inProgressOfWeb);
    const client = primarySink(clock, pg.fetch);
    const note = u(
      { ...METRICS.stageDuration, name: 'api_note', labels: ['environment', 'deployment_id', 'service'] },
      { environment: 'production', deployment_id: '2', service: 'api' },
      1,
    );
    await publishGroups(
      [{ key: key('api'), updates: [note], replaceGroup: false }],
      options(clock, client, new MemoryStore()),
    );
    await publishGroups([{ key: key('api'), updates: [note] }], options(clock, client, new MemoryStore()));
    expect(pg.posts.map((p) => p.method)).toEqual(['POST', 'PUT']);
    // The POST carries only what this job writes: the other deployment's in-progress gauge is not in it,
    // so the Pushgateway keeps it; the PUT (own group) drops it as an earlier deployment's.
    expect(samples(pg.posts[0]?.body ?? '').map((s) => s.name)).not.toContain('deployment_in_progress');
  });

  test.each([
    ['NaN', 'NaN'],
    ['1e400 (read as +Inf)', '1e400'],
    ['banana', 'banana'],
    ['+Inf', '+Inf'],
    ['a value past 2^53', '1e300'],
  ])(
    'a counter holding %s in the group: no counter pushed (never NaN/Inf), gauges POSTed, counts carried, a problem naming it',
    async (_what, value) => {
      const clock = new FakeClock(T0);
      const store = new MemoryStore();
      const pg = fakePushgateway({
        deployment_runs_total: {
          type: 'COUNTER',
          metrics: [{ labels: { ...gl, status: 'success' }, value }],
        },
      });
      const [out] = await publishGroups(
        [{ key: key('api'), updates: [runsUpdate('success'), durationUpdate] }],
        options(clock, primarySink(clock, pg.fetch), store),
      );
      expect(out?.pushed).toBe(false);
      expect(out?.carriedOut).toBe(true);
      expect(out?.problem).toMatch(/^the group holds \S+ for deployment_runs_total\{.*status="success"\}, /);
      expect(out?.problem).toContain('delete the group, or push a valid value, to resume counting');
      expect(pg.posts.map((p) => p.method)).toEqual(['POST']);
      const pushed = samples(pg.posts[0]?.body ?? '');
      expect(pushed.map((s) => s.name)).toEqual(['deployment_stage_duration_seconds']);
      for (const p of pg.posts) expect(p.body).not.toMatch(/NaN|Inf/);
      expect([...store.data.values()][0]?.map((e) => e.updates.map((x) => x.name))).toEqual([
        ['deployment_runs_total'],
      ]);
    },
  );

  test('a NaN in a counter this push does not touch (a step’s own) also blocks the PUT: nothing non-finite is written back', async () => {
    const clock = new FakeClock(T0);
    const pg = fakePushgateway({
      my_total: { type: 'COUNTER', metrics: [{ labels: { ...gl }, value: 'NaN' }] },
    });
    const [out] = await publishGroups(
      [{ key: key('api'), updates: [runsUpdate('success'), durationUpdate] }],
      options(clock, primarySink(clock, pg.fetch), new MemoryStore()),
    );
    expect(out?.pushed).toBe(false);
    expect(out?.problem).toContain('NaN for my_total');
    for (const p of pg.posts) expect(p.body).not.toContain('NaN');
  });

  test('a gauge holding NaN is not a counter problem: the push goes on', async () => {
    const clock = new FakeClock(T0);
    const pg = fakePushgateway({
      my_gauge: { type: 'GAUGE', metrics: [{ labels: { ...gl }, value: 'NaN' }] },
    });
    const [out] = await publishGroups(
      [{ key: key('api'), updates: [runsUpdate('success')] }],
      options(clock, primarySink(clock, pg.fetch), new MemoryStore()),
    );
    expect(out?.pushed).toBe(true);
  });

  test('groups whose turn comes past the deadline are not pushed; their counts are carried while the carry deadline allows, then not', async () => {
    const clock = new FakeClock(T0);
    const store = new MemoryStore();
    const pg = fakePushgateway({});
    // Each request (a read, a look before writing, the write and a check after it, per group)
    // takes 3 s of the fake clock.
    const slow: FetchLike = async (url, init) => {
      clock.t += 3_000;
      return pg.fetch(url, init);
    };
    const plans = ['a', 'b', 'c', 'd', 'e'].map((svc) => ({
      key: key(svc),
      updates: [runsUpdate('success')],
    }));
    const outs = await publishGroups(plans, {
      ...options(clock, primarySink(clock, slow), store),
      deadline: T0 + 25_000,
      carryDeadline: T0 + 40_000,
    });
    // a and b are pushed; c starts in time but runs out; d and e start no request at all.
    expect(outs.map((o) => o.pushed)).toEqual([true, true, false, false, false]);
    expect(outs.slice(3).map((o) => [o.problem, o.carriedOut])).toEqual([
      ['the time budget was spent before this group\u2019s turn', true],
      ['the time budget was spent before this group\u2019s turn', true],
    ]);
    expect(pg.posts.length).toBe(2);
    // The clock stands still past the deadline (no request): move it past the carry deadline.
    clock.t = T0 + 45_000;
    const [late] = await publishGroups([plans[0] as GroupPlan], {
      ...options(clock, primarySink(clock, slow), store),
      deadline: T0 + 25_000,
      carryDeadline: T0 + 40_000,
    });
    expect(late?.pushed).toBe(false);
    expect(late?.carriedOut).toBe(false);
  });
});

describe('write times (remote write timestamps the group’s series)', () => {
  /** A sink that holds one group in memory and records every write. */
  function memorySink(
    marker: number | undefined,
  ): MetricsSink & { writes: { at: number; families: readonly MetricFamily[] }[] } {
    const writes: { at: number; families: readonly MetricFamily[] }[] = [];
    return {
      name: 'remote write',
      target: 'http://rw.example/api/v1/write',
      replacesGroups: false,
      carryPrefix: 'remote-write ',
      writes,
      readGroup: async () => ({
        samples: new Map(
          marker === undefined
            ? []
            : [
                [
                  METRICS.countersUpdated.name,
                  [{ name: METRICS.countersUpdated.name, labels: {}, value: marker }],
                ],
              ],
        ),
        types: new Map(),
      }),
      write: async (_key, families, _deadline, options) => {
        writes.push({ at: options.at, families });
      },
    };
  }
  const update: SeriesUpdate = {
    definition: METRICS.deploymentRunsTotal,
    name: METRICS.deploymentRunsTotal.name,
    labels: { environment: 'production', service: 'api', status: 'success' },
    value: 1,
  };
  const run = (sink: MetricsSink, at: number) =>
    publishGroups([{ key: [['job', 'deployment']], updates: [update] }], {
      client: sink,
      store: undefined,
      deploymentId: '9',
      deadline: T0 + 25_000,
      clock: new FakeClock(T0),
      logger: new RecordingLogger(),
      cumulative: true,
      at,
    });
  const markerOf = (families: readonly MetricFamily[]): number | undefined =>
    families.find((f) => f.name === METRICS.countersUpdated.name)?.samples[0]?.value;

  test('the deployment’s own time when it is after the group’s last write; the marker says now', async () => {
    const sink = memorySink((T0 - 600_000) / 1000);
    await run(sink, T0 - 120_000);
    expect(sink.writes[0]?.at).toBe(T0 - 120_000);
    expect(markerOf(sink.writes[0]?.families ?? [])).toBe(T0 / 1000);
  });

  test('an older deployment written after a newer one moves just past the group’s last write (samples stay in order)', async () => {
    const sink = memorySink((T0 - 60_000) / 1000);
    await run(sink, T0 - 120_000);
    expect(sink.writes[0]?.at).toBe(T0 - 60_000 + 1);
  });

  test('no earlier write: the deployment’s time as given', async () => {
    const sink = memorySink(undefined);
    await run(sink, T0 - 5_000);
    expect(sink.writes[0]?.at).toBe(T0 - 5_000);
  });
});
