/**
 * File commands (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE, GITHUB_STEP_SUMMARY,
 * GITHUB_PATH): the runner creates fresh, empty files for every step under
 * `$RUNNER_TEMP/_runner_file_commands/<prefix><uuid>` and reads them back when
 * the step's process has exited (actions/runner FileCommandManager).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The per-process file paths, keyed by the environment variable that names them. */
export interface FileCommandPaths {
  GITHUB_OUTPUT: string;
  GITHUB_ENV: string;
  GITHUB_STATE: string;
  GITHUB_STEP_SUMMARY: string;
  GITHUB_PATH: string;
}

/** Runner file prefixes (FileCommandManager's FilePrefix of each extension). */
const PREFIXES: Record<keyof FileCommandPaths, string> = {
  GITHUB_OUTPUT: 'set_output_',
  GITHUB_ENV: 'set_env_',
  GITHUB_STATE: 'save_state_',
  GITHUB_STEP_SUMMARY: 'step_summary_',
  GITHUB_PATH: 'add_path_',
};

/**
 * Creates the empty files for one process. They must exist: @actions/core
 * refuses to append to a missing file ("Missing file at path").
 */
export async function createFileCommandFiles(runnerTemp: string): Promise<FileCommandPaths> {
  const dir = path.join(runnerTemp, '_runner_file_commands');
  await mkdir(dir, { recursive: true });
  const suffix = randomUUID();
  const out = {} as FileCommandPaths;
  for (const [name, prefix] of Object.entries(PREFIXES) as [keyof FileCommandPaths, string][]) {
    const file = path.join(dir, prefix + suffix);
    await writeFile(file, '');
    out[name] = file;
  }
  return out;
}

/** Reads one line the way the runner does on Linux: split on LF only. */
function readLine(text: string, index: number): { line: string; next: number; newline: string } | null {
  if (index >= text.length) return null;
  const lf = text.indexOf('\n', index);
  if (lf < 0) return { line: text.slice(index), next: text.length, newline: '' };
  return { line: text.slice(index, lf), next: lf + 1, newline: '\n' };
}

/**
 * Parses `NAME=VALUE` and `NAME<<DELIM … DELIM` entries exactly as the
 * runner's SetEnvFileCommand does (also used for outputs and state). Throws —
 * which fails the step — on a heredoc without its closing delimiter or an
 * entry that is neither form.
 */
export function parseKeyValueFile(text: string): [string, string][] {
  const entries: [string, string][] = [];
  let index = 0;
  let cur = readLine(text, index);
  while (cur !== null) {
    index = cur.next;
    const line = cur.line;
    if (line !== '') {
      const eq = line.indexOf('=');
      const heredoc = line.indexOf('<<');
      if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
        const name = line.slice(0, eq);
        if (name === '') throw new Error(`Invalid format '${line}'. Name must not be empty`);
        entries.push([name, line.slice(eq + 1)]);
      } else if (heredoc >= 0 && (eq < 0 || heredoc < eq)) {
        const name = line.slice(0, heredoc);
        const delimiter = line.slice(heredoc + 2);
        if (name === '' || delimiter === '') {
          throw new Error(`Invalid format '${line}'. Name must not be empty and delimiter must not be empty`);
        }
        const start = index;
        let end = index;
        let inner = readLine(text, index);
        while (inner === null || inner.line !== delimiter) {
          if (inner === null) throw new Error(`Invalid value. Matching delimiter not found '${delimiter}'`);
          index = inner.next;
          end = index - inner.newline.length;
          inner = readLine(text, index);
        }
        index = inner.next;
        entries.push([name, end > start ? text.slice(start, end) : '']);
      } else {
        throw new Error(`Invalid format '${line}'`);
      }
    }
    cur = readLine(text, index);
  }
  return entries;
}

/** GITHUB_PATH: one directory a line, empty lines ignored. */
export function parsePathFile(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** What the runner took from one process's file commands. */
export interface FileCommandResult {
  outputs: Record<string, string>;
  env: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  summaryBytes: number;
  paths: string[];
  /** One message per file command the runner could not process (each fails the step). */
  errors: string[];
}

/** Reads and parses every file command file of one process. */
export async function readFileCommands(paths: FileCommandPaths): Promise<FileCommandResult> {
  const result: FileCommandResult = {
    outputs: {},
    env: {},
    state: {},
    summary: '',
    summaryBytes: 0,
    paths: [],
    errors: [],
  };
  const read = async (file: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch {
      return ''; // A deleted file is "does not exist": a debug message, not an error, in the runner.
    }
  };
  const kv: [keyof FileCommandPaths, 'outputs' | 'env' | 'state', string][] = [
    ['GITHUB_OUTPUT', 'outputs', 'output'],
    ['GITHUB_ENV', 'env', 'env'],
    ['GITHUB_STATE', 'state', 'state'],
  ];
  for (const [envName, key, contextName] of kv) {
    try {
      for (const [k, v] of parseKeyValueFile(await read(paths[envName]))) result[key][k] = v;
    } catch (err) {
      // Runner: "Unable to process file command 'env' successfully." then the exception; step result Failed.
      result.errors.push(
        `Unable to process file command '${contextName}' successfully.`,
        (err as Error).message,
      );
    }
  }
  result.paths = parsePathFile(await read(paths.GITHUB_PATH));
  try {
    result.summaryBytes = (await stat(paths.GITHUB_STEP_SUMMARY)).size;
  } catch {
    result.summaryBytes = 0;
  }
  result.summary = await read(paths.GITHUB_STEP_SUMMARY);
  return result;
}
