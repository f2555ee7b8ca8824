/**
 * Test doubles shared by the suites: a Logger and an ActionIO that record what the action said and
 * set, instead of printing (the action takes both as parameters, so no module is mocked).
 */
import type { ActionIO } from '../../src/hooks/io.js';
import type { AnnotationProperties, Logger } from '../../src/util/logger.js';

export interface RecordedLog {
  readonly level: 'info' | 'debug' | 'warning' | 'error' | 'notice';
  readonly message: string;
  readonly properties?: AnnotationProperties;
}

/** A Logger that keeps every message; for tests and for counting what was said. */
export class RecordingLogger implements Logger {
  readonly entries: RecordedLog[] = [];
  info(message: string): void {
    this.entries.push({ level: 'info', message });
  }
  debug(message: string): void {
    this.entries.push({ level: 'debug', message });
  }
  warning(message: string, properties?: AnnotationProperties): void {
    this.entries.push({ level: 'warning', message, properties });
  }
  error(message: string, properties?: AnnotationProperties): void {
    this.entries.push({ level: 'error', message, properties });
  }
  notice(message: string, properties?: AnnotationProperties): void {
    this.entries.push({ level: 'notice', message, properties });
  }
  messages(level: RecordedLog['level']): string[] {
    return this.entries.filter((e) => e.level === level).map((e) => e.message);
  }
}

/** An ActionIO over fixed inputs that keeps state, outputs, exported variables, secrets, the failure and the summary. */
export class RecordingIO extends RecordingLogger implements ActionIO {
  readonly state = new Map<string, string>();
  readonly outputs = new Map<string, string>();
  readonly exported = new Map<string, string>();
  readonly secrets: string[] = [];
  failed: string | undefined;
  summary = '';
  constructor(readonly inputs: Record<string, string>) {
    super();
  }
  getInput(name: string): string {
    return this.inputs[name] ?? '';
  }
  getState(name: string): string {
    return this.state.get(name) ?? '';
  }
  saveState(name: string, value: string): void {
    this.state.set(name, value);
  }
  setOutput(name: string, value: string): void {
    this.outputs.set(name, value);
  }
  exportVariable(name: string, value: string): void {
    this.exported.set(name, value);
  }
  setSecret(value: string): void {
    this.secrets.push(value);
  }
  setFailed(message: string): void {
    this.failed = message;
  }
  async appendSummary(markdown: string): Promise<void> {
    this.summary += markdown;
  }
}
