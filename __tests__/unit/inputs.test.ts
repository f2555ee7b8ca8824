/**
 * readConfig: every input of the contract, its default, validation with problems naming the input,
 * secrets to mask, and the runner's environment. A fake input reader; no process.env.
 */
import { describe, expect, test } from '@jest/globals';
import {
  DEFAULT_THRESHOLDS,
  deploymentIdOf,
  parseThresholds,
  readConfig,
  readRunnerContext,
  type Config,
  type ConfigResult,
} from '../../src/config/inputs.js';

const ENV: NodeJS.ProcessEnv = {
  GITHUB_REPOSITORY: 'octo-org/octo-repo',
  GITHUB_RUN_ID: '9876543210',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_JOB: 'deploy-api',
  GITHUB_WORKFLOW: 'deploy-full-stack',
  GITHUB_REF_NAME: 'main',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_API_URL: 'https://api.github.com',
  GITHUB_SERVER_URL: 'https://github.com',
  RUNNER_NAME: 'GitHub Actions 2',
  RUNNER_TEMP: '/home/runner/work/_temp',
  GITHUB_ACTION_REPOSITORY: 'acme/deployment-observability',
  GITHUB_ACTION_REF: 'v1',
};

function read(inputs: Record<string, string> = {}, env: NodeJS.ProcessEnv = ENV): ConfigResult {
  const seen = new Set<string>();
  const result = readConfig((name) => {
    seen.add(name);
    return inputs[name] ?? '';
  }, env);
  // Every input the test sets must be one the action reads (catches typos in the tests and renames in the code).
  for (const name of Object.keys(inputs)) expect(seen).toContain(name);
  return result;
}

function config(inputs: Record<string, string> = {}, env: NodeJS.ProcessEnv = ENV): Config {
  return read(inputs, env).config;
}

describe('defaults (every input empty)', () => {
  const { config: c, problems } = read();

  test('no problems', () => {
    expect(problems).toEqual([]);
  });

  test.each<[string, (c: Config) => unknown, unknown]>([
    ['mode', (x) => x.mode, 'track'],
    ['environment', (x) => x.environment, 'production'],
    ['service (inferred from GITHUB_JOB deploy-api)', (x) => x.service, 'api'],
    ['serviceGiven', (x) => x.serviceGiven, false],
    ['stages (empty: infer)', (x) => x.stageRules, []],
    ['pushgateway-url (empty: push nothing)', (x) => x.pushgateway, undefined],
    ['metrics-file', (x) => x.metricsFile, '/home/runner/work/_temp/deployment-metrics.prom'],
    ['summary', (x) => x.writeSummary, true],
    ['annotations', (x) => x.annotations, true],
    ['fail-on-error', (x) => x.failOnError, false],
    ['check-run-id', (x) => x.checkRunId, undefined],
    ['job-status', (x) => x.jobStatus, ''],
    ['github-token', (x) => x.githubToken, ''],
    ['secrets', (x) => x.secrets, []],
  ])('%s', (_what, get, expected) => {
    expect(get(c)).toEqual(expected);
  });

  test('thresholds: the contract defaults', () => {
    expect(c.thresholds).toEqual({
      build: 120,
      push: 60,
      deploy_railway: 180,
      health_check: 30,
      migration: 60,
      deploy_vercel: 180,
      smoke_test: 90,
      total: 900,
    });
    expect(DEFAULT_THRESHOLDS).toEqual(c.thresholds);
  });

  test('pushgateway-job defaults to deployment', () => {
    expect(config({ 'pushgateway-url': 'http://pg:9091' }).pushgateway?.job).toBe('deployment');
  });
});

describe('the config is frozen', () => {
  const c = config({
    stages: 'Build => api/build',
    'github-token': 'ghs_token1234',
    'pushgateway-url': 'http://pg:9091',
  });

  test.each<[string, unknown]>([
    ['config', c],
    ['thresholds', c.thresholds],
    ['stageRules', c.stageRules],
    ['secrets', c.secrets],
    ['runner', c.runner],
  ])('%s', (_what, value) => {
    expect(Object.isFrozen(value)).toBe(true);
  });

  test('the pushgateway settings are part of the frozen config', () => {
    expect(Object.isFrozen(c)).toBe(true);
    expect(c.pushgateway?.url).toBe('http://pg:9091');
  });

  test('assignment throws in strict mode', () => {
    expect(() => {
      (c as { mode: string }).mode = 'summary';
    }).toThrow(TypeError);
  });
});

describe('mode', () => {
  test.each([
    ['track', 'track'],
    ['summary', 'summary'],
    ['verify', 'verify'],
    ['  Summary  ', 'summary'],
    ['VERIFY', 'verify'],
  ])('%j → %s', (input, mode) => {
    const { config: c, problems } = read({ mode: input });
    expect(c.mode).toBe(mode);
    expect(problems).toEqual([]);
  });

  // A typo must not record a fake deployment: an unknown mode is no mode (the run wrapper then
  // does nothing but say so, in every phase).
  test.each(['deploy', 'tracking', 'summary,verify', 'sumary'])(
    '%j → no mode, a problem naming the input and the valid values',
    (input) => {
      const { config: c, problems } = read({ mode: input });
      expect(c.mode).toBeUndefined();
      expect(problems).toEqual([
        `input mode: "${input}" is not one of track, summary, verify; the action does nothing in this step`,
      ]);
    },
  );

  test('summary mode: its own inputs are read with the others, their problems among them', () => {
    const { config: c, problems } = read({ mode: 'summary', 'history-days': '30', 'slo-success-rate': '2' });
    if (c.mode !== 'summary') throw new Error(`mode ${c.mode}`);
    expect(c.summary).toEqual({
      runId: '9876543210',
      history: true,
      historyDays: 30,
      sloSuccessRate: 0.995,
      sloTtdP95Seconds: 720,
    });
    expect(Object.isFrozen(c.summary)).toBe(true);
    expect(problems).toEqual([
      'input slo-success-rate: "2" is not a ratio between 0 and 1 (e.g. 0.995); using 0.995',
    ]);
  });

  test('verify mode: its own inputs are read with the others, their credentials among the secrets', () => {
    const { config: c, problems } = read({
      mode: 'verify',
      'health-urls': 'https://probe:s3cretpass@api.example.com/healthz',
      'verify-window-seconds': '5',
    });
    if (c.mode !== 'verify') throw new Error(`mode ${c.mode}`);
    expect(c.verify.targets.map((t) => t.display)).toEqual(['https://api.example.com/healthz']);
    expect(c.verify.windowSeconds).toBe(10);
    expect(c.secrets).toContain('s3cretpass');
    expect(problems).toEqual(['input verify-window-seconds: 5 is outside 10–3600 seconds; using 10']);
  });

  test('track mode reads neither mode’s inputs', () => {
    const seen = new Set<string>();
    readConfig((name) => (seen.add(name), ''), ENV);
    expect(seen).not.toContain('history-days');
    expect(seen).not.toContain('health-urls');
  });

  test('a hostile mode is quoted on one line, bounded', () => {
    const { problems } = read({ mode: `x\n::add-mask::deploy_railway${'y'.repeat(100)}` });
    expect(problems).toHaveLength(1);
    expect(problems[0]).not.toMatch(/[\r\n]/);
    expect(problems[0]?.length).toBeLessThan(150);
  });
});

describe('service', () => {
  test.each<[string, string, string]>([
    ['deploy-api', '', 'api'],
    ['deploy-web', '', 'web'],
    ['migrate', '', 'database'],
    ['frontend', '', 'web'],
    ['db', '', 'database'],
    ['release-train', '', 'release-train'],
    ['', '', 'deployment'],
    ['deploy-api', 'payments', 'payments'],
    ['deploy-api', '  payments  ', 'payments'],
  ])('GITHUB_JOB=%j, service=%j → %s', (job, input, service) => {
    const c = config({ service: input }, { ...ENV, GITHUB_JOB: job });
    expect(c.service).toBe(service);
    expect(c.serviceGiven).toBe(input.trim() !== '');
  });

  test.each<[string, string, string, string]>([
    [
      'one service in every rule: it, not the job id',
      'deploy',
      'Build => api/build\nDeploy => api/deploy_railway',
      'api',
    ],
    ["beats the job id's word", 'deploy-web', 'Build => api/build', 'api'],
    [
      'rules naming only a stage do not count',
      'deploy',
      'Build => build\n/^Deploy/ => api/deploy_railway',
      'api',
    ],
    [
      'two services: the job id decides',
      'deploy-web',
      'Build => api/build\nShip => web/deploy_vercel',
      'web',
    ],
    [
      'two services, no word: the job id',
      'deploy',
      'Build => api/build\nShip => web/deploy_vercel',
      'deploy',
    ],
    ['no rule names a service: the job id', 'deploy', 'Build => build', 'deploy'],
    ['the input wins', 'deploy', 'Build => api/build', 'payments'],
  ])('stage map: %s', (_what, job, stages, expected) => {
    const input = expected === 'payments' ? 'payments' : '';
    expect(config({ stages, service: input }, { ...ENV, GITHUB_JOB: job }).service).toBe(expected);
  });
});

describe('booleans', () => {
  test.each<[string, boolean]>([
    ['true', true],
    ['TRUE', true],
    ['yes', true],
    ['1', true],
    ['on', true],
    ['false', false],
    ['False', false],
    ['no', false],
    ['0', false],
    ['off', false],
    [' true ', true],
  ])('%j → %p', (text, value) => {
    const { config: c, problems } = read({ summary: text, annotations: text, 'fail-on-error': text });
    expect([c.writeSummary, c.annotations, c.failOnError]).toEqual([value, value, value]);
    expect(problems).toEqual([]);
  });

  test.each<[string, string, (c: Config) => boolean, boolean]>([
    ['summary', 'maybe', (c) => c.writeSummary, true],
    ['annotations', 'nah', (c) => c.annotations, true],
    ['fail-on-error', 'sure', (c) => c.failOnError, false],
  ])('%s=%j → default with a problem naming the input', (name, text, get, fallback) => {
    const { config: c, problems } = read({ [name]: text });
    expect(get(c)).toBe(fallback);
    expect(problems).toEqual([`input ${name}: "${text}" is not true or false; using ${fallback}`]);
  });
});

describe('thresholds', () => {
  test.each<[string, Record<string, number>]>([
    ['build=300', { build: 300 }],
    ['build=300 push=30', { build: 300, push: 30 }],
    ['build=300,push=30', { build: 300, push: 30 }],
    ['build=300, push=30', { build: 300, push: 30 }],
    ['build=300\npush=30\n', { build: 300, push: 30 }],
    ['build=90s', { build: 90 }],
    ['health_check=2.5', { health_check: 2.5 }],
    ['custom_stage=10', { custom_stage: 10 }],
    ['total=0', { total: 0 }],
  ])('%j merges over the defaults', (text, overrides) => {
    const { config: c, problems } = read({ thresholds: text });
    expect(problems).toEqual([]);
    expect(c.thresholds).toEqual({ ...DEFAULT_THRESHOLDS, ...overrides });
  });

  test.each([
    ['build'],
    ['build=-5'],
    ['build=abc'],
    ['build=1e3'],
    ['=5'],
    ['build:5'],
    ['9x=5'],
    ['build=5m'],
  ])('bad entry %j is named and skipped; defaults kept', (entry) => {
    const { config: c, problems } = read({ thresholds: `push=10 ${entry} smoke_test=5` });
    expect(problems).toEqual([`input thresholds: "${entry}" is not stage=seconds; entry skipped`]);
    expect(c.thresholds).toEqual({ ...DEFAULT_THRESHOLDS, push: 10, smoke_test: 5 });
  });

  test('parseThresholds with another input name', () => {
    const problems: string[] = [];
    expect(parseThresholds('x', problems, 'my-input')).toEqual(DEFAULT_THRESHOLDS);
    expect(problems).toEqual(['input my-input: "x" is not stage=seconds; entry skipped']);
  });
});

describe('pushgateway-url', () => {
  test.each<[string, string]>([
    ['http://pushgateway:9091', 'http://pushgateway:9091'],
    ['https://pg.example.com/', 'https://pg.example.com'],
    ['https://pg.example.com/prefix/', 'https://pg.example.com/prefix'],
    ['https://pg.example.com/prefix///', 'https://pg.example.com/prefix'],
    ['  http://127.0.0.1:9091  ', 'http://127.0.0.1:9091'],
  ])('%j → %s', (input, url) => {
    const { config: c, problems } = read({ 'pushgateway-url': input });
    expect(problems).toEqual([]);
    expect(c.pushgateway?.url).toBe(url);
  });

  test.each<[string, string, string]>([
    [
      'not a URL',
      'http://push gateway:9091',
      'input pushgateway-url: "http://push gateway:9091" is not a URL; nothing will be pushed',
    ],
    [
      'host:port without a scheme',
      'pushgateway:9091',
      'input pushgateway-url: "pushgateway:9091" is not an http or https URL; nothing will be pushed',
    ],
    [
      'no scheme',
      'pushgateway.local',
      'input pushgateway-url: "pushgateway.local" is not a URL; nothing will be pushed',
    ],
    [
      'ftp',
      'ftp://pg.example.com',
      'input pushgateway-url: "ftp://pg.example.com" is not an http or https URL; nothing will be pushed',
    ],
    [
      'file',
      'file:///tmp/x',
      'input pushgateway-url: "file:///tmp/x" is not an http or https URL; nothing will be pushed',
    ],
  ])('%s → no pushgateway, a problem naming the input', (_what, input, problem) => {
    const { config: c, problems } = read({ 'pushgateway-url': input });
    expect(c.pushgateway).toBeUndefined();
    expect(problems).toEqual([problem]);
  });

  test('credentials in the URL → moved to a header, the URL without them, a problem pointing at pushgateway-auth', () => {
    const { config: c, problems } = read({ 'pushgateway-url': 'https://user:s3cr3tpass@pg.example.com' });
    expect(problems).toEqual([
      'input pushgateway-url: credentials in the URL were moved to an Authorization header; put them in pushgateway-auth (a secret) instead',
    ]);
    expect(c.pushgateway?.url).toBe('https://pg.example.com');
    expect(c.pushgateway?.authorization).toBe(`Basic ${Buffer.from('user:s3cr3tpass').toString('base64')}`);
  });

  // The password a user put in the URL is a secret like pushgateway-auth's (action.yml: "Masked, never
  // printed"), but it is not in `secrets`. Worse, the URL is kept with the credentials, and Node's fetch
  // refuses such URLs with "Request cannot be constructed from a URL that includes credentials: <url>" —
  // an error message that prints the password in clear, on every push.
  test('credentials in the URL: the password is masked', () => {
    const c = config({ 'pushgateway-url': 'https://user:s3cr3tpass@pg.example.com' });
    expect(c.secrets).toContain('s3cr3tpass');
  });

  test('pushgateway-job is read and trimmed', () => {
    expect(
      config({ 'pushgateway-url': 'http://pg:9091', 'pushgateway-job': '  deploys  ' }).pushgateway?.job,
    ).toBe('deploys');
  });
});

describe('pushgateway-auth → authorization header and secrets', () => {
  const basic = (s: string): string => Buffer.from(s).toString('base64');

  test.each<[string, string, string | undefined, string[]]>([
    [
      'Bearer token',
      'Bearer abcd1234token',
      'Bearer abcd1234token',
      ['Bearer abcd1234token', 'abcd1234token'],
    ],
    [
      'bearer, lower case and extra spaces',
      'bearer   abcd1234token',
      'Bearer abcd1234token',
      ['bearer   abcd1234token', 'abcd1234token'],
    ],
    [
      'user:password → Basic',
      'deployer:hunter2pass',
      `Basic ${basic('deployer:hunter2pass')}`,
      ['deployer:hunter2pass', basic('deployer:hunter2pass'), 'hunter2pass'],
    ],
    [
      'password holding a colon',
      'u:pa:ss:word',
      `Basic ${basic('u:pa:ss:word')}`,
      ['u:pa:ss:word', basic('u:pa:ss:word'), 'pa:ss:word'],
    ],
    [
      'ready-made Basic header',
      `Basic ${basic('a:b')}xyz`,
      `Basic ${basic('a:b')}xyz`,
      [`Basic ${basic('a:b')}xyz`, `${basic('a:b')}xyz`],
    ],
    ['bare token → Bearer (masked once)', 'abcd1234token', 'Bearer abcd1234token', ['abcd1234token']],
    ['empty → none', '', undefined, []],
  ])('%s', (_what, auth, header, secrets) => {
    const c = config({ 'pushgateway-url': 'http://pg:9091', 'pushgateway-auth': auth });
    expect(c.pushgateway?.authorization).toBe(header);
    expect(c.secrets).toEqual(secrets);
  });

  test('the github token is a secret too', () => {
    expect(config({ 'github-token': 'ghs_abcdef123456' }).secrets).toEqual(['ghs_abcdef123456']);
  });

  test('auth without a URL is still masked', () => {
    const c = config({ 'pushgateway-auth': 'Bearer abcd1234token' });
    expect(c.pushgateway).toBeUndefined();
    expect(c.secrets).toContain('abcd1234token');
  });

  test('the header never holds the raw user:password', () => {
    const c = config({ 'pushgateway-url': 'http://pg:9091', 'pushgateway-auth': 'deployer:hunter2pass' });
    expect(c.pushgateway?.authorization).not.toContain('hunter2pass');
  });
});

describe('check-run-id', () => {
  test.each<[string, number | undefined]>([
    ['', undefined],
    ['123456789', 123456789],
    [' 42 ', 42],
  ])('%j → %p', (input, id) => {
    const { config: c, problems } = read({ 'check-run-id': input });
    expect(c.checkRunId).toBe(id);
    expect(problems).toEqual([]);
  });

  test.each(['abc', '12a', '-5', '1.5', '${{ job.check_run_id }}'])(
    'non-numeric %j → undefined with a problem',
    (input) => {
      const { config: c, problems } = read({ 'check-run-id': input });
      expect(c.checkRunId).toBeUndefined();
      expect(problems).toEqual([
        `input check-run-id: "${input}" is not a job id; looking the job up instead`,
      ]);
    },
  );
});

describe('metrics-file', () => {
  test('default under RUNNER_TEMP', () => {
    expect(config({}, { ...ENV, RUNNER_TEMP: '/tmp/runner' }).metricsFile).toBe(
      '/tmp/runner/deployment-metrics.prom',
    );
  });

  test('without RUNNER_TEMP: TMPDIR, else /tmp', () => {
    expect(config({}, { ...ENV, RUNNER_TEMP: undefined, TMPDIR: '/var/tmp' }).metricsFile).toBe(
      '/var/tmp/deployment-metrics.prom',
    );
    expect(config({}, { ...ENV, RUNNER_TEMP: undefined, TMPDIR: undefined }).metricsFile).toBe(
      '/tmp/deployment-metrics.prom',
    );
  });

  test('the input wins; a relative path is taken from the workspace', () => {
    expect(config({ 'metrics-file': ' /data/m.prom ' }).metricsFile).toBe('/data/m.prom');
    expect(
      config({ 'metrics-file': ' ./out/m.prom ' }, { ...ENV, GITHUB_WORKSPACE: '/home/runner/work/r/r' })
        .metricsFile,
    ).toBe('/home/runner/work/r/r/out/m.prom');
    // Outside a runner (no workspace) it stays as given.
    expect(
      config({ 'metrics-file': ' ./out/m.prom ' }, { ...ENV, GITHUB_WORKSPACE: undefined }).metricsFile,
    ).toBe('./out/m.prom');
  });
});

describe('other inputs', () => {
  test.each<[string, string, (c: Config) => unknown, unknown]>([
    ['environment', ' staging ', (c) => c.environment, 'staging'],
    ['job-status', ' Failure ', (c) => c.jobStatus, 'failure'],
    ['github-token', ' ghs_tok12345 ', (c) => c.githubToken, 'ghs_tok12345'],
  ])('%s=%j', (name, value, get, expected) => {
    expect(get(config({ [name]: value }))).toEqual(expected);
  });

  test('stages: rules parsed, problems passed on naming the input', () => {
    const { config: c, problems } = read({ stages: 'Build => api/build\nbroken line' });
    expect(c.stageRules.map((r) => r.stage)).toEqual(['build']);
    expect(problems).toEqual([expect.stringMatching(/^input stages, line 2 /)]);
  });
});

describe('runner context and deploymentIdOf', () => {
  test('reads the environment', () => {
    expect(readRunnerContext(ENV)).toEqual({
      repository: 'octo-org/octo-repo',
      runId: '9876543210',
      runAttempt: 1,
      jobId: 'deploy-api',
      workflow: 'deploy-full-stack',
      refName: 'main',
      eventName: 'push',
      apiUrl: 'https://api.github.com',
      serverUrl: 'https://github.com',
      runnerName: 'GitHub Actions 2',
      runnerTemp: '/home/runner/work/_temp',
      actionRepository: 'acme/deployment-observability',
      actionRef: 'v1',
    });
  });

  test('trailing slashes of the API and server URLs go; defaults when unset', () => {
    expect(readRunnerContext({ GITHUB_API_URL: 'https://ghes.example.com/api/v3/' }).apiUrl).toBe(
      'https://ghes.example.com/api/v3',
    );
    expect(readRunnerContext({}).apiUrl).toBe('https://api.github.com');
    expect(readRunnerContext({}).serverUrl).toBe('https://github.com');
  });

  test.each<[string | undefined, number]>([
    ['1', 1],
    ['3', 3],
    [undefined, 1],
    ['0', 1],
    ['-2', 1],
    ['abc', 1],
    ['1.5', 1],
  ])('GITHUB_RUN_ATTEMPT=%j → %d', (attempt, expected) => {
    expect(readRunnerContext({ GITHUB_RUN_ATTEMPT: attempt }).runAttempt).toBe(expected);
  });

  test.each<[string, string, string]>([
    ['9876543210', '1', '9876543210'],
    ['9876543210', '2', '9876543210-2'],
    ['9876543210', '10', '9876543210-10'],
    ['', '1', 'local'],
    ['', '3', 'local-3'],
  ])('run %j attempt %s → %s', (runId, attempt, id) => {
    expect(deploymentIdOf(readRunnerContext({ GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: attempt }))).toBe(id);
  });
});

describe('never throws', () => {
  test.each<Record<string, string>>([
    { mode: '\u0000' },
    { 'pushgateway-url': 'http://[::1' },
    { 'pushgateway-url': 'http://' },
    { thresholds: '=,=,=' },
    { stages: '=>\n/(/ => x/y' },
    { 'check-run-id': '9'.repeat(400) },
  ])('%j', (inputs) => {
    expect(() => read(inputs)).not.toThrow();
  });
});

test('remote-write-auth is masked like pushgateway-auth', () => {
  const c = config({ 'remote-write-auth': 'tenant:rw-pass-9876' });
  expect(c.secrets).toEqual([
    'tenant:rw-pass-9876',
    Buffer.from('tenant:rw-pass-9876').toString('base64'),
    'rw-pass-9876',
  ]);
});
