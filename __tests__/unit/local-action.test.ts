/**
 * GitHub's @github/local-action imports an entry and calls its exported run(): the hooks export
 * one, which runs the phase without ending the process; the entry points stay one call to it.
 */
import { readFileSync } from 'node:fs';
import { afterEach, expect, jest, test } from '@jest/globals';
import { run as runMain } from '../../src/hooks/main.js';
import { run as runPost } from '../../src/hooks/post.js';
import { run as runPre } from '../../src/hooks/pre.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  jest.restoreAllMocks();
});

test.each([
  ['pre', runPre],
  ['main', runMain],
  ['post', runPost],
])('%s: run() does the phase and returns, without process.exit', async (name, run) => {
  process.env = { ...saved, INPUT_MODE: 'no-such-mode', GITHUB_STATE: '', GITHUB_OUTPUT: '' };
  const exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  await expect(run()).resolves.toBeUndefined();
  expect(exit).not.toHaveBeenCalled();
  // An unknown mode: the phase says it does nothing (through @actions/core, which local-action stubs).
  expect(out.mock.calls.map((c) => String(c[0])).join('')).toContain('no-such-mode');
  expect(readFileSync(`src/entrypoints/${name}.ts`, 'utf8')).toContain(
    `import { run } from '../hooks/${name}.js';`,
  );
});
