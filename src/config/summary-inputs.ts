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
import { Inputs } from './constants.js';
import { parseBoolean, parseNumber } from './parse.js';

export interface SummaryInputs {
  /** The run to report; empty: the current run (GITHUB_RUN_ID). */
  readonly runId: string;
  readonly history: boolean;
  readonly historyDays: number;
  readonly sloSuccessRate: number;
  readonly sloTtdP95Seconds: number;
}

const SUMMARY_DEFAULTS: SummaryInputs = Object.freeze({
  runId: '',
  history: true,
  historyDays: 90,
  sloSuccessRate: 0.995,
  sloTtdP95Seconds: 720,
});

/** The longest history kept: the Actions cache evicts after 7 days unused anyway, the API lists 400 days. */
const MAX_HISTORY_DAYS = 400;

/** Reads the summary inputs; `fallbackRunId` is GITHUB_RUN_ID. */
export function readSummaryInputs(
  read: (name: string) => string,
  fallbackRunId: string,
): { inputs: SummaryInputs; problems: string[] } {
  const problems: string[] = [];
  const rawRunId = read(Inputs.RunId).trim();
  let runId = rawRunId || fallbackRunId;
  if (runId !== '' && !/^\d+$/.test(runId)) {
    problems.push(
      `input ${Inputs.RunId}: ${quoteInput(rawRunId)} is not a workflow run id; using the current run ${fallbackRunId || '(none)'}`,
    );
    runId = fallbackRunId;
  }
  const history = parseBoolean(read(Inputs.History), Inputs.History, SUMMARY_DEFAULTS.history, problems);
  const inputs: SummaryInputs = Object.freeze({
    runId,
    history,
    historyDays: parseNumber(
      read(Inputs.HistoryDays),
      Inputs.HistoryDays,
      SUMMARY_DEFAULTS.historyDays,
      (n) => Number.isInteger(n) && n >= 1 && n <= MAX_HISTORY_DAYS,
      `a whole number of days from 1 to ${MAX_HISTORY_DAYS}`,
      problems,
    ),
    sloSuccessRate: parseNumber(
      read(Inputs.SloSuccessRate),
      Inputs.SloSuccessRate,
      SUMMARY_DEFAULTS.sloSuccessRate,
      (n) => n > 0 && n < 1,
      'a ratio between 0 and 1 (e.g. 0.995)',
      problems,
    ),
    sloTtdP95Seconds: parseNumber(
      read(Inputs.SloTtdP95Seconds),
      Inputs.SloTtdP95Seconds,
      SUMMARY_DEFAULTS.sloTtdP95Seconds,
      (n) => n > 0,
      'a positive number of seconds',
      problems,
    ),
  });
  return { inputs, problems };
}
