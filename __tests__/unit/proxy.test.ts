/**
 * Corporate proxies (util/proxy.ts): which requests go through which proxy (NO_PROXY's hosts,
 * domains, ports and `*`), undici loaded only when a proxy is set, proxy credentials masked.
 * The real proxy is in __tests__/e2e/proxy.e2e.test.ts.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readConfig } from '../../src/config/inputs.js';
import {
  configureProxy,
  proxyFor,
  proxyNote,
  proxySettings,
  resetProxyForTests,
  type ProxyModule,
} from '../../src/util/proxy.js';

const ENV: NodeJS.ProcessEnv = { GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '1', GITHUB_JOB: 'deploy-api' };

afterEach(() => resetProxyForTests());

describe('proxyFor', () => {
  const settings = (noProxy: string) =>
    proxySettings({ HTTP_PROXY: 'http://p:3128', HTTPS_PROXY: 'http://s:3128', NO_PROXY: noProxy });

  test.each([
    ['', 'https://api.github.com/x', 'http://s:3128'],
    ['', 'http://127.0.0.1:9091/metrics', 'http://p:3128'], // loopback is not bypassed by itself
    ['api.github.com', 'https://api.github.com/x', undefined],
    ['api.github.com', 'https://uploads.api.github.com/x', 'http://s:3128'], // a host is exact
    ['.example.com', 'https://pg.example.com/', undefined],
    ['*.example.com', 'https://pg.example.com/', undefined],
    ['.example.com', 'https://example.org/', 'http://s:3128'],
    ['127.0.0.1:9091', 'http://127.0.0.1:9091/', undefined],
    ['127.0.0.1:9091', 'http://127.0.0.1:9092/', 'http://p:3128'],
    ['pg.internal:443', 'https://pg.internal/', undefined], // default port
    ['*', 'https://anything/', undefined],
    ['a.io, b.io c.io', 'https://c.io/', undefined],
  ])('NO_PROXY %j, %s → %s', (noProxy, url, expected) => {
    expect(proxyFor(url, settings(noProxy))).toBe(expected);
  });

  test('lower-case names win; HTTPS falls back to HTTP_PROXY; nothing set: no settings', () => {
    expect(proxySettings({ http_proxy: 'http://low:1', HTTP_PROXY: 'http://up:1' })).toEqual({
      httpProxy: 'http://low:1',
      httpsProxy: 'http://low:1',
      noProxy: '',
    });
    expect(proxySettings({ NO_PROXY: '*' })).toBeUndefined();
    expect(proxySettings({ HTTPS_PROXY: '  ' })).toBeUndefined();
  });
});

describe('configureProxy', () => {
  test('no proxy set: undici is not loaded', async () => {
    let loads = 0;
    const load = async (): Promise<ProxyModule> => {
      loads++;
      throw new Error('not expected');
    };
    await expect(configureProxy({ NO_PROXY: 'x' }, load)).resolves.toBeUndefined();
    expect(loads).toBe(0);
    expect(proxyNote('http://127.0.0.1:1/')).toBe('');
  });

  test('a proxy set: the global dispatcher routes by NO_PROXY; errors name the proxy, redacted', async () => {
    const installed: unknown[] = [];
    const undici = await import('undici');
    const load = async (): Promise<ProxyModule> =>
      ({ ...undici, setGlobalDispatcher: (d: unknown) => installed.push(d) }) as unknown as ProxyModule;
    const shown = await configureProxy(
      { HTTPS_PROXY: 'http://user:s3cret@proxy.corp:3128', NO_PROXY: '.internal' },
      load,
    );
    expect(shown).toBe('http://…@proxy.corp:3128');
    expect(installed).toHaveLength(1);
    expect(proxyNote('https://api.github.com/')).toBe(' through proxy http://…@proxy.corp:3128');
    expect(proxyNote('https://pg.internal/')).toBe('');
    await (installed[0] as { close(): Promise<void> }).close();
  });
});

test('credentials in a proxy URL are masked', () => {
  const { config } = readConfig(() => '', { ...ENV, HTTPS_PROXY: 'http://proxyuser:Pr0xyPass@proxy:3128' });
  expect(config.secrets).toContain('Pr0xyPass');
  expect(config.secrets).toContain(Buffer.from('proxyuser:Pr0xyPass').toString('base64'));
});
