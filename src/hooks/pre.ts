/** pre: track mode records the start; the other modes do their work in main. */
import { coreIO } from './io.js';
import { runHook, type HookContext } from './run-wrapper.js';
import { startTrack } from './track-start.js';

export async function preHook(ctx: HookContext): Promise<void> {
  if (ctx.config.mode === 'track') await startTrack(ctx);
}

/**
 * The pre phase as the runner runs it (`src/entrypoints/pre.ts`), without ending the process:
 * what GitHub's `@github/local-action` calls (docs/development.md, "Running a hook under local-action").
 */
export async function run(): Promise<void> {
  await runHook('pre', preHook, coreIO);
}
