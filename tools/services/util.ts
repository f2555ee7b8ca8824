/** Small helpers shared by the service harness and the tests that use it. */
import { createServer } from 'node:net';

/**
 * A free TCP port on 127.0.0.1: binds port 0, reads the port the kernel chose,
 * closes. Another process can still take it before it is used; the service
 * starters retry on "address already in use".
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read the bound port'))));
    });
  });
}

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long (default 10000 ms). */
  timeoutMs?: number;
  /** First pause between attempts (default 50 ms); grows 1.5× per attempt. */
  intervalMs?: number;
  /** Longest pause between attempts (default 1000 ms). */
  maxIntervalMs?: number;
  /** What is awaited, for the timeout message. */
  description?: string;
  /** Stops polling (rejects) once aborted, e.g. when the awaited process died. */
  signal?: AbortSignal;
}

/**
 * Polls `fn` until it returns a truthy value (returned) or the timeout passes
 * (throws, with the last error `fn` threw). Use instead of fixed sleeps: it
 * returns as soon as the condition holds and fails loudly when it never does.
 * An exception from `fn` counts as "not yet".
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxInterval = opts.maxIntervalMs ?? 1000;
  let interval = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    if (opts.signal?.aborted)
      throw new Error(`waitFor aborted${opts.description ? `: ${opts.description}` : ''}`);
    attempts++;
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false && (v as unknown) !== 0 && (v as unknown) !== '')
        return v as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const why =
        lastError instanceof Error
          ? `; last error: ${lastError.message}`
          : lastError !== undefined
            ? `; last error: ${String(lastError)}`
            : '';
      throw new Error(
        `waitFor timed out after ${timeoutMs} ms (${attempts} attempts)${opts.description ? `: ${opts.description}` : ''}${why}`,
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(interval, left)));
    interval = Math.min(maxInterval, Math.ceil(interval * 1.5));
  }
}

/** One sample of an instant query result. */
export interface PromSample {
  metric: Record<string, string>;
  /** [unix seconds, value as text], as the HTTP API returns it. */
  value: [number, string];
}

/** One alert as Prometheus' `/api/v1/alerts` lists it. */
export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt: string;
  value: string;
}

/** Every alert Prometheus holds now (`/api/v1/alerts`): pending and firing. */
export async function prometheusAlerts(url: string): Promise<PromAlert[]> {
  const res = await fetch(new URL('api/v1/alerts', url.endsWith('/') ? url : `${url}/`), {
    signal: AbortSignal.timeout(5000),
  });
  return ((await res.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
}

/** The alert of that name and `environment` label once Prometheus shows it pending or firing; throws after `timeoutMs`. */
export function activeAlert(
  url: string,
  alertname: string,
  environment: string,
  timeoutMs: number,
): Promise<PromAlert> {
  return waitFor(
    async () =>
      (await prometheusAlerts(url)).find(
        (a) =>
          a.labels.alertname === alertname &&
          a.labels.environment === environment &&
          (a.state === 'pending' || a.state === 'firing'),
      ),
    { timeoutMs, description: `${alertname} pending or firing for ${environment}` },
  );
}

/**
 * Runs an instant query against Prometheus' HTTP API (`/api/v1/query`) and
 * returns the vector (a scalar or string result becomes one sample without
 * labels). Throws on an HTTP or PromQL error.
 */
export async function queryPrometheus(
  url: string,
  promql: string,
  opts: { time?: Date | number; timeoutMs?: number } = {},
): Promise<PromSample[]> {
  const q = new URL('api/v1/query', url.endsWith('/') ? url : `${url}/`);
  q.searchParams.set('query', promql);
  if (opts.time !== undefined)
    q.searchParams.set('time', String((opts.time instanceof Date ? opts.time.getTime() : opts.time) / 1000));
  const res = await fetch(q, { signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: unknown };
  };
  if (!res.ok || body.status !== 'success' || !body.data) {
    throw new Error(`Prometheus query failed (HTTP ${res.status}): ${body.error ?? 'no data'} — ${promql}`);
  }
  const { resultType, result } = body.data;
  if (resultType === 'vector') return result as PromSample[];
  if (resultType === 'scalar' || resultType === 'string')
    return [{ metric: {}, value: result as [number, string] }];
  throw new Error(`Unexpected result type '${resultType}' for an instant query: ${promql}`);
}

/** One group as the Pushgateway's `/api/v1/metrics` lists it. */
export interface PushgatewayGroup {
  labels: Record<string, string>;
  [metricName: string]:
    | Record<string, string>
    | {
        time_stamp: string;
        type: string;
        help?: string;
        metrics: { labels: Record<string, string>; value?: string; [k: string]: unknown }[];
      };
}

/** Reads every group the Pushgateway holds (`GET /api/v1/metrics`). */
export async function pushgatewayMetrics(url: string): Promise<PushgatewayGroup[]> {
  const res = await fetch(new URL('api/v1/metrics', url.endsWith('/') ? url : `${url}/`), {
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`Pushgateway /api/v1/metrics: HTTP ${res.status}`);
  const body = (await res.json()) as { status: string; data: PushgatewayGroup[] };
  return body.data ?? [];
}
