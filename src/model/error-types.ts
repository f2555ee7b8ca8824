/**
 * What a step may report in the labels the action itself reads back and shows (outputs,
 * annotations, the job summary, grouping keys): `error_type` must be one of the error types
 * (README, "Error types") and `service` must be a service name by the stage map's rule. Anything
 * else is skipped with a message naming the file and line (`metrics/reported.ts`).
 */
import { ERROR_TYPES } from './infer.js';

/** Every error type a deployment can have: the design's taxonomy, and `unknown`. */
export const KNOWN_ERROR_TYPES: readonly string[] = Object.freeze([...ERROR_TYPES, 'unknown']);

/**
 * A service name: letters, digits, `_`, `.` and `-`, not starting with `.` or `-` (the rule of
 * the stage map's `<service>/<stage>` targets; `model/stage-map.ts` should use this one).
 */
export const SERVICE_NAME_RE = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$/;

export function isErrorType(value: string): boolean {
  return KNOWN_ERROR_TYPES.includes(value);
}

/** An error type as reports show it: a known one as it is, anything else `unknown`. */
export function knownErrorType(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return isErrorType(value) ? value : 'unknown';
}

export function isServiceName(value: string): boolean {
  return SERVICE_NAME_RE.test(value);
}

/** Bounded and on one line, for a message that quotes a refused value. */
function shown(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const oneLine = value.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ');
  return JSON.stringify(oneLine.length > 40 ? `${oneLine.slice(0, 39)}…` : oneLine);
}

/**
 * Why a reported label value is refused, or undefined when it is fine. Only `error_type` and
 * `service` are checked; `where` names the file and line (`DEPLOY_METRICS_FILE /tmp/x line 3`).
 */
export function reportedLabelProblem(where: string, label: string, value: string): string | undefined {
  if (label === 'error_type' && !isErrorType(value))
    return `${where}: error_type ${shown(value)} is not one of ${KNOWN_ERROR_TYPES.join(', ')}; line skipped`;
  if (label === 'service' && !isServiceName(value))
    return `${where}: service ${shown(value)} is not a service name (letters, digits, _ . - and not starting with . or -, as in the stage map); line skipped`;
  return undefined;
}
