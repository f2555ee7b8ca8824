/**
 * The example workflows in docs/examples are what users copy: every step of
 * the action in them may only use inputs action.yml declares, with a mode the
 * action knows, and every job must be a parseable workflow job.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../rule-files.js';

const EXAMPLES = path.join(REPO_ROOT, 'docs', 'examples');
const ACTION = 'acme/deployment-observability@';

const inputs = new Set(
  Object.keys(
    (parse(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> })
      .inputs,
  ),
);

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  jobs: Record<string, { steps?: Step[]; uses?: string }>;
}

const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yml'));

test('there are examples, one of them remote-writing', () => {
  expect(files).toEqual(expect.arrayContaining(['deploy-full-stack.yml', 'deploy-remote-write.yml']));
});

describe.each(files)('docs/examples/%s', (file) => {
  const workflow = parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as Workflow;
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps ?? []);
  const ours = steps.filter((s) => s.uses?.startsWith(ACTION));

  test('uses the action, and every step runs or uses something', () => {
    expect(ours.length).toBeGreaterThan(0);
    for (const step of steps) expect(Boolean(step.uses) !== Boolean(step.run)).toBe(true);
  });

  test('every input given to the action is one action.yml declares; modes are known', () => {
    for (const step of ours) {
      for (const name of Object.keys(step.with ?? {})) expect(inputs).toContain(name);
      const mode = step.with?.mode;
      if (mode !== undefined) expect(['track', 'summary', 'verify']).toContain(mode);
    }
  });
});
