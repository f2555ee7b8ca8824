/**
 * Generic lifecycle for a real Prometheus-family binary: start on a free
 * loopback port, wait for `/-/ready`, log to a file, stop by PID, restart on
 * the same port. Every child is tracked and killed if the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './util.js';

/** A running service. */
export interface Service {
  /** Base URL, `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** PID of the current process (changes on restart). */
  readonly pid: number;
  /** The service's temp directory (config, data, log). */
  readonly dataDir: string;
  readonly logFile: string;
  /** SIGTERM by PID, wait (bounded) for the exit, then SIGKILL. Idempotent. */
  stop(): Promise<void>;
  /** Stop, then start again on the same port with the same data directory. */
  restart(): Promise<void>;
  /** The last lines of the log, for failure messages. */
  logTail(lines?: number): string;
}

/** How to run one kind of service. */
export interface ServiceDefinition {
  /** Human name for messages. */
  name: string;
  /** Binary names to look for on PATH, in order (Debian's name first). */
  binaries: string[];
  /** The Debian package that provides it. */
  debianPackage: string;
  /** Command-line arguments for a given port. */
  args: (port: number, dataDir: string) => string[];
  /** Startup bound (default 30000 ms). */
  readyTimeoutMs?: number;
}

const live = new Map<number, ChildProcess>();
let hookInstalled = false;

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL whatever is still running so
  // a crashed or interrupted test run leaves no orphan servers behind.
  process.on('exit', () => {
    for (const pid of live.keys()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

/** Finds the first of `names` on PATH (and the usual system dirs). */
export function findBinary(names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin', '/usr/sbin'];
  for (const name of names) {
    for (const dir of dirs) {
      if (!dir) continue;
      const p = path.join(dir, name);
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // Not here.
      }
    }
  }
  return undefined;
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

class RunningService implements Service {
  child!: ChildProcess;
  port!: number;

  constructor(
    private readonly def: ServiceDefinition,
    private readonly binary: string,
    readonly dataDir: string,
    readonly logFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  logTail(lines?: number): string {
    return tail(this.logFile, lines);
  }

  /** Spawns on `port` and waits for readiness; rejects with the log tail if it exits or never gets ready. */
  async launch(port: number): Promise<void> {
    this.port = port;
    const fd = openSync(this.logFile, 'a');
    try {
      this.child = spawn(this.binary, this.def.args(port, this.dataDir), {
        cwd: this.dataDir,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd); // The child has its own copy.
    }
    const child = this.child;
    if (child.pid !== undefined) live.set(child.pid, child);
    const poll = new AbortController();
    // Fail fast when the process dies (bad flag, port taken) instead of polling until the bound.
    const died = new Promise<never>((_resolve, reject) => {
      child.once('error', (err) =>
        reject(new Error(`${this.def.name}: could not start ${this.binary}: ${err.message}`)),
      );
      child.once('exit', (code, signal) => {
        if (child.pid !== undefined) live.delete(child.pid);
        reject(new Error(`${this.def.name} exited with ${code ?? signal} before it was ready`));
      });
    });
    died.catch(() => undefined);
    const readyUrl = `${this.url}/-/ready`;
    try {
      await Promise.race([
        died,
        waitFor(
          async () => {
            const res = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) });
            return res.ok;
          },
          {
            timeoutMs: this.def.readyTimeoutMs ?? 30_000,
            description: `${this.def.name} ready at ${readyUrl}`,
            signal: poll.signal,
          },
        ),
      ]);
    } catch (err) {
      await this.stop();
      throw new Error(
        `${(err as Error).message}\n--- ${this.def.name} log (${this.logFile}) ---\n${this.logTail()}`,
      );
    } finally {
      poll.abort();
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || exited(child)) return;
    try {
      child.kill('SIGTERM');
    } catch {
      // Already gone.
    }
    if (!(await waitExit(child, 10_000))) {
      child.kill('SIGKILL');
      await waitExit(child, 5_000);
    }
    if (child.pid !== undefined) live.delete(child.pid);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch(this.port);
  }
}

/**
 * Starts a service on a free loopback port and waits until `/-/ready`
 * answers. Throws, naming the Debian package to install, when the binary is
 * missing; retries on a new port if the chosen one was taken meanwhile.
 */
export async function startService(
  def: ServiceDefinition,
  opts: { dataDir?: string; port?: number; ownsDataDir?: boolean } = {},
): Promise<Service> {
  installExitHook();
  const binary = findBinary(def.binaries);
  if (!binary) {
    throw new Error(
      `${def.name} is not installed (looked for ${def.binaries.join(', ')} on PATH). Install it with: apt-get install -y ${def.debianPackage}  (or run scripts/setup-test-deps.sh)`,
    );
  }
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), `svc-${def.binaries[0]}-`)));
  // A failed start leaves nothing behind (the error carries the log tail).
  const owned = opts.dataDir === undefined || opts.ownsDataDir === true;
  const svc = new RunningService(def, binary, dataDir, path.join(dataDir, `${def.binaries[0]}.log`));
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      await svc.launch(port);
      return svc;
    } catch (err) {
      const inUse = /address already in use/.test((err as Error).message);
      if (!inUse || opts.port !== undefined || attempt >= 5) {
        if (owned) await rm(dataDir, { recursive: true, force: true });
        throw err;
      }
      // Someone took the port between freePort() and the bind: try another.
    }
  }
}
