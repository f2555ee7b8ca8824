/**
 * Runs one step process in its own process group with a hard timeout, feeding
 * stdout/stderr lines to a callback in arrival order (the runner's
 * OutputManager sees both streams line by line), and finds the processes a
 * job left behind by their RUNNER_TRACKING_ID (the runner's orphan cleanup).
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import type { OrphanProcess } from './types.js';

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
  /**
   * The process exited but something it started still held its stdout/stderr
   * when the grace period ran out: the step ended without waiting for the pipes.
   */
  outputHeldByChild: boolean;
  /** How long the step waited for its pipes after the process exited, when they were held (else 0). */
  heldOutputMs: number;
  /**
   * Stops reading the pipes a child still holds (a no-op once they closed). Until then they are drained
   * and discarded, so the child's later writes are lost without it getting EPIPE: call at the job's end.
   */
  releaseOutput(): void;
}

/** Options for {@link runProcess}. */
export interface RunProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /**
   * After the process exits, how long to wait for its stdout/stderr to close (a child that inherited
   * them keeps them open) before the step ends anyway, as the runner does (5 s there).
   */
  outputGraceMs: number;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}

/** Exit code reported for a process killed by the emulator's timeout (as coreutils `timeout`). */
export const TIMEOUT_EXIT_CODE = 124;

/**
 * Spawns `command args` detached (its own process group, so a hang is killed
 * with everything it started) and resolves like the runner: once the process
 * exited and its output streams closed, or `outputGraceMs` after it exited when
 * a child it left behind still holds them, or when the timeout fires before it
 * exits. Never rejects: spawn errors become exit code 127.
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
    let exitedAt = 0;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;

    const child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pgid = child.pid;
    if (pgid !== undefined) liveGroups.add(pgid);

    const feed = (stream: 'stdout' | 'stderr', chunk: string): void => {
      // Once the step ended, what a child still writes is lost (as on GitHub).
      if (settled) return;
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

    const releaseOutput = (): void => {
      child.stdout.destroy();
      child.stderr.destroy();
    };

    const finish = (code: number, held = false): void => {
      if (settled) return;
      for (const s of ['stdout', 'stderr'] as const) {
        if (partial[s] !== '') opts.onLine(s, partial[s]);
        partial[s] = '';
      }
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      if (held) {
        // Keep draining (discarding) so the child's writes do not fail, but never hold the event loop.
        (child.stdout as unknown as { unref?: () => void }).unref?.();
        (child.stderr as unknown as { unref?: () => void }).unref?.();
      }
      // The step's direct process is done; its group stays registered until
      // "Complete job" so orphans it left are killed like the runner does.
      resolve({
        exitCode: code,
        stdout,
        stderr,
        timedOut,
        durationMs: performance.now() - started,
        pgid,
        outputHeldByChild: held,
        heldOutputMs: held ? performance.now() - exitedAt : 0,
        releaseOutput,
      });
    };

    const timer = setTimeout(() => {
      if (exitCode !== null) {
        // The process itself finished in time; only a child's pipes are left: end the step now.
        finish(exitCode, true);
        return;
      }
      timedOut = true;
      if (pgid !== undefined) killGroup(pgid);
      const msg = `[runner-emulator] process did not finish within ${opts.timeoutMs} ms: killed its process group with SIGKILL (exit ${TIMEOUT_EXIT_CODE})`;
      feed('stderr', `\n${msg}\n`);
      releaseOutput();
      finish(TIMEOUT_EXIT_CODE);
    }, opts.timeoutMs);

    child.on('error', (err) => {
      feed('stderr', `[runner-emulator] could not start ${opts.command}: ${err.message}\n`);
      finish(127);
    });
    child.on('exit', (code, signal) => {
      const exited = code ?? (signal ? 128 + signalNumber(signal) : 1);
      exitCode = exited;
      exitedAt = performance.now();
      if (settled) return;
      // The runner waits a few seconds for the output streams, then moves on without them.
      graceTimer = setTimeout(() => finish(exited, true), Math.max(0, opts.outputGraceMs));
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

async function readProc(pid: number, file: string): Promise<string | undefined> {
  try {
    return await readFile(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // gone, or not ours to read
  }
}

/**
 * Every live process on the machine whose environment (`/proc/<pid>/environ`) holds exactly
 * `RUNNER_TRACKING_ID=<trackingId>`, except this one: what the runner's "Cleaning up orphan
 * processes" looks for. Linux only (elsewhere: none).
 */
export async function findTrackedProcesses(trackingId: string): Promise<OrphanProcess[]> {
  if (process.platform !== 'linux') return [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const wanted = `RUNNER_TRACKING_ID=${trackingId}`;
  const found: OrphanProcess[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const environ = await readProc(pid, 'environ');
    if (environ === undefined || !environ.split('\0').includes(wanted)) continue;
    const cmdline = (await readProc(pid, 'cmdline')) ?? '';
    const command = cmdline
      .split('\0')
      .filter((a) => a !== '')
      .join(' ');
    const name = ((await readProc(pid, 'comm')) ?? '').trim() || (command.split(' ')[0] ?? '');
    found.push({ pid, command, name });
  }
  return found;
}

/** True once `pid` is gone or a zombie (dead, waiting to be reaped). */
async function isDead(pid: number): Promise<boolean> {
  const stat = await readProc(pid, 'stat');
  if (stat === undefined) return true;
  // "pid (comm) S …": the state follows the last ')' (comm may contain spaces and parentheses).
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}

/**
 * The runner's orphan cleanup: SIGKILLs every process carrying `RUNNER_TRACKING_ID=<trackingId>`
 * (see {@link findTrackedProcesses}) and waits (bounded) until they are dead. Returns what it killed.
 */
export async function killTrackedProcesses(trackingId: string, waitMs = 2000): Promise<OrphanProcess[]> {
  const found = await findTrackedProcesses(trackingId);
  const killed: OrphanProcess[] = [];
  for (const p of found) {
    try {
      process.kill(p.pid, 'SIGKILL');
      killed.push(p);
    } catch {
      // Exited meanwhile (or not ours to kill).
    }
  }
  const until = performance.now() + waitMs;
  for (const p of killed) {
    while (!(await isDead(p.pid)) && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  return killed;
}
