/**
 * One workflow run attempt as summary mode keeps it: built from the run and
 * the attempt's jobs as the REST API returns them. Pure.
 *
 * Definitions (docs/summary-mode.md):
 * - trigger: the run's `created_at` for attempt 1; for a re-run, `run_started_at`
 *   (it resets on re-run while `created_at` does not; docs/platform.md, "The REST API").
 * - deploy jobs: jobs whose name matches {@link DEPLOY_JOB_RE} and not
 *   {@link ROLLBACK_JOB_RE}; when no job matches, every job that ran.
 * - time to deploy: trigger → the last deploy job's `completed_at`.
 * - completion: the latest `completed_at` of the attempt's jobs that were not skipped, else `updated_at`.
 * - lead time: the head commit's timestamp (`head_commit.timestamp`) → completion.
 */

/** Jobs that deploy something. */
export const DEPLOY_JOB_RE = /deploy|migrat|release|rollout|publish/i;
/** Jobs that roll a deployment back: not deploy jobs; a successful one counts as a rollback. */
export const ROLLBACK_JOB_RE = /rollback|roll-back|revert/i;
/** At most this many jobs of a record are stored in the history (bounds its size). */
export const MAX_JOBS_PER_RECORD = 20;

export interface ApiStep {
  readonly name: string;
  readonly status?: string;
  readonly conclusion?: string | null;
  readonly started_at?: string | null;
  readonly completed_at?: string | null;
}

export interface ApiRunJob {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  readonly conclusion?: string | null;
  readonly started_at?: string | null;
  readonly completed_at?: string | null;
  readonly steps?: readonly ApiStep[];
}

export interface ApiRun {
  readonly id: number;
  readonly name?: string | null;
  readonly path?: string;
  readonly run_attempt?: number;
  readonly head_branch?: string | null;
  readonly head_sha: string;
  readonly status?: string | null;
  readonly conclusion?: string | null;
  readonly created_at: string;
  readonly run_started_at?: string | null;
  readonly updated_at?: string | null;
  readonly event?: string;
  readonly workflow_id?: number;
  readonly html_url?: string;
  readonly head_commit?: { readonly timestamp?: string | null } | null;
  readonly pull_requests?: readonly { readonly number: number }[] | null;
}

/** A job's outcome kept in a record: name, conclusion, seconds. */
export interface JobOutcome {
  readonly name: string;
  readonly conclusion: string;
  readonly seconds: number;
}

export interface RunRecord {
  readonly runId: number;
  readonly attempt: number;
  /** Trigger time (ms). */
  readonly triggeredAt: number;
  /** When the attempt finished (ms). */
  readonly completedAt: number;
  /** `success`, `failure`, `cancelled`, … */
  readonly conclusion: string;
  readonly branch: string;
  readonly headSha: string;
  /** Head commit time (ms), when the API gave it. */
  readonly commitAt: number | undefined;
  /** Trigger → last deploy job finished (s); undefined when no deploy job finished. */
  readonly ttdSeconds: number | undefined;
  /** Run started → completion (s). */
  readonly durationSeconds: number;
  /** Trigger → first job started (s). */
  readonly queueSeconds: number;
  /** `<job>/<step>` of the first failure, if any. */
  readonly failedStage: string | undefined;
  /** A successful rollback job ran. */
  readonly rollback: boolean;
  readonly jobs: readonly JobOutcome[];
}

/** Parses an API timestamp (any offset); undefined when absent or invalid. */
export function parseTime(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

const seconds = (from: number | undefined, to: number | undefined): number =>
  from === undefined || to === undefined ? 0 : Math.max(0, Math.round((to - from) / 1000));

/** A run conclusion from the jobs, for a summary that runs inside the run (it is not completed yet). */
export function conclusionOfJobs(jobs: readonly ApiRunJob[]): string {
  const done = jobs.filter((j) => j.status === 'completed');
  if (done.some((j) => j.conclusion === 'failure' || j.conclusion === 'timed_out')) return 'failure';
  if (done.some((j) => j.conclusion === 'cancelled')) return 'cancelled';
  return 'success';
}

/** Deploy jobs of an attempt (see the module comment). */
export function deployJobsOf(jobs: readonly ApiRunJob[]): ApiRunJob[] {
  const ran = jobs.filter((j) => j.conclusion !== 'skipped');
  const named = ran.filter((j) => DEPLOY_JOB_RE.test(j.name) && !ROLLBACK_JOB_RE.test(j.name));
  return named.length > 0 ? named : ran.filter((j) => !ROLLBACK_JOB_RE.test(j.name));
}

function firstFailure(jobs: readonly ApiRunJob[]): string | undefined {
  const failed = jobs
    .filter((j) => j.conclusion === 'failure' || j.conclusion === 'timed_out')
    .sort((a, b) => (parseTime(a.completed_at) ?? 0) - (parseTime(b.completed_at) ?? 0))[0];
  if (!failed) return undefined;
  const step = (failed.steps ?? []).find((s) => s.conclusion === 'failure');
  return step ? `${failed.name}/${step.name}` : failed.name;
}

/**
 * The record of one attempt. `ownJobId`: the job running the summary (inside
 * the run), left out of every figure.
 */
export function buildRecord(run: ApiRun, jobs: readonly ApiRunJob[], ownJobId?: number): RunRecord {
  const attempt = run.run_attempt ?? 1;
  const others = jobs.filter((j) => j.id !== ownJobId);
  const created = parseTime(run.created_at) ?? 0;
  const triggeredAt = attempt > 1 ? (parseTime(run.run_started_at) ?? created) : created;
  const startedAt = parseTime(run.run_started_at) ?? triggeredAt;
  // Skipped jobs did no work: their timestamps say when they were skipped (docs/platform.md).
  const completions = others
    .filter((j) => j.conclusion !== 'skipped')
    .map((j) => parseTime(j.completed_at))
    .filter((t) => t !== undefined);
  const completedAt =
    completions.length > 0 ? Math.max(...completions) : (parseTime(run.updated_at) ?? startedAt);
  const deployEnds = deployJobsOf(others)
    .map((j) => parseTime(j.completed_at))
    .filter((t) => t !== undefined);
  const firstStart = others.map((j) => parseTime(j.started_at)).filter((t) => t !== undefined);
  const conclusion = run.status === 'completed' && run.conclusion ? run.conclusion : conclusionOfJobs(others);
  return {
    runId: run.id,
    attempt,
    triggeredAt,
    completedAt,
    conclusion,
    branch: run.head_branch ?? '',
    headSha: run.head_sha,
    commitAt: parseTime(run.head_commit?.timestamp),
    ttdSeconds: deployEnds.length > 0 ? seconds(triggeredAt, Math.max(...deployEnds)) : undefined,
    durationSeconds: seconds(startedAt, completedAt),
    queueSeconds: firstStart.length > 0 ? seconds(triggeredAt, Math.min(...firstStart)) : 0,
    failedStage: firstFailure(others),
    rollback: others.some((j) => ROLLBACK_JOB_RE.test(j.name) && j.conclusion === 'success'),
    jobs: others
      .filter((j) => j.conclusion !== 'skipped')
      .map((j) => ({
        name: j.name,
        conclusion: j.conclusion ?? j.status,
        seconds: seconds(parseTime(j.started_at), parseTime(j.completed_at)),
      })),
  };
}

/** A record from the run alone (history bootstrap: no jobs read); TTD is trigger → `updated_at`. */
export function recordFromRunOnly(run: ApiRun): RunRecord {
  const created = parseTime(run.created_at) ?? 0;
  const attempt = run.run_attempt ?? 1;
  const triggeredAt = attempt > 1 ? (parseTime(run.run_started_at) ?? created) : created;
  const completedAt = parseTime(run.updated_at) ?? triggeredAt;
  return {
    runId: run.id,
    attempt,
    triggeredAt,
    completedAt,
    conclusion: run.conclusion ?? 'unknown',
    branch: run.head_branch ?? '',
    headSha: run.head_sha,
    commitAt: parseTime(run.head_commit?.timestamp),
    ttdSeconds: seconds(triggeredAt, completedAt),
    durationSeconds: seconds(parseTime(run.run_started_at) ?? triggeredAt, completedAt),
    queueSeconds: 0,
    failedStage: undefined,
    rollback: false,
    jobs: [],
  };
}

/** `<run id>.<attempt>`: the identity of a record. */
export function recordKey(r: Pick<RunRecord, 'runId' | 'attempt'>): string {
  return `${r.runId}.${r.attempt}`;
}
