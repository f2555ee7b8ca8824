/**
 * The runner's protocol as the bundles write it (src/hooks/runner-io.ts) against `@actions/core`,
 * the reference: for the same calls, on hostile values, both must leave the same bytes on stdout
 * and in the file-command files (the random delimiters aside), and fail the same way when the
 * runner gave no file.
 */
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import * as core from '@actions/core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { coreIO, rawCoreIO } from '../../src/hooks/core-io.js';
import type { ActionIO } from '../../src/hooks/io.js';
import { rawRunnerIO, runnerIO } from '../../src/hooks/runner-io.js';
import type { AnnotationProperties } from '../../src/util/logger.js';

/** What @actions/core does for each ActionIO call, unwrapped (no safeIO), as the reference. */
const reference: ActionIO = {
  ...rawCoreIO,
  appendSummary: async (markdown) => {
    // The module keeps the summary file's path from its first write, for the whole process (a real
    // step has one), and a failed write keeps its buffer; each case here offers its own file.
    (core.summary as unknown as { _filePath?: string })._filePath = undefined;
    core.summary.emptyBuffer();
    await rawCoreIO.appendSummary(markdown);
  },
};

const HOSTILE = [
  'plain',
  '',
  'two\nlines',
  'crlf\r\nend',
  '100% done',
  '%0A already escaped',
  '::warning::injected',
  'a: b, c',
  'ünïcödé ✓ 🚀',
  'ghadelimiter_not-the-real-one',
  'trailing newline\n',
];

const FILE_KINDS = ['OUTPUT', 'STATE', 'ENV', 'STEP_SUMMARY'] as const;
const SAVED_ENV = { ...process.env };
let dir: string;
let stdout: string[];
let restoreExitCode: typeof process.exitCode;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'runner-io-'));
  stdout = [];
  restoreExitCode = process.exitCode;
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array): boolean => {
    stdout.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
  process.exitCode = restoreExitCode;
  for (const key of Object.keys(process.env)) if (!(key in SAVED_ENV)) delete process.env[key];
  Object.assign(process.env, SAVED_ENV);
  rmSync(dir, { recursive: true, force: true });
});

/** Fresh, empty file-command files for one side (or none: the runner gave no files). */
function giveFiles(side: string, withFiles: boolean): void {
  for (const kind of FILE_KINDS) {
    const file = path.join(dir, `${side}-${kind}`);
    if (withFiles) {
      writeFileSync(file, '');
      process.env[`GITHUB_${kind}`] = file;
    } else {
      delete process.env[`GITHUB_${kind}`];
    }
  }
}

interface Effects {
  stdout: string;
  files: Record<string, string>;
  thrown: string | undefined;
  exitCode: typeof process.exitCode;
  env: Record<string, string | undefined>;
}

const normalize = (s: string): string => s.replace(/ghadelimiter_[0-9a-f-]{36}/g, 'ghadelimiter_<uuid>');

/** Runs `act` against one implementation and records everything it left behind. */
async function effectsOf(
  side: string,
  io: ActionIO,
  withFiles: boolean,
  act: (io: ActionIO) => unknown,
): Promise<Effects> {
  giveFiles(side, withFiles);
  stdout.length = 0;
  process.exitCode = undefined;
  let thrown: string | undefined;
  try {
    await act(io);
  } catch (error) {
    thrown = (error as Error).message.replace(path.join(dir, side), '<file>');
  }
  const files: Record<string, string> = {};
  if (withFiles) {
    for (const kind of FILE_KINDS)
      files[kind] = normalize(readFileSync(path.join(dir, `${side}-${kind}`), 'utf8'));
  }
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  return {
    stdout: normalize(stdout.join('')),
    files,
    thrown,
    exitCode,
    env: { X_EXPORTED: process.env['X_EXPORTED'] },
  };
}

async function expectSame(act: (io: ActionIO) => unknown, withFiles: boolean): Promise<Effects> {
  const ours = await effectsOf('ours', rawRunnerIO, withFiles, act);
  delete process.env['X_EXPORTED'];
  const theirs = await effectsOf('core', reference, withFiles, act);
  delete process.env['X_EXPORTED'];
  expect(ours).toEqual(theirs);
  return ours;
}

const PROPERTIES: (AnnotationProperties | undefined)[] = [
  undefined,
  {},
  { title: '' },
  { title: 'Deploy: api, eu' },
  { title: 'x', file: 'src/a,b.ts', startLine: 12 },
  { file: 'only-file.ts' },
];

describe.each([true, false])('with the runner giving file-command files: %s', (withFiles) => {
  test.each(HOSTILE)('output, state and env of %j leave the same bytes', async (value) => {
    const effects = await expectSame((io) => {
      io.setOutput('status', value);
      io.saveState('deployment-id', value);
      io.exportVariable('X_EXPORTED', value);
    }, withFiles);
    // Not vacuous: the value reached the runner one way or the other.
    const written = withFiles ? effects.files['OUTPUT'] : effects.stdout;
    expect(written).toContain(withFiles ? 'status<<ghadelimiter_<uuid>' : '::set-output name=status::');
    expect(effects.env['X_EXPORTED']).toBe(value);
  });

  test.each(HOSTILE)('log lines, masks and the failure of %j leave the same bytes', async (value) => {
    const effects = await expectSame((io) => {
      io.info(value);
      io.debug(value);
      io.setSecret(value);
      io.setFailed(value);
    }, withFiles);
    expect(effects.exitCode).toBe(1);
    expect(effects.stdout.match(/^::(debug|add-mask|error)::/gm)).toHaveLength(3);
  });

  test.each(PROPERTIES)('annotations with properties %j leave the same bytes', async (properties) => {
    const effects = await expectSame((io) => {
      for (const value of HOSTILE) {
        io.warning(value, properties);
        io.error(value, properties);
        io.notice(value, properties);
      }
    }, withFiles);
    expect(effects.stdout.match(/^::warning/gm)).toHaveLength(HOSTILE.length);
  });
});

describe('the step summary', () => {
  test('appended Markdown is the same bytes, twice in a row', async () => {
    const effects = await expectSame(async (io) => {
      await io.appendSummary('## Deployment\n\n| a | b |\n| - | - |\n| 1 | 2 |');
      await io.appendSummary('second %0A block');
    }, true);
    expect(effects.files['STEP_SUMMARY']).toContain('second %0A block');
  });

  test('with no summary file offered, both refuse with the same message', async () => {
    const effects = await expectSame((io) => io.appendSummary('x'), false);
    expect(effects.thrown).toMatch(/GITHUB_STEP_SUMMARY/);
  });

  test('a summary file that cannot be written is refused the same way', async () => {
    const effects = await expectSame((io) => {
      process.env['GITHUB_STEP_SUMMARY'] = path.join(dir, 'missing', 'summary.md');
      return io.appendSummary('x');
    }, true);
    expect(effects.thrown).toMatch(/Unable to access summary file/);
  });
});

describe('file commands the runner announced but did not create', () => {
  test('a missing output file is refused the same way', async () => {
    const effects = await expectSame((io) => {
      process.env['GITHUB_OUTPUT'] = path.join(dir, 'gone');
      io.setOutput('status', 'ok');
    }, true);
    expect(effects.thrown).toMatch(/^Missing file at path/);
  });
});

describe('inputs and state', () => {
  test('are read from the same variables, trimmed the same way', async () => {
    process.env['INPUT_PUSHGATEWAY-URL'] = '  http://pg:9091 \n';
    process.env['INPUT_SOME_NAME'] = 'spaced';
    process.env['STATE_deployment-id'] = ' kept as is ';
    for (const io of [rawRunnerIO, reference]) {
      expect(io.getInput('pushgateway-url')).toBe('http://pg:9091');
      expect(io.getInput('some name')).toBe('spaced');
      expect(io.getInput('absent')).toBe('');
      expect(io.getState('deployment-id')).toBe(' kept as is ');
      expect(io.getState('absent')).toBe('');
    }
  });
});

describe('the wrapped forms the hooks use', () => {
  test('runnerIO and coreIO both keep a workflow command out of an output and a warning', async () => {
    for (const io of [runnerIO, coreIO]) {
      giveFiles(io === runnerIO ? 'ours' : 'core', true);
      stdout.length = 0;
      io.warning('first\n::error::second');
      io.setOutput('status', 'x\n::set-env name=A::b');
      expect(stdout.join('')).not.toMatch(/^::error::/m);
      const output = readFileSync(process.env['GITHUB_OUTPUT'] as string, 'utf8');
      expect(output).not.toMatch(/^::set-env/m);
    }
  });
});
