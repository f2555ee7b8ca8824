/**
 * The one place that reads inputs and the runner's environment. Returns one
 * frozen, typed config built as a single literal, plus problems that each
 * name the input; a bad input falls back to its default and nothing else is
 * lost (the hook turns problems into warnings).
 */
import { isAbsolute, join } from 'node:path';
import { inferServiceFromName } from '../model/infer.js';
import { parseStageMap, type StageRule, type StageTarget } from '../model/stage-map.js';
import { redactUrl, quoteInput } from '../util/safe-text.js';
import { Inputs } from './constants.js';
import { parseBoolean, parseSeconds } from './parse.js';
import { readSummaryInputs, type SummaryInputs } from './summary-inputs.js';
import { readVerifyConfig, type VerifyConfig } from './verify-inputs.js';
import { maskable, parseCredentialUrl, SECRET_NAME } from './urls.js';

const MODES = ['track', 'summary', 'verify'] as const;
export type Mode = (typeof MODES)[number];

/** What an unknown `mode` is told: the input, its value and the valid ones; nothing is done. */
export function unknownModeProblem(value: string): string {
  return `input ${Inputs.Mode}: ${quoteInput(value.trim(), 40)} is not one of ${MODES.join(', ')}; the action does nothing in this step`;
}

/** Where remote write sends (`delivery/remote-write/writer.ts`). */
export interface RemoteWriteConfig {
  readonly url: string;
  readonly authorization: string | undefined;
  /** Extra headers (tenant, …), lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Prometheus query API base where the previous totals are read; undefined: none known. */
  readonly queryUrl: string | undefined;
}

export interface PushgatewayConfig {
  readonly url: string;
  readonly authorization: string | undefined;
  readonly job: string;
}

/** What the runner tells every step through its environment. */
export interface RunnerContext {
  readonly repository: string;
  readonly runId: string;
  readonly runAttempt: number;
  readonly jobId: string;
  readonly workflow: string;
  readonly refName: string;
  readonly eventName: string;
  readonly apiUrl: string;
  readonly serverUrl: string;
  readonly runnerName: string;
  readonly runnerTemp: string;
  readonly actionRepository: string;
  readonly actionRef: string;
}

/** What every mode reads: the job, the sinks, the stage map, the runner. */
interface CommonConfig {
  readonly githubToken: string;
  readonly environment: string;
  /** The job's service: the input, else inferred from the job id, else the job id itself. */
  readonly service: string;
  readonly serviceGiven: boolean;
  readonly stageRules: readonly StageRule[];
  readonly thresholds: Readonly<Record<string, number>>;
  readonly pushgateway: PushgatewayConfig | undefined;
  readonly remoteWrite: RemoteWriteConfig | undefined;
  /** The `job` label of every group (pushgateway-job), whichever way metrics go. */
  readonly metricsJob: string;
  readonly metricsFile: string;
  readonly jobStatus: string;
  readonly checkRunId: number | undefined;
  readonly writeSummary: boolean;
  readonly annotations: boolean;
  readonly failOnError: boolean;
  /** Track mode: start the live reporter beside the job (needs a sink). */
  readonly live: boolean;
  /** Track mode: seconds between the live reporter's looks at the job (at least {@link MIN_LIVE_INTERVAL_SECONDS}). */
  readonly liveIntervalSeconds: number;
  readonly runner: RunnerContext;
  /** The secrets to mask: token, sink and verify URLs' credentials (and their encoded forms), the proxy's. */
  readonly secrets: readonly string[];
}

/**
 * The configuration of one step, typed by its mode: summary and verify mode carry their own inputs
 * (`summary`, `verify`), read with all the others. `mode` is undefined when the `mode` input names no
 * mode: then no phase does anything but say so.
 */
export type Config = CommonConfig & ModeConfig;

/** The mode and the inputs only that mode reads. */
type ModeConfig =
  | { readonly mode: 'track' | undefined }
  | { readonly mode: 'summary'; readonly summary: SummaryInputs }
  | { readonly mode: 'verify'; readonly verify: VerifyConfig };

export interface ConfigResult {
  readonly config: Config;
  readonly problems: readonly string[];
}

export type InputReader = (name: string) => string;

export const DEFAULT_THRESHOLDS: Readonly<Record<string, number>> = Object.freeze({
  build: 120,
  push: 60,
  deploy_railway: 180,
  health_check: 30,
  migration: 60,
  deploy_vercel: 180,
  smoke_test: 90,
  total: 900,
});

/** The live reporter looks at the job at most this often: GitHub's API lags the runner by seconds anyway. */
const MIN_LIVE_INTERVAL_SECONDS = 5;
const DEFAULT_LIVE_INTERVAL_SECONDS = 10;

/** `live-interval-seconds`: a number of seconds, at least the minimum; anything else falls back to the default. */
export function parseLiveInterval(value: string, problems: string[]): number {
  return parseSeconds(
    value,
    Inputs.LiveIntervalSeconds,
    { fallback: DEFAULT_LIVE_INTERVAL_SECONDS, min: MIN_LIVE_INTERVAL_SECONDS, outOfRange: 'fallback' },
    problems,
  );
}

/** `stage=seconds` entries separated by spaces, commas or new lines. */
export function parseThresholds(
  text: string,
  problems: string[],
  inputName: string = Inputs.Thresholds,
): Record<string, number> {
  const thresholds: Record<string, number> = { ...DEFAULT_THRESHOLDS };
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    const match = /^([a-zA-Z_][a-zA-Z0-9_]*)=(\d+(?:\.\d+)?)s?$/.exec(entry);
    if (!match) {
      problems.push(`input ${inputName}: ${quoteInput(entry)} is not stage=seconds; entry skipped`);
      continue;
    }
    thresholds[match[1] as string] = Number(match[2]);
  }
  return Object.freeze(thresholds);
}

function parsePushgateway(
  read: InputReader,
  problems: string[],
  secrets: string[],
): PushgatewayConfig | undefined {
  const raw = read(Inputs.PushgatewayUrl).trim();
  if (raw === '') return undefined;
  const parsed = httpUrl(raw, Inputs.PushgatewayUrl, problems, secrets, 'nothing will be pushed');
  if (!parsed) return undefined;
  let auth = read(Inputs.PushgatewayAuth);
  if (parsed.credentials !== undefined) {
    // fetch refuses URLs with credentials (and would print them in its error): move them to a header.
    if (auth.trim() === '') auth = parsed.credentials;
    problems.push(
      `input ${Inputs.PushgatewayUrl}: credentials in the URL were moved to an Authorization header; put them in ${Inputs.PushgatewayAuth} (a secret) instead`,
    );
  }
  const job = read(Inputs.PushgatewayJob).trim() || 'deployment';
  return Object.freeze({
    url: parsed.url.toString().replace(/\/+$/, ''),
    authorization: authorization(auth),
    job,
  });
}

/** Header names remote write sets itself (the protocol's, and what fetch owns). */
const RESERVED_HEADERS = new Set([
  'content-encoding',
  'content-type',
  'content-length',
  'x-prometheus-remote-write-version',
  'host',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `remote-write-headers`: one `Name: value` a line; `#` lines and blank lines are skipped. */
export function parseHeaders(
  text: string,
  input: string,
  problems: string[],
  secrets: string[],
): Record<string, string> {
  const headers: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    const value = colon > 0 ? line.slice(colon + 1).trim() : '';
    if (!HEADER_NAME.test(name) || value === '' || /[\0\r\n]/.test(value)) {
      problems.push(`input ${input}, line ${index + 1}: expected "Name: value"; the line is ignored`);
      return;
    }
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) {
      problems.push(
        `input ${input}, line ${index + 1}: ${name} is set by the remote-write protocol and cannot be changed; the line is ignored`,
      );
      return;
    }
    if (SECRET_NAME.test(lower)) secrets.push(value.replace(/^(Bearer|Basic)\s+/i, ''), value);
    headers[lower] = value;
  });
  return headers;
}

/**
 * The query API that holds what remote write wrote, for the well-known write
 * paths: Prometheus and VictoriaMetrics (`/api/v1/write`) answer queries on the
 * same base, Mimir and Cortex (`/api/v1/push`) under `/prometheus`, Grafana
 * Cloud and older Cortex (`/api/prom/push`) under `/api/prom`. Thanos Receive
 * and VictoriaMetrics cluster (vminsert) have no query API of their own.
 */
export function deriveQueryUrl(writeUrl: string): string | undefined {
  const url = new URL(writeUrl);
  const path = url.pathname.replace(/\/+$/, '');
  const base = (suffix: string, add: string): string => {
    url.pathname = path.slice(0, path.length - suffix.length) + add;
    url.search = '';
    return url.toString().replace(/\/+$/, '');
  };
  if (path.startsWith('/insert/')) return undefined;
  if (path.endsWith('/api/v1/write')) return base('/api/v1/write', '');
  if (path.endsWith('/api/prom/push')) return base('/api/prom/push', '/api/prom');
  if (path.endsWith('/api/v1/push')) return base('/api/v1/push', '/prometheus');
  return undefined;
}

/** An http(s) URL input through the shared parser: its secrets kept for masking, a problem otherwise. */
function httpUrl(
  raw: string,
  input: string,
  problems: string[],
  secrets: string[],
  consequence: string,
): { url: URL; credentials: string | undefined } | undefined {
  const parsed = parseCredentialUrl(raw);
  secrets.push(...parsed.secrets);
  if (!parsed.ok) {
    problems.push(`input ${input}: ${parsed.problem}; ${consequence}`);
    return undefined;
  }
  return parsed.value;
}

function parseRemoteWrite(
  read: InputReader,
  problems: string[],
  secrets: string[],
): RemoteWriteConfig | undefined {
  const raw = read(Inputs.RemoteWriteUrl).trim();
  if (raw === '') return undefined;
  const parsed = httpUrl(raw, Inputs.RemoteWriteUrl, problems, secrets, 'nothing will be remote-written');
  if (!parsed) return undefined;
  let auth = read(Inputs.RemoteWriteAuth);
  if (parsed.credentials !== undefined) {
    if (auth.trim() === '') auth = parsed.credentials;
    problems.push(
      `input ${Inputs.RemoteWriteUrl}: credentials in the URL were moved to an Authorization header; put them in ${Inputs.RemoteWriteAuth} (a secret) instead`,
    );
  }
  const url = parsed.url.toString();
  const headers = parseHeaders(read(Inputs.RemoteWriteHeaders), Inputs.RemoteWriteHeaders, problems, secrets);
  const queryRaw = read(Inputs.RemoteWriteQueryUrl).trim();
  let queryUrl: string | undefined;
  if (queryRaw !== '') {
    const q = httpUrl(
      queryRaw,
      Inputs.RemoteWriteQueryUrl,
      problems,
      secrets,
      'counter totals cannot be read, so counters are carried instead of written',
    );
    if (q)
      queryUrl = q.url
        .toString()
        .replace(/\/+$/, '')
        .replace(/\/api\/v1\/query$/, '');
  } else {
    queryUrl = deriveQueryUrl(url);
    if (!queryUrl)
      problems.push(
        `input ${Inputs.RemoteWriteQueryUrl}: cannot tell where ${redactUrl(url)} is queried (e.g. Thanos Receive is queried through Thanos Query); set it, or counters are carried instead of written`,
      );
  }
  return Object.freeze({
    url,
    authorization: authorization(auth),
    headers: Object.freeze(headers),
    queryUrl,
  });
}

function authorization(auth: string): string | undefined {
  const value = auth.trim();
  if (value === '') return undefined;
  if (/^bearer\s+/i.test(value)) return `Bearer ${value.replace(/^bearer\s+/i, '')}`;
  if (/^basic\s+/i.test(value)) return value;
  if (value.includes(':')) return `Basic ${Buffer.from(value).toString('base64')}`;
  return `Bearer ${value}`;
}

/** Credentials in a proxy URL of the environment (`http://user:pass@proxy:3128`): masked like an input's. */
function proxySecrets(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const name of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']) {
    const raw = env[name]?.trim();
    if (raw) out.push(...parseCredentialUrl(raw).secrets);
  }
  return out;
}

function secretsOf(read: InputReader): string[] {
  const secrets: string[] = [];
  const token = read(Inputs.GitHubToken).trim();
  if (token) secrets.push(token);
  for (const name of [Inputs.PushgatewayAuth, Inputs.RemoteWriteAuth]) {
    const auth = read(name).trim();
    if (!auth) continue;
    secrets.push(auth);
    const header = authorization(auth);
    if (header) secrets.push(header.replace(/^(Bearer|Basic)\s+/i, ''));
    if (!/^bearer\s+/i.test(auth) && auth.includes(':')) secrets.push(auth.slice(auth.indexOf(':') + 1));
  }
  return maskable(secrets);
}

/** Reads the runner's environment. */
export function readRunnerContext(env: NodeJS.ProcessEnv): RunnerContext {
  const attempt = Number(env.GITHUB_RUN_ATTEMPT ?? '1');
  return Object.freeze({
    repository: env.GITHUB_REPOSITORY ?? '',
    runId: env.GITHUB_RUN_ID ?? '',
    runAttempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
    jobId: env.GITHUB_JOB ?? '',
    workflow: env.GITHUB_WORKFLOW ?? '',
    refName: env.GITHUB_REF_NAME ?? '',
    eventName: env.GITHUB_EVENT_NAME ?? '',
    apiUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
    serverUrl: (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, ''),
    runnerName: env.RUNNER_NAME ?? '',
    runnerTemp: env.RUNNER_TEMP ?? '',
    actionRepository: env.GITHUB_ACTION_REPOSITORY ?? '',
    actionRef: env.GITHUB_ACTION_REF ?? '',
  });
}

/**
 * The `service` input's default: the one service the stage map's rules name, when they all name the
 * same one (rules naming only a stage do not count), so a deployment is one group; else the service
 * the job id suggests (`api`, `web`, `database`); else the job id.
 */
export function defaultService(rules: readonly StageTarget[], jobId: string): string {
  const named = new Set(rules.map((r) => r.service).filter((s): s is string => s !== undefined));
  if (named.size === 1) return [...named][0] as string;
  return inferServiceFromName(jobId) || jobId || 'deployment';
}

/** Reads every input into one frozen config. Never throws. */
export function readConfig(read: InputReader, env: NodeJS.ProcessEnv): ConfigResult {
  const problems: string[] = [];
  const runner = readRunnerContext(env);

  const modeRaw = read(Inputs.Mode).trim().toLowerCase() || 'track';
  let mode: Mode | undefined;
  if ((MODES as readonly string[]).includes(modeRaw)) mode = modeRaw as Mode;
  else problems.push(unknownModeProblem(read(Inputs.Mode)));

  const serviceInput = read(Inputs.Service).trim();
  const { rules, problems: mapProblems } = parseStageMap(read(Inputs.Stages), Inputs.Stages);
  problems.push(...mapProblems);

  const checkRunRaw = read(Inputs.CheckRunId).trim();
  let checkRunId: number | undefined;
  if (checkRunRaw !== '') {
    if (/^\d+$/.test(checkRunRaw) && Number.isSafeInteger(Number(checkRunRaw)))
      checkRunId = Number(checkRunRaw);
    else
      problems.push(
        `input ${Inputs.CheckRunId}: ${quoteInput(checkRunRaw)} is not a job id; looking the job up instead`,
      );
  }

  const secrets = [...secretsOf(read), ...proxySecrets(env)];
  const pushgateway = parsePushgateway(read, problems, secrets);
  const remoteWrite = parseRemoteWrite(read, problems, secrets);
  const metricsFileInput = read(Inputs.MetricsFile).trim();
  // A relative path is the workspace's, where the runner starts the action: fixed here, because
  // the Actions cache calls move the process's current directory for a while (persistence/).
  const metricsFile =
    metricsFileInput === ''
      ? `${runner.runnerTemp || (env.TMPDIR ?? '/tmp')}/deployment-metrics.prom`
      : isAbsolute(metricsFileInput) || !env.GITHUB_WORKSPACE
        ? metricsFileInput
        : join(env.GITHUB_WORKSPACE, metricsFileInput);

  let modeInputs: ModeConfig;
  if (mode === 'summary') {
    const summary = readSummaryInputs(read, runner.runId);
    problems.push(...summary.problems);
    modeInputs = { mode, summary: summary.inputs };
  } else if (mode === 'verify') {
    const verify = readVerifyConfig(read);
    problems.push(...verify.problems);
    secrets.push(...verify.secrets);
    modeInputs = { mode, verify: verify.config };
  } else {
    modeInputs = { mode };
  }

  const config: Config = Object.freeze({
    ...modeInputs,
    githubToken: read(Inputs.GitHubToken).trim(),
    environment: read(Inputs.Environment).trim() || 'production',
    service: serviceInput || defaultService(rules, runner.jobId),
    serviceGiven: serviceInput !== '',
    stageRules: Object.freeze(rules),
    thresholds: parseThresholds(read(Inputs.Thresholds), problems),
    pushgateway,
    remoteWrite,
    metricsJob: read(Inputs.PushgatewayJob).trim() || 'deployment',
    metricsFile,
    jobStatus: read(Inputs.JobStatus).trim().toLowerCase(),
    checkRunId,
    writeSummary: parseBoolean(read(Inputs.Summary), Inputs.Summary, true, problems),
    annotations: parseBoolean(read(Inputs.Annotations), Inputs.Annotations, true, problems),
    failOnError: parseBoolean(read(Inputs.FailOnError), Inputs.FailOnError, false, problems),
    live: mode === 'track' ? parseBoolean(read(Inputs.Live), Inputs.Live, true, problems) : false,
    liveIntervalSeconds:
      mode === 'track'
        ? parseLiveInterval(read(Inputs.LiveIntervalSeconds), problems)
        : DEFAULT_LIVE_INTERVAL_SECONDS,
    runner,
    secrets: Object.freeze(maskable(secrets)),
  });
  return { config, problems };
}

/** The deployment id: the run id, with `-<attempt>` for re-runs (action.yml, output `deployment-id`). */
export function deploymentIdOf(runner: RunnerContext): string {
  const runId = runner.runId || 'local';
  return runner.runAttempt > 1 ? `${runId}-${runner.runAttempt}` : runId;
}
