/**
 * Every hook runs through here: inputs are read once, secrets masked before
 * anything is printed, and any thrown value (Error or not) becomes a warning —
 * or, with `fail-on-error: true`, a failed step. Telemetry never breaks a
 * deployment unless the user asks it to.
 */
import { readConfig, type Config } from '../config/inputs.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { ActionIO } from './io.js';

export type HookName = 'pre' | 'main' | 'post';

/** Collects telemetry problems: each is a warning now, and fails the step at the end with fail-on-error. */
export class Problems {
  readonly list: string[] = [];
  constructor(private readonly io: ActionIO) {}
  report(message: string): void {
    this.list.push(message);
    this.io.warning(message);
  }
}

export interface HookContext {
  readonly config: Config;
  readonly io: ActionIO;
  readonly clock: Clock;
  readonly env: NodeJS.ProcessEnv;
  readonly problems: Problems;
}

export type HookBody = (ctx: HookContext) => Promise<void>;

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return typeof error === 'string' ? error : JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/** Runs one hook; never rejects. */
export async function runHook(
  name: HookName,
  body: HookBody,
  io: ActionIO,
  env: NodeJS.ProcessEnv = process.env,
  clock: Clock = systemClock,
): Promise<void> {
  let failOnError = false;
  const problems = new Problems(io);
  try {
    const { config, problems: inputProblems } = readConfig((n) => io.getInput(n), env);
    failOnError = config.failOnError;
    for (const secret of config.secrets) io.setSecret(secret);
    for (const p of inputProblems) problems.report(p);
    await body({ config, io, clock, env, problems });
  } catch (error) {
    problems.report(`deployment-observability ${name}: ${messageOf(error)}`);
  }
  if (failOnError && problems.list.length > 0) {
    io.setFailed(
      `deployment-observability ${name}: ${problems.list.length} telemetry problem(s) and fail-on-error is true. First: ${problems.list[0]}`,
    );
  }
}
