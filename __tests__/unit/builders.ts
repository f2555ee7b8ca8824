/** Hand-built model values shared by the unit tests of the layers above the deployment model. */
import type { StageResult } from '../../src/model/deployment.js';

/** 2024-01-01T10:00:00Z: where hand-built stages start. */
export const T0 = Date.UTC(2024, 0, 1, 10, 0, 0);

/** A 10 s successful api stage starting at T0, with any field overridden. */
export function stage(over: Partial<StageResult> & Pick<StageResult, 'stage'>): StageResult {
  return {
    service: 'api',
    status: 'success',
    startedAt: T0,
    completedAt: T0 + 10_000,
    durationSeconds: 10,
    thresholdSeconds: undefined,
    slow: false,
    steps: [over.stage],
    conclusion: over.status === 'failure' ? 'failure' : 'success',
    complete: true,
    ...over,
  };
}
