/** pre: track mode records the start; the other modes do their work in main. */
import type { ActionIO } from './io.js';
import { ioOrCore, runHook, type HookContext } from './run-wrapper.js';
import { startTrack } from './track-start.js';

export async function preHook(ctx: HookContext): Promise<void> {
  if (ctx.config.mode === 'track') await startTrack(ctx);
}

/**
 * The pre phase without ending the process. The entry point (`src/entrypoints/pre.ts`) passes the
 * runner's protocol; GitHub's `@github/local-action` calls it with no argument, and then it goes
 * through `@actions/core`, which local-action stubs (docs/development.md, "Running a hook under
 * local-action").
 */
export async function run(io?: ActionIO): Promise<void> {
  await runHook('pre', preHook, await ioOrCore(io));
}
