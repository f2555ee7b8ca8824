/** Where the action reports progress and problems. Passed in, so tests record instead of printing. */
export interface AnnotationProperties {
  readonly title?: string;
  readonly file?: string;
  readonly startLine?: number;
}

export interface Logger {
  info(message: string): void;
  debug(message: string): void;
  /** A warning annotation: telemetry problems the user should see. */
  warning(message: string, properties?: AnnotationProperties): void;
  /** An error annotation (does not fail the step by itself). */
  error(message: string, properties?: AnnotationProperties): void;
  notice(message: string, properties?: AnnotationProperties): void;
}

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
