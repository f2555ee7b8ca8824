/** pre: track mode records the start; the other modes do their work in main. */
import type { HookContext } from './run-wrapper.js';
import { startTrack } from './track-start.js';

export async function preHook(ctx: HookContext): Promise<void> {
  if (ctx.config.mode === 'track') await startTrack(ctx);
}
