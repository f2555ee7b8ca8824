/**
 * Faults the fake GitHub API can inject, and GitHub's real error bodies.
 *
 * The bodies and header names below are the ones GitHub sends (`x-ratelimit-*`, `retry-after`,
 * `{message, documentation_url, status}`), so client code written against them handles the real thing.
 */

/** Which requests a fault applies to. */
export interface FaultMatch {
  /**
   * Matched against the request path WITHOUT its query string. A RegExp is tested; a string matches
   * when the path contains it (so `'/check-runs'` catches POST and PATCH alike). Omitted: every path.
   */
  route?: RegExp | string;
  /** HTTP method, case-insensitive. Omitted: every method. */
  method?: string;
  /** How many matching requests the fault hits before it is used up; default 1, `Infinity` allowed. */
  times?: number;
}

/** A queued misbehaviour of the server. */
export type Fault = FaultMatch &
  (
    | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
    /** Accept the request and never answer (until `close()`): exercises client-side timeouts. */
    | { kind: 'hang' }
    /** Destroy the socket without answering: the client sees a connection reset. */
    | { kind: 'reset' }
    /** HTTP 200 whose JSON body is cut in half (a proxy dropping the connection mid-body). */
    | { kind: 'malformed' }
    /** Answer normally, but only after `ms` milliseconds. */
    | { kind: 'delay'; ms: number }
  );

/** Kinds of {@link Fault}. */
export type FaultKind = Fault['kind'];

/** GitHub's error body: `message`, `documentation_url` and (since 2024) the status as a string. */
export interface GitHubErrorBody {
  message: string;
  documentation_url: string;
  status: string;
}

const DOCS = 'https://docs.github.com/rest';

/** Builds GitHub's error body for `status`. */
export function errorBody(status: number, message: string, documentationUrl: string = DOCS): GitHubErrorBody {
  return { message, documentation_url: documentationUrl, status: String(status) };
}

/** `404 {"message":"Not Found"}`: what GitHub answers for unknown routes AND for resources you can't see. */
export const NOT_FOUND_BODY: GitHubErrorBody = errorBody(404, 'Not Found');
/** `401 {"message":"Bad credentials"}`: a missing, wrong or expired token. */
export const BAD_CREDENTIALS_BODY: GitHubErrorBody = errorBody(401, 'Bad credentials');
/** `403 "Resource not accessible by integration"`: e.g. a read-only `GITHUB_TOKEN` on a fork PR. */
export const NOT_ACCESSIBLE_BODY: GitHubErrorBody = errorBody(
  403,
  'Resource not accessible by integration',
  'https://docs.github.com/rest/checks/runs#create-a-check-run',
);

/** Default body for a status fault that gives none. */
export function defaultErrorBody(status: number): GitHubErrorBody {
  switch (status) {
    case 401:
      return BAD_CREDENTIALS_BODY;
    case 403:
      return NOT_ACCESSIBLE_BODY;
    case 404:
      return NOT_FOUND_BODY;
    case 422:
      return errorBody(422, 'Validation Failed');
    default:
      return errorBody(status, status >= 500 ? 'Server Error' : 'Error');
  }
}

/**
 * Primary rate limit exhausted: GitHub answers **403** (not 429) with `x-ratelimit-remaining: 0` and
 * `x-ratelimit-reset` (epoch seconds); a client must wait until the reset.
 */
export function rateLimit403(resetEpochSeconds: number, match: FaultMatch = {}): Fault {
  return {
    ...match,
    kind: 'status',
    status: 403,
    headers: {
      'x-ratelimit-limit': '1000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-used': '1000',
      'x-ratelimit-reset': String(Math.floor(resetEpochSeconds)),
      'x-ratelimit-resource': 'core',
    },
    body: errorBody(
      403,
      'API rate limit exceeded for installation ID 1. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.',
      'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
    ),
  };
}

/** Secondary rate limit: **429** with `retry-after` (seconds) and GitHub's secondary-limit message. */
export function rateLimit429(retryAfterSeconds: number, match: FaultMatch = {}): Fault {
  return {
    ...match,
    kind: 'status',
    status: 429,
    headers: { 'retry-after': String(Math.ceil(retryAfterSeconds)) },
    body: errorBody(
      429,
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.',
      'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
    ),
  };
}

/** 401 Bad credentials. */
export function badCredentials(match: FaultMatch = {}): Fault {
  return { ...match, kind: 'status', status: 401, body: BAD_CREDENTIALS_BODY };
}

/** 403 Resource not accessible by integration (read-only token, e.g. fork PRs). */
export function notAccessible(match: FaultMatch = {}): Fault {
  return { ...match, kind: 'status', status: 403, body: NOT_ACCESSIBLE_BODY };
}

/** 404 Not Found. */
export function notFound(match: FaultMatch = {}): Fault {
  return { ...match, kind: 'status', status: 404, body: NOT_FOUND_BODY };
}

/** A 5xx (default 502, what GitHub's front end sends when a backend times out). */
export function serverError(status = 502, match: FaultMatch = {}): Fault {
  return { ...match, kind: 'status', status, body: defaultErrorBody(status) };
}

/** Does `fault` apply to this request? */
export function faultMatches(fault: FaultMatch, method: string, pathname: string): boolean {
  if (fault.method && fault.method.toUpperCase() !== method.toUpperCase()) return false;
  if (fault.route === undefined) return true;
  if (typeof fault.route === 'string') return pathname.includes(fault.route);
  fault.route.lastIndex = 0; // a /g or /y RegExp keeps state between test() calls
  return fault.route.test(pathname);
}
