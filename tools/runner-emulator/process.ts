/**
 * Runs one step process in its own process group with a hard timeout, feeding
 * stdout/stderr lines to a callback in arrival order (the runner's
 * OutputManager sees both streams line by line).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** Process groups still alive, killed if the emulating process exits early. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Never leave step processes behind when a test process ends mid-job.
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid);
  });
}

/** SIGKILL a whole process group; ESRCH (already gone) is fine. */
export function killGroup(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Result of one process. */
export interface ProcessOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
  /** Process group id (= pid), to clean up orphans at "Complete job". */
  pgid: number | undefined;
}

/** Options for {@link runProcess}. */
export interface RunProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}

/** Exit code reported for a process killed by the emulator's timeout (as coreutils `timeout`). */
export const TIMEOUT_EXIT_CODE = 124;

/**
 * Spawns `command args` detached (its own process group, so a hang is killed
 * with everything it started) and resolves when its output streams close or
 * the timeout fires. Never rejects: spawn errors become exit code 127.
 */
export function runProcess(opts: RunProcessOptions): Promise<ProcessOutcome> {
  installExitHook();
  const started = performance.now();
  return new Promise<ProcessOutcome>((resolve) => {
    let stdout = '';
    let stderr = '';
    const partial = { stdout: '', stderr: '' };
    let timedOut = false;
    let exitCode: number | null = null;
    let settled = false;

    const child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pgid = child.pid;
    if (pgid !== undefined) liveGroups.add(pgid);

    const feed = (stream: 'stdout' | 'stderr', chunk: string): void => {
      if (stream === 'stdout') stdout += chunk;
      else stderr += chunk;
      const text = partial[stream] + chunk;
      const lines = text.split('\n');
      partial[stream] = lines.pop() ?? '';
      for (const l of lines) opts.onLine(stream, l.endsWith('\r') ? l.slice(0, -1) : l);
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => feed('stdout', c));
    child.stderr.on('data', (c: string) => feed('stderr', c));

    const finish = (code: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const s of ['stdout', 'stderr'] as const) {
        if (partial[s] !== '') opts.onLine(s, partial[s]);
        partial[s] = '';
      }
      // The step's direct process is done; its group stays registered until
      // "Complete job" so orphans it left are killed like the runner does.
      resolve({ exitCode: code, stdout, stderr, timedOut, durationMs: performance.now() - started, pgid });
    };

    const timer = setTimeout(() => {
      timedOut = true;
      if (pgid !== undefined) killGroup(pgid);
      const msg = `[runner-emulator] process did not finish within ${opts.timeoutMs} ms: killed its process group with SIGKILL (exit ${TIMEOUT_EXIT_CODE})`;
      feed('stderr', `\n${msg}\n`);
      child.stdout.destroy();
      child.stderr.destroy();
      // An orphan that kept our pipes open after the main process exited still counts as a hang.
      finish(TIMEOUT_EXIT_CODE);
    }, opts.timeoutMs);

    child.on('error', (err) => {
      feed('stderr', `[runner-emulator] could not start ${opts.command}: ${err.message}\n`);
      finish(127);
    });
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? 128 + signalNumber(signal) : 1);
    });
    // 'close' fires once the process exited and both pipes are drained.
    child.on('close', (code, signal) => {
      finish(exitCode ?? code ?? (signal ? 128 + signalNumber(signal) : 1));
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}

/** Kills the given groups (orphans of finished steps) and forgets them. */
export function cleanupGroups(pgids: Iterable<number>): void {
  for (const pgid of pgids) {
    killGroup(pgid);
    liveGroups.delete(pgid);
  }
}
