/**
 * Remote write, pure parts and the client over a fake fetch: the wire format
 * against hand-assembled protobuf bytes, what a write request holds (sorted
 * labels, one series once, grouping labels, times), reading totals back from
 * the query API, the inputs, and which answers are retried.
 */
import { describe, expect, test } from '@jest/globals';
import { compress, uncompress } from 'snappyjs';
import { deriveQueryUrl, readConfig, type ConfigResult } from '../../src/config/inputs.js';
import type { MetricFamily } from '../../src/metrics/exposition.js';
import { type GroupingKey } from '../../src/delivery/sink.js';
import { REMOTE_WRITE_HEADERS, RemoteWriteClient } from '../../src/delivery/remote-write/writer.js';
import {
  existingFromQuery,
  groupTotalsQuery,
  MAX_SAMPLE_AGE_MS,
  toWriteRequest,
} from '../../src/delivery/remote-write/timeseries.js';
import { decodeWriteRequest, encodeWriteRequest } from '../../src/delivery/remote-write/wire.js';
import type { Clock } from '../../src/util/clock.js';
import type { FetchLike } from '../../src/util/http.js';

const KEY: GroupingKey = [
  ['job', 'deployment'],
  ['environment', 'production'],
  ['service', 'api'],
];
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

describe('wire format', () => {
  test('the protobuf bytes are those of prompb.WriteRequest (hand-assembled), snappy block-compressed', () => {
    const body = encodeWriteRequest({
      timeseries: [{ labels: [{ name: 'a', value: 'b' }], samples: [{ value: 1, timestamp: 2 }] }],
      metadata: [{ type: 1, metricFamilyName: 'c', help: 'h', unit: '' }],
    });
    // Label{name=1:"a", value=2:"b"}
    const label = [0x0a, 0x01, 0x61, 0x12, 0x01, 0x62];
    // Sample{value=1 (double, wire type 1): 1.0, timestamp=2 (varint): 2}
    const sample = [0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0x02];
    // TimeSeries{labels=1, samples=2}
    const series = [0x0a, label.length, ...label, 0x12, sample.length, ...sample];
    // MetricMetadata{type=1: COUNTER, metric_family_name=2: "c", help=4: "h"}
    const metadata = [0x08, 0x01, 0x12, 0x01, 0x63, 0x22, 0x01, 0x68];
    // WriteRequest{timeseries=1, metadata=3}
    const expected = [0x0a, series.length, ...series, 0x1a, metadata.length, ...metadata];
    expect([...uncompress(body)]).toEqual(expected);
    // and it is snappy's block format, not the framed one (no stream identifier chunk)
    expect(body[0]).toBe(expected.length);
  });

  test('round trip, with timestamps past 2^32 and special values', () => {
    const request = {
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'x' },
            { name: 'le', value: '+Inf' },
          ],
          samples: [{ value: Number.NaN, timestamp: NOW }],
        },
        { labels: [{ name: '__name__', value: 'y' }], samples: [{ value: -0.5, timestamp: NOW + 1 }] },
      ],
      metadata: [],
    };
    const back = decodeWriteRequest(encodeWriteRequest(request));
    expect(back.timeseries[0]?.samples[0]?.timestamp).toBe(NOW);
    expect(Number.isNaN(back.timeseries[0]?.samples[0]?.value)).toBe(true);
    expect(back.timeseries[1]).toEqual(request.timeseries[1]);
  });

  test('a body that is not snappy is refused by the decoder (the fake receivers rely on it)', () => {
    expect(() => decodeWriteRequest(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow();
    expect(() => decodeWriteRequest(compress(Uint8Array.from([0x0a, 0x05, 0x01])))).toThrow();
  });
});

const family = (
  name: string,
  type: MetricFamily['type'],
  samples: { name?: string; labels: Record<string, string>; value: number; timestampMs?: number }[],
): MetricFamily => ({
  name,
  type,
  help: `${name} help`,
  samples: samples.map((s) => ({ name: s.name ?? name, ...s })),
});

describe('toWriteRequest', () => {
  test('labels sorted by name with __name__, grouping labels on every series, empty values left out', () => {
    const req = toWriteRequest(
      KEY,
      [
        family('deployment_total', 'counter', [
          {
            labels: { stage: 'build', status: 'success', environment: 'production', service: 'api' },
            value: 3,
          },
        ]),
        family('custom_gauge', 'gauge', [{ labels: { zone: '', az: 'eu-1' }, value: 1 }]),
      ],
      { at: NOW, now: NOW },
    );
    expect(req.timeseries.map((s) => s.labels.map((l) => `${l.name}=${l.value}`))).toEqual([
      [
        '__name__=deployment_total',
        'environment=production',
        'job=deployment',
        'service=api',
        'stage=build',
        'status=success',
      ],
      ['__name__=custom_gauge', 'az=eu-1', 'environment=production', 'job=deployment', 'service=api'],
    ]);
    expect(req.metadata).toEqual([
      { type: 1, metricFamilyName: 'deployment_total', help: 'deployment_total help', unit: '' },
      { type: 2, metricFamilyName: 'custom_gauge', help: 'custom_gauge help', unit: '' },
    ]);
  });

  test('the grouping key wins over a sample label of the same name, as on the Pushgateway', () => {
    const req = toWriteRequest(KEY, [family('g', 'gauge', [{ labels: { service: 'web' }, value: 1 }])], {
      at: NOW,
      now: NOW,
    });
    expect(req.timeseries[0]?.labels).toContainEqual({ name: 'service', value: 'api' });
  });

  test('one series once: a duplicate keeps the last value', () => {
    const req = toWriteRequest(
      KEY,
      [
        family('g', 'gauge', [
          { labels: { a: '1' }, value: 1 },
          { labels: { a: '1' }, value: 2 },
        ]),
      ],
      { at: NOW, now: NOW },
    );
    expect(req.timeseries).toHaveLength(1);
    expect(req.timeseries[0]?.samples).toEqual([{ value: 2, timestamp: NOW }]);
  });

  test('histograms become _bucket/_sum/_count series with the histogram metadata type', () => {
    const req = toWriteRequest(
      [
        ['job', 'deployment'],
        ['repository', 'octo-org/octo-repo'],
        ['workflow', 'deploy'],
      ],
      [
        family('time_to_deploy_seconds', 'histogram', [
          { name: 'time_to_deploy_seconds_bucket', labels: { environment: 'p', le: '60' }, value: 0 },
          { name: 'time_to_deploy_seconds_bucket', labels: { environment: 'p', le: '+Inf' }, value: 1 },
          { name: 'time_to_deploy_seconds_sum', labels: { environment: 'p' }, value: 240 },
          { name: 'time_to_deploy_seconds_count', labels: { environment: 'p' }, value: 1 },
        ]),
      ],
      { at: NOW, now: NOW },
    );
    expect(req.timeseries.map((s) => s.labels.find((l) => l.name === '__name__')?.value)).toEqual([
      'time_to_deploy_seconds_bucket',
      'time_to_deploy_seconds_bucket',
      'time_to_deploy_seconds_sum',
      'time_to_deploy_seconds_count',
    ]);
    expect(req.metadata[0]?.type).toBe(3);
    expect(req.timeseries[0]?.labels).toContainEqual({ name: 'repository', value: 'octo-org/octo-repo' });
  });

  test('times: a sample keeps its own (earlier) time, never later than the write, never older than the limit', () => {
    const at = NOW - 60_000;
    const req = toWriteRequest(
      KEY,
      [
        family('g', 'gauge', [
          { labels: { k: 'own' }, value: 1, timestampMs: at - 30_000 },
          { labels: { k: 'none' }, value: 1 },
          { labels: { k: 'future' }, value: 1, timestampMs: NOW + 3_600_000 },
          { labels: { k: 'ancient' }, value: 1, timestampMs: NOW - 5 * 3_600_000 },
        ]),
      ],
      { at, now: NOW },
    );
    expect(req.timeseries.map((s) => s.samples[0]?.timestamp)).toEqual([
      at - 30_000,
      at,
      at,
      NOW - MAX_SAMPLE_AGE_MS,
    ]);
  });
});

describe('reading totals back', () => {
  test('the query: the group, no deployment_id, last values over 90 days; hostile values escaped', () => {
    expect(groupTotalsQuery(KEY)).toBe(
      'last_over_time({job="deployment",environment="production",service="api",deployment_id=""}[90d])',
    );
    const hostile: GroupingKey = [
      ['job', 'deployment'],
      ['environment', 'staging/eu "blue"\\\n'],
      ['service', ''],
    ];
    expect(groupTotalsQuery(hostile, true)).toBe(
      '{job="deployment",environment="staging/eu \\"blue\\"\\\\\\n",service="",deployment_id=""}[90d]',
    );
  });

  test('a vector answer becomes the group: histogram series under their family, labels without __name__', () => {
    const group = existingFromQuery({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          {
            metric: { __name__: 'deployment_total', job: 'deployment', stage: 'build', status: 'success' },
            value: [1, '3'],
          },
          { metric: { __name__: 'time_to_deploy_seconds_bucket', le: '60' }, value: [1, '2'] },
          { metric: { __name__: 'time_to_deploy_seconds_sum' }, value: [1, '99.5'] },
          { metric: { __name__: 'custom_count' }, value: [1, '4'] },
        ],
      },
    });
    expect([...group.samples.keys()]).toEqual(['deployment_total', 'time_to_deploy_seconds', 'custom_count']);
    expect(group.samples.get('deployment_total')).toEqual([
      {
        name: 'deployment_total',
        labels: { job: 'deployment', stage: 'build', status: 'success' },
        value: 3,
      },
    ]);
    expect(group.samples.get('time_to_deploy_seconds')?.map((s) => [s.name, s.value])).toEqual([
      ['time_to_deploy_seconds_bucket', 2],
      ['time_to_deploy_seconds_sum', 99.5],
    ]);
  });

  test('a matrix answer (raw samples) uses each series’ last sample', () => {
    const group = existingFromQuery({
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { __name__: 'deployment_runs_total', status: 'success' },
            values: [
              [1, '1'],
              [2, '2'],
            ],
          },
        ],
      },
    });
    expect(group.samples.get('deployment_runs_total')?.[0]?.value).toBe(2);
  });

  test('an answer without metric names, or without a result, is not taken for an empty group', () => {
    expect(() =>
      existingFromQuery({
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: {}, value: [1, '3'] }] },
      }),
    ).toThrow('without their metric name');
    expect(() => existingFromQuery({ status: 'error', error: 'bad' })).toThrow(
      'did not answer with a result',
    );
    expect(() => existingFromQuery('<html>')).toThrow();
  });
});

describe('inputs', () => {
  const ENV = { GITHUB_JOB: 'deploy-api', RUNNER_TEMP: '/tmp/runner' };
  function read(inputs: Record<string, string>): ConfigResult {
    return readConfig((name) => inputs[name] ?? '', ENV);
  }

  test('url, auth, headers and the derived query URL', () => {
    const { config, problems } = read({
      'remote-write-url': 'https://mimir.example.com/api/v1/push',
      'remote-write-auth': 'Bearer glc_s3cr3t-token',
      'remote-write-headers': '# tenant\nX-Scope-OrgID: team-a\n\nX-Api-Key:  k3y-value \n',
    });
    expect(problems).toEqual([]);
    expect(config.remoteWrite).toEqual({
      url: 'https://mimir.example.com/api/v1/push',
      authorization: 'Bearer glc_s3cr3t-token',
      headers: { 'x-scope-orgid': 'team-a', 'x-api-key': 'k3y-value' },
      queryUrl: 'https://mimir.example.com/prometheus',
    });
    expect(config.secrets).toEqual(expect.arrayContaining(['glc_s3cr3t-token', 'k3y-value']));
    expect(config.secrets).not.toContain('team-a');
    expect(config.metricsJob).toBe('deployment');
  });

  test.each<[string, string | undefined]>([
    ['http://127.0.0.1:9090/api/v1/write', 'http://127.0.0.1:9090'],
    ['https://vm.example.com/api/v1/write', 'https://vm.example.com'],
    ['https://gw.example.com/prom/api/v1/write/', 'https://gw.example.com/prom'],
    ['https://mimir.example.com/api/v1/push', 'https://mimir.example.com/prometheus'],
    [
      'https://prometheus-prod-10.grafana.net/api/prom/push',
      'https://prometheus-prod-10.grafana.net/api/prom',
    ],
    ['http://thanos-receive:19291/api/v1/receive', undefined],
    ['http://vminsert:8480/insert/0/prometheus/api/v1/write', undefined],
    ['https://example.com/ingest', undefined],
  ])('query URL derived from %s', (write, query) => {
    expect(deriveQueryUrl(write)).toBe(query);
  });

  test('no derivable query URL: a problem naming remote-write-query-url; an explicit one is used as given', () => {
    const thanos = read({ 'remote-write-url': 'http://thanos-receive:19291/api/v1/receive' });
    expect(thanos.config.remoteWrite?.queryUrl).toBeUndefined();
    expect(thanos.problems).toEqual([
      expect.stringMatching(/^input remote-write-query-url: cannot tell where/),
    ]);
    const explicit = read({
      'remote-write-url': 'http://thanos-receive:19291/api/v1/receive',
      'remote-write-query-url': 'http://thanos-query:10902/api/v1/query',
    });
    expect(explicit.problems).toEqual([]);
    expect(explicit.config.remoteWrite?.queryUrl).toBe('http://thanos-query:10902');
  });

  test('bad values: each problem names the input (and the line), nothing else is lost', () => {
    const bad = read({
      'remote-write-url': 'https://user:p4ssw0rd@vm.example.com/api/v1/write',
      'remote-write-headers': 'no colon here\nContent-Encoding: gzip\nX-Scope-OrgID: ok\nBad Name: x',
    });
    expect(bad.problems).toEqual([
      expect.stringMatching(/^input remote-write-url: credentials in the URL were moved/),
      'input remote-write-headers, line 1: expected "Name: value"; the line is ignored',
      'input remote-write-headers, line 2: Content-Encoding is set by the remote-write protocol and cannot be changed; the line is ignored',
      'input remote-write-headers, line 4: expected "Name: value"; the line is ignored',
    ]);
    expect(bad.config.remoteWrite?.url).toBe('https://vm.example.com/api/v1/write');
    expect(bad.config.remoteWrite?.authorization).toBe(
      `Basic ${Buffer.from('user:p4ssw0rd').toString('base64')}`,
    );
    expect(bad.config.remoteWrite?.headers).toEqual({ 'x-scope-orgid': 'ok' });
    expect(bad.config.secrets).toContain('p4ssw0rd');
    const notUrl = read({ 'remote-write-url': 'mimir:9009' });
    expect(notUrl.config.remoteWrite).toBeUndefined();
    expect(notUrl.problems[0]).toMatch(/^input remote-write-url: "mimir:9009" is not an http or https URL/);
  });
});

describe('RemoteWriteClient over a fake fetch', () => {
  const clock: Clock = { now: () => NOW, sleep: async () => undefined };
  const config = {
    url: 'http://rw.example/api/v1/write',
    authorization: 'Bearer t0ken',
    headers: { 'x-scope-orgid': 'team-a' },
    queryUrl: 'http://rw.example/prometheus',
  };
  const families = [
    family('deployment_runs_total', 'counter', [{ labels: { status: 'success' }, value: 1 }]),
  ];

  type Answer = [number, string] | [number, string, Record<string, string>];
  function fake(answers: Answer[]): { fetch: FetchLike; calls: { url: string; init: RequestInit }[] } {
    const calls: { url: string; init: RequestInit }[] = [];
    return {
      calls,
      fetch: async (url, init) => {
        calls.push({ url, init });
        const [status, body, headers] = answers[Math.min(calls.length - 1, answers.length - 1)] as Answer;
        return new Response(status === 204 ? null : body, { status, headers });
      },
    };
  }

  test('write: the protocol headers, auth and tenant; the body decodes to the families', async () => {
    const f = fake([[204, '']]);
    await new RemoteWriteClient(config, clock, f.fetch).write(KEY, families, NOW + 10_000, {
      method: 'PUT',
      at: NOW - 1000,
    });
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0]?.init.method).toBe('POST');
    expect(f.calls[0]?.init.headers).toMatchObject({
      ...REMOTE_WRITE_HEADERS,
      authorization: 'Bearer t0ken',
      'x-scope-orgid': 'team-a',
    });
    const sent = decodeWriteRequest(f.calls[0]?.init.body as Uint8Array);
    expect(sent.timeseries[0]?.samples).toEqual([{ value: 1, timestamp: NOW - 1000 }]);
  });

  test.each<[string, Answer[], number, RegExp | undefined]>([
    [
      '500 then 204: retried, the same bytes',
      [
        [500, 'busy'],
        [204, ''],
      ],
      2,
      undefined,
    ],
    [
      '429 then 204: retried',
      [
        [429, 'slow down'],
        [204, ''],
      ],
      2,
      undefined,
    ],
    ['500 three times: gives up with the last answer', [[500, 'busy']], 3, /HTTP 500: busy/],
    [
      '400: not retried, the receiver’s reason',
      [[400, 'out of order sample']],
      1,
      /HTTP 400 out of order sample \(not retried/,
    ],
    ['401: not retried', [[401, 'unauthorized']], 1, /HTTP 401 unauthorized/],
    ['409 (Thanos: out of order): not retried', [[409, 'conflict']], 1, /HTTP 409 conflict/],
    [
      '403 with retry-after: not retried (only 5xx and 429 are)',
      [[403, 'forbidden', { 'retry-after': '1' }]],
      1,
      /HTTP 403/,
    ],
  ])('%s', async (_name, answers, calls, error) => {
    const f = fake(answers);
    const write = new RemoteWriteClient(config, clock, f.fetch).write(KEY, families, NOW + 60_000, {
      method: 'POST',
      at: NOW,
    });
    if (error) await expect(write).rejects.toThrow(error);
    else await expect(write).resolves.toBeUndefined();
    expect(f.calls).toHaveLength(calls);
    const bodies = f.calls.map((c) => Buffer.from(c.init.body as Uint8Array).toString('hex'));
    expect(new Set(bodies).size).toBe(1);
  });

  test('readGroup: POSTs the query to <query base>/api/v1/query with the same auth and tenant', async () => {
    const answer = {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [{ metric: { __name__: 'deployment_runs_total', status: 'success' }, value: [1, '5'] }],
      },
    };
    const f = fake([[200, JSON.stringify(answer)]]);
    const group = await new RemoteWriteClient(config, clock, f.fetch).readGroup(KEY, NOW + 10_000);
    expect(group.samples.get('deployment_runs_total')?.[0]?.value).toBe(5);
    expect(f.calls[0]?.url).toBe('http://rw.example/prometheus/api/v1/query');
    expect(new URLSearchParams(String(f.calls[0]?.init.body)).get('query')).toBe(groupTotalsQuery(KEY));
    expect(f.calls[0]?.init.headers).toMatchObject({
      authorization: 'Bearer t0ken',
      'x-scope-orgid': 'team-a',
    });
  });

  test('readGroup: an engine that drops names from last_over_time → the raw samples are read instead', async () => {
    const nameless = {
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: { status: 'success' }, value: [1, '5'] }] },
    };
    const raw = {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { __name__: 'deployment_runs_total', status: 'success' },
            values: [
              [1, '4'],
              [2, '5'],
            ],
          },
        ],
      },
    };
    const f = fake([
      [200, JSON.stringify(nameless)],
      [200, JSON.stringify(raw)],
    ]);
    const group = await new RemoteWriteClient(config, clock, f.fetch).readGroup(KEY, NOW + 10_000);
    expect(group.samples.get('deployment_runs_total')?.[0]?.value).toBe(5);
    // raw samples over the shorter window: they can be many
    expect(new URLSearchParams(String(f.calls[1]?.init.body)).get('query')).toBe(
      groupTotalsQuery(KEY, true, 7),
    );
  });

  test('readGroup: a backend that refuses a 90-day query (query-length limit) is asked for 7 days', async () => {
    const answer = {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [{ metric: { __name__: 'deployment_runs_total' }, value: [1, '3'] }],
      },
    };
    const f = fake([
      [422, '{"status":"error","errorType":"execution","error":"the query time range exceeds the limit"}'],
      [200, JSON.stringify(answer)],
    ]);
    const group = await new RemoteWriteClient(config, clock, f.fetch).readGroup(KEY, NOW + 10_000);
    expect(group.samples.get('deployment_runs_total')?.[0]?.value).toBe(3);
    expect(f.calls.map((c) => new URLSearchParams(String(c.init.body)).get('query'))).toEqual([
      groupTotalsQuery(KEY, false, 90),
      groupTotalsQuery(KEY, false, 7),
    ]);
  });

  test('readGroup: no query URL, or an error answer → a clear error (counters are then carried, not reset)', async () => {
    await expect(
      new RemoteWriteClient({ ...config, queryUrl: undefined }, clock, fake([]).fetch).readGroup(
        KEY,
        NOW + 1,
      ),
    ).rejects.toThrow('set remote-write-query-url');
    await expect(
      new RemoteWriteClient(
        config,
        clock,
        fake([[422, '{"status":"error","error":"bad query"}']]).fetch,
      ).readGroup(KEY, NOW + 10_000),
    ).rejects.toThrow(/HTTP 422/);
    await expect(
      new RemoteWriteClient(config, clock, fake([[200, 'not json']]).fetch).readGroup(KEY, NOW + 10_000),
    ).rejects.toThrow('not JSON');
  });
});
