/**
 * Runner emulator: runs a JavaScript action's real bundles (`runs.pre`,
 * `runs.main`, `runs.post`) with `node <bundle>` the way the GitHub runner
 * does, for tests, the demo and the benchmark.
 *
 * Reproduced (actions/runner behaviour):
 * - order: every `pre` (not for `local` actions; pre-if default always()),
 *   main steps honouring `if:` (implicit success()), then the `post` of every
 *   uses step whose main started, in reverse (post-if default always());
 * - fresh `$RUNNER_TEMP/_runner_file_commands/<prefix><uuid>` files per
 *   process, parsed like FileCommandManager (a missing heredoc delimiter fails
 *   the step); GITHUB_ENV/GITHUB_PATH reach later steps; GITHUB_STATE reaches
 *   later phases of the same action instance as STATE_<name>;
 * - `INPUT_<NAME>` (upper-cased, spaces → `_`, hyphens kept) from `with:` or
 *   action.yml defaults, `${{ }}` evaluated again for each phase (so
 *   `${{ job.status }}` is the status when post runs);
 * - stdout/stderr workflow commands (add-mask, error/warning/notice with the
 *   runner's unescaping, group, debug, stop-commands), masking in the log and
 *   step summaries, annotation display limits, the 1 MiB summary limit;
 * - job.status, cancellation, step timeouts and the REST API steps view on a
 *   virtual clock (`onStepsChange`), or on the wall clock (`realTime`): a step
 *   that hits its own `timeout-minutes` fails ("The action has timed out."); a
 *   cancelled run and a job that hits its `timeout-minutes` cancel the running
 *   step and the job (the latter with "The job running on runner <name> has
 *   exceeded the maximum execution time of <N> minutes."), as
 *   actions/runner's StepsRunner does;
 * - the job's check run annotations (runner errors and the steps' commands) as
 *   the checks API returns them (`onAnnotationsChange`);
 * - a step ends when its process exits and its stdout/stderr close, or at most
 *   `outputGraceMs` (5 s) after the exit when a child it started still holds
 *   them (the rest of that output is lost; `PhaseResult.outputHeldByChild`);
 * - a fresh environment (PATH, HOME, locale only — never NODE_OPTIONS) plus the
 *   runner's GITHUB_* / RUNNER_* variables, which step env cannot override;
 * - one `RUNNER_TRACKING_ID=github_<uuid>` per job in every process's
 *   environment; at "Complete job" every process on the machine still carrying
 *   it (found through /proc/<pid>/environ, detached or not) is SIGKILLed and
 *   logged as `Terminate orphan process: pid (<pid>) (<name>)`
 *   (`JobResult.orphans`); then the steps' process groups are killed too (the
 *   emulator's safety net), as on timeouts (exit 124).
 *
 * Not reproduced: containers, composite/docker actions, `continue-on-error`,
 * `timeout-minutes` itself (mark the step `stepTimeout` or `jobTimeout`), killing a step
 * when the run is cancelled (a `cancelJob`/`jobTimeout`/`stepTimeout` step runs to its end first).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export { runJob, DEFAULT_OUTPUT_GRACE_MS } from './job.js';
export { findTrackedProcesses } from './process.js';
export { loadActionManifest } from './action-manifest.js';
export type { ActionManifest, ActionInput } from './action-manifest.js';
export { parseKeyValueFile } from './file-commands.js';
export { parseWorkflowCommand } from './workflow-commands.js';
export { evaluate, interpolate, evaluateCondition } from './expressions.js';
export type {
  Annotation,
  CheckAnnotationView,
  Cond,
  JobResult,
  JobSpec,
  JobStatus,
  JobView,
  OrphanProcess,
  PhaseResult,
  RunStep,
  StepSpec,
  StepView,
  UsesStep,
} from './types.js';

/** The repository root (where the action's action.yml lives), resolved from this module's location. */
export function repoActionDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}
