/**
 * Every hook runs through here: inputs are read once, secrets masked before
 * anything is printed, and any thrown value (Error or not) becomes a warning —
 * or, with `fail-on-error: true`, a failed step. Telemetry never breaks a
 * deployment unless the user asks it to. Every text the hook gives the runner
 * goes through `safeIO` (one line, no workflow command, URLs redacted).
 */
import { readConfig, unknownModeProblem, type Config } from '../config/inputs.js';
import { Inputs } from '../config/constants.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { SpawnLike } from '../live/control.js';
import { safeLogText } from '../util/safe-text.js';
import { configureProxy } from '../util/proxy.js';
import { safeIO, type ActionIO } from './io.js';

export type HookName = 'pre' | 'main' | 'post';

/**
 * `io`, or when none is given `@actions/core` (`core-io.ts`), imported only then: a hook's `run()`
 * called with no argument is `@github/local-action` running it, which stubs that module. The entry
 * points pass `runnerIO`, so the bundles never load it.
 */
export async function ioOrCore(io: ActionIO | undefined): Promise<ActionIO> {
  return io ?? (await import('./core-io.js')).coreIO;
}

const INPUTS_CHECKED_STATE = 'inputs-checked';
const DEFERRED_STATE = 'deferred-problems';

/** Collects telemetry problems: each is a warning now, and fails the step at the end with fail-on-error. */
export class Problems {
  readonly list: string[] = [];
  constructor(private readonly io: ActionIO) {}
  report(message: string): void {
    // Kept as the runner will show it: the list also feeds the summary's notes and setFailed.
    const safe = safeLogText(message);
    this.list.push(safe);
    this.io.warning(safe);
  }
}

/** A Logger whose warnings are telemetry problems (so fail-on-error counts them). */
export function problemLogger(io: ActionIO, problems: Problems): Logger {
  return {
    info: (m) => io.info(m),
    debug: (m) => io.debug(m),
    warning: (m) => problems.report(m),
    error: (m, p) => io.error(m, p),
    notice: (m, p) => io.notice(m, p),
  };
}

export interface HookContext {
  readonly config: Config;
  readonly io: ActionIO;
  readonly clock: Clock;
  readonly env: NodeJS.ProcessEnv;
  readonly problems: Problems;
  /** The live reporter's bundle (default: dist/live beside the running hook's bundle). */
  readonly liveScript?: string;
  /** How the live reporter is spawned (tests pass their own). */
  readonly spawn?: SpawnLike;
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
  rawIO: ActionIO,
  env: NodeJS.ProcessEnv = process.env,
  clock: Clock = systemClock,
  edges: Pick<HookContext, 'liveScript' | 'spawn'> = {},
): Promise<void> {
  const io = safeIO(rawIO);
  let failOnError = false;
  let trackMode = true;
  const problems = new Problems(io);
  try {
    const { config, problems: inputProblems } = readConfig((n) => io.getInput(n), env);
    failOnError = config.failOnError;
    trackMode = config.mode === 'track';
    for (const secret of config.secrets) io.setSecret(secret);
    await useProxy(env, io, problems);
    if (config.mode === undefined) {
      // A typo (`mode: sumary`) must not record a fake deployment in track mode: nothing is done,
      // and every phase says so (and fails with fail-on-error: nothing was tracked to protect).
      problems.report(unknownModeProblem(io.getInput(Inputs.Mode)));
    } else {
      // Inputs are read in every phase; their problems are said once per instance, not three
      // times: track mode's in pre (or main when pre did not run), the other modes' in main, the
      // step where they do their work.
      if (config.mode !== 'track') {
        if (name === 'main') for (const p of inputProblems) problems.report(p);
      } else if (io.getState(INPUTS_CHECKED_STATE) !== '1') {
        for (const p of inputProblems) problems.report(p);
        if (name !== 'post') io.saveState(INPUTS_CHECKED_STATE, '1');
      }
      await body({ config, io, clock, env, problems, ...edges });
    }
  } catch (error) {
    problems.report(`deployment-observability ${name}: ${messageOf(error)}`);
  }
  if (!failOnError) return;
  // Track mode's pre (and main for a local action) run before the deployment: failing
  // them would stop the deployment itself. Their problems wait for post, which fails.
  const deferred = readDeferred(io);
  if (name !== 'post' && trackMode) {
    if (problems.list.length > 0) {
      io.saveState(DEFERRED_STATE, JSON.stringify([...deferred, ...problems.list].slice(0, 20)));
      io.info('fail-on-error is true: these problems will fail the post step, after the deployment has run.');
    }
    return;
  }
  const all = name === 'post' ? [...deferred, ...problems.list] : problems.list;
  if (all.length > 0) {
    io.setFailed(
      `deployment-observability ${name}: ${all.length} telemetry problem(s) and fail-on-error is true. First: ${all[0]}`,
    );
  }
}

/** HTTP(S)_PROXY set: every request goes through it (util/proxy.ts); undici is loaded only then. */
async function useProxy(env: NodeJS.ProcessEnv, io: ActionIO, problems: Problems): Promise<void> {
  try {
    const proxies = await configureProxy(env);
    if (proxies)
      io.debug(`Requests go through the proxy ${proxies} (NO_PROXY: ${env.no_proxy ?? env.NO_PROXY ?? ''})`);
  } catch (error) {
    problems.report(
      `HTTP_PROXY/HTTPS_PROXY is set but the proxy support could not be loaded: ${messageOf(error)}`,
    );
  }
}

function readDeferred(io: ActionIO): string[] {
  try {
    const parsed = JSON.parse(io.getState(DEFERRED_STATE) || '[]') as unknown;
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}
