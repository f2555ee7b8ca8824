/**
 * Verify mode's inputs, read into one frozen, typed object built as a single
 * literal. Every problem names its input (and, for health-urls, the line); a
 * bad entry is skipped or falls back to its default, nothing else is lost.
 * Credentials written into a URL are moved to an Authorization header and
 * returned as secrets to mask.
 */
import { quoteInput } from '../util/safe-text.js';
import { Inputs } from './constants.js';
import { parseBoolean, parseSeconds } from './parse.js';
import { maskable, parseCredentialUrl } from './urls.js';

const DEFAULT_WINDOW_SECONDS = 300;
const MIN_WINDOW_SECONDS = 10;
/** GitHub ends a job after 6 hours; an hour of watching is plenty. */
const MAX_WINDOW_SECONDS = 3600;
const MAX_HEALTH_URLS = 10;

/** A health endpoint verify mode probes (`verify/probe.ts`). */
export interface HealthTarget {
  readonly name: string;
  /** The URL requested (credentials moved to `authorization`). */
  readonly url: string;
  /** How it is shown: origin and path, the query elided (it may hold a token). */
  readonly display: string;
  readonly authorization: string | undefined;
}

/** The Prometheus verify mode queries (`verify/prometheus.ts`). */
export interface PrometheusTarget {
  /** Base URL of the HTTP API, without a trailing slash (credentials moved to `authorization`). */
  readonly url: string;
  readonly authorization: string | undefined;
}

export interface VerifyConfig {
  readonly targets: readonly HealthTarget[];
  readonly prometheus: PrometheusTarget | undefined;
  readonly errorRateQuery: string | undefined;
  readonly windowSeconds: number;
  readonly failOnUnhealthy: boolean;
  /**
   * The deployment being verified (`deployment-id`); undefined: the latest deployment track mode
   * recorded for the same environment and service, else the run id.
   */
  readonly deploymentId: string | undefined;
}

export interface VerifyConfigResult {
  readonly config: VerifyConfig;
  readonly problems: readonly string[];
  /** Credentials found in URLs: mask them before anything is printed. */
  readonly secrets: readonly string[];
}

type Read = (name: string) => string;

interface ParsedUrl {
  readonly url: string;
  readonly display: string;
  readonly authorization: string | undefined;
}

/** An http(s) URL with its credentials moved out (the shared parser); a string saying what is wrong otherwise. */
function parseHttpUrl(raw: string, secrets: string[]): ParsedUrl | string {
  const parsed = parseCredentialUrl(raw);
  secrets.push(...parsed.secrets);
  if (!parsed.ok) return parsed.problem;
  const { url, credentials, display } = parsed.value;
  const authorization =
    credentials === undefined ? undefined : `Basic ${Buffer.from(credentials).toString('base64')}`;
  return { url: url.toString(), display, authorization };
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function parseTargets(text: string, problems: string[], secrets: string[]): HealthTarget[] {
  const targets: HealthTarget[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const entry = line.trim();
    if (entry === '' || entry.startsWith('#')) return;
    const where = `input ${Inputs.HealthUrls} line ${index + 1}`;
    // `name=url`: the part before the first `=` is a name only if it looks like one (a URL's query has `=` too).
    const eq = entry.indexOf('=');
    const maybeName = eq > 0 ? entry.slice(0, eq).trim() : '';
    const named = maybeName !== '' && NAME.test(maybeName);
    const rawUrl = named ? entry.slice(eq + 1).trim() : entry;
    const parsed = parseHttpUrl(rawUrl, secrets);
    if (typeof parsed === 'string') {
      problems.push(`${where}: ${parsed}; line skipped`);
      return;
    }
    if (targets.length >= MAX_HEALTH_URLS) {
      problems.push(`${where}: more than ${MAX_HEALTH_URLS} URLs; line skipped`);
      return;
    }
    let name = named ? maybeName : parsed.display.replace(/^https?:\/\//, '');
    if (targets.some((t) => t.name === name)) {
      const unique = `${name}#${targets.length + 1}`;
      problems.push(`${where}: the name "${name}" is used twice; this one is called "${unique}"`);
      name = unique;
    }
    targets.push(Object.freeze({ name, ...parsed }));
  });
  return targets;
}

/** At most this long: a run id with its attempt is ~15 characters. */
const MAX_DEPLOYMENT_ID = 128;

function parseDeploymentId(raw: string, problems: string[]): string | undefined {
  const text = raw.trim();
  if (text === '') return undefined;
  if (
    text.length > MAX_DEPLOYMENT_ID ||
    [...text].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127)
  ) {
    problems.push(
      `input ${Inputs.DeploymentId}: ${quoteInput(raw)} is not a deployment id (one line of at most ${MAX_DEPLOYMENT_ID} characters); using the latest deployment track mode recorded`,
    );
    return undefined;
  }
  return text;
}

/** Reads verify mode's inputs. Never throws. */
export function readVerifyConfig(read: Read): VerifyConfigResult {
  const problems: string[] = [];
  const secrets: string[] = [];
  const targets = parseTargets(read(Inputs.HealthUrls), problems, secrets);

  let prometheus: PrometheusTarget | undefined;
  const promRaw = read(Inputs.PrometheusUrl).trim();
  if (promRaw !== '') {
    const parsed = parseHttpUrl(promRaw, secrets);
    if (typeof parsed === 'string')
      problems.push(`input ${Inputs.PrometheusUrl}: ${parsed}; the error rate is not checked`);
    else
      prometheus = Object.freeze({
        url: parsed.url.replace(/\/+$/, ''),
        authorization: parsed.authorization,
      });
  }
  let errorRateQuery: string | undefined = read(Inputs.ErrorRateQuery).trim() || undefined;
  if (errorRateQuery && !promRaw) {
    problems.push(
      `input ${Inputs.ErrorRateQuery} is set but ${Inputs.PrometheusUrl} is empty; the error rate is not checked`,
    );
  }
  if (promRaw && !errorRateQuery) {
    problems.push(
      `input ${Inputs.PrometheusUrl} is set but ${Inputs.ErrorRateQuery} is empty; the error rate is not checked`,
    );
  }
  if (!prometheus) errorRateQuery = undefined;

  const config: VerifyConfig = Object.freeze({
    targets: Object.freeze(targets),
    prometheus: errorRateQuery ? prometheus : undefined,
    errorRateQuery,
    windowSeconds: parseSeconds(
      read(Inputs.VerifyWindowSeconds),
      Inputs.VerifyWindowSeconds,
      {
        fallback: DEFAULT_WINDOW_SECONDS,
        min: MIN_WINDOW_SECONDS,
        max: MAX_WINDOW_SECONDS,
        outOfRange: 'clamp',
      },
      problems,
    ),
    failOnUnhealthy: parseBoolean(read(Inputs.FailOnUnhealthy), Inputs.FailOnUnhealthy, false, problems),
    deploymentId: parseDeploymentId(read(Inputs.DeploymentId), problems),
  });
  return { config, problems, secrets: maskable(secrets) };
}
