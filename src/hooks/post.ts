/** post: track mode reports the deployment. */
import type { HookContext } from './run-wrapper.js';
import { finishTrack } from './track-finish.js';

export async function postHook(ctx: HookContext): Promise<void> {
  if (ctx.config.mode === 'track') await finishTrack(ctx);
}
