/**
 * Every network call of the action goes through here: a per-attempt timeout,
 * bounded retries with backoff, `retry-after` / `x-ratelimit-reset` honoured
 * (GitHub's rate limits: docs/platform.md, "The REST API"), and an overall deadline so telemetry never
 * holds a deployment up. Redirects are never followed: fetch would re-send the body and every
 * header but `Authorization` (a tenant id, an API key in a custom header) to wherever a `Location`
 * points (docs/platform.md, "Network and rendering"); a 3xx is an error naming only the target's origin.
 */
import type { Clock } from './clock.js';
import { proxyNote } from './proxy.js';

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export interface HttpRequest {
  readonly url: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
  /** Per-attempt timeout in ms. */
  readonly timeoutMs?: number;
  /** Attempts in all (1 = no retry). */
  readonly attempts?: number;
  /** Absolute time (ms) after which no attempt starts and no wait is made. */
  readonly deadline?: number;
  /** Describes the call in error messages, e.g. "GET job 42". */
  readonly what: string;
  /** Which answers are worth another attempt (default: 5xx, 429, and GitHub's rate-limit 403). */
  readonly retryOn?: (status: number, headers: Headers) => boolean;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly body: string | undefined,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_ATTEMPTS = 3;
const BASE_BACKOFF_MS = 250;
const MAX_BODY_IN_MESSAGE = 300;

function retryable(status: number, headers: Headers): boolean {
  if (status >= 500 || status === 429) return true;
  // GitHub answers 403 for both "no permission" and "rate limited"; only the latter is worth a retry.
  return status === 403 && (headers.get('x-ratelimit-remaining') === '0' || headers.has('retry-after'));
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection closed by the server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
};

/** "connection refused (ECONNREFUSED)": what a fetch failure's code means, keeping the code. */
export function describeNetworkError(code: string | undefined): string | undefined {
  if (!code) return undefined;
  const meaning = NETWORK_ERRORS[code];
  return meaning ? `${meaning} (${code})` : code;
}

/** How long the server asked us to wait, in ms, if it said so. */
export function requestedWaitMs(headers: Headers, now: number): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const reset = headers.get('x-ratelimit-reset');
  if (reset !== null && headers.get('x-ratelimit-remaining') === '0') {
    const epoch = Number(reset);
    if (Number.isFinite(epoch)) return Math.max(0, epoch * 1000 - now);
  }
  return undefined;
}

/** Where a redirect points, as its origin only (a path or query could hold a token). */
export function redirectTarget(location: string | null, base: string): string {
  if (!location) return 'no Location';
  try {
    return new URL(location, base).origin;
  } catch {
    return 'an unreadable Location';
  }
}

/** 3xx answers that send the client elsewhere (304 Not Modified is an answer, not a redirect). */
function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_BODY_IN_MESSAGE ? `${oneLine.slice(0, MAX_BODY_IN_MESSAGE)}…` : oneLine;
}

/**
 * Sends a request with timeout and bounded retries. Resolves with the final
 * response for any status that is not retried (callers check `status`);
 * rejects with an HttpError when every attempt failed or time ran out.
 */
export async function request(
  req: HttpRequest,
  clock: Clock,
  fetchImpl: FetchLike = fetch,
): Promise<HttpResponse> {
  const attempts = Math.max(1, req.attempts ?? DEFAULT_ATTEMPTS);
  const deadline = req.deadline ?? Infinity;
  let lastProblem = 'no attempt was made';
  let lastStatus: number | undefined;
  let lastBody: string | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const remaining = deadline - clock.now();
    if (remaining <= 0) {
      lastProblem = `${lastProblem}; out of time`;
      break;
    }
    const timeoutMs = Math.min(req.timeoutMs ?? DEFAULT_TIMEOUT_MS, remaining);
    let waitMs = BASE_BACKOFF_MS * 2 ** (attempt - 1);
    try {
      const response = await fetchImpl(req.url, {
        method: req.method ?? 'GET',
        headers: req.headers,
        body: req.body,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'manual',
      });
      if (isRedirect(response.status)) {
        // Not retried: the next attempt would be redirected the same way.
        await response.body?.cancel().catch(() => undefined);
        throw new HttpError(
          `${req.what} failed: HTTP ${response.status} redirect to ${redirectTarget(response.headers.get('location'), req.url)}, not followed (a redirect would carry the request's credentials and body there); configure the final URL`,
          response.status,
          undefined,
        );
      }
      const text = await response.text();
      if (!(req.retryOn ?? retryable)(response.status, response.headers)) {
        return { status: response.status, headers: response.headers, text };
      }
      lastStatus = response.status;
      lastBody = text;
      lastProblem = `HTTP ${response.status}${text ? `: ${snippet(text)}` : ''}`;
      const asked = requestedWaitMs(response.headers, clock.now());
      if (asked !== undefined) {
        if (clock.now() + asked > deadline) {
          const until = new Date(clock.now() + asked).toISOString();
          lastProblem = `${lastProblem} (asked to wait until ${until}, past this step's time budget)`;
          break;
        }
        waitMs = Math.max(asked, 0);
      }
    } catch (error) {
      if (error instanceof HttpError) throw error; // a redirect: final
      const e = error as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        lastProblem = `no answer within ${timeoutMs} ms`;
      else lastProblem = describeNetworkError(e.cause?.code) ?? e.cause?.message ?? e.message;
      lastProblem += proxyNote(req.url);
      lastStatus = undefined;
      lastBody = undefined;
    }
    if (attempt < attempts) {
      if (clock.now() + waitMs >= deadline) {
        lastProblem = `${lastProblem}; out of time`;
        break;
      }
      await clock.sleep(waitMs);
    }
  }
  throw new HttpError(`${req.what} failed: ${lastProblem}`, lastStatus, lastBody);
}
