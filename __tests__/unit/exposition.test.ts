/**
 * Prometheus text exposition (format 0.0.4): rendering, line parsing, and the round trip
 * for hostile label values. Rules: https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import { describe, expect, test } from '@jest/globals';
import {
  escapeLabelValue,
  formatLabels,
  formatValue,
  parseExpositionLine,
  renderExposition,
  renderFamily,
  seriesKey,
  type MetricFamily,
  type ParsedLine,
  type Sample,
} from '../../src/metrics/exposition.js';

/** A short test title for a possibly long string. */
function title(text: string): string {
  return text.length > 60
    ? `${JSON.stringify(text.slice(0, 24))}… (${text.length} characters)`
    : JSON.stringify(text);
}

function sampleOf(parsed: ParsedLine): Sample {
  if (parsed.kind !== 'sample') throw new Error(`expected a sample, got ${JSON.stringify(parsed)}`);
  return parsed.sample;
}

describe('escapeLabelValue', () => {
  test.each([
    ['plain', 'plain'],
    ['back\\slash', 'back\\\\slash'],
    ['say "hi"', 'say \\"hi\\"'],
    ['two\nlines', 'two\\nlines'],
    ['\\n literal', '\\\\n literal'],
    ['\\"', '\\\\\\"'],
    ['', ''],
  ])('%j → %j', (input, expected) => {
    expect(escapeLabelValue(input)).toBe(expected);
  });
});

describe('formatValue', () => {
  test.each([
    [1, '1'],
    [0, '0'],
    [-2.5, '-2.5'],
    [23.4, '23.4'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
    [1e21, '1e+21'],
  ])('%p → %s', (value, expected) => {
    expect(formatValue(value)).toBe(expected);
  });
});

describe('formatLabels', () => {
  test.each([
    [{}, ''],
    [{ a: '1' }, '{a="1"}'],
    [{ b: '2', a: '1' }, '{b="2",a="1"}'],
    [{ a: 'x"y' }, '{a="x\\"y"}'],
  ])('%j → %s', (labels, expected) => {
    expect(formatLabels(labels)).toBe(expected);
  });
});

describe('renderFamily / renderExposition', () => {
  const family: MetricFamily = {
    name: 'deployment_total',
    type: 'counter',
    help: 'Stage completions \\ with a backslash\nand a new line',
    samples: [
      { name: 'deployment_total', labels: { environment: 'production', stage: 'build' }, value: 3 },
      {
        name: 'deployment_total',
        labels: { environment: 'production', stage: 'a "quoted"\nname\\x' },
        value: Infinity,
      },
      { name: 'deployment_total', labels: {}, value: NaN },
    ],
  };

  test('HELP (escaped), TYPE, then one line per sample, ending in a new line', () => {
    expect(renderFamily(family).split('\n')).toEqual([
      '# HELP deployment_total Stage completions \\\\ with a backslash\\nand a new line',
      '# TYPE deployment_total counter',
      'deployment_total{environment="production",stage="build"} 3',
      'deployment_total{environment="production",stage="a \\"quoted\\"\\nname\\\\x"} +Inf',
      'deployment_total NaN',
      '',
    ]);
  });

  test.each(['counter', 'gauge', 'histogram'] as const)('TYPE line names the type %s', (type) => {
    const text = renderFamily({ name: 'm', type, help: 'h', samples: [{ name: 'm', labels: {}, value: 1 }] });
    expect(text).toContain(`# TYPE m ${type}\n`);
  });

  test('histogram parts are written under the family name', () => {
    const text = renderFamily({
      name: 'time_to_deploy_seconds',
      type: 'histogram',
      help: 'TTD',
      samples: [
        { name: 'time_to_deploy_seconds_bucket', labels: { le: '60' }, value: 0 },
        { name: 'time_to_deploy_seconds_bucket', labels: { le: '+Inf' }, value: 1 },
        { name: 'time_to_deploy_seconds_sum', labels: {}, value: 75 },
        { name: 'time_to_deploy_seconds_count', labels: {}, value: 1 },
      ],
    });
    expect(text).toBe(
      [
        '# HELP time_to_deploy_seconds TTD',
        '# TYPE time_to_deploy_seconds histogram',
        'time_to_deploy_seconds_bucket{le="60"} 0',
        'time_to_deploy_seconds_bucket{le="+Inf"} 1',
        'time_to_deploy_seconds_sum 75',
        'time_to_deploy_seconds_count 1',
        '',
      ].join('\n'),
    );
  });

  test('renderExposition joins families and leaves out those without samples', () => {
    const a: MetricFamily = {
      name: 'a',
      type: 'gauge',
      help: 'A',
      samples: [{ name: 'a', labels: {}, value: 1 }],
    };
    const empty: MetricFamily = { name: 'empty', type: 'gauge', help: 'E', samples: [] };
    const b: MetricFamily = {
      name: 'b_total',
      type: 'counter',
      help: 'B',
      samples: [{ name: 'b_total', labels: {}, value: 2 }],
    };
    const text = renderExposition([a, empty, b]);
    expect(text).toBe(renderFamily(a) + renderFamily(b));
    expect(text).not.toContain('empty');
  });

  test('renderExposition of nothing is empty', () => {
    expect(renderExposition([])).toBe('');
  });
});

describe('parseExpositionLine: valid lines', () => {
  test.each<[string, string, string, Record<string, string>, number]>([
    ['bare name', 'up 1', 'up', {}, 1],
    ['colons in the name', 'job:rate:5m 0.5', 'job:rate:5m', {}, 0.5],
    ['labels', 'm{a="1",b="two"} 42', 'm', { a: '1', b: 'two' }, 42],
    ['empty braces', 'm{} 3', 'm', {}, 3],
    ['trailing comma', 'm{a="1",} 3', 'm', { a: '1' }, 3],
    ['spaces around labels', 'm{ a = "1" , b="2" } 3', 'm', { a: '1', b: '2' }, 3],
    ['escaped quote', 'm{a="say \\"hi\\""} 1', 'm', { a: 'say "hi"' }, 1],
    ['escaped new line', 'm{a="x\\ny"} 1', 'm', { a: 'x\ny' }, 1],
    ['escaped backslash', 'm{a="c:\\\\dir"} 1', 'm', { a: 'c:\\dir' }, 1],
    ['value with , } = inside quotes', 'm{a="x,}=y"} 1', 'm', { a: 'x,}=y' }, 1],
    ['unicode value', 'm{a="déploiement ✅"} 1', 'm', { a: 'déploiement ✅' }, 1],
    ['timestamp', 'm{a="1"} 5 1700000000000', 'm', { a: '1' }, 5],
    ['negative timestamp', 'm 5 -1', 'm', {}, 5],
    ['tab before the value', 'm{a="1"}\t7', 'm', { a: '1' }, 7],
    ['leading/trailing spaces', '   m 7   ', 'm', {}, 7],
    ['exponent', 'm 1.5e3', 'm', {}, 1500],
    ['negative exponent', 'm 2E-2', 'm', {}, 0.02],
    ['leading dot', 'm .5', 'm', {}, 0.5],
    ['trailing dot', 'm 5.', 'm', {}, 5],
    ['plus sign', 'm +3', 'm', {}, 3],
    ['negative', 'm -3.25', 'm', {}, -3.25],
    [
      'contract example',
      'database_migration_lag_seconds{migration_count="5"} 23.4',
      'database_migration_lag_seconds',
      { migration_count: '5' },
      23.4,
    ],
    [
      'contract example 2.50',
      'deployment_infrastructure_cost{resource="railway_compute"} 2.50',
      'deployment_infrastructure_cost',
      { resource: 'railway_compute' },
      2.5,
    ],
  ])('%s: %s', (_what, line, name, labels, value) => {
    const sample = sampleOf(parseExpositionLine(line));
    expect(sample.name).toBe(name);
    expect(sample.labels).toEqual(labels);
    expect(sample.value).toBe(value);
  });

  test.each([
    ['+Inf', Infinity],
    ['Inf', Infinity],
    ['inf', Infinity],
    ['-Inf', -Infinity],
    ['NaN', NaN],
    ['nan', NaN],
  ])('special value %s', (text, value) => {
    expect(sampleOf(parseExpositionLine(`m ${text}`)).value).toBe(value);
  });

  test.each([
    ['', 'blank'],
    ['   ', 'blank'],
    ['\t', 'blank'],
    ['# HELP m something', 'comment'],
    ['# TYPE m counter', 'comment'],
    ['#anything', 'comment'],
    ['   # indented comment', 'comment'],
  ])('%j is %s', (line, kind) => {
    expect(parseExpositionLine(line).kind).toBe(kind);
  });
});

describe('parseExpositionLine: errors', () => {
  test.each([
    ['bad name (digit first)', '1m 1', 'does not start with a metric name'],
    ['bad name (dash first)', '-m 1', 'does not start with a metric name'],
    ['bad name (quote)', '"m" 1', 'does not start with a metric name'],
    ['bad label name', 'm{1a="x"} 1', 'bad label name at column 3'],
    ['empty label name', 'm{="x"} 1', 'bad label name at column 3'],
    ['missing =', 'm{a "x"} 1', 'expected = after label a'],
    ['unquoted value', 'm{a=x} 1', 'label a value must be in double quotes'],
    ['single quotes', "m{a='x'} 1", 'label a value must be in double quotes'],
    ['unclosed value', 'm{a="x} 1', 'label a value is not closed'],
    ['unclosed value at end', 'm{a="x', 'label a value is not closed'],
    ['bad escape \\t', 'm{a="x\\ty"} 1', 'bad escape \\t in label a'],
    ['bad escape \\x', 'm{a="\\x41"} 1', 'bad escape \\x in label a'],
    ['backslash at the very end', 'm{a="x\\', 'bad escape \\ in label a'],
    ['duplicate label', 'm{a="1",a="2"} 1', 'label a appears twice'],
    ['reserved __ label', 'm{__name__="x"} 1', 'label __name__ is reserved'],
    ['reserved __ label (other)', 'm{__meta="x"} 1', 'label __meta is reserved'],
    ['missing comma', 'm{a="1" b="2"} 1', 'expected , or } after label a'],
    ['unclosed braces', 'm{a="1"', 'expected , or } after label a'],
    ['missing value (bare name)', 'm', 'expected a space and a value after the name'],
    ['missing value (labels)', 'm{a="1"}', 'expected a space and a value after the name'],
    ['missing value (trailing spaces)', 'm{a="1"}   ', 'expected a space and a value after the name'],
    ['no space before value', 'm{a="1"}1', 'expected a space and a value after the name'],
    ['bad character in name', 'm-x 1', 'expected a space and a value after the name'],
    ['non-number', 'm abc', '"abc" is not a number'],
    ['hex', 'm 0x1F', '"0x1F" is not a number'],
    ['empty exponent', 'm 1e', '"1e" is not a number'],
    ['comma decimal', 'm 2,50', '"2,50" is not a number'],
    ['Infinity spelled out', 'm Infinity', '"Infinity" is not a number'],
    ['bad timestamp', 'm 1 abc', '"abc" is not a timestamp in milliseconds'],
    ['fractional timestamp', 'm 1 1700000000.5', '"1700000000.5" is not a timestamp in milliseconds'],
    ['garbage after the value', 'm 1 2 3', 'unexpected text after the value'],
    ['words after the value', 'm{a="1"} 1 # trailing comment', 'unexpected text after the value'],
  ])('%s: %s → %s', (_what, line, message) => {
    expect(parseExpositionLine(line)).toEqual({ kind: 'error', message });
  });

  test.each(
    [
      'm{',
      '{a="1"} 1',
      'm{a=',
      'm{a="',
      'm{a="1",,b="2"} 1',
      '\u0000',
      '🙂 1',
      'm{a="1"}}} 1',
      'x'.repeat(10000),
      `m{a="${'\\'.repeat(999)}"} 1`,
    ].map((line) => [title(line), line]),
  )('never throws: %s', (_title, line) => {
    const parsed = parseExpositionLine(line);
    expect(['blank', 'comment', 'sample', 'error']).toContain(parsed.kind);
  });
});

describe('render → parse round trip for hostile label values', () => {
  const hostile: [string, string][] = [
    ['quotes', 'he said "deploy" and ""'],
    ['new lines', 'line one\nline two\n\nline four\n'],
    ['backslashes', 'C:\\path\\to\\file\\'],
    ['backslash then n', '\\n is not a new line'],
    ['backslash quote', '\\"'],
    ['500 characters', 'a"b\\c\nd'.repeat(62) + 'xxxx'],
    ['unicode', 'déploiement 🚀 東京 ‮rtl‬ \u2028sep\u2029'],
    ['braces and commas', '},{a="b"},'],
    ['hash', '# not a comment'],
    ['spaces only', '   '],
    ['empty', ''],
    ['tab and carriage return', 'a\tb\rc'],
  ];

  test.each(hostile)('%s', (_what, value) => {
    const family: MetricFamily = {
      name: 'smoke_test_failures_total',
      type: 'counter',
      help: 'h',
      samples: [
        {
          name: 'smoke_test_failures_total',
          labels: { environment: 'production', test_name: value },
          value: 2,
        },
      ],
    };
    const lines = renderFamily(family).split('\n');
    // The value never splits the sample over several lines.
    expect(lines).toHaveLength(4);
    const sampleLine = lines[2] as string;
    const sample = sampleOf(parseExpositionLine(sampleLine));
    expect(sample).toEqual({
      name: 'smoke_test_failures_total',
      labels: { environment: 'production', test_name: value },
      value: 2,
    });
  });

  test.each([0, 1, -1, 0.1, 23.4, 1e21, 1e-7, -0.000001, 2 ** 53, Infinity, -Infinity, NaN])(
    'value %p survives',
    (value) => {
      const text = renderFamily({
        name: 'g',
        type: 'gauge',
        help: 'h',
        samples: [{ name: 'g', labels: {}, value }],
      });
      const line = text.split('\n')[2] as string;
      expect(sampleOf(parseExpositionLine(line)).value).toBe(value);
    },
  );
});

describe('seriesKey', () => {
  test('does not depend on label order', () => {
    expect(seriesKey('m', { a: '1', b: '2' })).toBe(seriesKey('m', { b: '2', a: '1' }));
  });

  test.each<[string, Record<string, string>, string, Record<string, string>]>([
    ['m', { a: '1' }, 'm', { a: '2' }],
    ['m', { a: '1' }, 'n', { a: '1' }],
    ['m', { a: '1,b="2"' }, 'm', { a: '1', b: '2' }],
    ['m', {}, 'm', { a: '' }],
  ])('distinguishes %s%j from %s%j', (n1, l1, n2, l2) => {
    expect(seriesKey(n1, l1)).not.toBe(seriesKey(n2, l2));
  });
});
