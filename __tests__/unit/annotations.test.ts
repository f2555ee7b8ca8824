/**
 * Annotations for the failed stage and slow stages; beyond five slow stages they fold into one
 * (the runner shows at most 10 warnings per step: docs/platform.md, "The runner").
 */
import { describe, expect, test } from '@jest/globals';
import type { DeploymentResult, StageResult } from '../../src/model/deployment.js';
import { deploymentAnnotations } from '../../src/report/annotations.js';
import { stage, T0 } from './builders.js';

function deployment(stages: StageResult[], over: Partial<DeploymentResult> = {}): DeploymentResult {
  return {
    status: 'success',
    stages,
    failedStage: undefined,
    errorType: undefined,
    failureMessage: undefined,
    startedAt: T0,
    completedAt: T0 + 300_000,
    durationSeconds: 300,
    totalThresholdSeconds: 900,
    slow: false,
    rollback: undefined,
    mainSteps: [],
    ...over,
  };
}

const slowStage = (i: number): StageResult =>
  stage({ stage: `stage_${i}`, durationSeconds: 100 + i, thresholdSeconds: 60, slow: true });

describe('deploymentAnnotations', () => {
  test('a fast successful deployment: none', () => {
    expect(
      deploymentAnnotations(deployment([stage({ stage: 'build', thresholdSeconds: 120 })]), 'api'),
    ).toEqual([]);
  });

  test('a failed stage: one error naming stage, service, message and error type', () => {
    const failed = stage({ stage: 'health_check', status: 'failure', conclusion: 'failure' });
    const d = deployment([failed], {
      status: 'failure',
      failedStage: failed,
      errorType: 'health_check_failed',
      failureMessage: 'Stage health_check (api) failed after 31s in step "Wait for health check"',
    });
    expect(deploymentAnnotations(d, 'api')).toEqual([
      {
        level: 'error',
        title: 'Deployment failed at health_check (api)',
        message:
          'Stage health_check (api) failed after 31s in step "Wait for health check". Error type: health_check_failed.',
      },
    ]);
  });

  test('a failure without a stage: the service is named; defaults for message and type', () => {
    const d = deployment([], { status: 'failure' });
    expect(deploymentAnnotations(d, 'web')).toEqual([
      {
        level: 'error',
        title: 'Deployment of web failed',
        message: 'The deployment failed. Error type: unknown.',
      },
    ]);
  });

  test.each([1, 2, 5])('%d slow stage(s): one warning each', (n) => {
    const stages = Array.from({ length: n }, (_, i) => slowStage(i));
    const out = deploymentAnnotations(deployment(stages), 'api');
    expect(out).toHaveLength(n);
    expect(out[0]).toEqual({
      level: 'warning',
      title: 'Slow stage: stage_0',
      message: 'stage_0 (api) took 1m 40s, over its 1m 00s threshold',
    });
    for (const a of out) expect(a.level).toBe('warning');
  });

  test.each([6, 7, 20])('%d slow stages: folded into one warning listing them all', (n) => {
    const stages = Array.from({ length: n }, (_, i) => slowStage(i));
    const out = deploymentAnnotations(deployment(stages), 'api');
    expect(out).toHaveLength(1);
    expect(out[0]?.level).toBe('warning');
    expect(out[0]?.title).toBe(`${n} slow stages`);
    const parts = out[0]?.message.split('; ') ?? [];
    expect(parts).toHaveLength(n);
    expect(parts[0]).toBe('stage_0 (api) took 1m 40s, over its 1m 00s threshold');
    expect(parts.map((p) => /^(stage_\d+) /.exec(p)?.[1])).toEqual(stages.map((s) => s.stage));
  });

  test('over the total budget: one more warning', () => {
    const out = deploymentAnnotations(deployment([], { slow: true, durationSeconds: 1000 }), 'api');
    expect(out).toEqual([
      {
        level: 'warning',
        title: 'Deployment over its time budget',
        message: 'The deployment took 16m 40s, over the 15m 00s total threshold',
      },
    ]);
  });

  test('slow without a total threshold: no budget warning', () => {
    expect(
      deploymentAnnotations(deployment([], { slow: true, totalThresholdSeconds: undefined }), 'api'),
    ).toEqual([]);
  });

  test('failure + many slow stages + over budget stays within the per-step limits (≤ 10 warnings, ≤ 10 errors)', () => {
    const failed = stage({
      stage: 'deploy_railway',
      status: 'failure',
      slow: true,
      thresholdSeconds: 60,
      durationSeconds: 200,
    });
    const stages = [...Array.from({ length: 30 }, (_, i) => slowStage(i)), failed];
    const out = deploymentAnnotations(
      deployment(stages, { status: 'failure', failedStage: failed, slow: true, durationSeconds: 2000 }),
      'api',
    );
    expect(out.filter((a) => a.level === 'error')).toHaveLength(1);
    expect(out.filter((a) => a.level === 'warning').length).toBeLessThanOrEqual(10);
    expect(out.map((a) => a.title)).toEqual([
      'Deployment failed at deploy_railway (api)',
      '31 slow stages',
      'Deployment over its time budget',
    ]);
  });

  test('the order: error first, then slow stages, then the budget', () => {
    const failed = stage({
      stage: 'health_check',
      status: 'failure',
      slow: true,
      thresholdSeconds: 30,
      durationSeconds: 45,
    });
    const out = deploymentAnnotations(
      deployment([failed], { status: 'failure', failedStage: failed, slow: true }),
      'api',
    );
    expect(out.map((a) => a.level)).toEqual(['error', 'warning', 'warning']);
  });
});
