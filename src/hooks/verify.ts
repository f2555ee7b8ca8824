/** Verify mode (main): post-deployment health probes, error rate and a rollback signal. */
import type { HookContext } from './run-wrapper.js';

export async function runVerify(ctx: HookContext): Promise<void> {
  ctx.problems.report('mode verify is not available in this version of the action; nothing was done');
}
