/** What the Marketplace and the runner read from action.yml. */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const manifest = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as {
  description: string;
  outputs: Record<string, { description: string }>;
  runs: { using: string };
};

describe('action.yml', () => {
  test('its description fits the Marketplace (under 125 characters)', () => {
    expect(manifest.description.length).toBeLessThan(125);
  });

  test('outputs that track mode sets in post say where to read them (GitHub drops outputs set in post)', () => {
    for (const name of ['status', 'failed-stage', 'error-type', 'duration-seconds', 'stages-json'])
      expect([name, manifest.outputs[name]?.description]).toEqual([
        name,
        expect.stringContaining('later instance of the action'),
      ]);
  });

  test('it runs on node24', () => {
    expect(manifest.runs.using).toBe('node24');
  });
});
