/**
 * Credentials in URL inputs: one parser for every URL input (pushgateway-url, remote-write-url,
 * remote-write-query-url, health-urls, prometheus-url), which never throws, masks what may be
 * secret before anything is printed, and never lets a message show userinfo or a query string.
 */
import { describe, expect, test } from '@jest/globals';
import { readConfig } from '../../src/config/inputs.js';
import { MIN_MASK_LENGTH, parseCredentialUrl } from '../../src/config/urls.js';
import { readVerifyConfig } from '../../src/config/verify-inputs.js';
import type { ActionIO } from '../../src/hooks/io.js';
import { runHook } from '../../src/hooks/run-wrapper.js';
import { renderTrackSummary } from '../../src/report/job-summary.js';
import { redactUrl, redactUrls } from '../../src/util/safe-text.js';

const ENV: NodeJS.ProcessEnv = { GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '1', GITHUB_JOB: 'deploy-api' };
const inputs =
  (values: Record<string, string>) =>
  (name: string): string =>
    values[name] ?? '';
const basic = (s: string): string => Buffer.from(s).toString('base64');

describe('redactUrl / redactUrls', () => {
  test.each<[string, string]>([
    ['https://pg.example.com:9091/push', 'https://pg.example.com:9091/push'],
    ['https://user:s3cret@pg.example.com/x', 'https://…@pg.example.com/x'],
    ['https://rw.example.com/api/v1/push?api_key=K3Y&x=1', 'https://rw.example.com/api/v1/push?…'],
    ['https://h.example.com/p#access_token=abc', 'https://h.example.com/p#…'],
    // Unparseable: a space, a `/` or a `?` in the password; everything before the last @ goes.
    ['http://deployer:hunter2 pass@pg:9091:x', 'http://…@pg:9091:x'],
    ['http://u:pa/ss@host/x', 'http://…@host/x'],
    // An `@` after a `?` or `#`: it may end a password holding a `?` or `#`, or sit in a query
    // secret, so nothing but the scheme is shown (even for a URL that parses).
    ['http://u:pa?ss@host', 'http://…'],
    ['http://u:12ab#ss@host', 'http://…'],
    ['http://:?AAAAAA@?api_key=@AAAAA', 'http://…'],
    ['https://rw.example.com/push?api_key=AB@CD', 'https://…'],
    ['http://u:/pass@host/x', 'http://…@host/x'],
    ['user:pass@host:9091', '…@host:9091'],
    [':secret@pg:9091?api_key=K3Y', '…@pg:9091?…'],
    ['not a url', 'not a url'],
  ])('%s → %s', (raw, shown) => {
    expect(redactUrl(raw)).toBe(shown);
  });

  test('in a message, every URL is redacted and the rest is kept', () => {
    expect(
      redactUrls(
        'Remote write of {job="d"} to https://rw.example/api/v1/push?api_key=K3Y failed; see http://u:p@x/y and https://ok.example/z',
      ),
    ).toBe(
      'Remote write of {job="d"} to https://rw.example/api/v1/push?… failed; see http://…@x/y and https://ok.example/z',
    );
  });
});

describe('parseCredentialUrl: the one URL parser', () => {
  test('a % that does not decode in the password (`http://u:p%zz@host`) is kept as written, never thrown', () => {
    const r = parseCredentialUrl('http://u:p%zz@host:9091');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.url.toString()).toBe('http://host:9091/');
    expect(r.value.credentials).toBe('u:p%zz');
    expect(r.secrets).toEqual(expect.arrayContaining(['p%zz', basic('u:p%zz')]));
  });

  test('an unparseable URL with userinfo: the password is masked and never quoted', () => {
    const r = parseCredentialUrl('http://deployer:hunter2 pass@pg:9091:x');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem).toBe('"http://…@pg:9091:x" is not a URL');
    expect(r.secrets).toEqual(expect.arrayContaining(['hunter2 pass']));
  });

  test('query parameters whose name says secret are masked; the display cuts the query', () => {
    const r = parseCredentialUrl('https://rw.example.com/api/v1/push?api_key=K3Y-abcdef&tenant=acme');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.url.searchParams.get('api_key')).toBe('K3Y-abcdef'); // the request still needs it
    expect(r.value.display).toBe('https://rw.example.com/api/v1/push?…');
    expect(r.secrets).toContain('K3Y-abcdef');
    expect(r.secrets).not.toContain('acme');
  });

  test(`one rule for masking: at least ${MIN_MASK_LENGTH} characters, in every input that reads a URL`, () => {
    for (const [password, masked] of [
      ['abc', false],
      ['abcd', true],
    ] as const) {
      const url = `https://u:${password}@h.example.com/health`;
      const track = readConfig(inputs({ 'pushgateway-url': url, 'remote-write-url': url }), ENV).config;
      const verify = readVerifyConfig(inputs({ 'health-urls': url, 'prometheus-url': url }));
      expect(track.secrets.includes(password)).toBe(masked);
      expect(verify.secrets.includes(password)).toBe(masked);
      // The Basic header's base64 is always long enough, and always masked.
      expect(track.secrets).toContain(basic(`u:${password}`));
      expect(verify.secrets).toContain(basic(`u:${password}`));
    }
  });
});

describe('readConfig never throws and never quotes a credential', () => {
  test.each([
    ['pushgateway-url', 'http://u:p%zz@pg.example.com'],
    ['remote-write-url', 'http://u:p%zz@rw.example.com/api/v1/push'],
    ['remote-write-query-url', 'http://u:p%zz@q.example.com'],
  ])('%s with a malformed escape in the password', (input, url) => {
    const values: Record<string, string> = { [input]: url };
    if (input === 'remote-write-query-url') values['remote-write-url'] = 'https://rw.example.com/write';
    expect(() => readConfig(inputs(values), ENV)).not.toThrow();
  });

  test('pushgateway-url with `%zz` in the password: pushed with it, in a header', () => {
    const { config } = readConfig(inputs({ 'pushgateway-url': 'http://u:p%zz@pg.example.com' }), ENV);
    expect(config.pushgateway?.url).toBe('http://pg.example.com');
    expect(config.pushgateway?.authorization).toBe(`Basic ${basic('u:p%zz')}`);
  });

  test('unparseable URLs with userinfo, in every URL input: the password is in no message', () => {
    const url = 'http://deployer:hunter2-pass word@host:9091:x/?api_key=SeCrEtKeY';
    const track = readConfig(
      inputs({
        'pushgateway-url': url,
        'remote-write-url': url,
      }),
      ENV,
    );
    const verify = readVerifyConfig(
      inputs({ 'health-urls': `api=${url}`, 'prometheus-url': url, 'error-rate-query': 'vector(0)' }),
    );
    const messages = [...track.problems, ...verify.problems];
    expect(messages).toHaveLength(4);
    for (const m of messages) {
      expect(m).not.toMatch(/hunter2|SeCrEtKeY/);
      expect(m).toContain('"http://…@host:9091:x/?…" is not a URL');
    }
    expect(track.config.secrets).toContain('hunter2-pass word');
    expect(verify.secrets).toContain('hunter2-pass word');
  });

  test('remote-write-url with `?api_key=`: masked, and the message about it shows `?…`', () => {
    const { config, problems } = readConfig(
      inputs({ 'remote-write-url': 'https://rw.example.com/write?api_key=K3Y-0123456789' }),
      ENV,
    );
    expect(config.secrets).toContain('K3Y-0123456789');
    expect(config.remoteWrite?.url).toBe('https://rw.example.com/write?api_key=K3Y-0123456789');
    expect(problems).toEqual([
      'input remote-write-query-url: cannot tell where https://rw.example.com/write?… is queried (e.g. Thanos Receive is queried through Thanos Query); set it, or counters are carried instead of written',
    ]);
  });
});

describe('mask first: through the run wrapper', () => {
  /** Records every call in order. */
  function recordingIO(values: Record<string, string>): ActionIO & { calls: [string, string][] } {
    const calls: [string, string][] = [];
    const log =
      (kind: string) =>
      (m: string): void => {
        calls.push([kind, m]);
      };
    return {
      calls,
      getInput: (n) => values[n] ?? '',
      getState: () => '',
      saveState: () => undefined,
      setOutput: (n, v) => calls.push(['output', `${n}=${v}`]),
      exportVariable: () => undefined,
      setSecret: log('mask'),
      setFailed: log('failed'),
      info: log('info'),
      debug: log('debug'),
      warning: log('warning'),
      error: log('error'),
      notice: log('notice'),
      appendSummary: async () => undefined,
    };
  }

  test('every secret is registered before the first line is printed; no line holds one', async () => {
    const io = recordingIO({
      mode: 'summary',
      'pushgateway-url': 'http://deployer:hunter2-pass word@host:9091:x',
      'remote-write-url': 'https://rw.example.com/write?api_key=K3Y-0123456789',
      'fail-on-error': 'true',
    });
    await runHook(
      'main',
      async (ctx) => {
        // What a sink says about its target, as the remote-write client does.
        ctx.problems.report(`Remote write of {job="d"} to ${ctx.config.remoteWrite?.url} failed: HTTP 500`);
        ctx.io.info(`Pushed to https://u:hunter2-pass@elsewhere.example/x`);
      },
      io,
      ENV,
    );
    const firstPrint = io.calls.findIndex(([kind]) => kind !== 'mask');
    const lastMask = io.calls.map(([kind]) => kind).lastIndexOf('mask');
    expect(lastMask).toBeLessThan(firstPrint);
    expect(io.calls.filter(([k]) => k === 'mask').map(([, v]) => v)).toEqual(
      expect.arrayContaining(['hunter2-pass word', 'K3Y-0123456789']),
    );
    const printed = io.calls.filter(([k]) => k !== 'mask').map(([, v]) => v);
    expect(printed.length).toBeGreaterThan(2);
    for (const line of printed) expect(line).not.toMatch(/hunter2|K3Y-0123456789/);
    expect(printed).toContain('Remote write of {job="d"} to https://rw.example.com/write?… failed: HTTP 500');
  });

  test('a `%` in a password (`http://u:p%zz@host`) no longer disables the phase', async () => {
    const io = recordingIO({ 'pushgateway-url': 'http://u:p%zz@pg.example.com' });
    let ran = false;
    await runHook(
      'pre',
      async () => {
        ran = true;
      },
      io,
      ENV,
    );
    expect(ran).toBe(true);
    expect(io.calls.filter(([k]) => k === 'warning').map(([, m]) => m)).toEqual([
      'input pushgateway-url: credentials in the URL were moved to an Authorization header; put them in pushgateway-auth (a secret) instead',
    ]);
  });
});

test('the job summary shows a sink’s URL redacted, in delivery lines and notes', () => {
  const target = 'https://u:hunter2-pass@rw.example.com/api/v1/push?api_key=K3Y-0123456789';
  const md = renderTrackSummary({
    deployment: {
      status: 'success',
      stages: [],
      failedStage: undefined,
      errorType: undefined,
      failureMessage: undefined,
      startedAt: 0,
      completedAt: 1000,
      durationSeconds: 1,
      totalThresholdSeconds: undefined,
      slow: false,
      rollback: undefined,
      mainSteps: [],
    },
    deploymentId: '1',
    environment: 'production',
    service: 'api',
    branch: 'main',
    runUrl: undefined,
    delivery: [
      { ok: true, text: `Remote-written to ${target} group \`{job="deployment"}\`` },
      { ok: false, text: `Not remote-written to ${target}: HTTP 500 \`${target}\`` },
    ],
    notes: [`Remote write of {job="d"} to ${target} failed`],
    stagesKnown: true,
  });
  expect(md).not.toMatch(/hunter2|K3Y-0123456789/);
  // `https\://` and `@&#8203;`: escaped so that GitHub autolinks neither.
  expect(md).toContain('Not remote-written to https\\://…@&#8203;rw.example.com/api/v1/push?…: HTTP 500');
});
