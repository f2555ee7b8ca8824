/**
 * Summary mode's own inputs (action.yml): read once into a frozen, typed
 * object built as one literal. A bad value falls back to its default with a
 * problem that names the input (the value quoted on one line, bounded, URLs redacted). Never throws.
 *
 * The inputs summary mode shares with track mode are read once for every mode by `readConfig`
 * (`inputs.ts`): `stages` (the stage map that names the failed stage as track mode names it,
 * `Config.stageRules`), `thresholds` (`total`: a slow job), `environment`, the sinks.
 */
import { quoteInput } from '../util/safe-text.js';

export interface SummaryInputs {
  /** The run to report; empty: the current run (GITHUB_RUN_ID). */
  readonly runId: string;
  readonly history: boolean;
  readonly historyDays: number;
  readonly sloSuccessRate: number;
  readonly sloTtdP95Seconds: number;
}

export const SUMMARY_DEFAULTS: SummaryInputs = Object.freeze({
  runId: '',
  history: true,
  historyDays: 90,
  sloSuccessRate: 0.995,
  sloTtdP95Seconds: 720,
});

/** The longest history kept: the Actions cache evicts after 7 days unused anyway, the API lists 400 days. */
const MAX_HISTORY_DAYS = 400;

function numberInput(
  read: (name: string) => string,
  name: string,
  fallback: number,
  valid: (n: number) => boolean,
  expected: string,
  problems: string[],
): number {
  const raw = read(name).trim();
  if (raw === '') return fallback;
  const n = Number(raw);
  if (Number.isFinite(n) && valid(n)) return n;
  problems.push(`input ${name}: ${quoteInput(raw)} is not ${expected}; using ${fallback}`);
  return fallback;
}

/** Reads the summary inputs; `fallbackRunId` is GITHUB_RUN_ID. */
export function readSummaryInputs(
  read: (name: string) => string,
  fallbackRunId: string,
): { inputs: SummaryInputs; problems: string[] } {
  const problems: string[] = [];
  const rawRunId = read('run-id').trim();
  let runId = rawRunId || fallbackRunId;
  if (runId !== '' && !/^\d+$/.test(runId)) {
    problems.push(
      `input run-id: ${quoteInput(rawRunId)} is not a workflow run id; using the current run ${fallbackRunId || '(none)'}`,
    );
    runId = fallbackRunId;
  }
  const rawHistory = read('history').trim().toLowerCase();
  let history = SUMMARY_DEFAULTS.history;
  if (['false', 'no', '0', 'off'].includes(rawHistory)) history = false;
  else if (rawHistory !== '' && !['true', 'yes', '1', 'on'].includes(rawHistory))
    problems.push(`input history: ${quoteInput(rawHistory)} is not true or false; using true`);
  const inputs: SummaryInputs = Object.freeze({
    runId,
    history,
    historyDays: numberInput(
      read,
      'history-days',
      SUMMARY_DEFAULTS.historyDays,
      (n) => Number.isInteger(n) && n >= 1 && n <= MAX_HISTORY_DAYS,
      `a whole number of days from 1 to ${MAX_HISTORY_DAYS}`,
      problems,
    ),
    sloSuccessRate: numberInput(
      read,
      'slo-success-rate',
      SUMMARY_DEFAULTS.sloSuccessRate,
      (n) => n > 0 && n < 1,
      'a ratio between 0 and 1 (e.g. 0.995)',
      problems,
    ),
    sloTtdP95Seconds: numberInput(
      read,
      'slo-ttd-p95-seconds',
      SUMMARY_DEFAULTS.sloTtdP95Seconds,
      (n) => n > 0,
      'a positive number of seconds',
      problems,
    ),
  });
  return { inputs, problems };
}
