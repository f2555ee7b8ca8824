/**
 * Each attempt of a run is counted once, however often it is summarised (docs/summary-mode.md,
 * "Counted once"). The history says which attempts were counted; without it, the group's marker
 * (`github_workflow_last_counted_run`: the last counted attempt as `run id × 1000 + attempt`) does,
 * because run ids only grow. When neither can be read, nothing is counted: a count missed is
 * better than a count doubled.
 */
import { markerValue } from './metrics.js';
import { recordKey, type RunRecord } from './record.js';

export interface CountedSources {
  /** The stored history, when it could be read. */
  readonly history: readonly RunRecord[] | undefined;
  /** The group's marker; undefined when the group has none yet or could not be read. */
  readonly marker: number | undefined;
  /** Why the group could not be read; undefined when it was (or there is no sink). */
  readonly groupProblem: string | undefined;
}

/** Whether this attempt's counters are to be added now. */
export function countThisAttempt(
  record: Pick<RunRecord, 'runId' | 'attempt'>,
  sources: CountedSources,
): boolean {
  const key = markerValue(record);
  if (sources.history !== undefined)
    return !sources.history.some((r) => recordKey(r) === recordKey(record)) && sources.marker !== key;
  if (sources.groupProblem === undefined) return sources.marker === undefined || key > sources.marker;
  return false;
}
