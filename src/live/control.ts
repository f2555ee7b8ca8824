/**
 * Starting and stopping the live reporter, a detached process of the
 * action's own `dist/live` bundle.
 *
 * Why detached with no stdio: the runner ends a step when its process exits,
 * but while a child still holds the step's stdout/stderr it waits up to 5 s
 * more and then drops what the child writes. So the reporter gets its own
 * process group and `stdio: 'ignore'`, and pre does not wait for it. It keeps
 * the step's environment, `RUNNER_TRACKING_ID` included: the runner kills
 * every process carrying that id when the job ends, so nothing outlives the
 * job even if post never runs.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Clock } from '../util/clock.js';
import type { LiveStatus } from './reporter.js';

/** The environment variable that hands the reporter what pre knows. */
export const LIVE_SETTINGS_ENV = 'DEPLOYMENT_OBSERVABILITY_LIVE';

/** What pre knows and the reporter needs (inputs it reads itself from INPUT_*). */
export interface LiveSettings {
  readonly deploymentId: string;
  readonly service: string;
  /** pre's start (ms). */
  readonly startedAt: number;
  /** DEPLOY_METRICS_FILE, when pre created it. */
  readonly reportFile: string | undefined;
  /** Where the reporter keeps its status for post. */
  readonly statusFile: string;
  /** The runner's process (pre's parent): the reporter stops when it is gone. */
  readonly runnerPid: number | undefined;
}

/** The reporter bundle beside the running hook's bundle: dist/<hook>/index.js → dist/live/index.js. */
export function liveScriptPath(hookScript: string | undefined = process.argv[1]): string | undefined {
  if (!hookScript) return undefined;
  const script = join(dirname(hookScript), '..', 'live', 'index.js');
  return existsSync(script) ? script : undefined;
}

export type SpawnLike = (
  command: string,
  args: readonly string[],
  options: SpawnOptions,
) => { pid?: number | undefined; unref(): void; on(event: 'error', listener: (e: Error) => void): unknown };

/** Starts the reporter detached and returns its pid; pre does not wait for it. */
export function launchLiveReporter(
  script: string,
  settings: LiveSettings,
  env: NodeJS.ProcessEnv,
  spawnImpl: SpawnLike = spawn,
): number | undefined {
  const child = spawnImpl(process.execPath, [script], {
    detached: true,
    stdio: 'ignore',
    env: { ...env, [LIVE_SETTINGS_ENV]: JSON.stringify(settings) },
  });
  // A spawn failure arrives as an event; post then finds no reporter and says so.
  child.on('error', () => undefined);
  child.unref();
  return child.pid;
}

/** The process's state letter from /proc (Linux), undefined elsewhere or when it is gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** Whether the process runs (a zombie, dead but not yet reaped, does not). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const state = procState(pid);
  return state !== 'Z' && state !== 'X';
}

/** Whether the pid is still our reporter (pids are reused): its command line names the live bundle. */
function isReporter(pid: number, script: string | undefined): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return existsSync('/proc/self') ? false : true;
  }
  return script ? cmdline.includes(script) : /live[\\/]index\.js/.test(cmdline);
}

/** Writes the status atomically (a reader never sees half a file). */
export function writeLiveStatus(file: string, status: LiveStatus): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(status));
  renameSync(tmp, file);
}

function readLiveStatus(file: string): LiveStatus | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LiveStatus;
  } catch {
    return undefined;
  }
}

export interface StopResult {
  readonly status: LiveStatus | undefined;
  /** How the reporter ended: it had stopped by itself, post stopped it, or it was not found. */
  readonly how: 'ended by itself' | 'stopped' | 'killed' | 'not running';
  readonly waitedMs: number;
}

/**
 * Stops the reporter before post reads the job, so no live push can land
 * after post's final one: SIGTERM (it saves its status and exits at once),
 * then SIGKILL if it is still there after `graceMs`. Bounded; never throws.
 */
export async function stopLiveReporter(
  pid: number,
  statusFile: string,
  script: string | undefined,
  clock: Clock,
  graceMs = 3000,
): Promise<StopResult> {
  const t0 = clock.now();
  const done = (how: StopResult['how']): StopResult => ({
    status: readLiveStatus(statusFile),
    how,
    waitedMs: clock.now() - t0,
  });
  if (!processAlive(pid) || !isReporter(pid, script)) {
    const status = readLiveStatus(statusFile);
    return { status, how: status?.stoppedBecause ? 'ended by itself' : 'not running', waitedMs: 0 };
  }
  const waitGone = async (ms: number): Promise<boolean> => {
    const until = clock.now() + ms;
    while (processAlive(pid)) {
      if (clock.now() >= until) return false;
      // Polling with a bound: it exits within milliseconds of the signal.
      await clock.sleep(20);
    }
    return true;
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return done('ended by itself');
  }
  if (await waitGone(graceMs)) return done('stopped');
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
  await waitGone(1000);
  return done('killed');
}
