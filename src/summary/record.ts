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
 * - failed stage: of the job that failed first, the stage track mode in that job would report
 *   (`buildDeployment`, naming stages with `stageOfStep`: the `stages` map, else inference).
 */
import { defaultService } from '../config/inputs.js';
import {
  buildDeployment,
  mainStepsOf,
  ownStepNames,
  type ApiStep as ModelStep,
} from '../model/deployment.js';
import { matchStage, type StageRule } from '../model/stage-map.js';
import type { ApiRun, ApiRunJob } from '../github/runs.js';

/** Jobs that deploy something. */
const DEPLOY_JOB_RE = /deploy|migrat|release|rollout|publish/i;
/** Jobs that roll a deployment back: not deploy jobs; a successful one counts as a rollback. */
const ROLLBACK_JOB_RE = /rollback|roll-back|revert/i;
/** At most this many jobs of a record are stored in the history (bounds its size). */
export const MAX_JOBS_PER_RECORD = 20;

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
  /**
   * The stage that failed, as track mode names it (`health_check`); undefined when the attempt did
   * not fail or its failed step is no stage. Records summarised before stages were named this way
   * hold `<job>/<step>` here.
   */
  readonly failedStage: string | undefined;
  /**
   * Where the attempt failed, `<job>/<step>` (or the job alone when no step failed). Only the
   * summarised attempt has it: the history does not keep it.
   */
  readonly failedStep?: string | undefined;
  /** A successful rollback job ran. */
  readonly rollback: boolean;
  readonly jobs: readonly JobOutcome[];
}

/** Parses an API timestamp (any offset); undefined when absent or invalid. */
function parseTime(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

const seconds = (from: number | undefined, to: number | undefined): number =>
  from === undefined || to === undefined ? 0 : Math.max(0, Math.round((to - from) / 1000));

/** A run conclusion from the jobs, for a summary that runs inside the run (it is not completed yet). */
function conclusionOfJobs(jobs: readonly ApiRunJob[]): string {
  const done = jobs.filter((j) => j.status === 'completed');
  if (done.some((j) => j.conclusion === 'failure' || j.conclusion === 'timed_out')) return 'failure';
  if (done.some((j) => j.conclusion === 'cancelled')) return 'cancelled';
  return 'success';
}

/** Deploy jobs of an attempt (see the module comment). */
function deployJobsOf(jobs: readonly ApiRunJob[]): ApiRunJob[] {
  const ran = jobs.filter((j) => j.conclusion !== 'skipped');
  const named = ran.filter((j) => DEPLOY_JOB_RE.test(j.name) && !ROLLBACK_JOB_RE.test(j.name));
  return named.length > 0 ? named : ran.filter((j) => !ROLLBACK_JOB_RE.test(j.name));
}

const FAILED = new Set(['failure', 'timed_out']);

/** The job that failed first (by completion), if any. */
export function failedJobOf(jobs: readonly ApiRunJob[]): ApiRunJob | undefined {
  return jobs
    .filter((j) => FAILED.has(j.conclusion ?? ''))
    .sort((a, b) => (parseTime(a.completed_at) ?? 0) - (parseTime(b.completed_at) ?? 0))[0];
}

/**
 * The rules that apply to a job: the stage map when it names at least one of the job's steps, else
 * none (stages inferred), as a track instance in that job without the map would have them. One map
 * serves every job of the run, and a map written for the API job must not leave the web job without
 * stages.
 */
function rulesForJob(rules: readonly StageRule[], stepNames: readonly string[]): readonly StageRule[] {
  return rules.length > 0 && stepNames.some((name) => matchStage(rules, name) !== undefined) ? rules : [];
}

/**
 * Where an attempt failed: the failed stage of the job that failed first, as track mode in that
 * job would name and choose it (the same model, `buildDeployment` → `stageOfStep`), and the step,
 * `<job>/<step>`. The job's service is the one the map names, else the one its name suggests
 * (track mode's default `service`).
 */
function firstFailure(
  jobs: readonly ApiRunJob[],
  rules: readonly StageRule[],
): { stage: string | undefined; step: string | undefined } {
  const failed = failedJobOf(jobs);
  if (!failed) return { stage: undefined, step: undefined };
  const steps: ModelStep[] = (failed.steps ?? []).map((s) => ({
    name: s.name,
    status: s.status ?? 'completed',
    conclusion: s.conclusion ?? null,
    started_at: s.started_at,
    completed_at: s.completed_at,
  }));
  const own = ownStepNames(steps, '', '');
  const applied = rulesForJob(
    rules,
    mainStepsOf(steps, own).map((s) => s.name),
  );
  const stage = buildDeployment({
    job: { name: failed.name, status: failed.status, started_at: failed.started_at, steps },
    service: defaultService(applied, failed.name),
    rules: applied,
    thresholds: {},
    jobStatus: 'failure',
    reportedErrorTypes: new Map(),
    ownStepNames: own,
    fallbackStart: parseTime(failed.started_at) ?? 0,
    now: parseTime(failed.completed_at) ?? parseTime(failed.started_at) ?? 0,
  }).failedStage;
  const failing = steps.filter((s) => FAILED.has(s.conclusion ?? ''));
  // The stage's failed step; without a stage, the first step that failed (the action's own included).
  const step = failing.find((s) => stage?.steps.includes(s.name)) ?? failing[0];
  return { stage: stage?.stage, step: step ? `${failed.name}/${step.name}` : failed.name };
}

/**
 * The record of one attempt. `ownJobId`: the job running the summary (inside
 * the run), left out of every figure. `rules`: the parsed `stages` input.
 */
export function buildRecord(
  run: ApiRun,
  jobs: readonly ApiRunJob[],
  ownJobId?: number,
  rules: readonly StageRule[] = [],
): RunRecord {
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
  const failure = firstFailure(others, rules);
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
    failedStage: failure.stage,
    failedStep: failure.step,
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
