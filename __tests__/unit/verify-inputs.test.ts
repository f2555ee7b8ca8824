/**
 * readVerifyConfig: verify mode's inputs into one frozen object; every problem
 * names its input (and the health-urls line); credentials in URLs become
 * headers and secrets.
 */
import { describe, expect, test } from '@jest/globals';
import { readVerifyConfig } from '../../src/config/verify-inputs.js';

const read =
  (inputs: Record<string, string>) =>
  (name: string): string =>
    inputs[name] ?? '';

describe('readVerifyConfig', () => {
  test('defaults: nothing to probe, 300 s, fail-on-unhealthy false, no problem', () => {
    const { config, problems, secrets } = readVerifyConfig(read({}));
    expect(config).toEqual({
      targets: [],
      prometheus: undefined,
      errorRateQuery: undefined,
      windowSeconds: 300,
      failOnUnhealthy: false,
      deploymentId: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(problems).toEqual([]);
    expect(secrets).toEqual([]);
  });

  test('health-urls: plain and name=url lines, comments and blanks, a query string is not a name', () => {
    const { config, problems } = readVerifyConfig(
      read({
        'health-urls': [
          '# the API first',
          'api=https://api.example.com/health',
          '',
          '  https://web.example.com/  ',
          'https://status.example.com/check?token=abc=def',
        ].join('\n'),
      }),
    );
    expect(problems).toEqual([]);
    expect(config.targets.map((t) => [t.name, t.url, t.display])).toEqual([
      ['api', 'https://api.example.com/health', 'https://api.example.com/health'],
      ['web.example.com', 'https://web.example.com/', 'https://web.example.com'],
      [
        'status.example.com/check?…',
        'https://status.example.com/check?token=abc=def',
        'https://status.example.com/check?…',
      ],
    ]);
  });

  test('bad lines are named by line and skipped; the others still count', () => {
    const { config, problems } = readVerifyConfig(
      read({
        'health-urls':
          'api=https://a.example/health\nnot a url\nftp://x.example/\napi=https://b.example/health',
      }),
    );
    expect(config.targets.map((t) => t.name)).toEqual(['api', 'api#2']);
    expect(problems).toEqual([
      'input health-urls line 2: "not a url" is not a URL; line skipped',
      'input health-urls line 3: "ftp://x.example/" is not an http or https URL; line skipped',
      'input health-urls line 4: the name "api" is used twice; this one is called "api#2"',
    ]);
  });

  test('at most 10 URLs', () => {
    const lines = Array.from({ length: 12 }, (_, i) => `u${i}=https://h${i}.example/`).join('\n');
    const { config, problems } = readVerifyConfig(read({ 'health-urls': lines }));
    expect(config.targets).toHaveLength(10);
    expect(problems).toEqual([
      'input health-urls line 11: more than 10 URLs; line skipped',
      'input health-urls line 12: more than 10 URLs; line skipped',
    ]);
  });

  test('credentials in a URL move to an Authorization header and are secrets; never shown', () => {
    const { config, problems, secrets } = readVerifyConfig(
      read({
        'health-urls': 'api=https://probe:s3cret-pass@api.example.com/health',
        'prometheus-url': 'https://reader:prom-pass@prom.example.com/prometheus/',
        'error-rate-query': 'vector(0)',
      }),
    );
    expect(problems).toEqual([]);
    const basic = Buffer.from('probe:s3cret-pass').toString('base64');
    expect(config.targets[0]).toEqual({
      name: 'api',
      url: 'https://api.example.com/health',
      display: 'https://api.example.com/health',
      authorization: `Basic ${basic}`,
    });
    expect(config.prometheus).toEqual({
      url: 'https://prom.example.com/prometheus',
      authorization: `Basic ${Buffer.from('reader:prom-pass').toString('base64')}`,
    });
    expect(secrets).toEqual(expect.arrayContaining(['s3cret-pass', basic, 'prom-pass']));
    const bad = readVerifyConfig(read({ 'health-urls': 'ftp://u:topsecret@x.example/' }));
    expect(bad.problems.join(' ')).not.toContain('topsecret');
  });

  test.each([
    ['20', 20, []],
    ['45s', 45, []],
    ['90.5', 90.5, []],
    [
      'five minutes',
      300,
      ['input verify-window-seconds: "five minutes" is not a number of seconds; using 300'],
    ],
    ['-5', 300, ['input verify-window-seconds: "-5" is not a number of seconds; using 300']],
    ['2', 10, ['input verify-window-seconds: 2 is outside 10–3600 seconds; using 10']],
    ['7200', 3600, ['input verify-window-seconds: 7200 is outside 10–3600 seconds; using 3600']],
  ])('verify-window-seconds %s → %s', (raw, seconds, problems) => {
    const result = readVerifyConfig(read({ 'verify-window-seconds': raw }));
    expect(result.config.windowSeconds).toBe(seconds);
    expect(result.problems).toEqual(problems);
  });

  test.each([
    ['true', true, []],
    ['YES', true, []],
    ['off', false, []],
    ['maybe', false, ['input fail-on-unhealthy: "maybe" is not true or false; using false']],
  ])('fail-on-unhealthy %s', (raw, value, problems) => {
    const result = readVerifyConfig(read({ 'fail-on-unhealthy': raw }));
    expect(result.config.failOnUnhealthy).toBe(value);
    expect(result.problems).toEqual(problems);
  });

  test('the error rate needs both prometheus-url and error-rate-query', () => {
    expect(readVerifyConfig(read({ 'error-rate-query': 'vector(0)' })).problems).toEqual([
      'input error-rate-query is set but prometheus-url is empty; the error rate is not checked',
    ]);
    expect(readVerifyConfig(read({ 'prometheus-url': 'http://prom:9090' })).problems).toEqual([
      'input prometheus-url is set but error-rate-query is empty; the error rate is not checked',
    ]);
    const bad = readVerifyConfig(read({ 'prometheus-url': 'prom:9090:x', 'error-rate-query': 'vector(0)' }));
    expect(bad.config.prometheus).toBeUndefined();
    expect(bad.config.errorRateQuery).toBeUndefined();
    expect(bad.problems[0]).toMatch(
      /^input prometheus-url: "prom:9090:x" is not (a URL|an http or https URL)/,
    );
  });

  test.each([
    ['', undefined, []],
    ['   ', undefined, []],
    [' 9876543210 ', '9876543210', []],
    ['9876543210-2', '9876543210-2', []],
    [
      'a\nb',
      undefined,
      [
        'input deployment-id: "a b" is not a deployment id (one line of at most 128 characters); using the latest deployment track mode recorded',
      ],
    ],
  ])('deployment-id %j → %j', (raw, value, problems) => {
    const result = readVerifyConfig(read({ 'deployment-id': raw }));
    expect(result.config.deploymentId).toBe(value);
    expect(result.problems).toEqual(problems);
  });

  test('deployment-id of more than 128 characters: said, and the latest recorded deployment used', () => {
    const result = readVerifyConfig(read({ 'deployment-id': 'x'.repeat(129) }));
    expect(result.config.deploymentId).toBeUndefined();
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^input deployment-id: "x+…" is not a deployment id/);
  });
});
