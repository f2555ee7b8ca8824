/** Summary mode counts each attempt once (docs/summary-mode.md): the rule on its own, table-driven. */
import { describe, expect, test } from '@jest/globals';
import { countThisAttempt, type CountedSources } from '../../src/summary/count-once.js';
import type { RunRecord } from '../../src/summary/record.js';

const attempt = { runId: 500, attempt: 2 };
/** The marker as the group keeps it: run id × 1000 + attempt. */
const marker = (runId: number, n: number): number => runId * 1000 + n;
const stored = (runId: number, n: number): RunRecord => ({ runId, attempt: n }) as RunRecord;

describe('countThisAttempt', () => {
  test.each<[string, CountedSources, boolean]>([
    [
      'history read, attempt not in it, marker elsewhere: counted',
      { history: [stored(499, 1)], marker: marker(499, 1), groupProblem: undefined },
      true,
    ],
    [
      'history read, attempt already in it: not counted again',
      { history: [stored(500, 2)], marker: undefined, groupProblem: undefined },
      false,
    ],
    [
      'history read but empty, the marker is this attempt (history lost after counting): not counted',
      { history: [], marker: marker(500, 2), groupProblem: undefined },
      false,
    ],
    [
      'history read, another attempt of the same run stored: this one counted',
      { history: [stored(500, 1)], marker: marker(500, 1), groupProblem: undefined },
      true,
    ],
    [
      'no history, no marker yet: counted',
      { history: undefined, marker: undefined, groupProblem: undefined },
      true,
    ],
    [
      'no history, marker older: counted',
      { history: undefined, marker: marker(499, 3), groupProblem: undefined },
      true,
    ],
    [
      'no history, marker is this attempt: not counted',
      { history: undefined, marker: marker(500, 2), groupProblem: undefined },
      false,
    ],
    [
      'no history, marker newer (a later run was counted first): not counted',
      { history: undefined, marker: marker(501, 1), groupProblem: undefined },
      false,
    ],
    [
      'neither the history nor the group could be read: not counted (never twice)',
      { history: undefined, marker: undefined, groupProblem: 'HTTP 503' },
      false,
    ],
    [
      'history read, group unreadable: the history decides',
      { history: [], marker: undefined, groupProblem: 'HTTP 503' },
      true,
    ],
  ])('%s', (_what, sources, expected) => {
    expect(countThisAttempt(attempt, sources)).toBe(expected);
  });
});
