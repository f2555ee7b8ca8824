/** The contract's outputs of a tracked deployment, set by post (and by a later instance's main). */
import { Outputs } from '../config/constants.js';
import type { DeploymentResult } from '../model/deployment.js';
import { toIso } from '../model/timing.js';

export interface OutputSink {
  setOutput(name: string, value: string): void;
}

/** `stages-json`: every stage with service, stage, status, started_at, completed_at, duration_seconds, slow. */
export function stagesJson(deployment: DeploymentResult): string {
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
  io: OutputSink,
  deployment: DeploymentResult,
  deploymentId: string,
  metricsFile: string,
): void {
  io.setOutput(Outputs.DeploymentId, deploymentId);
  io.setOutput(Outputs.Status, deployment.status);
  io.setOutput(Outputs.FailedStage, deployment.failedStage?.stage ?? '');
  io.setOutput(Outputs.ErrorType, deployment.errorType ?? '');
  io.setOutput(Outputs.DurationSeconds, String(deployment.durationSeconds));
  io.setOutput(Outputs.MetricsFile, metricsFile);
  io.setOutput(Outputs.StagesJson, stagesJson(deployment));
}
