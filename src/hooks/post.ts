/** post: track mode reports the deployment. */
import { coreIO } from './io.js';
import { runHook, type HookContext } from './run-wrapper.js';
import { finishTrack } from './track-finish.js';

export async function postHook(ctx: HookContext): Promise<void> {
  if (ctx.config.mode === 'track') await finishTrack(ctx);
}

/**
 * The post phase as the runner runs it (`src/entrypoints/post.ts`), without ending the process:
 * what GitHub's `@github/local-action` calls (docs/development.md, "Running a hook under local-action").
 */
export async function run(): Promise<void> {
  await runHook('post', postHook, coreIO);
}
