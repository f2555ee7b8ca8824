/**
 * The live reporter's loop: every interval, read the one job with a
 * conditional request, work out each stage's state, and push the live gauges
 * when anything changed. It never throws and never logs: what it did goes
 * into its status (post reads it for the job summary). It stops by itself
 * when the job is complete, when its request budget is spent, when the rate
 * limit runs low (post still reports everything), after six hours, and when
 * its runner is gone.
 */
import type { GitHubClient, WorkflowJob } from '../github/client.js';
import { GitHubApiError } from '../github/client.js';
import { buildDeployment, ownStepNames } from '../model/deployment.js';
import { stageProgress, type StageProgress } from '../model/stage-state.js';
import { prepareStageRules, writableServices, type StageRule } from '../model/stage-map.js';
import { deliverGroups } from '../delivery/sinks.js';
import { fingerprint, liveUpdates } from '../metrics/live.js';
import { parseReportedMetrics } from '../metrics/reported.js';
import { type GroupingKey, type MetricsSink } from '../delivery/sink.js';
import type { TrackContext } from '../metrics/track.js';
import { requestedWaitMs } from '../util/http.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

/** The reporter gives up after this long: GitHub ends a job after six hours. */
const LIVE_MAX_MS = 6 * 60 * 60 * 1000;
/**
 * Answers that cost rate limit (anything but a 304) one reporter may use. A
 * `GITHUB_TOKEN` has about 1,000 requests an hour per repository, shared by
 * every job of the repository; unchanged jobs answer 304, which is free.
 */
const LIVE_REQUEST_BUDGET = 300;
/** Below this many requests left in the rate-limit window, the reporter leaves the rest to post. */
const LIVE_MIN_RATE_REMAINING = 100;
/** The longest wait between two looks after errors (backoff). */
const MAX_BACKOFF_MS = 60_000;

export type StopReason =
  | 'job complete'
  | 'stopped by post'
  | 'request budget spent'
  | 'rate limit low'
  | 'six hours'
  | 'runner gone'
  | 'job not found';

/** What the reporter did; written after every look, read by post. */
export interface LiveStatus {
  pid: number;
  startedAt: number;
  updatedAt: number;
  polls: number;
  notModified: number;
  /** Answers that cost rate limit (200s and errors). */
  charged: number;
  pushes: number;
  pushFailures: number;
  errors: number;
  lastProblem?: string;
  /** Seconds from each stage's end to the push that first showed it finished, by `service/stage`. */
  firstPushDelay: Record<string, number>;
  /** Each stage's last state pushed, by `service/stage`. */
  states: Record<string, string>;
  stoppedBecause?: StopReason;
}

export interface JobRef {
  /** The job's id (check-run-id), when known. */
  readonly jobId: number | undefined;
  /** Finds the job when its id is not known (the same look-up post makes). */
  readonly lookUp: () => Promise<Pick<WorkflowJob, 'id'>>;
}

export interface ReporterOptions {
  readonly client: Pick<GitHubClient, 'getJobIfChanged'>;
  readonly job: JobRef;
  readonly sinks: readonly MetricsSink[];
  readonly clock: Clock;
  readonly context: TrackContext;
  readonly groupingKey: (service: string) => GroupingKey;
  readonly rules: readonly StageRule[];
  readonly thresholds: Readonly<Record<string, number>>;
  readonly actionRepository: string;
  readonly actionRef: string;
  readonly intervalMs: number;
  /** When the deployment started (pre's clock). */
  readonly startedAt: number;
  /** The text steps appended to DEPLOY_METRICS_FILE so far. */
  readonly readReport: () => Promise<string>;
  /** Called after every look with the status so far. */
  readonly onStatus: (status: LiveStatus) => void;
  /** True once post asked the reporter to stop. */
  readonly stopRequested: () => boolean;
  /** False once the runner that started the job is gone. */
  readonly runnerAlive: () => boolean;
  readonly pid: number;
  readonly maxMs?: number;
  readonly requestBudget?: number;
  readonly minRateRemaining?: number;
}

const silent: Logger = { info() {}, debug() {}, warning() {}, error() {}, notice() {} };

/** The services this job may write: its own and those its stage map names. */
export function servicesOf(service: string, rules: readonly StageRule[]): Set<string> {
  return writableServices(service, rules);
}

/** Runs until one of the stop conditions holds; resolves with the final status. Never throws. */
export async function runLiveReporter(o: ReporterOptions): Promise<LiveStatus> {
  const status: LiveStatus = {
    pid: o.pid,
    startedAt: o.clock.now(),
    updatedAt: o.clock.now(),
    polls: 0,
    notModified: 0,
    charged: 0,
    pushes: 0,
    pushFailures: 0,
    errors: 0,
    firstPushDelay: {},
    states: {},
  };
  const maxMs = o.maxMs ?? LIVE_MAX_MS;
  const budget = o.requestBudget ?? LIVE_REQUEST_BUDGET;
  const minRate = o.minRateRemaining ?? LIVE_MIN_RATE_REMAINING;
  const services = servicesOf(o.context.service, o.rules);
  let etag: string | undefined;
  let lastPushed = '';
  let jobId = o.job.jobId;
  let failures = 0;
  let lastJob: WorkflowJob | undefined;

  const stop = (reason: StopReason): LiveStatus => {
    status.stoppedBecause = reason;
    status.updatedAt = o.clock.now();
    o.onStatus(status);
    return status;
  };

  for (;;) {
    const tickStart = o.clock.now();
    if (o.stopRequested()) return stop('stopped by post');
    if (!o.runnerAlive()) return stop('runner gone');
    if (tickStart - o.startedAt >= maxMs) return stop('six hours');
    if (status.charged >= budget) return stop('request budget spent');
    let wait = o.intervalMs;
    try {
      if (jobId === undefined) {
        jobId = (await o.job.lookUp()).id;
        status.charged++;
      }
      const answer = await o.client.getJobIfChanged(jobId, etag, tickStart + Math.min(o.intervalMs, 10_000));
      status.polls++;
      failures = 0;
      if (answer.status === 304) status.notModified++;
      else status.charged++;
      if (answer.status === 200 && answer.job) {
        etag = answer.etag;
        lastJob = answer.job;
      }
      // Also on a 304: lines a running step appended since, or a push that failed, go out now.
      if (lastJob) {
        const pushed = await pushView(o, lastJob, services, lastPushed, status);
        if (pushed !== undefined) lastPushed = pushed;
        if (lastJob.status === 'completed') return stop('job complete');
      }
      if (answer.rateRemaining !== undefined && answer.rateRemaining < minRate) return stop('rate limit low');
    } catch (error) {
      status.polls++;
      status.charged++;
      status.errors++;
      failures++;
      status.lastProblem = (error as Error).message.slice(0, 300);
      // Finding the job failed four times in a row (no check-run-id, no job matches): post looks again.
      if (jobId === undefined && failures > 3) return stop('job not found');
      const asked =
        error instanceof GitHubApiError && error.headers
          ? requestedWaitMs(error.headers, o.clock.now())
          : undefined;
      // Back off on 403/429/5xx and network errors; honour what the server asked for.
      wait = Math.min(MAX_BACKOFF_MS, Math.max(asked ?? 0, o.intervalMs * 2 ** Math.min(failures, 4)));
    }
    status.updatedAt = o.clock.now();
    o.onStatus(status);
    // At most one look per interval: wait for the rest of it.
    const elapsed = o.clock.now() - tickStart;
    await o.clock.sleep(Math.max(0, wait - elapsed));
  }
}

/** Pushes the job's live view when it differs from the last one pushed; returns the new fingerprint. */
async function pushView(
  o: ReporterOptions,
  job: WorkflowJob,
  services: ReadonlySet<string>,
  lastPushed: string,
  status: LiveStatus,
): Promise<string | undefined> {
  const steps = job.steps ?? [];
  const own = ownStepNames(steps, o.actionRepository, o.actionRef);
  // Sandboxed patterns answer for every step at once (a pattern that runs out is dropped for the job).
  const stepNames = steps.map((s) => s.name);
  const dropped = prepareStageRules(o.rules, stepNames);
  if (dropped.length > 0) status.lastProblem = dropped[0]?.slice(0, 300);
  const progress: StageProgress[] = stageProgress({
    steps,
    service: o.context.service,
    rules: o.rules,
    ownStepNames: own,
  });
  const finished = buildDeployment({
    job: { ...job, steps: steps.filter((s) => s.status === 'completed') },
    service: o.context.service,
    rules: o.rules,
    thresholds: o.thresholds,
    jobStatus: '',
    reportedErrorTypes: new Map(),
    ownStepNames: own,
    fallbackStart: o.startedAt,
    now: o.clock.now(),
  }).stages;
  let reportText = '';
  try {
    reportText = await o.readReport();
  } catch {
    // An unreadable file now is post's to report.
  }
  const reported = parseReportedMetrics(reportText, 'DEPLOY_METRICS_FILE', {
    services,
    service: o.context.service,
  });
  const groups = liveUpdates(o.context, { progress, finished, reported, services });
  const print = fingerprint(groups);
  if (print === lastPushed) return undefined;
  const now = o.clock.now();
  const { all } = await deliverGroups(
    [...groups.entries()].map(([service, updates]) => ({ key: o.groupingKey(service), updates })),
    o.sinks,
    {
      store: undefined,
      deploymentId: o.context.deploymentId,
      deadline: now + Math.min(o.intervalMs, 10_000),
      clock: o.clock,
      logger: silent,
      cumulative: false,
      at: now,
    },
  );
  const ok = all.length > 0 && all.every((outcome) => outcome.pushed);
  if (!ok) {
    status.pushFailures++;
    status.lastProblem = all.find((x) => !x.pushed)?.problem?.slice(0, 300);
    // Try again at the next look, even if the job has not changed.
    return '';
  }
  status.pushes++;
  const pushedAt = o.clock.now();
  for (const p of progress) {
    const key = `${p.service}/${p.stage}`;
    status.states[key] = p.state;
    if (p.completedAt !== undefined && status.firstPushDelay[key] === undefined)
      status.firstPushDelay[key] = Math.max(0, Math.round((pushedAt - p.completedAt) / 100) / 10);
  }
  return print;
}
