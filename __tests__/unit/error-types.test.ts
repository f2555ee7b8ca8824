/**
 * What a step may report in the labels the action reads back and shows: `error_type` is one of the
 * error types, `service` a service name by the stage map's rule. `metrics/reported.ts` skips any
 * other line with this message, naming the file and line.
 */
import { describe, expect, test } from '@jest/globals';
import {
  isErrorType,
  isServiceName,
  KNOWN_ERROR_TYPES,
  knownErrorType,
  reportedLabelProblem,
} from '../../src/model/error-types.js';
import { parseStageMap } from '../../src/model/stage-map.js';

const WHERE = 'DEPLOY_METRICS_FILE /tmp/r.prom line 3';

describe('error_type', () => {
  test('the error types and unknown', () => {
    expect(KNOWN_ERROR_TYPES).toEqual([
      'timeout',
      'health_check_failed',
      'migration_failed',
      'test_failed',
      'rollback_triggered',
      'api_unreachable',
      'database_connection_error',
      'unknown',
    ]);
    for (const t of KNOWN_ERROR_TYPES) {
      expect(isErrorType(t)).toBe(true);
      expect(reportedLabelProblem(WHERE, 'error_type', t)).toBeUndefined();
    }
  });

  test.each(['api_unreachable\n::add-mask::deploy_railway', 'API_UNREACHABLE', 'oom', '', ' timeout'])(
    '%j is refused, naming the file and line, on one line',
    (value) => {
      const problem = reportedLabelProblem(WHERE, 'error_type', value) as string;
      expect(problem.startsWith(`${WHERE}: error_type `)).toBe(true);
      expect(problem).toContain('is not one of timeout, health_check_failed');
      expect(problem.endsWith('; line skipped')).toBe(true);
      expect(problem).not.toMatch(/[\r\n]/);
    },
  );

  test('knownErrorType: a known one as it is, anything else unknown, nothing for none', () => {
    expect(knownErrorType('timeout')).toBe('timeout');
    expect(knownErrorType('x\n::notice::y')).toBe('unknown');
    expect(knownErrorType(undefined)).toBeUndefined();
    expect(knownErrorType('')).toBeUndefined();
  });
});

describe('service', () => {
  test.each(['api', 'web', 'database', 'api-v2', 'svc.eu_1', '9api'])('%j is a service name', (name) => {
    expect(isServiceName(name)).toBe(true);
    expect(reportedLabelProblem(WHERE, 'service', name)).toBeUndefined();
  });

  test.each(['api\n::add-mask::x', '', '-api', '.api', 'a/b', 'a b', 'ä'])('%j is refused', (name) => {
    expect(isServiceName(name)).toBe(false);
    expect(reportedLabelProblem(WHERE, 'service', name)).toMatch(
      /^DEPLOY_METRICS_FILE \/tmp\/r\.prom line 3: service .* is not a service name/,
    );
  });

  test('the same rule as the stage map’s targets', () => {
    for (const name of ['api', 'api-v2', 'svc.eu_1', '-api', '.api', 'a b', 'ä', 'a$b']) {
      const { rules } = parseStageMap(`Deploy => ${name}/deploy`);
      expect(isServiceName(name)).toBe(rules.length === 1);
    }
  });

  test('other labels are not checked here', () => {
    expect(reportedLabelProblem(WHERE, 'stage', 'anything\nat all')).toBeUndefined();
  });
});
