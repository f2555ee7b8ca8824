/**
 * `npm run rules`: writes deploy/prometheus/remote-write/rules/*.yml, the
 * remote-write variant of the shipped rules (scripts/remote-write-rules.ts).
 * `--check` writes nothing and fails when a committed file is stale or
 * missing, or when that folder has a rule file the generator does not write (CI).
 *
 * `--runbook-base <url>` and/or `--dashboard-base <url>` (with `--out <dir>`,
 * default ./prometheus-rules) write a copy of the shipped rules and of the
 * variant whose runbook_url and dashboard_url are absolute, to load instead of
 * the committed files: the one place to say where the runbooks and Grafana are.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REMOTE_WRITE_RULES_DIR, renderRemoteWriteRules, renderWithLinks } from './remote-write-rules.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  const a = args[i] as string;
  const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[i + 1];
  if (!value || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
};
const runbookBase = option('--runbook-base');
const dashboardBase = option('--dashboard-base');
if (runbookBase || dashboardBase) {
  for (const [name, url] of [
    ['--runbook-base', runbookBase],
    ['--dashboard-base', dashboardBase],
  ] as const) {
    if (url && !/^https?:\/\//.test(url)) throw new Error(`${name} must be an absolute http(s) URL: ${url}`);
  }
  const outDir = path.resolve(option('--out') ?? 'prometheus-rules');
  for (const f of await renderWithLinks({ runbookBase, dashboardBase }, outDir)) {
    mkdirSync(path.dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.text);
    console.log(`wrote ${path.relative(process.cwd(), f.path)}`);
  }
  process.exit(0);
}

const check = args.includes('--check');
const rendered = await renderRemoteWriteRules();
const stale: string[] = [];
for (const { file, path, text } of rendered) {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === text) continue;
  if (check) stale.push(file);
  else {
    mkdirSync(REMOTE_WRITE_RULES_DIR, { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${file}`);
  }
}
const known = new Set(rendered.map((r) => r.path.slice(REMOTE_WRITE_RULES_DIR.length + 1)));
const orphans = existsSync(REMOTE_WRITE_RULES_DIR)
  ? readdirSync(REMOTE_WRITE_RULES_DIR).filter((f) => f.endsWith('.yml') && !known.has(f))
  : [];
if (check) {
  if (stale.length > 0 || orphans.length > 0) {
    if (stale.length > 0)
      console.error(`stale remote-write rules: ${stale.join(', ')}: run \`npm run rules\` and commit them`);
    if (orphans.length > 0) console.error(`rule files the generator does not write: ${orphans.join(', ')}`);
    process.exit(1);
  }
  console.log(`deploy/prometheus/remote-write/rules: ${rendered.length} files match the shipped rules`);
} else if (orphans.length > 0) {
  console.warn(
    `deploy/prometheus/remote-write/rules has files the generator does not write: ${orphans.join(', ')}`,
  );
}
