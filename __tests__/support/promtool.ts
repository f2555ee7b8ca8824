/**
 * promtool and amtool for the rule tests (rules.e2e and remote-write-rules.e2e): found on PATH
 * (Debian's `prometheus` and `prometheus-alertmanager`, installed by scripts/setup-test-deps.sh),
 * run with their output kept, and `promtool test rules` over many files at once.
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { findBinary } from '../../tools/services/index.js';
import { REPO_ROOT } from '../rule-files.js';

export interface CommandResult {
  readonly command: string;
  readonly code: number;
  readonly output: string;
}

/** The binary's path; throws saying which Debian package to install when it is missing. */
export function tool(name: string, debianPackage: string): string {
  const binary = findBinary([name]);
  if (!binary) {
    throw new Error(
      `${name} is not installed: apt-get install -y ${debianPackage} (or run scripts/setup-test-deps.sh)`,
    );
  }
  return binary;
}

export const promtool = (): string => tool('promtool', 'prometheus');
export const amtool = (): string => tool('amtool', 'prometheus-alertmanager');

/** Runs a command in the repository; resolves with its exit code and its stdout and stderr together. */
export function run(binary: string, args: readonly string[]): Promise<CommandResult> {
  const command = [path.basename(binary), ...args.map((a) => path.relative(REPO_ROOT, a) || a)].join(' ');
  return new Promise((resolve) => {
    execFile(binary, args, { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ command, code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** Throws with the command and everything it printed unless it exited 0; else its output. */
export function expectSuccess(result: CommandResult): string {
  if (result.code !== 0) {
    throw new Error(`\`${result.command}\` exited with ${result.code}:\n${result.output}`);
  }
  return result.output;
}

/** Runs `task` over `items`, at most one per core at a time; results in the order of `items`. */
async function inParallel<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(availableParallelism(), items.length)) }, worker),
  );
  return results;
}

/**
 * `promtool test rules` on every file, one promtool per file and as many at once as there are cores
 * (more only make each slower). Throws naming every failing file with its output; else the outputs.
 * About 60 s for the shipped tests on an idle 2-core machine, over 300 s with a second copy of the
 * suite beside it: promtool is CPU-bound, so callers bound it with {@link PROMTOOL_TEST_TIMEOUT_MS}.
 */
export async function promtoolTestRules(files: readonly string[]): Promise<string[]> {
  const results = await inParallel(files, (f) => run(promtool(), ['test', 'rules', f]));
  const failures = results.filter((r) => r.code !== 0);
  if (failures.length > 0) {
    throw new Error(failures.map((r) => `\`${r.command}\` exited with ${r.code}:\n${r.output}`).join('\n\n'));
  }
  return results.map((r) => r.output);
}

/** A loaded machine's bound for {@link promtoolTestRules}, not an idle one's. */
export const PROMTOOL_TEST_TIMEOUT_MS = 900_000;
