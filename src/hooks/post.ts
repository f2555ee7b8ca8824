/** post: track mode reports the deployment. */
import type { ActionIO } from './io.js';
import { ioOrCore, runHook, type HookContext } from './run-wrapper.js';
import { finishTrack } from './track-finish.js';

export async function postHook(ctx: HookContext): Promise<void> {
  if (ctx.config.mode === 'track') await finishTrack(ctx);
}

/**
 * The post phase without ending the process. The entry point (`src/entrypoints/post.ts`) passes the
 * runner's protocol; GitHub's `@github/local-action` calls it with no argument, and then it goes
 * through `@actions/core`, which local-action stubs (docs/development.md, "Running a hook under
 * local-action").
 */
export async function run(io?: ActionIO): Promise<void> {
  await runHook('post', postHook, await ioOrCore(io));
}
