/**
 * Merging this deployment's updates with what a Pushgateway group already holds: counters add,
 * `max` timestamps only move forward, latest-deployment gauges replace (docs/metrics.md).
 */
import { describe, expect, test } from '@jest/globals';
import { METRICS, type MetricDefinition } from '../../src/metrics/definitions.js';
import type { MetricFamily, Sample } from '../../src/metrics/exposition.js';
import { customDefinition } from '../../src/metrics/reported.js';
import {
  carriedUpdates,
  mergeUpdates,
  normalizeExistingLabels,
  type ExistingSamples,
  type SeriesUpdate,
} from '../../src/metrics/series.js';

const G = { job: 'deployment', instance: '', environment: 'production', service: 'api' } as const;

function u(
  definition: MetricDefinition,
  labels: Record<string, string>,
  value: number,
  name = definition.name,
): SeriesUpdate {
  return { definition, name, labels, value };
}

function existing(entries: Record<string, Sample[]>): ExistingSamples {
  return new Map(Object.entries(entries));
}

function family(families: MetricFamily[], name: string): MetricFamily {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no family ${name} in ${families.map((f) => f.name).join(', ')}`);
  return found;
}

function values(f: MetricFamily): [string, Record<string, string>, number][] {
  return f.samples.map((s) => [s.name, { ...s.labels }, s.value]);
}

describe('normalizeExistingLabels', () => {
  test.each<[string, Record<string, string>, string[] | undefined, Record<string, string>]>([
    ['job and instance always go', { job: 'd', instance: '', a: '1' }, undefined, { a: '1' }],
    [
      'keep list drops grouping labels the family lacks',
      { ...G, reason: 'x' },
      ['environment', 'reason'],
      { environment: 'production', reason: 'x' },
    ],
    [
      'keep list keeps service when the family has it',
      { ...G, stage: 'build' },
      ['environment', 'service', 'stage'],
      { environment: 'production', service: 'api', stage: 'build' },
    ],
    ['no labels', {}, ['a'], {}],
    ['job is dropped even when kept', { job: 'd', a: '1' }, ['job', 'a'], { a: '1' }],
  ])('%s', (_what, labels, keep, expected) => {
    expect(normalizeExistingLabels(labels, keep ? new Set(keep) : undefined)).toEqual(expected);
  });
});

describe('mergeUpdates: sum (cumulative counters)', () => {
  test('a counter adds to what the group holds', () => {
    const before = existing({
      deployment_runs_total: [
        { name: 'deployment_runs_total', labels: { ...G, status: 'success' }, value: 41 },
        { name: 'deployment_runs_total', labels: { ...G, status: 'failure' }, value: 3 },
      ],
    });
    const families = mergeUpdates(
      [u(METRICS.deploymentRunsTotal, { environment: 'production', service: 'api', status: 'success' }, 1)],
      before,
    );
    expect(values(family(families, 'deployment_runs_total'))).toEqual([
      ['deployment_runs_total', { environment: 'production', service: 'api', status: 'failure' }, 3],
      ['deployment_runs_total', { environment: 'production', service: 'api', status: 'success' }, 42],
    ]);
  });

  test('a new series starts from this deployment’s count; the others stay', () => {
    const before = existing({
      deployment_total: [
        { name: 'deployment_total', labels: { ...G, stage: 'build', status: 'success' }, value: 7 },
      ],
    });
    const families = mergeUpdates(
      [
        u(
          METRICS.deploymentTotal,
          { environment: 'production', service: 'api', stage: 'push', status: 'success' },
          1,
        ),
      ],
      before,
    );
    expect(values(family(families, 'deployment_total'))).toEqual([
      [
        'deployment_total',
        { environment: 'production', service: 'api', stage: 'build', status: 'success' },
        7,
      ],
      [
        'deployment_total',
        { environment: 'production', service: 'api', stage: 'push', status: 'success' },
        1,
      ],
    ]);
  });

  test('the grouping label service is stripped from families without service, so the sum lands on the same series', () => {
    const before = existing({
      migration_success_total: [{ name: 'migration_success_total', labels: { ...G }, value: 4 }],
    });
    const families = mergeUpdates(
      [u(METRICS.migrationSuccessTotal, { environment: 'production' }, 1)],
      before,
    );
    expect(values(family(families, 'migration_success_total'))).toEqual([
      ['migration_success_total', { environment: 'production' }, 5],
    ]);
  });

  test('several updates of the same series in one deployment add up', () => {
    const before = existing({
      smoke_test_total: [{ name: 'smoke_test_total', labels: { ...G, test_name: 'all' }, value: 10 }],
    });
    const labels = { environment: 'production', service: 'api', test_name: 'all' };
    const families = mergeUpdates(
      [u(METRICS.smokeTestTotal, labels, 1), u(METRICS.smokeTestTotal, labels, 2)],
      before,
    );
    expect(values(family(families, 'smoke_test_total'))).toEqual([['smoke_test_total', labels, 13]]);
  });

  test('without an existing group, counters are this deployment’s own counts', () => {
    const labels = { environment: 'production', service: 'api', status: 'success' };
    expect(
      values(
        family(mergeUpdates([u(METRICS.deploymentRunsTotal, labels, 1)], undefined), 'deployment_runs_total'),
      ),
    ).toEqual([['deployment_runs_total', labels, 1]]);
  });

  test('custom counters keep every existing label but job/instance', () => {
    const def = customDefinition('jobs_processed_total', ['queue']);
    const before = existing({
      jobs_processed_total: [{ name: 'jobs_processed_total', labels: { ...G, queue: 'q1' }, value: 5 }],
    });
    const families = mergeUpdates(
      [u(def, { environment: 'production', service: 'api', queue: 'q1' }, 2)],
      before,
    );
    expect(values(family(families, 'jobs_processed_total'))).toEqual([
      ['jobs_processed_total', { environment: 'production', service: 'api', queue: 'q1' }, 7],
    ]);
  });

  test('labels are written in the definition’s order whatever order they came in', () => {
    const families = mergeUpdates(
      [
        u(
          METRICS.deploymentTotal,
          { status: 'success', stage: 'build', service: 'api', environment: 'production' },
          1,
        ),
      ],
      undefined,
    );
    expect(Object.keys(family(families, 'deployment_total').samples[0]?.labels ?? {})).toEqual([
      'environment',
      'service',
      'stage',
      'status',
    ]);
  });

  test('the family carries the definition’s type and help', () => {
    const families = mergeUpdates(
      [u(METRICS.deploymentTotal, { environment: 'e', service: 's', stage: 'build', status: 'success' }, 1)],
      undefined,
    );
    expect(families).toEqual([
      expect.objectContaining({
        name: 'deployment_total',
        type: 'counter',
        help: METRICS.deploymentTotal.help,
      }),
    ]);
  });
});

describe('mergeUpdates: histogram samples', () => {
  const env = { environment: 'production' };
  const ttd = (suffix: string, labels: Record<string, string>, value: number): SeriesUpdate =>
    u(METRICS.timeToDeploy, labels, value, `time_to_deploy_seconds${suffix}`);

  test('_bucket (per le), _sum and _count each sum per series, ordered buckets → sum → count', () => {
    const gl = {
      job: 'deployment',
      instance: '',
      repository: 'o/r',
      workflow: 'deploy',
      environment: 'production',
    };
    const before = existing({
      time_to_deploy_seconds: [
        { name: 'time_to_deploy_seconds_bucket', labels: { ...gl, le: '60' }, value: 0 },
        { name: 'time_to_deploy_seconds_bucket', labels: { ...gl, le: '300' }, value: 1 },
        { name: 'time_to_deploy_seconds_bucket', labels: { ...gl, le: '+Inf' }, value: 2 },
        { name: 'time_to_deploy_seconds_sum', labels: gl, value: 1500.5 },
        { name: 'time_to_deploy_seconds_count', labels: gl, value: 2 },
      ],
    });
    const updates = [
      ttd('_count', env, 1),
      ttd('_sum', env, 120),
      ttd('_bucket', { ...env, le: '+Inf' }, 1),
      ttd('_bucket', { ...env, le: '300' }, 1),
      ttd('_bucket', { ...env, le: '60' }, 0),
    ];
    expect(values(family(mergeUpdates(updates, before), 'time_to_deploy_seconds'))).toEqual([
      ['time_to_deploy_seconds_bucket', { environment: 'production', le: '60' }, 0],
      ['time_to_deploy_seconds_bucket', { environment: 'production', le: '300' }, 2],
      ['time_to_deploy_seconds_bucket', { environment: 'production', le: '+Inf' }, 3],
      ['time_to_deploy_seconds_sum', { environment: 'production' }, 1620.5],
      ['time_to_deploy_seconds_count', { environment: 'production' }, 3],
    ]);
  });

  test('two environments stay two series', () => {
    const families = mergeUpdates(
      [
        ttd('_count', { environment: 'b' }, 1),
        ttd('_count', { environment: 'a' }, 1),
        ttd('_count', { environment: 'a' }, 1),
      ],
      undefined,
    );
    expect(values(family(families, 'time_to_deploy_seconds'))).toEqual([
      ['time_to_deploy_seconds_count', { environment: 'a' }, 2],
      ['time_to_deploy_seconds_count', { environment: 'b' }, 1],
    ]);
  });
});

describe('mergeUpdates: max (timestamps only move forward)', () => {
  const labels = { environment: 'production', service: 'api' };

  test.each<[string, number | undefined, number, number]>([
    ['newer update wins', 1_700_000_000, 1_700_000_500, 1_700_000_500],
    ['older update keeps the group’s larger timestamp', 1_700_000_500, 1_700_000_000, 1_700_000_500],
    ['equal', 1_700_000_000, 1_700_000_000, 1_700_000_000],
    ['no existing series', undefined, 1_700_000_000, 1_700_000_000],
  ])('%s', (_what, before, update, expected) => {
    const ex = existing(
      before === undefined
        ? {}
        : {
            deployment_last_failure_timestamp_seconds: [
              { name: 'deployment_last_failure_timestamp_seconds', labels: { ...G }, value: before },
            ],
          },
    );
    const families = mergeUpdates([u(METRICS.lastFailureTimestamp, labels, update)], ex);
    expect(values(family(families, 'deployment_last_failure_timestamp_seconds'))).toEqual([
      ['deployment_last_failure_timestamp_seconds', labels, expected],
    ]);
  });

  test('two updates of the same series: the larger wins', () => {
    const families = mergeUpdates(
      [u(METRICS.lastSuccessTimestamp, labels, 20), u(METRICS.lastSuccessTimestamp, labels, 10)],
      undefined,
    );
    expect(values(family(families, 'deployment_last_success_timestamp_seconds'))).toEqual([
      ['deployment_last_success_timestamp_seconds', labels, 20],
    ]);
  });
});

describe('mergeUpdates: replace (gauges of the latest deployment)', () => {
  test('old series are dropped: the old deployment_id is gone', () => {
    const before = existing({
      deployment_stage_duration_seconds: [
        {
          name: 'deployment_stage_duration_seconds',
          labels: { ...G, deployment_id: '100', stage: 'build', status: 'success' },
          value: 30,
        },
        {
          name: 'deployment_stage_duration_seconds',
          labels: { ...G, deployment_id: '100', stage: 'push', status: 'success' },
          value: 10,
        },
      ],
    });
    const labels = {
      environment: 'production',
      deployment_id: '101',
      service: 'api',
      stage: 'build',
      status: 'failure',
    };
    const families = mergeUpdates([u(METRICS.stageDuration, labels, 12.5)], before);
    const f = family(families, 'deployment_stage_duration_seconds');
    expect(values(f)).toEqual([['deployment_stage_duration_seconds', labels, 12.5]]);
    expect(f.samples.some((s) => s.labels.deployment_id === '100')).toBe(false);
  });

  test('the same gauge twice: the last value wins', () => {
    const labels = { environment: 'production', deployment_id: '1', status: 'healthy' };
    const families = mergeUpdates(
      [u(METRICS.healthCheckLatency, labels, 42), u(METRICS.healthCheckLatency, labels, 17)],
      undefined,
    );
    expect(values(family(families, 'api_health_check_latency_ms'))).toEqual([
      ['api_health_check_latency_ms', labels, 17],
    ]);
  });
});

describe('mergeUpdates: only updated families are returned', () => {
  test('families the group holds but this deployment does not touch are left out (POST keeps them)', () => {
    const before = existing({
      deployment_last_success_timestamp_seconds: [
        { name: 'deployment_last_success_timestamp_seconds', labels: { ...G }, value: 1 },
      ],
      api_health_check_total: [{ name: 'api_health_check_total', labels: { ...G }, value: 9 }],
      deployment_runs_total: [
        { name: 'deployment_runs_total', labels: { ...G, status: 'success' }, value: 1 },
      ],
    });
    const families = mergeUpdates(
      [
        u(METRICS.deploymentRunsTotal, { environment: 'production', service: 'api', status: 'failure' }, 1),
        u(METRICS.lastFailureTimestamp, { environment: 'production', service: 'api' }, 5),
      ],
      before,
    );
    expect(families.map((f) => f.name).sort()).toEqual([
      'deployment_last_failure_timestamp_seconds',
      'deployment_runs_total',
    ]);
  });

  test('no updates → no families', () => {
    expect(
      mergeUpdates([], existing({ deployment_total: [{ name: 'deployment_total', labels: G, value: 1 }] })),
    ).toEqual([]);
  });
});

describe('carriedUpdates', () => {
  test('keeps counters and timestamps, drops latest-deployment gauges', () => {
    const updates = [
      u(METRICS.deploymentRunsTotal, {}, 1),
      u(METRICS.stageDuration, {}, 1),
      u(METRICS.lastSuccessTimestamp, {}, 1),
      u(METRICS.inProgress, {}, 0),
      u(customDefinition('x_total', []), {}, 1),
      u(customDefinition('x', []), {}, 1),
    ];
    expect(carriedUpdates(updates).map((x) => x.name)).toEqual([
      'deployment_runs_total',
      'deployment_last_success_timestamp_seconds',
      'x_total',
    ]);
  });
});

describe('histogram buckets added in a later version (time_to_deploy_seconds 480 and 720)', () => {
  const d = METRICS.timeToDeploy;
  const labels = { environment: 'production' };
  // A group written before 480 and 720 existed: 10 runs, 5 within 300 s, 9 within 600 s.
  const old: Sample[] = [
    ...(
      [
        ['60', 1],
        ['300', 5],
        ['600', 9],
        ['900', 10],
        ['1200', 10],
        ['1500', 10],
        ['1800', 10],
        ['+Inf', 10],
      ] as const
    ).map(([le, value]) => ({
      name: `${d.name}_bucket`,
      labels: { ...G, workflow: 'w', repository: 'r', ...labels, le },
      value,
    })),
  ];
  const observe = (seconds: number): SeriesUpdate[] =>
    [...d.buckets!.map(String), '+Inf'].map((le) =>
      u(d, { ...labels, le }, le === '+Inf' || seconds <= Number(le) ? 1 : 0, `${d.name}_bucket`),
    );
  const bucketValues = (families: MetricFamily[]): Record<string, number> =>
    Object.fromEntries(
      (families.find((f) => f.name === d.name)?.samples ?? [])
        .filter((s) => s.name.endsWith('_bucket'))
        .map((s) => [s.labels.le as string, s.value]),
    );

  test('the table has the SLO bounds 480 and 720', () => {
    expect(d.buckets).toEqual([60, 300, 480, 600, 720, 900, 1200, 1500, 1800]);
  });

  test('a new bucket starts from the next lower bucket, so the buckets stay cumulative', () => {
    const merged = bucketValues(mergeUpdates(observe(500), existing({ [d.name]: old })));
    expect(merged).toEqual({
      '60': 1,
      '300': 5,
      '480': 5,
      '600': 10,
      '720': 10,
      '900': 11,
      '1200': 11,
      '1500': 11,
      '1800': 11,
      '+Inf': 11,
    });
    const values = Object.values(merged);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1] as number);
  });

  test('a group without the histogram starts every bucket at this run', () => {
    expect(bucketValues(mergeUpdates(observe(700), existing({})))).toEqual({
      '60': 0,
      '300': 0,
      '480': 0,
      '600': 0,
      '720': 1,
      '900': 1,
      '1200': 1,
      '1500': 1,
      '1800': 1,
      '+Inf': 1,
    });
  });
});
