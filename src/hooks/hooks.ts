/** What each runner phase does in each mode. */
import { State } from '../config/constants.js';
import type { HookContext } from './run-wrapper.js';
import { startTrack } from './track-start.js';
import { finishTrack } from './track-finish.js';

async function notYet(ctx: HookContext): Promise<void> {
  ctx.problems.report(
    `mode ${ctx.config.mode} is not available in this version of the action; nothing was done`,
  );
}

/** pre: track mode records the start; the other modes do their work in main. */
export async function preHook(ctx: HookContext): Promise<void> {
  if (ctx.config.mode === 'track') await startTrack(ctx);
}

/** main: track mode does pre's work when pre did not run (a local action, `uses: ./`). */
export async function mainHook(ctx: HookContext): Promise<void> {
  if (ctx.config.mode === 'track') {
    if (ctx.io.getState(State.Role) === '') await startTrack(ctx);
    return;
  }
  await notYet(ctx);
}

/** post: track mode reports the deployment. */
export async function postHook(ctx: HookContext): Promise<void> {
  if (ctx.config.mode === 'track') await finishTrack(ctx);
}
