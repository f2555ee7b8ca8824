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

export type StageStatus = 'success' | 'failure';

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
}

export interface DeploymentResult {
  readonly status: StageStatus;
  readonly stages: readonly StageResult[];
  readonly failedStage: StageResult | undefined;
  readonly errorType: string | undefined;
  /** One sentence on what failed, for the summary and the annotation. */
  readonly failureMessage: string | undefined;
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
const FAILED_CONCLUSIONS = new Set(['failure', 'cancelled', 'timed_out']);

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

const CONCLUSION_RANK: Record<string, number> = {
  success: 0,
  neutral: 0,
  failure: 2,
  timed_out: 2,
  cancelled: 3,
};

function worse(a: string, b: string): string {
  return (CONCLUSION_RANK[b] ?? 0) > (CONCLUSION_RANK[a] ?? 0) ? b : a;
}

/** Builds the deployment from the job's steps. Never throws on odd API data. */
export function buildDeployment(input: DeploymentInput): DeploymentResult {
  const steps = input.job.steps ?? [];
  const mainSteps = mainStepsOf(steps, input.ownStepNames);
  const byKey = new Map<string, StageAccumulator>();
  let lastEnd: number | undefined;

  mainSteps.forEach((step, order) => {
    if (!ran(step)) return;
    const start = parseTimestamp(step.started_at);
    const completedAt = parseTimestamp(step.completed_at);
    const complete = step.status === 'completed' && completedAt !== undefined;
    // A step still in progress after the bounded wait ends "now": its duration is a lower bound.
    const end = complete ? completedAt : input.now;
    if (end !== undefined) lastEnd = lastEnd === undefined ? end : Math.max(lastEnd, end);
    const target = stageOfStep(step.name, input.rules, input.service);
    if (!target || start === undefined) return;
    const { service } = target;
    const key = `${service}/${target.stage}`;
    const conclusion = complete
      ? (step.conclusion ?? 'success')
      : input.jobStatus === 'cancelled'
        ? 'cancelled'
        : 'success';
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

  const stages: StageResult[] = [...byKey.values()]
    .sort((a, b) => a.start - b.start || a.order - b.order)
    .map((acc) => {
      const duration = durationSeconds(acc.start, acc.end);
      const threshold = input.thresholds[acc.stage];
      return Object.freeze({
        service: acc.service,
        stage: acc.stage,
        status: FAILED_CONCLUSIONS.has(acc.conclusion) ? 'failure' : 'success',
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

  const failedSteps = mainSteps.filter((s) => ran(s) && FAILED_CONCLUSIONS.has(s.conclusion ?? ''));
  const rollback = stages.find((s) => s.stage === 'rollback');
  const failedCandidate =
    stages.find((s) => s.status === 'failure' && s.stage !== 'rollback') ??
    stages.find((s) => s.status === 'failure');

  let status: StageStatus;
  if (input.jobStatus === 'success') status = 'success';
  else if (input.jobStatus === 'failure' || input.jobStatus === 'cancelled') status = 'failure';
  else status = failedCandidate || failedSteps.length > 0 ? 'failure' : 'success';
  // A stage that failed under continue-on-error does not fail a job that succeeded.
  const failedStage = status === 'failure' ? failedCandidate : undefined;

  let errorType: string | undefined;
  let failureMessage: string | undefined;
  if (status === 'failure') {
    if (failedStage) {
      errorType =
        input.reportedErrorTypes.get(failedStage.stage) ??
        (failedStage.conclusion === 'cancelled' || failedStage.conclusion === 'timed_out'
          ? 'timeout'
          : errorTypeForStage(failedStage.stage));
      const verb = failedStage.conclusion === 'cancelled' ? 'was cancelled' : 'failed';
      failureMessage = `Stage ${failedStage.stage} (${failedStage.service}) ${verb} after ${Math.round(failedStage.durationSeconds)}s in step "${failedStage.steps.join('", "')}"`;
    } else if (failedSteps.length > 0) {
      const step = failedSteps[0] as ApiStep;
      errorType = step.conclusion === 'cancelled' ? 'timeout' : 'unknown';
      failureMessage = `Step "${step.name}" ${step.conclusion === 'cancelled' ? 'was cancelled' : 'failed'}; it is not mapped to a deployment stage`;
    } else {
      errorType = input.jobStatus === 'cancelled' ? 'timeout' : 'unknown';
      failureMessage =
        input.jobStatus === 'cancelled'
          ? 'The job was cancelled'
          : 'The job failed, but no step shows a failure (see the job log)';
    }
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
