/**
 * The Pushgateway edge, pure parts: grouping-key paths (`@base64` for values that are empty or not
 * URL-safe) and reading one group out of `GET /api/v1/metrics`. The fixture is the verbatim answer
 * of a Debian prometheus-pushgateway 1.5.1 (started on 127.0.0.1 without persistence) after pushes
 * to four groups, one of them with a failed last push.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { PushgatewayClient, groupPath, samplesOfGroup } from '../../src/delivery/pushgateway.js';
import { describeGroup, type GroupingKey } from '../../src/delivery/sink.js';
import type { Clock } from '../../src/util/clock.js';
import type { FetchLike } from '../../src/util/http.js';

const fixture: unknown = JSON.parse(
  readFileSync(new URL('./fixtures/pushgateway-1.5.1-api-v1-metrics.json', import.meta.url), 'utf8'),
);

const API_GROUP: GroupingKey = [
  ['job', 'deployment'],
  ['environment', 'production'],
  ['service', 'api'],
];

const b64url = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');

describe('groupPath', () => {
  test.each<[string, GroupingKey, string]>([
    ['plain values', API_GROUP, '/metrics/job/deployment/environment/production/service/api'],
    ['URL-safe punctuation stays plain', [['job', 'a-b_c.d~e']], '/metrics/job/a-b_c.d~e'],
    [
      'slash → @base64',
      [
        ['job', 'deployment'],
        ['repository', 'octo-org/octo-repo'],
      ],
      `/metrics/job/deployment/repository@base64/${b64url('octo-org/octo-repo')}`,
    ],
    [
      'space → @base64',
      [
        ['job', 'deployment'],
        ['workflow', 'Deploy full stack'],
      ],
      '/metrics/job/deployment/workflow@base64/RGVwbG95IGZ1bGwgc3RhY2s',
    ],
    ['unicode → @base64 of UTF-8', [['job', 'déploiement']], `/metrics/job@base64/${b64url('déploiement')}`],
    ['percent → @base64', [['job', '100%']], `/metrics/job@base64/${b64url('100%')}`],
    [
      'empty → @base64/=',
      [
        ['job', 'deployment'],
        ['environment', ''],
      ],
      '/metrics/job/deployment/environment@base64/=',
    ],
    ['only job', [['job', 'deployment']], '/metrics/job/deployment'],
  ])('%s', (_what, key, path) => {
    expect(groupPath(key)).toBe(path);
  });

  test('base64url, never + / or padding', () => {
    // '??>' encodes to 'Pz8+' in standard base64: '+' must become '-'.
    const path = groupPath([
      ['job', '??>'],
      ['service', 'a/b?'],
    ]);
    expect(path).toBe('/metrics/job@base64/Pz8-/service@base64/YS9iPw');
    expect(path.split('/').slice(2).join('')).not.toMatch(/[+=]/);
  });

  test.each(['prod/eu', 'a b', 'ü', '/', 'x'.repeat(300), '..a', 'a..'])(
    'the base64 form of %j decodes back to the value',
    (value) => {
      const path = groupPath([
        ['job', 'deployment'],
        ['environment', value],
      ]);
      const encoded = path.split('/').pop() ?? '';
      expect(path).toContain('/environment');
      const decoded = path.includes('environment@base64/')
        ? Buffer.from(encoded, 'base64url').toString('utf8')
        : encoded;
      expect(decoded).toBe(value);
    },
  );

  // `.` and `..` are URL-safe characters but whole path segments the URL parser (and so fetch)
  // resolves: `/environment/..` becomes `/` — another group, or none. Checked with Node's URL:
  // new URL('http://h/metrics/job/deployment/environment/..').pathname === '/metrics/job/deployment/'.
  test.each(['.', '..'])('a value of %j survives URL normalisation (uses @base64)', (value) => {
    const path = groupPath([
      ['job', 'deployment'],
      ['environment', value],
      ['service', 'api'],
    ]);
    expect(new URL(`http://127.0.0.1:9091${path}`).pathname).toBe(path);
  });

  test('every path survives URL normalisation for ordinary values', () => {
    for (const value of ['production', 'prod/eu', '', 'a b', 'v1.2.3', '.hidden', 'a..b']) {
      const path = groupPath([
        ['job', 'deployment'],
        ['environment', value],
      ]);
      expect(new URL(`http://127.0.0.1:9091${path}`).pathname).toBe(path);
    }
  });
});

describe('describeGroup', () => {
  test('label="value" pairs in key order', () => {
    expect(describeGroup(API_GROUP)).toBe('job="deployment",environment="production",service="api"');
  });
});

describe('samplesOfGroup on a Pushgateway 1.5.1 answer', () => {
  test('the track group: counter, gauge families with all their samples and Pushgateway labels', () => {
    const samples = samplesOfGroup(fixture, API_GROUP);
    expect(samples.get('deployment_total')).toEqual([
      {
        name: 'deployment_total',
        labels: {
          environment: 'production',
          instance: '',
          job: 'deployment',
          service: 'api',
          stage: 'build',
          status: 'success',
        },
        value: 12,
      },
      {
        name: 'deployment_total',
        labels: {
          environment: 'production',
          instance: '',
          job: 'deployment',
          service: 'api',
          stage: 'deploy_railway',
          status: 'failure',
        },
        value: 2,
      },
    ]);
    expect(samples.get('deployment_stage_duration_seconds')).toEqual([
      {
        name: 'deployment_stage_duration_seconds',
        labels: {
          deployment_id: '9876543210',
          environment: 'production',
          instance: '',
          job: 'deployment',
          service: 'api',
          stage: 'build',
          status: 'success',
        },
        value: 95.5,
      },
    ]);
    expect(samples.get('deployment_last_success_timestamp_seconds')?.[0]?.value).toBe(1704103200);
    expect(samples.get('deployment_observability_counters_updated_timestamp_seconds')?.[0]?.value).toBe(
      1704103205,
    );
    expect(samples.get('migration_success_total')?.[0]?.value).toBe(4);
  });

  test('the group’s own keys are not families; the Pushgateway’s push_time_seconds is read like any gauge', () => {
    const samples = samplesOfGroup(fixture, API_GROUP);
    expect(samples.has('labels')).toBe(false);
    expect(samples.has('last_push_successful')).toBe(false);
    expect([...samples.keys()].sort()).toEqual([
      'deployment_last_success_timestamp_seconds',
      'deployment_observability_counters_updated_timestamp_seconds',
      'deployment_stage_duration_seconds',
      'deployment_total',
      'migration_success_total',
      'push_failure_time_seconds',
      'push_time_seconds',
    ]);
    expect(samples.get('push_time_seconds')?.[0]?.value).toBeGreaterThan(1.7e9);
  });

  test('a HISTOGRAM family becomes _bucket (with le), _sum and _count samples', () => {
    const key: GroupingKey = [
      ['job', 'deployment'],
      ['repository', 'octo-org/octo-repo'],
      ['workflow', 'Deploy full stack'],
    ];
    const samples = samplesOfGroup(fixture, key).get('time_to_deploy_seconds') ?? [];
    const base = {
      environment: 'production',
      instance: '',
      job: 'deployment',
      repository: 'octo-org/octo-repo',
      workflow: 'Deploy full stack',
    };
    const byName = (n: string): [string, number][] =>
      samples.filter((s) => s.name === n).map((s) => [s.labels.le ?? '', s.value]);
    expect(
      byName('time_to_deploy_seconds_bucket').sort(
        (a, b) => Number(a[0].replace('+Inf', 'Infinity')) - Number(b[0].replace('+Inf', 'Infinity')),
      ),
    ).toEqual([
      ['60', 0],
      ['300', 1],
      ['600', 2],
      ['+Inf', 3],
    ]);
    expect(samples.find((s) => s.name === 'time_to_deploy_seconds_sum')).toEqual({
      name: 'time_to_deploy_seconds_sum',
      labels: base,
      value: 1720.5,
    });
    expect(samples.find((s) => s.name === 'time_to_deploy_seconds_count')).toEqual({
      name: 'time_to_deploy_seconds_count',
      labels: base,
      value: 3,
    });
    expect(samples).toHaveLength(6);
  });

  test('a group whose last push failed is still read', () => {
    const samples = samplesOfGroup(fixture, [
      ['job', 'deployment'],
      ['environment', 'production'],
      ['service', 'web'],
    ]);
    expect(samples.get('deployment_runs_total')?.[0]?.value).toBe(3);
  });

  test('a grouping value that is empty matches the group with the empty label', () => {
    const samples = samplesOfGroup(fixture, [
      ['job', 'deployment'],
      ['environment', ''],
      ['service', 'api'],
    ]);
    expect(samples.get('deployment_runs_total')?.[0]?.labels.environment).toBe('');
  });

  test.each<[string, GroupingKey]>([
    [
      'another service',
      [
        ['job', 'deployment'],
        ['environment', 'production'],
        ['service', 'database'],
      ],
    ],
    [
      'another job',
      [
        ['job', 'other'],
        ['environment', 'production'],
        ['service', 'api'],
      ],
    ],
    [
      'a key with fewer labels',
      [
        ['job', 'deployment'],
        ['environment', 'production'],
      ],
    ],
    ['a key with more labels', [...API_GROUP, ['region', 'eu']]],
  ])('missing group (%s) → empty map', (_what, key) => {
    expect(samplesOfGroup(fixture, key).size).toBe(0);
  });

  test('an empty data array → empty map', () => {
    expect(samplesOfGroup({ status: 'success', data: [] }, API_GROUP).size).toBe(0);
  });

  test.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'metrics'],
    ['no data', { status: 'success' }],
    ['data is an object', { status: 'success', data: {} }],
    ['data is null', { data: null }],
  ])('malformed body (%s) → throws', (_what, body) => {
    expect(() => samplesOfGroup(body, API_GROUP)).toThrow('without a data array');
  });

  test('odd families inside the group are skipped, not fatal', () => {
    const body = {
      data: [
        {
          labels: { job: 'deployment', environment: 'production', service: 'api' },
          last_push_successful: true,
          weird: 'text',
          nulled: null,
          no_metrics: { type: 'GAUGE' },
          good: { type: 'GAUGE', metrics: [{ labels: { job: 'deployment' }, value: '7' }, { labels: {} }] },
        },
      ],
    };
    const samples = samplesOfGroup(body, API_GROUP);
    expect([...samples.keys()]).toEqual(['good']);
    expect(samples.get('good')).toEqual([{ name: 'good', labels: { job: 'deployment' }, value: 7 }]);
  });
});

describe('PushgatewayClient with a fake fetch', () => {
  const clock: Clock = { now: () => 1_000_000, sleep: async () => undefined };
  const calls: { url: string; init: RequestInit }[] = [];
  const fakeFetch =
    (status: number, body: string): FetchLike =>
    async (url, init) => {
      calls.push({ url, init });
      return new Response(body, { status });
    };

  test('readGroup reads the group from /api/v1/metrics with the authorization header', async () => {
    calls.length = 0;
    const client = new PushgatewayClient(
      { url: 'http://pg:9091', authorization: 'Bearer s3cr3t', job: 'deployment' },
      clock,
      fakeFetch(200, JSON.stringify(fixture)),
    );
    const group = await client.readGroup(API_GROUP, 2_000_000);
    expect(group.samples.get('deployment_total')).toHaveLength(2);
    expect(group.types.get('deployment_total')?.type).toBe('COUNTER');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('http://pg:9091/api/v1/metrics');
    expect(calls[0]?.init.headers).toMatchObject({
      authorization: 'Bearer s3cr3t',
      accept: 'application/json',
    });
  });

  test('readGroup: not JSON → a clear error', async () => {
    const client = new PushgatewayClient(
      { url: 'http://pg:9091', authorization: undefined, job: 'deployment' },
      clock,
      fakeFetch(200, '<html>'),
    );
    await expect(client.readGroup(API_GROUP, 2_000_000)).rejects.toThrow('the answer is not JSON');
  });

  test('readGroup: HTTP 404 → an error with the status', async () => {
    const client = new PushgatewayClient(
      { url: 'http://pg:9091', authorization: undefined, job: 'deployment' },
      clock,
      fakeFetch(404, 'not found'),
    );
    await expect(client.readGroup(API_GROUP, 2_000_000)).rejects.toThrow('HTTP 404 not found');
  });

  test('push POSTs the text to the group path with the 0.0.4 content type', async () => {
    calls.length = 0;
    const client = new PushgatewayClient(
      { url: 'http://pg:9091', authorization: undefined, job: 'deployment' },
      clock,
      fakeFetch(200, ''),
    );
    await client.push(
      [
        ['job', 'deployment'],
        ['repository', 'o/r'],
      ],
      'x 1\n',
      2_000_000,
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe(`http://pg:9091/metrics/job/deployment/repository@base64/${b64url('o/r')}`);
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.init.body).toBe('x 1\n');
    expect(calls[0]?.init.headers).toMatchObject({
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    });
    expect(calls[0]?.init.headers).not.toHaveProperty('authorization');
  });

  test('push: HTTP 400 → throws with the group and the Pushgateway’s message', async () => {
    const client = new PushgatewayClient(
      { url: 'http://pg:9091', authorization: undefined, job: 'deployment' },
      clock,
      fakeFetch(400, 'pushed metrics are invalid or inconsistent with existing metrics\n'),
    );
    await expect(client.push(API_GROUP, 'x 1\n', 2_000_000)).rejects.toThrow(
      'Pushing to the Pushgateway group {job="deployment",environment="production",service="api"} failed: HTTP 400 pushed metrics are invalid',
    );
  });
});
