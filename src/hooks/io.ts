/**
 * The runner-facing edge, behind one interface so hooks can be driven by
 * @actions/core on a runner or by a recording fake in tests.
 */
import * as core from '@actions/core';
import type { Logger } from '../util/logger.js';

export interface ActionIO extends Logger {
  getInput(name: string): string;
  getState(name: string): string;
  saveState(name: string, value: string): void;
  setOutput(name: string, value: string): void;
  exportVariable(name: string, value: string): void;
  setSecret(value: string): void;
  setFailed(message: string): void;
  /** Appends Markdown to this step's job summary. */
  appendSummary(markdown: string): Promise<void>;
}

/** The real runner, through @actions/core (file commands, workflow commands). */
export const coreIO: ActionIO = {
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
