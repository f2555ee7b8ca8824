/**
 * The contract's outputs of a tracked deployment, set by post (and by a later instance's main).
 * Every value is one line that cannot be a workflow command (a later `run:` may echo it), and
 * `error-type` is one of the error types: a step's report cannot put anything else there.
 */
import { Outputs } from '../config/constants.js';
import { knownErrorType } from '../model/error-types.js';
import type { DeploymentResult } from '../model/deployment.js';
import { toIso } from '../model/timing.js';
import { singleLine } from '../util/safe-text.js';

export interface OutputSink {
  setOutput(name: string, value: string): void;
}

/** `stages-json`: every stage with service, stage, status, started_at, completed_at, duration_seconds, slow. */
function stagesJson(deployment: DeploymentResult): string {
  return JSON.stringify(
    deployment.stages.map((s) => ({
      service: s.service,
      stage: s.stage,
      status: s.status,
      started_at: toIso(s.startedAt),
      completed_at: toIso(s.completedAt),
      duration_seconds: s.durationSeconds,
      slow: s.slow,
    })),
  );
}

export function setDeploymentOutputs(
  sink: OutputSink,
  deployment: DeploymentResult,
  deploymentId: string,
  metricsFile: string,
): void {
  const io: OutputSink = { setOutput: (name, value) => sink.setOutput(name, singleLine(value)) };
  io.setOutput(Outputs.DeploymentId, deploymentId);
  io.setOutput(Outputs.Status, deployment.status);
  io.setOutput(Outputs.FailedStage, deployment.failedStage?.stage ?? '');
  io.setOutput(Outputs.ErrorType, knownErrorType(deployment.errorType) ?? '');
  io.setOutput(Outputs.DurationSeconds, String(deployment.durationSeconds));
  io.setOutput(Outputs.MetricsFile, metricsFile);
  io.setOutput(Outputs.StagesJson, stagesJson(deployment));
}
