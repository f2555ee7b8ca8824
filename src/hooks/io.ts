/**
 * The runner-facing edge, behind one interface so hooks can be driven by the runner's protocol
 * (`runner-io.ts`), by `@actions/core` under `@github/local-action` (`core-io.ts`), or by a
 * recording fake in tests.
 */
import type { AnnotationProperties, Logger } from '../util/logger.js';
import { safeLogText, singleLine } from '../util/safe-text.js';

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

function safeProperties(p: AnnotationProperties | undefined): AnnotationProperties | undefined {
  return p?.title === undefined ? p : { ...p, title: safeLogText(p.title) };
}

/**
 * The edge every hook's text leaves through: log lines, annotations (message and title) and the
 * failure message pass `safeLogText` (one line, no workflow command, URLs redacted), outputs
 * `singleLine` (one line, no workflow command: a later `run:` that echoes an output must not print
 * a command either). Idempotent, so wrapping twice costs nothing but time.
 */
export function safeIO(io: ActionIO): ActionIO {
  return {
    getInput: (name) => io.getInput(name),
    getState: (name) => io.getState(name),
    saveState: (name, value) => io.saveState(name, value),
    setOutput: (name, value) => io.setOutput(name, singleLine(value)),
    exportVariable: (name, value) => io.exportVariable(name, value),
    setSecret: (value) => io.setSecret(value),
    setFailed: (message) => io.setFailed(safeLogText(message)),
    info: (message) => io.info(safeLogText(message)),
    debug: (message) => io.debug(safeLogText(message)),
    warning: (message, properties) => io.warning(safeLogText(message), safeProperties(properties)),
    error: (message, properties) => io.error(safeLogText(message), safeProperties(properties)),
    notice: (message, properties) => io.notice(safeLogText(message), safeProperties(properties)),
    appendSummary: (markdown) => io.appendSummary(markdown),
  };
}
