/**
 * What the runner's annotations on the job's check run say about timeouts (docs/platform.md,
 * "Cancelled and timed-out jobs"). The job's steps alone cannot tell a person's cancel from the
 * job's `timeout-minutes`, nor a step's `timeout-minutes` from any other failure; the runner's
 * annotations can:
 *
 * - a step that hit its own `timeout-minutes` fails with "The action has timed out.";
 * - a job that hit its `timeout-minutes` (or the 6-hour limit) is cancelled with "The job running
 *   on runner <name> has exceeded the maximum execution time of <N> minutes." (newer runners:
 *   "The job has exceeded the maximum execution time of <duration>").
 *
 * Reading them needs `checks: read`. Without it (403), or on any other error, post goes on
 * without them: a failed step keeps its usual error type and a cancelled job counts as cancelled.
 */
import type { RunnerTimeouts } from '../model/deployment.js';
import type { Logger } from '../util/logger.js';
import type { CheckRunAnnotation } from './client.js';

/** The one call this needs (GitHubClient has it). */
export interface AnnotationSource {
  listCheckRunAnnotations(checkRunId: number, deadline: number): Promise<CheckRunAnnotation[]>;
}

const STEP_TIMEOUT = /^The action has timed out\.?$/;
const JOB_TIMEOUT = /^The job (?:running on runner .* )?has exceeded the maximum execution time\b/;

/** The facts the runner's annotations state; other annotations (the steps' own) say nothing here. */
export function timeoutsFromAnnotations(annotations: readonly CheckRunAnnotation[]): RunnerTimeouts {
  let stepTimeouts = 0;
  let jobTimedOut = false;
  for (const a of annotations) {
    const message = typeof a?.message === 'string' ? a.message.trim() : '';
    if (STEP_TIMEOUT.test(message)) stepTimeouts++;
    else if (JOB_TIMEOUT.test(message)) jobTimedOut = true;
  }
  return { stepTimeouts, jobTimedOut };
}

/** A step's conclusion that makes the annotations worth reading. */
const INTERRUPTED = new Set(['failure', 'cancelled', 'timed_out']);

/**
 * Whether the job may hold a timeout: a step failed or was cancelled, or the job was cancelled
 * (the API may still show the interrupted step running). A job that went well costs no request.
 */
export function annotationsWorthReading(
  steps: readonly { readonly conclusion: string | null }[],
  jobStatus: string,
): boolean {
  return jobStatus === 'cancelled' || steps.some((s) => INTERRUPTED.has(s.conclusion ?? ''));
}

export interface ReadTimeoutsResult {
  /** Undefined when the annotations could not be read. */
  readonly timeouts: RunnerTimeouts | undefined;
  /** Why not, for the log and the summary's notes. */
  readonly note: string | undefined;
}

/**
 * Reads the first page of the check run's annotations (up to 100: the runner's own come with the
 * step that failed, and a job holds few) within `deadline`. Never throws: a 403 (no `checks: read`)
 * is said on the debug log, any other problem is returned as a note.
 */
export async function readRunnerTimeouts(
  source: AnnotationSource,
  checkRunId: number,
  deadline: number,
  logger: Pick<Logger, 'debug'>,
): Promise<ReadTimeoutsResult> {
  try {
    const annotations = await source.listCheckRunAnnotations(checkRunId, deadline);
    const list = Array.isArray(annotations) ? annotations : [];
    const timeouts = timeoutsFromAnnotations(list);
    logger.debug(
      `Check run ${checkRunId}: ${list.length} annotation(s); step timeouts ${timeouts.stepTimeouts}, job time limit ${timeouts.jobTimedOut ? 'hit' : 'not hit'}`,
    );
    return { timeouts, note: undefined };
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 403 || status === 404) {
      logger.debug(
        `The job's annotations could not be read (HTTP ${status}; the token needs \`checks: read\`): a timeout is not told from a cancel or another failure`,
      );
      return { timeouts: undefined, note: undefined };
    }
    const message = (error as Error).message ?? String(error);
    logger.debug(`The job's annotations could not be read: ${message}`);
    return {
      timeouts: undefined,
      note: `The job\u2019s annotations could not be read (${message}); a timeout is not told from a cancel or another failure.`,
    };
  }
}
