/**
 * The runner's protocol, written directly: what the bundles in `dist/` talk to the runner with.
 *
 * The runner reads a step's inputs and saved state from `INPUT_<NAME>` and `STATE_<name>`, and
 * takes what a step sends back in two ways:
 * - file commands: `GITHUB_OUTPUT`, `GITHUB_STATE` and `GITHUB_ENV` receive `name<<delimiter`,
 *   the value, and the delimiter again (a fresh random delimiter each time, so no value can end
 *   the block early); `GITHUB_STEP_SUMMARY` receives Markdown appended as is;
 * - workflow commands on stdout: `::add-mask::value`, `::debug::…`, `::warning title=…::…`, with
 *   `%`, CR and LF escaped in the message and also `:` and `,` in a property.
 *
 * This is what `@actions/core` writes, byte for byte (`__tests__/unit/runner-io.test.ts` compares
 * the two on hostile values). We do not import `@actions/core` here: its module graph loads an
 * HTTP client, `https`, `tls` and `tunnel` for its OIDC helper, which we never call; that is
 * about 29 ms of every hook's start (docs/performance.md). `core-io.ts` still uses
 * `@actions/core`, for `@github/local-action`, which replaces that module with its own.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, promises as fsp, constants as fsConstants } from 'node:fs';
import { EOL } from 'node:os';
import type { AnnotationProperties } from '../util/logger.js';
import { safeIO, type ActionIO } from './io.js';

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * `::name key=value,…::message` on stdout. A property with no value is left out; the space after
 * the name comes with any property object that has keys, even if none has a value (`::warning ::…`),
 * as `@actions/core` writes it: the runner reads both forms.
 */
function command(
  name: string,
  properties: Record<string, string | number | undefined>,
  message: string,
): void {
  const props = Object.entries(properties)
    .filter(([, v]) => v !== undefined && v !== '' && v !== 0)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  const space = Object.keys(properties).length > 0 ? ' ' : '';
  process.stdout.write(`::${name}${space}${props}::${escapeData(message)}${EOL}`);
}

function annotationProperties(
  p: AnnotationProperties | undefined,
): Record<string, string | number | undefined> {
  return p === undefined || Object.keys(p).length === 0
    ? {}
    : { title: p.title, file: p.file, line: p.startLine };
}

/** `name<<delimiter`, the value, the delimiter: appended to the file `GITHUB_<kind>` names. */
function fileCommand(kind: 'OUTPUT' | 'STATE' | 'ENV', name: string, value: string): void {
  const file = process.env[`GITHUB_${kind}`];
  if (file === undefined || file === '')
    throw new Error(`Unable to find environment variable for file command ${kind}`);
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
  const delimiter = `ghadelimiter_${randomUUID()}`;
  if (name.includes(delimiter) || value.includes(delimiter)) {
    throw new Error(`Unexpected input: the ${kind} ${name} contains the delimiter "${delimiter}"`);
  }
  appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, { encoding: 'utf8' });
}

/** Whether the runner gave this step the file for `kind` (runners before 2.297 did not). */
function hasFile(kind: 'OUTPUT' | 'STATE' | 'ENV'): boolean {
  const file = process.env[`GITHUB_${kind}`];
  return file !== undefined && file !== '';
}

async function appendStepSummary(markdown: string): Promise<void> {
  const file = process.env['GITHUB_STEP_SUMMARY'];
  if (file === undefined || file === '') {
    throw new Error(
      'Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.',
    );
  }
  try {
    await fsp.access(file, fsConstants.R_OK | fsConstants.W_OK);
  } catch {
    throw new Error(
      `Unable to access summary file: '${file}'. Check if the file has correct read/write permissions.`,
    );
  }
  await fsp.appendFile(file, `${markdown}${EOL}`, { encoding: 'utf8' });
}

/** The unwrapped protocol (exported for the equivalence test); hooks use {@link runnerIO}. */
export const rawRunnerIO: ActionIO = {
  getInput: (name) => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim(),
  getState: (name) => process.env[`STATE_${name}`] ?? '',
  saveState: (name, value) => {
    if (hasFile('STATE')) fileCommand('STATE', name, value);
    else command('save-state', { name }, value);
  },
  setOutput: (name, value) => {
    if (hasFile('OUTPUT')) {
      fileCommand('OUTPUT', name, value);
      return;
    }
    process.stdout.write(EOL);
    command('set-output', { name }, value);
  },
  exportVariable: (name, value) => {
    process.env[name] = value;
    if (hasFile('ENV')) fileCommand('ENV', name, value);
    else command('set-env', { name }, value);
  },
  setSecret: (value) => command('add-mask', {}, value),
  setFailed: (message) => {
    process.exitCode = 1;
    command('error', {}, message);
  },
  info: (message) => process.stdout.write(`${message}${EOL}`),
  debug: (message) => command('debug', {}, message),
  warning: (message, properties) => command('warning', annotationProperties(properties), message),
  error: (message, properties) => command('error', annotationProperties(properties), message),
  notice: (message, properties) => command('notice', annotationProperties(properties), message),
  appendSummary: appendStepSummary,
};

/** The real runner, behind {@link safeIO}: what the entry points in `src/entrypoints/` pass. */
export const runnerIO: ActionIO = safeIO(rawRunnerIO);
