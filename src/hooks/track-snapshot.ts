/**
 * A later instance of the action in a tracked job sets the contract's outputs
 * in its main step, from the job so far. GitHub ignores outputs set in a post
 * step, so this is how later steps and jobs (`needs:`) read `status`,
 * `failed-stage`, `error-type`, `stages-json`: place the action again after
 * the deploy steps, with an `id` and `if: always()`.
 */
import { runnerClient } from '../github/client.js';
import { ExportedEnv } from '../config/constants.js';
import { deploymentIdOf } from '../config/inputs.js';
import { readReportFile } from '../metrics/report-file.js';
import { setDeploymentOutputs } from '../report/outputs.js';
import type { HookContext } from './run-wrapper.js';
import { findTrackedJob, parseStepReports, trackedDeployment, trackedService } from './track-deployment.js';

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
  let found;
  try {
    found = await findTrackedJob(ctx, runnerClient(ctx.config, ctx.clock), {
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
  // Built as post builds it (track-deployment.ts), from what has finished: the step running now is
  // this one, later ones have not run. Post reports the reported lines' problems; not said twice.
  const service = trackedService(ctx);
  const reportPath = env[ExportedEnv.ReportFile];
  const { text } = await readReportFile(reportPath);
  const deployment = trackedDeployment(ctx, {
    job: found.job,
    service,
    reported: parseStepReports(text, reportPath, service, config),
    fallbackStart: t0,
    finishedStepsOnly: true,
  });
  setDeploymentOutputs(io, deployment, deploymentId, config.metricsFile);
  io.info(
    `Outputs set from the job so far: ${deployment.status}, ${deployment.stages.length} stage(s)${
      deployment.failedStage ? `, failed at ${deployment.failedStage.stage} (${deployment.errorType})` : ''
    }. The first instance of the action pushes the metrics in its post step.`,
  );
}
