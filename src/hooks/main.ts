/**
 * main: summary and verify mode do their work here. In track mode: does pre's work when pre did not run (a local action,
 * `uses: ./`); in a later instance of the action, sets the outputs from the
 * job so far (GitHub ignores outputs set in post).
 */
import { Outputs, State, TRACK_ROLE_PASSIVE } from '../config/constants.js';
import { deploymentIdOf } from '../config/inputs.js';
import type { ActionIO } from './io.js';
import { ioOrCore, runHook, type HookContext } from './run-wrapper.js';
import { runSummary } from './summary-mode.js';
import { startTrack } from './track-start.js';
import { snapshotTrack } from './track-snapshot.js';
import { runVerify } from './verify-mode.js';

export async function mainHook(ctx: HookContext): Promise<void> {
  const { config, io } = ctx;
  if (config.mode === 'summary') return runSummary(ctx);
  if (config.mode === 'verify') return runVerify(ctx);
  // An unknown mode does nothing (the run wrapper says so); it is never taken for track mode.
  if (config.mode !== 'track') return;
  // STATE_* holds what pre saved; what this process saves is not readable until post.
  const role = io.getState(State.Role) || (await startTrack(ctx));
  if (role === TRACK_ROLE_PASSIVE) {
    await snapshotTrack(ctx);
    return;
  }
  // The owner knows these at the start; later steps can read them.
  io.setOutput(Outputs.DeploymentId, io.getState(State.DeploymentId) || deploymentIdOf(config.runner));
  io.setOutput(Outputs.MetricsFile, config.metricsFile);
}

/**
 * The main phase without ending the process. The entry point (`src/entrypoints/main.ts`) passes the
 * runner's protocol; GitHub's `@github/local-action` calls it with no argument, and then it goes
 * through `@actions/core`, which local-action stubs (docs/development.md, "Running a hook under
 * local-action").
 */
export async function run(io?: ActionIO): Promise<void> {
  await runHook('main', mainHook, await ioOrCore(io));
}
