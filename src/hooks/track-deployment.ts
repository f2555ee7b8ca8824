/**
 * What track mode's post (`track-finish.ts`) and a later instance's main
 * (`track-snapshot.ts`) both do, in one place so the two cannot diverge: read
 * this job from the API, read what steps reported, and build the deployment
 * from the job's steps. The outputs a later step reads then come from the same
 * model, fed the same way, as what post reports at the end.
 */
import { State } from '../config/constants.js';
import type { Config } from '../config/inputs.js';
import type { GitHubClient } from '../github/client.js';
import { findCurrentJob, type FoundJob } from '../github/find-job.js';
import {
  buildDeployment,
  ownStepNames,
  type ApiJob,
  type ApiStep,
  type DeploymentResult,
  type RunnerTimeouts,
} from '../model/deployment.js';
import { prepareStageRules, writableServices } from '../model/stage-map.js';
import { parseReportedMetrics, type ReportedMetrics } from '../metrics/reported.js';
import type { HookContext } from './run-wrapper.js';

/** The service this instance tracks: the one pre saved, else the input. */
export function trackedService(ctx: HookContext): string {
  return ctx.io.getState(State.Service) || ctx.config.service;
}

/** How long finding the job may take: no request after `deadline`, lagging steps waited for `lagBudgetMs`. */
export interface JobLookup {
  readonly deadline: number;
  readonly lagBudgetMs: number;
  /** `post`: every main step is over; `main`: every one before the step running now. */
  readonly phase: 'main' | 'post';
}

/** Finds this job, waiting out the API's lag within the bounds. Throws when it cannot be read. */
export function findTrackedJob(ctx: HookContext, client: GitHubClient, lookup: JobLookup): Promise<FoundJob> {
  const { config, clock, io } = ctx;
  return findCurrentJob({
    client,
    runner: config.runner,
    checkRunId: config.checkRunId,
    clock,
    logger: io,
    ...lookup,
  });
}

/**
 * What steps reported through DEPLOY_METRICS_FILE (`path`, for the messages), with series only
 * for the services this job may write: another service's group is another job's.
 */
export function parseStepReports(
  text: string,
  path: string | undefined,
  service: string,
  config: Pick<Config, 'stageRules'>,
): ReportedMetrics {
  return parseReportedMetrics(text, `DEPLOY_METRICS_FILE ${path ?? ''}`.trim(), {
    services: writableServices(service, config.stageRules),
    service,
  });
}

/** The names of this action's own steps among the job's: never stages. */
export function ownSteps(config: Pick<Config, 'runner'>, steps: readonly ApiStep[]): string[] {
  return ownStepNames(steps, config.runner.actionRepository, config.runner.actionRef);
}

export interface TrackedJob {
  /** The job as the API showed it (empty steps when it could not be read). */
  readonly job: ApiJob;
  readonly service: string;
  readonly reported: ReportedMetrics;
  /** When the job started if the API does not say. */
  readonly fallbackStart: number;
  /**
   * Only the steps that have finished count (a later instance's main: the step running now is
   * this one, later ones have not run). Every step still tells this action's own steps apart.
   */
  readonly finishedStepsOnly?: boolean;
  readonly timeouts?: RunnerTimeouts;
}

/**
 * The deployment from the job's steps. Sandboxed stage-map patterns answer for every step first,
 * so one that runs out of time is dropped for the whole job (and reported) before the model reads
 * any answer.
 */
export function trackedDeployment(ctx: HookContext, tracked: TrackedJob): DeploymentResult {
  const { config, clock, problems } = ctx;
  const steps = tracked.job.steps ?? [];
  const stepNames = steps.map((st) => st.name);
  for (const p of prepareStageRules(config.stageRules, stepNames)) problems.report(p);
  return buildDeployment({
    job: tracked.finishedStepsOnly
      ? { ...tracked.job, steps: steps.filter((st) => st.status === 'completed') }
      : tracked.job,
    service: tracked.service,
    rules: config.stageRules,
    thresholds: config.thresholds,
    jobStatus: config.jobStatus,
    reportedErrorTypes: tracked.reported.errorTypesByStage,
    ownStepNames: ownSteps(config, steps),
    fallbackStart: tracked.fallbackStart,
    now: clock.now(),
    ...(tracked.timeouts ? { timeouts: tracked.timeouts } : {}),
  });
}
