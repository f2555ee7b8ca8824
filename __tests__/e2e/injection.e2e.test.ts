/**
 * Workflow-command injection through what steps and the workflow control, on the real bundles under
 * the runner emulator (which parses `::add-mask::`, `::notice::` … from the step's stdout as the
 * runner does): a DEPLOY_METRICS_FILE line whose `error_type` (or `service`) holds escaped new lines
 * followed by commands, a step name and a branch name with new lines. None of it may register a
 * mask, forge an annotation or make an output span lines; the job summary renders it as text.
 */
import { apiSteps, API_STAGE_MAP, runTrackedJob } from '../../tools/scenarios/index.js';
import type { StepSpec } from '../../tools/runner-emulator/index.js';
import { linkTargets, renderGfm } from '../gfm.js';
import { newRunId, startBed, type Bed } from './helpers.js';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.close();
});

/** Escaped new lines inside a label value (`\n` in the exposition text), then commands. */
const FORGED = '\\n::add-mask::deploy_railway\\n::notice title=FORGED::Approve the release here';
const ERROR_TYPES = [
  'timeout',
  'health_check_failed',
  'migration_failed',
  'test_failed',
  'rollback_triggered',
  'api_unreachable',
  'database_connection_error',
  'unknown',
];

test('a forged error_type and service, a step name and a branch with new lines: no mask, no forged annotation, one-line outputs', async () => {
  const steps: StepSpec[] = apiSteps({ healthFails: true }).map((step) => {
    if (step.name !== 'Wait for health check' || !('run' in step)) return step;
    const lines = [
      `deployment_errors_total{stage="health_check",error_type="api_unreachable${FORGED}"} 1`,
      `step_custom_gauge{service="api${FORGED}"} 1`,
    ];
    return {
      ...step,
      // printf '%s\n': the backslashes reach the file as written.
      run: `printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')} >> "$DEPLOY_METRICS_FILE"; exit 1`,
    };
  });
  const job = await runTrackedJob({
    gh: bed.gh,
    runId: newRunId(),
    job: 'deploy-api',
    steps,
    stateDir: bed.stateDir,
    env: { GITHUB_REF_NAME: 'main\n::notice title=BRANCH::forged branch' },
    with: { environment: 'injection', 'pushgateway-url': bed.pg.url, stages: API_STAGE_MAP },
  });
  expect(job.post?.exitCode).toBe(0);

  // Nothing registered a mask the action did not mean, and no annotation was forged.
  expect(job.result.masks).not.toContain('deploy_railway');
  expect(job.result.log).toContain('deploy_railway');
  for (const a of job.result.annotations) {
    expect(a.title ?? '').not.toMatch(/FORGED|BRANCH/);
    expect(a.message).not.toMatch(/[\r\n]/);
  }
  expect(job.result.annotations.filter((a) => a.level === 'notice')).toEqual([]);

  // The action's own lines: one line each, none a command.
  for (const phase of job.result.phases.filter((p) => p.id === 'track')) {
    for (const line of phase.stdout.split('\n')) {
      if (!line.trimStart().startsWith('::')) continue;
      expect(line).toMatch(
        /^::(add-mask|debug|warning|error|notice|group|endgroup)::|^::(warning|error|notice) /,
      );
      expect(line).not.toMatch(/^::add-mask::deploy_railway$/);
      expect(line).not.toMatch(/^::notice title=(FORGED|BRANCH)/);
    }
  }

  // Outputs: one line each; error-type is an error type.
  const outputs = job.post?.outputs ?? {};
  for (const value of Object.values(outputs)) expect(value).not.toMatch(/[\r\n]/);
  expect(outputs['failed-stage']).toBe('health_check');
  expect(ERROR_TYPES).toContain(outputs['error-type']);

  // The summary: the reported text is text, the only link is the run's.
  const html = renderGfm(job.post?.summary ?? '');
  expect(html).toContain('health_check');
  for (const target of linkTargets(html)) expect(target).toMatch(/\/actions\/runs\/\d+$/);
  expect(html).not.toMatch(/<img\b/);
});
