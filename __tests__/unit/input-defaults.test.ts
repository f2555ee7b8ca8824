/**
 * One input layer: every input and output of action.yml has its name in `config/constants.ts`, and
 * what the readers do with an empty input is what action.yml's default says. The runner passes the
 * default when a workflow leaves an input out, and an empty string when a workflow sets it to '';
 * both must give the same configuration, so a default changed in one place only fails here.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Inputs, Outputs } from '../../src/config/constants.js';
import { DEFAULT_THRESHOLDS, readConfig } from '../../src/config/inputs.js';
import { readSummaryInputs } from '../../src/config/summary-inputs.js';
import { readVerifyConfig } from '../../src/config/verify-inputs.js';

const manifest = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, unknown>;
};

/** Defaults the runner evaluates (`${{ … }}`): the readers' own fallbacks for them are tested elsewhere. */
const EXPRESSION = /\$\{\{/;
const defaults = Object.fromEntries(
  Object.entries(manifest.inputs).map(([name, spec]) => [name, String(spec.default ?? '')]),
);
const literalDefaults = Object.fromEntries(
  Object.entries(defaults).filter(([, value]) => !EXPRESSION.test(value)),
);

const ENV: NodeJS.ProcessEnv = {
  GITHUB_REPOSITORY: 'octo-org/octo-repo',
  GITHUB_RUN_ID: '9876543210',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_JOB: 'deploy-api',
  GITHUB_API_URL: 'https://api.github.com',
  RUNNER_TEMP: '/home/runner/work/_temp',
};

const empty = (): string => '';
const asDefaulted = (name: string): string => literalDefaults[name] ?? '';

describe('names', () => {
  test('every input of action.yml is in Inputs, and every Inputs name is in action.yml', () => {
    expect(Object.values(Inputs).sort()).toEqual(Object.keys(manifest.inputs).sort());
  });
  test('every output of action.yml is in Outputs, and every Outputs name is in action.yml', () => {
    expect(Object.values(Outputs).sort()).toEqual(Object.keys(manifest.outputs).sort());
  });
  test('the inputs whose default the runner evaluates are the expected ones', () => {
    expect(
      Object.keys(defaults)
        .filter((n) => EXPRESSION.test(defaults[n] ?? ''))
        .sort(),
    ).toEqual([Inputs.CheckRunId, Inputs.GitHubToken, Inputs.JobStatus, Inputs.RunId]);
  });
});

describe('an empty input means action.yml\u2019s default', () => {
  test.each(['track', 'summary', 'verify'])('the common configuration, mode %s', (mode) => {
    const withMode = (read: (n: string) => string) => (n: string) => (n === Inputs.Mode ? mode : read(n));
    const fromEmpty = readConfig(withMode(empty), ENV);
    const fromDefaults = readConfig(withMode(asDefaulted), ENV);
    expect(fromEmpty.problems).toEqual([]);
    expect(fromDefaults.problems).toEqual([]);
    expect(fromEmpty.config).toEqual(fromDefaults.config);
  });

  test('mode: empty is track, as action.yml says', () => {
    expect(defaults[Inputs.Mode]).toBe('track');
    expect(readConfig(empty, ENV).config.mode).toBe('track');
  });

  test('thresholds: action.yml\u2019s default lists exactly the stages and seconds the code defaults to', () => {
    // An entry of the input overrides the code's default for its stage and leaves the others, so a
    // stage added to or dropped from one list only would not show in the comparison above.
    const listed = Object.fromEntries(
      (defaults[Inputs.Thresholds] ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map((entry) => [entry.split('=')[0], Number(entry.split('=')[1])]),
    );
    expect(listed).toEqual(DEFAULT_THRESHOLDS);
  });

  test('summary mode\u2019s own inputs', () => {
    const fromEmpty = readSummaryInputs(empty, '42');
    const fromDefaults = readSummaryInputs(asDefaulted, '42');
    expect(fromEmpty.problems).toEqual([]);
    expect(fromDefaults.problems).toEqual([]);
    expect(fromEmpty.inputs).toEqual(fromDefaults.inputs);
  });

  test('verify mode\u2019s own inputs', () => {
    const fromEmpty = readVerifyConfig(empty);
    const fromDefaults = readVerifyConfig(asDefaulted);
    expect(fromEmpty.problems).toEqual([]);
    expect(fromDefaults.problems).toEqual([]);
    expect(fromEmpty.config).toEqual(fromDefaults.config);
  });

  test('the comparison notices a default that differs (a reader given another value)', () => {
    const changed = (n: string) => (n === Inputs.Environment ? 'prod' : asDefaulted(n));
    expect(readConfig(changed, ENV).config).not.toEqual(readConfig(empty, ENV).config);
    const days = (n: string) => (n === Inputs.HistoryDays ? '30' : asDefaulted(n));
    expect(readSummaryInputs(days, '42').inputs).not.toEqual(readSummaryInputs(empty, '42').inputs);
  });
});
