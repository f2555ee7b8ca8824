/**
 * Annotations for the failed stage (an error), a cancelled deployment (a notice: a cancel is not
 * a failure) and slow stages. The runner shows at most
 * 10 warnings and 10 errors per step (docs/platform.md), so slow stages beyond a few
 * are folded into one.
 */
import type { DeploymentResult } from '../model/deployment.js';
import { knownErrorType } from '../model/error-types.js';
import { formatDuration } from '../model/timing.js';

export interface Annotation {
  readonly level: 'error' | 'warning' | 'notice';
  readonly title: string;
  readonly message: string;
}

const MAX_SLOW_ANNOTATIONS = 5;

export function deploymentAnnotations(d: DeploymentResult, service: string): Annotation[] {
  const out: Annotation[] = [];
  if (d.status === 'failure') {
    out.push({
      level: 'error',
      title: d.failedStage
        ? `Deployment failed at ${d.failedStage.stage} (${d.failedStage.service})`
        : `Deployment of ${service} failed`,
      message: `${d.failureMessage ?? 'The deployment failed'}. Error type: ${knownErrorType(d.errorType) ?? 'unknown'}.`,
    });
  } else if (d.status === 'cancelled') {
    out.push({
      level: 'notice',
      title: d.cancelledStage
        ? `Deployment cancelled at ${d.cancelledStage.stage} (${d.cancelledStage.service})`
        : `Deployment of ${service} cancelled`,
      message: `${d.cancelMessage ?? 'The job was cancelled'}. Counted as cancelled, not as a failure.`,
    });
  }
  const slow = d.stages.filter((s) => s.slow);
  const describe = (s: (typeof slow)[number]): string =>
    `${s.stage} (${s.service}) took ${formatDuration(s.durationSeconds)}, over its ${formatDuration(s.thresholdSeconds ?? 0)} threshold`;
  if (slow.length <= MAX_SLOW_ANNOTATIONS) {
    for (const s of slow)
      out.push({ level: 'warning', title: `Slow stage: ${s.stage}`, message: describe(s) });
  } else {
    out.push({
      level: 'warning',
      title: `${slow.length} slow stages`,
      message: slow.map(describe).join('; '),
    });
  }
  if (d.slow && d.totalThresholdSeconds !== undefined) {
    out.push({
      level: 'warning',
      title: 'Deployment over its time budget',
      message: `The deployment took ${formatDuration(d.durationSeconds)}, over the ${formatDuration(d.totalThresholdSeconds)} total threshold`,
    });
  }
  return out;
}
