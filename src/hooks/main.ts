/** main: track mode does pre's work when pre did not run (a local action, `uses: ./`). */
import { State } from '../config/constants.js';
import type { HookContext } from './run-wrapper.js';
import { startTrack } from './track-start.js';

export async function mainHook(ctx: HookContext): Promise<void> {
  if (ctx.config.mode === 'track') {
    if (ctx.io.getState(State.Role) === '') await startTrack(ctx);
    return;
  }
  ctx.problems.report(
    `mode ${ctx.config.mode} is not available in this version of the action; nothing was done`,
  );
}
