/** Summary mode (main): the whole run, rolling history, DORA and SLO figures, check run. */
import type { HookContext } from './run-wrapper.js';

export async function runSummary(ctx: HookContext): Promise<void> {
  ctx.problems.report('mode summary is not available in this version of the action; nothing was done');
}
