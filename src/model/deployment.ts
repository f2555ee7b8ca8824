/**
 * From the job's steps (as the REST API shows them) to a deployment: stages
 * with start, end, duration, status and slow marks; the failed stage and its
 * error type; the overall outcome. Pure: the clock's `now` is a parameter.
 */
import { errorTypeForStage, inferStageFromStep } from './infer.js';
import { matchStage, type StageRule } from './stage-map.js';
import { durationSeconds, parseTimestamp } from './timing.js';

/** The fields of a job step the model reads (GitHub's `job.steps[]`). */
export interface ApiStep {
  readonly name: string;
  readonly status: string;
  readonly conclusion: string | null;
  readonly number?: number;
  readonly started_at?: string | null;
  readonly completed_at?: string | null;
}

export interface ApiJob {
  readonly id?: number;
  readonly name?: string;
  readonly status?: string;
  readonly started_at?: string | null;
  readonly steps?: readonly ApiStep[];
}

/**
 * A stage's or a deployment's outcome. `cancelled`: a person (or `cancel-in-progress`) cancelled
 * the job before anything failed; the stage that was running when it happened is `cancelled`.
 */
export type StageStatus = 'success' | 'failure' | 'cancelled';
export type DeploymentStatus = StageStatus;

/**
 * What the runner's annotations on the job's check run say about timeouts
 * (`github/annotations.ts` reads and interprets them; the model only takes the facts).
 */
export interface RunnerTimeouts {
  /** How many steps hit their own `timeout-minutes` (the runner fails such a step). */
  readonly stepTimeouts: number;
  /** The job hit its `timeout-minutes` (or the 6-hour limit): the runner cancelled it. */
  readonly jobTimedOut: boolean;
}

export interface StageResult {
  readonly service: string;
  readonly stage: string;
  readonly status: StageStatus;
  readonly startedAt: number;
  readonly completedAt: number;
  readonly durationSeconds: number;
  readonly thresholdSeconds: number | undefined;
  readonly slow: boolean;
  /** Step names as the API shows them. */
  readonly steps: readonly string[];
  /** The worst step conclusion: failure, cancelled or success. */
  readonly conclusion: string;
  /** False when a step still showed in progress after the wait (API lag past its bound). */
  readonly complete: boolean;
}

export interface DeploymentInput {
  readonly job: ApiJob;
  /** The job's service: stages the map does not name belong to it. */
  readonly service: string;
  /** Parsed `stages` input; empty: infer stages from step names. */
  readonly rules: readonly StageRule[];
  readonly thresholds: Readonly<Record<string, number>>;
  /** `job-status` input: success, failure, cancelled, or empty when unknown. */
  readonly jobStatus: string;
  /** Error types steps reported through DEPLOY_METRICS_FILE, by stage. */
  readonly reportedErrorTypes: ReadonlyMap<string, string>;
  /** Names of this action's own steps (pre/main/post), never stages. */
  readonly ownStepNames?: readonly string[];
  /** When the job started if the API does not say (pre's recorded start). */
  readonly fallbackStart: number;
  readonly now: number;
  /** What the check run's annotations say about timeouts; absent when they could not be read. */
  readonly timeouts?: RunnerTimeouts;
}

export interface DeploymentResult {
  readonly status: DeploymentStatus;
  readonly stages: readonly StageResult[];
  readonly failedStage: StageResult | undefined;
  readonly errorType: string | undefined;
  /** One sentence on what failed, for the summary and the annotation. */
  readonly failureMessage: string | undefined;
  /** A cancelled deployment: the stage that was running when the job was cancelled, if one was. */
  readonly cancelledStage?: StageResult | undefined;
  /** One sentence on what was cancelled, for a cancelled deployment. */
  readonly cancelMessage?: string | undefined;
  readonly startedAt: number;
  readonly completedAt: number;
  readonly durationSeconds: number;
  readonly totalThresholdSeconds: number | undefined;
  readonly slow: boolean;
  readonly rollback: StageResult | undefined;
  /** Main steps the model saw (stages or not), for the summary. */
  readonly mainSteps: readonly ApiStep[];
}

const RUNNER_STEPS = new Set(['set up job', 'complete job']);

/**
 * The stage a step belongs to: the stage map decides when it has rules, else the stage is
 * inferred from the step's name. Stages the map does not give a service belong to the job's.
 */
export function stageOfStep(
  stepName: string,
  rules: readonly StageRule[],
  jobService: string,
): { service: string; stage: string } | undefined {
  if (rules.length > 0) {
    const target = matchStage(rules, stepName);
    return target ? { service: target.service ?? jobService, stage: target.stage } : undefined;
  }
  const stage = inferStageFromStep(stepName, jobService);
  return stage === undefined ? undefined : { service: jobService, stage };
}
/** Step conclusions that fail a step. `cancelled` is not one: a cancelled step was interrupted. */
const FAILED_CONCLUSIONS = new Set(['failure', 'timed_out']);

/**
 * The job's own main steps: the runner's "Set up job"/"Complete job", `Pre X`
 * steps (with a later X) and `Post X` steps (with an earlier X) left out.
 * Post steps are found by their main step, not by the prefix alone, so a user
 * step called "Post-deploy checks" or "Post results" stays a main step.
 */
export function mainStepsOf(steps: readonly ApiStep[], ownStepNames: readonly string[] = []): ApiStep[] {
  const names = steps.map((s) => s.name);
  const own = new Set(ownStepNames.map((n) => n.toLowerCase()));
  return steps.filter((step, index) => {
    const name = step.name;
    if (RUNNER_STEPS.has(name.toLowerCase())) return false;
    if (own.has(name.toLowerCase())) return false;
    if (name.startsWith('Pre ') && names.slice(index + 1).includes(name.slice(4))) return false;
    if (name.startsWith('Post ') && names.slice(0, index).includes(name.slice(5))) return false;
    return true;
  });
}

function ran(step: ApiStep): boolean {
  return step.conclusion !== 'skipped' && step.status !== 'queued' && step.started_at !== null;
}

interface StageAccumulator {
  service: string;
  stage: string;
  start: number;
  end: number;
  steps: string[];
  conclusion: string;
  complete: boolean;
  order: number;
}

/** A stage's conclusion is its worst step's: a failure outweighs a cancel, a cancel a success. */
const CONCLUSION_RANK: Record<string, number> = {
  success: 0,
  neutral: 0,
  cancelled: 2,
  failure: 3,
  timed_out: 3,
};

function statusOf(conclusion: string): StageStatus {
  if (FAILED_CONCLUSIONS.has(conclusion)) return 'failure';
  return conclusion === 'cancelled' ? 'cancelled' : 'success';
}

function worse(a: string, b: string): string {
  return (CONCLUSION_RANK[b] ?? 0) > (CONCLUSION_RANK[a] ?? 0) ? b : a;
}

/** Builds the deployment from the job's steps. Never throws on odd API data. */
export function buildDeployment(input: DeploymentInput): DeploymentResult {
  const steps = input.job.steps ?? [];
  const mainSteps = mainStepsOf(steps, input.ownStepNames);
  const byKey = new Map<string, StageAccumulator>();
  let lastEnd: number | undefined;

  /** Every main step that ran, in order, with the conclusion the model gives it. */
  const ranSteps: { step: ApiStep; conclusion: string }[] = [];

  mainSteps.forEach((step, order) => {
    if (!ran(step)) return;
    const start = parseTimestamp(step.started_at);
    const completedAt = parseTimestamp(step.completed_at);
    const complete = step.status === 'completed' && completedAt !== undefined;
    // A step still in progress after the bounded wait ends "now": its duration is a lower bound.
    const end = complete ? completedAt : input.now;
    if (end !== undefined) lastEnd = lastEnd === undefined ? end : Math.max(lastEnd, end);
    // A step the API still shows running in a cancelled job is the one the cancel interrupted.
    const conclusion = complete
      ? (step.conclusion ?? 'success')
      : input.jobStatus === 'cancelled'
        ? 'cancelled'
        : 'success';
    ranSteps.push({ step, conclusion });
    const target = stageOfStep(step.name, input.rules, input.service);
    if (!target || start === undefined) return;
    const { service } = target;
    const key = `${service}/${target.stage}`;
    const acc = byKey.get(key);
    if (acc) {
      acc.start = Math.min(acc.start, start);
      acc.end = Math.max(acc.end, end, start);
      acc.steps.push(step.name);
      acc.conclusion = worse(acc.conclusion, conclusion);
      acc.complete &&= complete;
    } else {
      byKey.set(key, {
        service,
        stage: target.stage,
        start,
        end: Math.max(end, start),
        steps: [step.name],
        conclusion,
        complete,
        order,
      });
    }
  });

  // Failures count up to the first cancel: what an `if: always()` step does after it is cleanup.
  const firstCancel = ranSteps.findIndex((s) => s.conclusion === 'cancelled');
  const failedSteps = (firstCancel < 0 ? ranSteps : ranSteps.slice(0, firstCancel))
    .filter((s) => FAILED_CONCLUSIONS.has(s.conclusion))
    .map((s) => s.step);
  const cancelledStep = firstCancel < 0 ? undefined : ranSteps[firstCancel]?.step;
  const wasCancelled = cancelledStep !== undefined || input.jobStatus === 'cancelled';
  const jobTimedOut = wasCancelled && input.timeouts?.jobTimedOut === true;

  let status: DeploymentStatus;
  if (input.jobStatus === 'success') status = 'success';
  else if (failedSteps.length > 0) status = 'failure';
  // A job its time limit cancelled is a failed deployment (a hung deploy); a person's cancel is not.
  else if (wasCancelled) status = jobTimedOut ? 'failure' : 'cancelled';
  else status = input.jobStatus === 'failure' ? 'failure' : 'success';

  const stages: StageResult[] = [...byKey.values()]
    .sort((a, b) => a.start - b.start || a.order - b.order)
    .map((acc) => {
      const duration = durationSeconds(acc.start, acc.end);
      const threshold = input.thresholds[acc.stage];
      const own = statusOf(acc.conclusion);
      return Object.freeze({
        service: acc.service,
        stage: acc.stage,
        // The stage the job's time limit interrupted failed with the deployment.
        status: own === 'cancelled' && jobTimedOut && status === 'failure' ? 'failure' : own,
        startedAt: acc.start,
        completedAt: acc.end,
        durationSeconds: duration,
        thresholdSeconds: threshold,
        slow: threshold !== undefined && duration > threshold,
        steps: Object.freeze(acc.steps),
        conclusion: acc.conclusion,
        complete: acc.complete,
      } satisfies StageResult);
    });

  const rollback = stages.find((s) => s.stage === 'rollback');
  const failedCandidate =
    stages.find((s) => s.status === 'failure' && s.stage !== 'rollback') ??
    stages.find((s) => s.status === 'failure');
  const interrupted = stages.find((s) => s.conclusion === 'cancelled');
  // Failed by the job's time limit alone: the stage it interrupted is the failed one.
  const byJobLimit = status === 'failure' && failedSteps.length === 0 && jobTimedOut;
  // A stage that failed under continue-on-error does not fail a job that succeeded.
  const failedStage = status === 'failure' ? (byJobLimit ? interrupted : failedCandidate) : undefined;
  const cancelledStage = status === 'cancelled' ? interrupted : undefined;
  // The runner's "The action has timed out." does not name its step: it is this failure's when
  // every failed step has one.
  const stepTimedOut =
    (input.timeouts?.stepTimeouts ?? 0) > 0 && (input.timeouts?.stepTimeouts ?? 0) >= failedSteps.length;

  let errorType: string | undefined;
  let failureMessage: string | undefined;
  let cancelMessage: string | undefined;
  if (status === 'failure') {
    const timedOut = byJobLimit || (failedSteps.length > 0 && stepTimedOut);
    if (failedStage) {
      errorType = timedOut
        ? 'timeout'
        : (input.reportedErrorTypes.get(failedStage.stage) ??
          (failedStage.conclusion === 'timed_out' ? 'timeout' : errorTypeForStage(failedStage.stage)));
      const verb = byJobLimit
        ? 'was cancelled by the job\u2019s time limit'
        : timedOut
          ? 'timed out (timeout-minutes)'
          : 'failed';
      failureMessage = `Stage ${failedStage.stage} (${failedStage.service}) ${verb} after ${Math.round(failedStage.durationSeconds)}s in step "${failedStage.steps.join('", "')}"`;
    } else if (failedSteps.length > 0) {
      const step = failedSteps[0] as ApiStep;
      errorType = timedOut ? 'timeout' : 'unknown';
      failureMessage = `Step "${step.name}" ${timedOut ? 'timed out (timeout-minutes)' : 'failed'}; it is not mapped to a deployment stage`;
    } else if (jobTimedOut) {
      errorType = 'timeout';
      failureMessage = cancelledStep
        ? `The job\u2019s time limit cancelled step "${cancelledStep.name}"; it is not mapped to a deployment stage`
        : 'The job was cancelled by its time limit';
    } else {
      errorType = 'unknown';
      failureMessage = 'The job failed, but no step shows a failure (see the job log)';
    }
  } else if (status === 'cancelled') {
    cancelMessage = cancelledStage
      ? `Stage ${cancelledStage.stage} (${cancelledStage.service}) was cancelled after ${Math.round(cancelledStage.durationSeconds)}s in step "${cancelledStage.steps.join('", "')}"`
      : cancelledStep
        ? `Step "${cancelledStep.name}" was cancelled; it is not mapped to a deployment stage`
        : 'The job was cancelled';
  }

  const jobStart = parseTimestamp(input.job.started_at);
  const firstStepStart = steps.map((s) => parseTimestamp(s.started_at)).find((t) => t !== undefined);
  const startedAt = jobStart ?? firstStepStart ?? input.fallbackStart;
  const completedAt = lastEnd ?? input.now;
  const duration = durationSeconds(startedAt, completedAt);
  const totalThreshold = input.thresholds['total'];

  return Object.freeze({
    status,
    stages: Object.freeze(stages),
    failedStage,
    errorType,
    failureMessage,
    cancelledStage,
    cancelMessage,
    startedAt,
    completedAt,
    durationSeconds: duration,
    totalThresholdSeconds: totalThreshold,
    slow: totalThreshold !== undefined && duration > totalThreshold,
    rollback,
    mainSteps: Object.freeze(mainSteps),
  });
}

/**
 * Names of this action's own main step, never a stage: a step X with a
 * `Pre X` step (pre runs only for actions that declare it, as this one does),
 * `Run ./` (a local action has no pre), `Run <owner/repo>@<ref>`, and any name
 * with "deployment-observability" in it. Without this, inference would read
 * "deployment" in the action's name as a deploy stage.
 */
export function ownStepNames(
  steps: readonly ApiStep[],
  actionRepository: string,
  actionRef: string,
): string[] {
  const names = new Set<string>(['Run ./']);
  if (actionRepository) names.add(`Run ${actionRepository}@${actionRef}`);
  const all = steps.map((s) => s.name);
  all.forEach((name, index) => {
    if (name.startsWith('Pre ') && all.slice(index + 1).includes(name.slice(4))) names.add(name.slice(4));
    if (/deployment[-_ ]observability/i.test(name) && !name.startsWith('Post ') && !name.startsWith('Pre '))
      names.add(name);
  });
  return [...names];
}
