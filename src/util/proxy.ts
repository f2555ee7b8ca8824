/**
 * Corporate proxies: Node's global `fetch` ignores `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`
 * (docs/platform.md, "Network and rendering"), so when one of them is set the action installs
 * undici's `EnvHttpProxyAgent` as the global dispatcher, which every `fetch` of the process uses
 * (util/http.ts `request()`, verify's probes). undici is loaded with a dynamic `import()` only then:
 * with no proxy set nothing is loaded and nothing changes.
 *
 * `proxyFor` applies the same rules as `EnvHttpProxyAgent` (lower-case names first; `NO_PROXY`
 * entries split on commas and spaces: `*`, an exact host, `.domain` or `*.domain` as a suffix, each
 * with an optional `:port`; loopback is not bypassed by itself), so a failed request can name the
 * proxy it went through — always redacted (`util/safe-text.ts` `redactUrl`).
 */
import { redactUrl } from './safe-text.js';

export interface ProxySettings {
  readonly httpProxy: string | undefined;
  readonly httpsProxy: string | undefined;
  readonly noProxy: string;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

/** The proxy settings of an environment, or undefined when no proxy is set. */
export function proxySettings(env: NodeJS.ProcessEnv): ProxySettings | undefined {
  const httpProxy = nonEmpty(env.http_proxy) ?? nonEmpty(env.HTTP_PROXY);
  const httpsProxy = nonEmpty(env.https_proxy) ?? nonEmpty(env.HTTPS_PROXY) ?? httpProxy;
  if (httpProxy === undefined && httpsProxy === undefined) return undefined;
  return { httpProxy, httpsProxy, noProxy: env.no_proxy ?? env.NO_PROXY ?? '' };
}

function bypassed(noProxy: string, hostname: string, port: number): boolean {
  if (noProxy.trim() === '*') return true;
  for (const raw of noProxy.split(/[,\s]/)) {
    if (!raw) continue;
    const parsed = /^(.+):(\d+)$/.exec(raw);
    const host = (parsed?.[1] ?? raw).toLowerCase();
    const entryPort = parsed?.[2] ? Number.parseInt(parsed[2], 10) : 0;
    if (entryPort && entryPort !== port) continue;
    if (/^[.*]/.test(host) ? hostname.endsWith(host.replace(/^\*/, '')) : hostname === host) return true;
  }
  return false;
}

/** The proxy a request to `url` goes through under `settings` (as configured, not redacted), if any. */
export function proxyFor(url: string, settings: ProxySettings | undefined): string | undefined {
  if (!settings) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const hostname = parsed.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number.parseInt(parsed.port, 10) || DEFAULT_PORTS[parsed.protocol] || 0;
  if (bypassed(settings.noProxy, hostname, port)) return undefined;
  return parsed.protocol === 'https:' ? settings.httpsProxy : settings.httpProxy;
}

let active: ProxySettings | undefined;

/** " through proxy http://…@proxy:3128" for a request to `url` when the process uses a proxy for it. */
export function proxyNote(url: string): string {
  const proxy = proxyFor(url, active);
  return proxy ? ` through proxy ${redactUrl(proxy)}` : '';
}

/** The part of undici used here (loaded only when a proxy is set). */
export interface ProxyModule {
  readonly Agent: new () => RoutedDispatcher;
  readonly ProxyAgent: new (opts: { uri: string }) => RoutedDispatcher;
  readonly Dispatcher: new () => object;
  readonly setGlobalDispatcher: (dispatcher: never) => void;
}

interface RoutedDispatcher {
  dispatch(opts: { origin?: string | URL }, handler: unknown): boolean;
  close(): Promise<void>;
}

/**
 * Routes every `fetch` of this process through the proxy the environment names, if any: one
 * dispatcher that sends each request to a `ProxyAgent` or straight out by {@link proxyFor}, so the
 * route taken and the proxy named in an error are the same. Returns the redacted proxies in use (for
 * a debug line), or undefined when none is set (then undici is not loaded). Throws when undici cannot
 * be loaded; the caller reports it.
 */
export async function configureProxy(
  env: NodeJS.ProcessEnv,
  load: () => Promise<ProxyModule> = () => import('undici') as unknown as Promise<ProxyModule>,
): Promise<string | undefined> {
  const settings = proxySettings(env);
  if (!settings) return undefined;
  const undici = await load();
  const direct = new undici.Agent();
  const agents = new Map<string, RoutedDispatcher>();
  const agentFor = (proxy: string): RoutedDispatcher => {
    let agent = agents.get(proxy);
    if (!agent) agents.set(proxy, (agent = new undici.ProxyAgent({ uri: proxy })));
    return agent;
  };
  class ProxyRouter extends undici.Dispatcher {
    dispatch(opts: { origin?: string | URL }, handler: unknown): boolean {
      const proxy = proxyFor(String(opts.origin ?? ''), settings);
      return (proxy ? agentFor(proxy) : direct).dispatch(opts, handler);
    }
    async close(): Promise<void> {
      await Promise.all([direct, ...agents.values()].map((a) => a.close()));
    }
  }
  undici.setGlobalDispatcher(new ProxyRouter() as never);
  active = settings;
  const shown = [...new Set([settings.httpProxy, settings.httpsProxy].filter((p) => p !== undefined))];
  return shown.map(redactUrl).join(', ');
}

/** Forgets the proxy (tests). */
export function resetProxyForTests(): void {
  active = undefined;
}
