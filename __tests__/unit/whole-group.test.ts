/** The whole group written back by PUT: kept families, stale latest-deployment gauges dropped. */
import { wholeGroup, type ExistingGroup } from '../../src/metrics/series.js';
import type { MetricFamily, Sample } from '../../src/metrics/exposition.js';

const g = { job: 'deployment', instance: '', environment: 'production', service: 'api' };
const sample = (name: string, labels: Record<string, string>, value: number): Sample => ({
  name,
  labels: { ...g, ...labels },
  value,
});

function existing(
  families: Record<string, { type: string; help?: string; samples: Sample[] }>,
): ExistingGroup {
  return {
    samples: new Map(Object.entries(families).map(([n, f]) => [n, f.samples])),
    types: new Map(Object.entries(families).map(([n, f]) => [n, { type: f.type, help: f.help ?? '' }])),
  };
}

const updated: MetricFamily[] = [
  {
    name: 'deployment_stage_duration_seconds',
    type: 'gauge',
    help: 'h',
    samples: [
      { name: 'deployment_stage_duration_seconds', labels: { deployment_id: '2', stage: 'build' }, value: 9 },
    ],
  },
];

test('families this push does not carry are kept as they were (job and instance left to the Pushgateway)', () => {
  const result = wholeGroup(
    updated,
    existing({
      deployment_total: {
        type: 'COUNTER',
        help: 'stage completions',
        samples: [sample('deployment_total', { stage: 'build', status: 'success' }, 4)],
      },
      deployment_last_success_timestamp_seconds: {
        type: 'GAUGE',
        samples: [sample('deployment_last_success_timestamp_seconds', {}, 1700000000)],
      },
      push_time_seconds: { type: 'GAUGE', samples: [sample('push_time_seconds', {}, 1)] },
    }),
    '2',
  );
  expect(result?.dropped).toEqual([]);
  expect(result?.families.map((f) => [f.name, f.type])).toEqual([
    ['deployment_stage_duration_seconds', 'gauge'],
    ['deployment_total', 'counter'],
    ['deployment_last_success_timestamp_seconds', 'gauge'],
  ]);
  expect(result?.families[1]?.samples[0]?.labels).toEqual({
    environment: 'production',
    service: 'api',
    stage: 'build',
    status: 'success',
  });
  // A family pushed without HELP gets the table's help text.
  expect(result?.families[2]?.help).toMatch(/^Unix time the last successful deployment finished/);
});

test('a gauge of an earlier deployment that this one did not set is dropped; one of this deployment is kept', () => {
  const result = wholeGroup(
    updated,
    existing({
      database_migration_lag_seconds: {
        type: 'GAUGE',
        samples: [
          sample('database_migration_lag_seconds', { deployment_id: '1', migration_count: '5' }, 23.4),
        ],
      },
      api_health_check_latency_ms: {
        type: 'GAUGE',
        samples: [sample('api_health_check_latency_ms', { deployment_id: '2', status: 'healthy' }, 42)],
      },
    }),
    '2',
  );
  expect(result?.dropped).toEqual(['database_migration_lag_seconds']);
  expect(result?.families.map((f) => f.name)).toEqual([
    'deployment_stage_duration_seconds',
    'api_health_check_latency_ms',
  ]);
});

test('a histogram is written back bucket by bucket', () => {
  const result = wholeGroup(
    [],
    existing({
      time_to_deploy_seconds: {
        type: 'HISTOGRAM',
        samples: [
          sample('time_to_deploy_seconds_bucket', { le: '60' }, 1),
          sample('time_to_deploy_seconds_sum', {}, 50),
          sample('time_to_deploy_seconds_count', {}, 1),
        ],
      },
    }),
    '2',
  );
  expect(result?.families[0]?.samples.map((s) => s.name)).toEqual([
    'time_to_deploy_seconds_bucket',
    'time_to_deploy_seconds_sum',
    'time_to_deploy_seconds_count',
  ]);
});

test.each(['SUMMARY', 'UNTYPED'])(
  'a %s family cannot be written back: undefined, so the push falls back to POST',
  (type) => {
    expect(
      wholeGroup(updated, existing({ x: { type, samples: [sample('x', {}, 1)] } }), '2'),
    ).toBeUndefined();
  },
);

test('an add that would overflow a cumulative counter leaves it as it was (never +Inf)', async () => {
  const { mergeUpdates } = await import('../../src/metrics/series.js');
  const { METRICS } = await import('../../src/metrics/definitions.js');
  const labels = { environment: 'production', service: 'api', status: 'success' };
  const families = mergeUpdates(
    [{ definition: METRICS.deploymentRunsTotal, name: 'deployment_runs_total', labels, value: 1e308 }],
    new Map([['deployment_runs_total', [sample('deployment_runs_total', { status: 'success' }, 1.5e308)]]]),
  );
  expect(families[0]?.samples.map((s) => s.value)).toEqual([1.5e308]);
});
