/**
 * GitHub's @github/local-action imports an entry and calls its exported run(): the hooks export
 * one, which runs the phase without ending the process; the entry points stay one call to it.
 * The smoke test that runs the three phases under local-action itself (`npm run smoke:local-action`)
 * reads what local-action prints with the parsers checked here, and runs in CI.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { run as runMain } from '../../src/hooks/main.js';
import { run as runPost } from '../../src/hooks/post.js';
import { run as runPre } from '../../src/hooks/pre.js';
import { annotations, shownOutputs } from '../../scripts/local-action-smoke.js';

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

describe('the smoke test under local-action (scripts/local-action-smoke.ts)', () => {
  test('reads the outputs table and the annotations local-action prints', () => {
    const printed = [
      '::error title=Deployment failed at health_check (api)::Stage health_check (api) failed after 40s',
      '::warning title=Slow stage: health_check::health_check (api) took 40s, over its 30s threshold',
      '::warning::input stages, line 3 ("x"): expected "<step name> => <service>/<stage>"; rule skipped',
      '================================================================================',
      '                                 Action Outputs',
      '================================================================================',
      '┌─────────┬────────────────┬──────────────────┐',
      '│ (index) │ Output         │ Value            │',
      '├─────────┼────────────────┼──────────────────┤',
      "│ 0       │ 'status'       │ 'failure'        │",
      "│ 1       │ 'failed-stage' │ 'health_check'   │",
      "│ 2       │ 'stages-json'  │ '[{\"a\":\"it\\'s\"}]' │",
      '└─────────┴────────────────┴──────────────────┘',
    ].join('\n');
    expect(shownOutputs(printed)).toEqual({
      status: 'failure',
      'failed-stage': 'health_check',
      'stages-json': '[{"a":"it\'s"}]',
    });
    expect(annotations(printed)).toEqual([
      'error: Deployment failed at health_check (api)',
      'warning: Slow stage: health_check',
      'warning: (no title)',
    ]);
  });

  test('runs in CI: an npm script, a step of .ci/run and of the CI workflow', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['smoke:local-action']).toBe('tsx scripts/local-action-smoke.ts');
    expect(readFileSync('.ci/run', 'utf8')).toContain('npm run --silent smoke:local-action');
    expect(readFileSync('.github/workflows/ci.yml', 'utf8')).toContain('run: npm run smoke:local-action');
  });
});
