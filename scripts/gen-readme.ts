/**
 * Writes the README's inputs and outputs tables from action.yml, between the
 * `<!-- action-inputs:start -->`/`end` and `<!-- action-outputs:start -->`/`end`
 * markers. `--check` fails instead of writing when the README is stale (CI).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

interface ActionYaml {
  inputs: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs: Record<string, { description: string }>;
}

const action = parse(readFileSync('action.yml', 'utf8')) as ActionYaml;
const escape = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const inputs = [
  '| input | default | description |',
  '| --- | --- | --- |',
  ...Object.entries(action.inputs).map(
    ([name, i]) =>
      `| \`${name}\` | ${i.default ? `\`${escape(i.default)}\`` : '(empty)'} | ${escape(i.description)} |`,
  ),
].join('\n');
const outputs = [
  '| output | description |',
  '| --- | --- |',
  ...Object.entries(action.outputs).map(([name, o]) => `| \`${name}\` | ${escape(o.description)} |`),
].join('\n');

function replaceBetween(text: string, marker: string, content: string): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md has no ${start} … ${end} markers`);
  return `${text.slice(0, a + start.length)}\n${content}\n${text.slice(b)}`;
}

const readme = readFileSync('README.md', 'utf8');
const updated = replaceBetween(replaceBetween(readme, 'action-inputs', inputs), 'action-outputs', outputs);
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error('README.md inputs/outputs are stale: run `npm run docs` and commit README.md');
    process.exit(1);
  }
  console.log('README.md inputs/outputs match action.yml');
} else {
  writeFileSync('README.md', updated);
  console.log('README.md inputs/outputs written from action.yml');
}
