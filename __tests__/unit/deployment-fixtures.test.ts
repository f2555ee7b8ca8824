/**
 * The deployment model against fixture pairs: `<case>.input.json` holds a job
 * as the REST API returns it (steps in -08:00, the job in Z, skipped steps with
 * completed_at before started_at, post steps queued) plus the inputs and, when the case needs
 * them, the check run's annotations (the runner's word on timeouts);
 * `<case>.expected.json` holds the hand-computed stages and outcome.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timeoutsFromAnnotations } from '../../src/github/annotations.js';
import type { CheckRunAnnotation } from '../../src/github/client.js';
import { buildDeployment, ownStepNames, type ApiJob } from '../../src/model/deployment.js';
import { parseStageMap } from '../../src/model/stage-map.js';
import { parseTimestamp, toIso } from '../../src/model/timing.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'deployments');
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.input.json'))
  .map((f) => f.replace('.input.json', ''))
  .sort();

interface CaseInput {
  job: ApiJob;
  service: string;
  stages: string;
  thresholds: Record<string, number>;
  jobStatus: string;
  reportedErrorTypes: Record<string, string>;
  now: string;
  /** The check run's annotations as the API returns them; absent: they could not be read. */
  annotations?: CheckRunAnnotation[];
}

test('there are fixture pairs', () => {
  expect(cases.length).toBeGreaterThanOrEqual(10);
});

describe.each(cases)('%s', (name) => {
  const input = JSON.parse(readFileSync(join(dir, `${name}.input.json`), 'utf8')) as CaseInput;
  const expected = JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8'));
  const map = parseStageMap(input.stages);
  const result = buildDeployment({
    job: input.job,
    service: input.service,
    rules: map.rules,
    thresholds: input.thresholds,
    jobStatus: input.jobStatus,
    reportedErrorTypes: new Map(Object.entries(input.reportedErrorTypes)),
    ownStepNames: ownStepNames(input.job.steps ?? [], 'acme/deployment-observability', 'v1'),
    fallbackStart: 0,
    now: parseTimestamp(input.now) as number,
    ...(input.annotations ? { timeouts: timeoutsFromAnnotations(input.annotations) } : {}),
  });

  test('the stage map has no problems', () => {
    expect(map.problems).toEqual([]);
  });
  test('stages', () => {
    expect(
      result.stages.map((s) => ({
        service: s.service,
        stage: s.stage,
        status: s.status,
        started_at: toIso(s.startedAt),
        completed_at: toIso(s.completedAt),
        duration_seconds: s.durationSeconds,
        slow: s.slow,
        complete: s.complete,
      })),
    ).toEqual(expected.stages);
  });
  test('outcome', () => {
    expect({
      status: result.status,
      failed_stage: result.failedStage?.stage ?? null,
      error_type: result.errorType ?? null,
      duration_seconds: result.durationSeconds,
      slow: result.slow,
    }).toEqual({
      status: expected.status,
      failed_stage: expected.failed_stage,
      error_type: expected.error_type,
      duration_seconds: expected.duration_seconds,
      slow: expected.slow,
    });
  });
});
