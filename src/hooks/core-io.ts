/**
 * The hooks through `@actions/core`: used only when a hook's exported `run()` is called without an
 * `ActionIO`, which is how `@github/local-action` runs it. local-action replaces `@actions/core` with
 * its own stub (inputs from its env file, outputs in its table), so this is the one place that must
 * go through that module. The bundles use `runner-io.ts` and never load this file.
 */
import * as core from '@actions/core';
import { safeIO, type ActionIO } from './io.js';

/** `@actions/core` (or local-action's stub of it), call for call (the reference `runner-io.ts` is tested against). */
export const rawCoreIO: ActionIO = {
  getInput: (name) => core.getInput(name),
  getState: (name) => core.getState(name),
  saveState: (name, value) => core.saveState(name, value),
  setOutput: (name, value) => core.setOutput(name, value),
  exportVariable: (name, value) => core.exportVariable(name, value),
  setSecret: (value) => core.setSecret(value),
  setFailed: (message) => core.setFailed(message),
  info: (message) => core.info(message),
  debug: (message) => core.debug(message),
  warning: (message, properties) => core.warning(message, properties),
  error: (message, properties) => core.error(message, properties),
  notice: (message, properties) => core.notice(message, properties),
  appendSummary: async (markdown) => {
    await core.summary.addRaw(markdown, true).write();
  },
};

/** {@link rawCoreIO} behind {@link safeIO}: what a hook's `run()` uses under local-action. */
export const coreIO: ActionIO = safeIO(rawCoreIO);
