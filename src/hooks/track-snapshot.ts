/**
 * A later instance of the action in a tracked job sets the contract's outputs
 * in its main step, from the job so far. GitHub ignores outputs set in a post
 * step, so this is how later steps and jobs (`needs:`) read `status`,
 * `failed-stage`, `error-type`, `stages-json`: place the action again after
 * the deploy steps, with an `id` and `if: always()`.
 */
import { ExportedEnv, State } from '../config/constants.js';
import { deploymentIdOf } from '../config/inputs.js';
import { GitHubClient } from '../github/client.js';
import { findCurrentJob } from '../github/find-job.js';
import { buildDeployment, ownStepNames } from '../model/deployment.js';
import { readReportFile } from '../metrics/report-file.js';
import { parseReportedMetrics } from '../metrics/reported.js';
import { setDeploymentOutputs } from '../report/outputs.js';
import type { HookContext } from './run-wrapper.js';

/** A main step runs inside the deployment: a tighter budget than post's. */
const SNAPSHOT_BUDGET_MS = 10000;
const SNAPSHOT_LAG_MS = 5000;

export async function snapshotTrack(ctx: HookContext): Promise<void> {
  const { config, io, env, clock, problems } = ctx;
  const t0 = clock.now();
  const deploymentId = env[ExportedEnv.DeploymentId] || deploymentIdOf(config.runner);
  if (!config.githubToken) {
    problems.report('github-token is empty: the job so far cannot be read, so no outputs are set');
    return;
  }
  const client = new GitHubClient({
    apiUrl: config.runner.apiUrl,
    token: config.githubToken,
    repository: config.runner.repository,
    clock,
  });
  let found;
  try {
    found = await findCurrentJob({
      client,
      runner: config.runner,
      checkRunId: config.checkRunId,
      clock,
      logger: io,
      deadline: t0 + SNAPSHOT_BUDGET_MS,
      lagBudgetMs: SNAPSHOT_LAG_MS,
      phase: 'main',
    });
  } catch (error) {
    problems.report(
      `Could not read this job\u2019s steps from the GitHub API, so no outputs are set: ${(error as Error).message}`,
    );
    return;
  }
  const allSteps = found.job.steps ?? [];
  // Only what has finished: the step running now is this one, later ones have not run.
  const job = { ...found.job, steps: allSteps.filter((s) => s.status === 'completed') };
  const { text } = await readReportFile(env[ExportedEnv.MetricsFile]);
  const reported = parseReportedMetrics(text, 'DEPLOY_METRICS_FILE');
  const deployment = buildDeployment({
    job,
    service: io.getState(State.Service) || config.service,
    rules: config.stageRules,
    thresholds: config.thresholds,
    jobStatus: config.jobStatus,
    reportedErrorTypes: reported.errorTypesByStage,
    ownStepNames: ownStepNames(allSteps, config.runner.actionRepository, config.runner.actionRef),
    fallbackStart: t0,
    now: clock.now(),
  });
  setDeploymentOutputs(io, deployment, deploymentId, config.metricsFile);
  io.info(
    `Outputs set from the job so far: ${deployment.status}, ${deployment.stages.length} stage(s)${
      deployment.failedStage ? `, failed at ${deployment.failedStage.stage} (${deployment.errorType})` : ''
    }. The first instance of the action pushes the metrics in its post step.`,
  );
}
