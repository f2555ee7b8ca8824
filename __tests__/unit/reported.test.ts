/**
 * What steps append to DEPLOY_METRICS_FILE (README, "Reporting from steps"): validated line by
 * line; a bad line is skipped with a message naming the file and line; nothing else is lost.
 */
import { describe, expect, test } from '@jest/globals';
import { METRICS, type MetricDefinition } from '../../src/metrics/definitions.js';
import {
  MAX_COUNTER_INCREMENT,
  MAX_ECHO,
  MAX_REPORTED_SERIES,
  MAX_REPORT_LINES,
  customDefinition,
  parseReportedMetrics,
  type ReportedSeries,
} from '../../src/metrics/reported.js';

const FILE = 'DEPLOY_METRICS_FILE /tmp/deployment-metrics.prom';

function parse(text: string): ReturnType<typeof parseReportedMetrics> {
  return parseReportedMetrics(text, FILE);
}

function only(text: string): ReportedSeries {
  const result = parse(text);
  expect(result.problems).toEqual([]);
  expect(result.series).toHaveLength(1);
  return result.series[0] as ReportedSeries;
}

describe('the contract examples', () => {
  test.each<[string, MetricDefinition, Record<string, string>, number]>([
    [
      'api_health_check_latency_ms{status="healthy"} 42',
      METRICS.healthCheckLatency,
      { status: 'healthy' },
      42,
    ],
    [
      'database_migration_lag_seconds{migration_count="5"} 23.4',
      METRICS.migrationLag,
      { migration_count: '5' },
      23.4,
    ],
    [
      'smoke_test_failures_total{test_name="/health"} 1',
      METRICS.smokeTestFailuresTotal,
      { test_name: '/health' },
      1,
    ],
    [
      'deployment_rollback_total{reason="health_check_failed",status="success"} 1',
      METRICS.deploymentRollbackTotal,
      { reason: 'health_check_failed', status: 'success' },
      1,
    ],
    [
      'deployment_infrastructure_cost{resource="railway_compute"} 2.50',
      METRICS.infrastructureCost,
      { resource: 'railway_compute' },
      2.5,
    ],
    [
      'deployment_errors_total{stage="deploy_railway",error_type="api_unreachable"} 1',
      METRICS.deploymentErrorsTotal,
      { stage: 'deploy_railway', error_type: 'api_unreachable' },
      1,
    ],
  ])('%s', (line, definition, labels, value) => {
    const series = only(line);
    expect(series.definition).toBe(definition);
    expect(series.custom).toBe(false);
    expect(series.labels).toEqual(labels);
    expect(series.value).toBe(value);
  });

  test('all six together, as a file the contract shows', () => {
    const text = [
      'api_health_check_latency_ms{status="healthy"} 42',
      'database_migration_lag_seconds{migration_count="5"} 23.4',
      'smoke_test_failures_total{test_name="/health"} 1',
      'deployment_rollback_total{reason="health_check_failed",status="success"} 1',
      'deployment_infrastructure_cost{resource="railway_compute"} 2.50',
      'deployment_errors_total{stage="deploy_railway",error_type="api_unreachable"} 1',
      '',
    ].join('\n');
    const result = parse(text);
    expect(result.problems).toEqual([]);
    expect(result.series).toHaveLength(6);
    // Six lines, each ended by a new line: no seventh.
    expect(result.lineCount).toBe(6);
    expect(result.errorTypesByStage).toEqual(new Map([['deploy_railway', 'api_unreachable']]));
  });

  test('railway gauges take no labels of their own', () => {
    expect(only('railway_deployment_memory_mb 512').definition).toBe(METRICS.railwayMemory);
    expect(only('railway_deployment_cpu_percent 73.5').definition).toBe(METRICS.railwayCpu);
  });
});

describe('merging repeated lines', () => {
  test('counters are summed over repeated lines', () => {
    const series = only(
      [
        'smoke_test_total{test_name="/health"} 1',
        'smoke_test_total{test_name="/health"} 2',
        'smoke_test_total{test_name="/health"} 0.5',
      ].join('\n'),
    );
    expect(series.value).toBe(3.5);
  });

  test('label order does not make another series', () => {
    const series = only(
      [
        'deployment_rollback_total{reason="x",status="success"} 1',
        'deployment_rollback_total{status="success",reason="x"} 1',
      ].join('\n'),
    );
    expect(series.value).toBe(2);
  });

  test('gauges: the last line wins', () => {
    const series = only(
      [
        'api_health_check_latency_ms{status="healthy"} 42',
        'api_health_check_latency_ms{status="healthy"} 17',
        'api_health_check_latency_ms{status="healthy"} 99',
      ].join('\n'),
    );
    expect(series.value).toBe(99);
  });

  test('different label values are different series', () => {
    const result = parse(
      [
        'smoke_test_total{test_name="/a"} 1',
        'smoke_test_total{test_name="/b"} 1',
        'smoke_test_total{test_name="/a"} 1',
      ].join('\n'),
    );
    expect(result.series.map((s) => [s.labels.test_name, s.value])).toEqual([
      ['/a', 2],
      ['/b', 1],
    ]);
  });

  test('environment and deployment_id written by a step are dropped (the action sets them) and merge with lines without them', () => {
    const series = only(
      [
        'smoke_test_total{environment="staging",deployment_id="999",test_name="/a"} 1',
        'smoke_test_total{test_name="/a"} 1',
        'smoke_test_total{deployment_id="1",test_name="/a",environment="x"} 1',
      ].join('\n'),
    );
    expect(series.labels).toEqual({ test_name: '/a' });
    expect(series.value).toBe(3);
  });

  test('service is kept where the metric has it', () => {
    expect(only('smoke_test_total{service="web",test_name="/a"} 1').labels).toEqual({
      service: 'web',
      test_name: '/a',
    });
  });

  test('comments, HELP/TYPE lines and blank lines are ignored', () => {
    const result = parse(
      ['# HELP my_gauge hi', '# TYPE my_gauge gauge', '', '   ', 'my_gauge 1', '# trailing'].join('\n'),
    );
    expect(result.problems).toEqual([]);
    expect(result.series).toHaveLength(1);
  });

  test('CRLF line endings are read', () => {
    const result = parse('my_gauge 1\r\nmy_other 2\r\n');
    expect(result.problems).toEqual([]);
    expect(result.series.map((s) => s.value)).toEqual([1, 2]);
  });
});

describe('custom metrics', () => {
  test('a name ending in _total is a counter: summed, cumulative, no deployment_id', () => {
    const series = only('foo_total{kind="a"} 2\nfoo_total{kind="a"} 3');
    expect(series.custom).toBe(true);
    expect(series.value).toBe(5);
    expect(series.definition).toMatchObject({
      name: 'foo_total',
      type: 'counter',
      merge: 'sum',
      source: 'reported',
      labels: ['environment', 'service', 'kind'],
    });
  });

  test('any other name is a gauge of the latest deployment, with deployment_id', () => {
    const series = only('foo{kind="a"} 2\nfoo{kind="a"} 3');
    expect(series.custom).toBe(true);
    expect(series.value).toBe(3);
    expect(series.definition).toMatchObject({
      name: 'foo',
      type: 'gauge',
      merge: 'replace',
      labels: ['environment', 'deployment_id', 'service', 'kind'],
    });
  });

  test('custom label names are sorted after the standard ones; service is not repeated', () => {
    expect(only('foo{zeta="1",service="api",alpha="2"} 1').definition.labels).toEqual([
      'environment',
      'deployment_id',
      'service',
      'alpha',
      'zeta',
    ]);
  });

  test('ten custom labels are accepted', () => {
    const labels = Array.from({ length: 10 }, (_, i) => `l${i}="v"`).join(',');
    expect(only(`foo{${labels}} 1`).definition.labels).toHaveLength(13);
  });

  test('customDefinition is frozen', () => {
    expect(Object.isFrozen(customDefinition('x_total', ['a']))).toBe(true);
  });

  test('a negative value of a custom gauge is fine', () => {
    expect(only('temperature_delta -3.5').value).toBe(-3.5);
  });
});

describe('skipped lines: the message names the file and the line', () => {
  test.each<[string, string, string]>([
    ['malformed', '!!! 1', 'does not start with a metric name'],
    ['garbage after the value', 'my_gauge 1 2 3', 'unexpected text after the value'],
    ['not a number', 'my_gauge abc', '"abc" is not a number'],
    [
      'unknown label on a known metric',
      'api_health_check_latency_ms{status="healthy",region="eu"} 42',
      'api_health_check_latency_ms has no label region (it takes status)',
    ],
    [
      'service on a metric without it',
      'database_migration_lag_seconds{service="db"} 1',
      'database_migration_lag_seconds has no label service (it takes migration_count)',
    ],
    [
      'unknown labels listed',
      'migration_success_total{a="1",b="2"} 1',
      'migration_success_total has no label a, b (it takes none)',
    ],
    [
      'action metric deployment_total',
      'deployment_total{stage="build",status="success"} 1',
      'deployment_total is computed by the action and cannot be reported',
    ],
    [
      'action metric deployment_runs_total',
      'deployment_runs_total{status="success"} 1',
      'deployment_runs_total is computed by the action and cannot be reported',
    ],
    [
      'action metric stage duration',
      'deployment_stage_duration_seconds{stage="build"} 1',
      'deployment_stage_duration_seconds is computed by the action',
    ],
    [
      'action metric in progress',
      'deployment_in_progress 1',
      'deployment_in_progress is computed by the action',
    ],
    [
      'action metric start timestamp',
      'deployment_start_timestamp_seconds 1',
      'deployment_start_timestamp_seconds is computed by the action',
    ],
    [
      'action metric last success',
      'deployment_last_success_timestamp_seconds 1',
      'deployment_last_success_timestamp_seconds is computed by the action',
    ],
    [
      'action metric last failure',
      'deployment_last_failure_timestamp_seconds 1',
      'deployment_last_failure_timestamp_seconds is computed by the action',
    ],
    [
      'action metric time to deploy',
      'time_to_deploy_seconds 1',
      'time_to_deploy_seconds is computed by the action',
    ],
    [
      'action metric runs total',
      'github_workflow_runs_total 1',
      'github_workflow_runs_total is computed by the action',
    ],
    [
      'action metric action duration',
      'github_action_duration_seconds 1',
      'github_action_duration_seconds is computed by the action',
    ],
    ['action metric frequency', 'deployment_frequency 1', 'deployment_frequency is computed by the action'],
    [
      'action marker',
      'deployment_observability_counters_updated_timestamp_seconds 1',
      'is computed by the action',
    ],
    [
      'histogram bucket of a table metric',
      'time_to_deploy_seconds_bucket{le="60"} 1',
      'time_to_deploy_seconds_bucket cannot be reported (histogram parts and reserved names are not accepted)',
    ],
    ['custom _bucket', 'my_latency_bucket 1', 'my_latency_bucket cannot be reported'],
    ['custom _sum', 'my_latency_sum 1', 'my_latency_sum cannot be reported'],
    ['custom _count', 'my_latency_count 1', 'my_latency_count cannot be reported'],
    ['reserved __ name', '__secret 1', '__secret cannot be reported'],
    [
      'negative counter',
      'smoke_test_total{test_name="/a"} -1',
      'smoke_test_total is a counter and cannot go down (-1)',
    ],
    ['negative custom counter', 'foo_total -0.5', 'foo_total is a counter and cannot go down (-0.5)'],
    ['NaN', 'my_gauge NaN', 'value NaN is not a finite number'],
    ['+Inf', 'my_gauge +Inf', 'value Infinity is not a finite number'],
    ['-Inf', 'my_gauge -Inf', 'value -Infinity is not a finite number'],
    ['NaN counter', 'smoke_test_total NaN', 'value NaN is not a finite number'],
    ['reserved label job', 'my_gauge{job="x"} 1', 'label job is reserved'],
    ['reserved label instance', 'my_gauge{instance="x"} 1', 'label instance is reserved'],
    ['reserved label le', 'my_gauge{le="1"} 1', 'label le is reserved'],
    ['reserved label quantile', 'my_gauge{quantile="0.5"} 1', 'label quantile is reserved'],
    [
      'reserved label on a known metric',
      'api_health_check_latency_ms{job="x",status="ok"} 1',
      'label job is reserved',
    ],
    ['__ label', 'my_gauge{__name__="x"} 1', 'label __name__ is reserved'],
    [
      'label value over 1024 characters',
      `my_gauge{a="${'x'.repeat(1025)}"} 1`,
      'label a is longer than 1024 characters',
    ],
    [
      'eleven custom labels',
      `foo{${Array.from({ length: 11 }, (_, i) => `l${i}="v"`).join(',')}} 1`,
      'more than 10 labels',
    ],
  ])('%s', (_what, line, message) => {
    const text = ['# a comment', 'my_ok_gauge 1', line, 'my_other_gauge 2'].join('\n');
    const result = parse(text);
    expect(result.problems).toHaveLength(1);
    const problem = result.problems[0] as string;
    expect(problem.startsWith(`${FILE} line 3: `)).toBe(true);
    expect(problem).toContain(message);
    expect(problem.endsWith('; line skipped')).toBe(true);
    // Nothing else is lost.
    expect(result.series.map((s) => s.definition.name)).toEqual(['my_ok_gauge', 'my_other_gauge']);
  });

  test('a label value of exactly 1024 characters is accepted', () => {
    expect(only(`my_gauge{a="${'x'.repeat(1024)}"} 1`).labels.a).toHaveLength(1024);
  });

  test('every bad line has its own message, in order', () => {
    const result = parse(['bad one', 'ok_gauge 1', 'ok_gauge nope', 'deployment_total 1'].join('\n'));
    expect(result.problems.map((p) => /line (\d+):/.exec(p)?.[1])).toEqual(['1', '3', '4']);
    expect(result.series).toHaveLength(1);
  });

  test('more than MAX_REPORT_LINES lines: a problem, and only the first ones are read', () => {
    const lines = Array.from({ length: MAX_REPORT_LINES + 5 }, () => 'spam_total 1');
    const result = parse(lines.join('\n'));
    expect(result.problems).toEqual([
      `${FILE}: ${MAX_REPORT_LINES + 5} lines; only the first ${MAX_REPORT_LINES} are read`,
    ]);
    expect(result.lineCount).toBe(MAX_REPORT_LINES);
    expect(result.series[0]?.value).toBe(MAX_REPORT_LINES);
  });
});

describe('errorTypesByStage', () => {
  test('from deployment_errors_total, first one per stage wins', () => {
    const result = parse(
      [
        'deployment_errors_total{stage="deploy_railway",error_type="api_unreachable"} 1',
        'deployment_errors_total{stage="deploy_railway",error_type="timeout"} 1',
        'deployment_errors_total{stage="migration",error_type="database_connection_error"} 1',
      ].join('\n'),
    );
    expect([...result.errorTypesByStage]).toEqual([
      ['deploy_railway', 'api_unreachable'],
      ['migration', 'database_connection_error'],
    ]);
  });

  test('lines without stage or error_type, skipped lines and other metrics do not count', () => {
    const result = parse(
      [
        'deployment_errors_total{error_type="timeout"} 1',
        'deployment_errors_total{stage="build"} 1',
        'deployment_errors_total{stage="push",error_type="timeout"} -1',
        'my_errors_total{stage="deploy",error_type="timeout"} 1',
      ].join('\n'),
    );
    expect(result.errorTypesByStage.size).toBe(0);
  });

  test('empty file: nothing', () => {
    const result = parse('');
    expect(result).toEqual({ series: [], problems: [], errorTypesByStage: new Map(), lineCount: 1 });
  });
});

describe('never throws on garbage', () => {
  const nasty = [
    '\u0000\u0001\u0002',
    '{}{}{}',
    '} 1',
    '__proto__ 1',
    'constructor 1',
    'toString{} 1',
    'hasOwnProperty_total 1',
    'm{constructor="x",toString="y",hasOwnProperty="z"} 1',
    'm{__proto__="x"} 1',
    'deployment_errors_total{stage="__proto__",error_type="constructor"} 1',
    'deployment_errors_total{stage="constructor",error_type="x"} 1',
    'm{a="\\',
    'm{a="\\"} 1',
    '"'.repeat(1000),
    '\\'.repeat(1000),
    '{'.repeat(1000),
    'a'.repeat(100_000),
    'm 1e309',
    'm -1e309',
    'm 1 2 3 4 5',
    'm 99999999999999999999999999',
    'm{a="1"} 1 999999999999999999999999999999',
    '🙂{🙂="🙂"} 🙂',
    'm{a="\ud800"} 1',
    '\r\r\r',
    '# TYPE m histogram\nm_bucket{le="+Inf"} 1',
    'm\t\t1',
    'm\u00a01',
  ];

  test.each(nasty.map((text) => [text.length > 60 ? `${text.slice(0, 60)}… (${text.length})` : text, text]))(
    '%j',
    (_label, text) => {
      let result: ReturnType<typeof parseReportedMetrics> | undefined;
      expect(() => {
        result = parse(text);
      }).not.toThrow();
      expect(result).toBeDefined();
      for (const s of result?.series ?? []) expect(Number.isFinite(s.value)).toBe(true);
      for (const p of result?.problems ?? []) expect(p.startsWith(FILE)).toBe(true);
    },
  );

  test('all of them in one file', () => {
    expect(() => parse(nasty.join('\n'))).not.toThrow();
  });
});

describe('bounds on what one job may report', () => {
  test('a counter line adding more than MAX_COUNTER_INCREMENT (1e300) is refused, named by file and line', () => {
    const r = parseReportedMetrics(
      [
        'deployment_rollback_total{reason="manual",status="success"} 1e300',
        'deployment_rollback_total{reason="manual",status="success"} 1',
      ].join('\n'),
      'DEPLOY_METRICS_FILE f',
    );
    expect(r.series.map((s) => s.value)).toEqual([1]);
    expect(r.problems).toEqual([
      'DEPLOY_METRICS_FILE f line 1: deployment_rollback_total is a counter and a step may add at most 1,000,000 to it in one deployment (1e+300); line skipped',
    ]);
    expect(MAX_COUNTER_INCREMENT).toBe(1e6);
  });

  test('repeated counter lines may add up to MAX_COUNTER_INCREMENT, not past it (the line that would is named)', () => {
    const r = parseReportedMetrics('x_total 600000\nx_total 400000\nx_total 1\n', 'DEPLOY_METRICS_FILE f');
    expect(r.series.map((s) => s.value)).toEqual([1e6]);
    expect(r.problems).toEqual([
      'DEPLOY_METRICS_FILE f line 3: x_total would add up to 1000001 in this deployment; a step may add at most 1,000,000 to a counter; line skipped',
    ]);
  });

  test('a gauge may hold a large value (only counters are bounded)', () => {
    expect(only('my_bytes 1e300').value).toBe(1e300);
  });

  test('a file of exactly MAX_REPORT_LINES lines (ending in a new line) is read whole, without a warning', () => {
    const text = Array.from({ length: MAX_REPORT_LINES }, () => 'spam_total 1\n').join('');
    const r = parse(text);
    expect(r.problems).toEqual([]);
    expect(r.lineCount).toBe(MAX_REPORT_LINES);
    expect(r.series[0]?.value).toBe(MAX_REPORT_LINES);
  });

  test('one line more than MAX_REPORT_LINES: a warning, and the last line is not read', () => {
    const text = Array.from({ length: MAX_REPORT_LINES + 1 }, () => 'spam_total 1\n').join('');
    const r = parse(text);
    expect(r.problems).toEqual([
      `${FILE}: ${MAX_REPORT_LINES + 1} lines; only the first ${MAX_REPORT_LINES} are read`,
    ]);
    expect(r.series[0]?.value).toBe(MAX_REPORT_LINES);
  });

  test('a bad timestamp of 5,000 characters is echoed cut to 80 characters with …', () => {
    const token = 'z'.repeat(5000);
    const r = parse(`my_gauge 1 ${token}`);
    expect(r.problems).toHaveLength(1);
    const problem = r.problems[0] as string;
    expect(problem).toContain(`"${'z'.repeat(MAX_ECHO - 1)}…" is not a timestamp`);
    expect(problem.length).toBeLessThan(FILE.length + 200);
  });

  test.each([
    ['a metric name', `${'n'.repeat(5000)} 1 x`],
    ['a label name', `m{${'l'.repeat(5000)}="1",le="x"} 1`],
    ['an action metric name', `deployment_total{${'l'.repeat(5000)}="1"} 1`],
    ['an unknown label', `smoke_test_total{${'q'.repeat(5000)}="1"} 1`],
    ['a bad value', `m ${'9'.repeat(3000)}x`],
    ['a bad escape', `m{${'l'.repeat(5000)}="\\q"} 1`],
  ])('%s of thousands of characters is never echoed whole', (_what, line) => {
    const r = parse(line);
    expect(r.problems).toHaveLength(1);
    expect((r.problems[0] as string).length).toBeLessThan(FILE.length + 400);
    expect(r.problems[0]).not.toMatch(/[^\s"';,]{81,}/);
  });

  describe('only the services this job may write', () => {
    const services = new Set(['api', 'web']);
    const lines = (n: number): string =>
      Array.from({ length: n }, (_, i) => `deploy_note_total{service="svc-${i}"} 1`).join('\n');

    test('2,000 lines for 2,000 other services: all skipped, ONE message naming the file, the first line and the allowed services', () => {
      const r = parseReportedMetrics(`ok_gauge 1\n${lines(2000)}\n`, FILE, { services, service: 'api' });
      expect(r.series.map((s) => s.definition.name)).toEqual(['ok_gauge']);
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]).toBe(
        `${FILE} line 2: service "svc-0" is not one this job writes (it may write api, web: its own service and those its stage map names); line skipped, and 1,999 more lines for services it does not write, e.g. "svc-1", "svc-2", "svc-3", "svc-4", "svc-5", "svc-6", "svc-7", "svc-8", "svc-9" (lines 3, 4, 5, 6, 7, 8, 9, 10, 11, …)`,
      );
    });

    test('one line for another service: one message, no "more"', () => {
      const r = parseReportedMetrics('api_note{service="web"} 1\nx{service="db"} 2', FILE, {
        services,
        service: 'api',
      });
      expect(r.series.map((s) => s.labels.service)).toEqual(['web']);
      expect(r.problems).toEqual([
        `${FILE} line 2: service "db" is not one this job writes (it may write api, web: its own service and those its stage map names); line skipped`,
      ]);
    });

    test('a table metric with a service label is filtered too; one without is the job’s own', () => {
      const r = parseReportedMetrics(
        [
          'deployment_errors_total{service="web",stage="deploy",error_type="timeout"} 1',
          'deployment_errors_total{service="other",stage="deploy",error_type="api_unreachable"} 1',
          'railway_deployment_memory_mb 512',
        ].join('\n'),
        FILE,
        { services, service: 'api' },
      );
      expect(r.series.map((s) => s.definition.name)).toEqual([
        'deployment_errors_total',
        'railway_deployment_memory_mb',
      ]);
      // A skipped line gives no error type.
      expect([...r.errorTypesByStage]).toEqual([['deploy', 'timeout']]);
      expect(r.problems).toHaveLength(1);
    });

    test('without the option every service is accepted (as before)', () => {
      expect(parse(lines(3)).series).toHaveLength(3);
    });
  });

  test('at most MAX_REPORTED_SERIES distinct series: the rest skipped with ONE message; repeated lines of a kept series still count', () => {
    const text = [
      ...Array.from({ length: MAX_REPORTED_SERIES + 500 }, (_, i) => `x_total{i="${i}"} 1`),
      'x_total{i="0"} 1',
    ].join('\n');
    const r = parse(text);
    expect(r.series).toHaveLength(MAX_REPORTED_SERIES);
    expect(r.series[0]?.value).toBe(2);
    expect(r.problems).toEqual([
      `${FILE} line ${MAX_REPORTED_SERIES + 1}: more than 1,000 distinct series reported; line skipped, and 499 more lines of new series (lines 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, …)`,
    ]);
  });
});
