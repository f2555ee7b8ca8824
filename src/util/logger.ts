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
