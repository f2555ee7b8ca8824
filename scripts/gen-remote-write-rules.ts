/**
 * `npm run rules`: writes deploy/prometheus/remote-write/rules/*.yml, the
 * remote-write variant of the shipped rules (scripts/remote-write-rules.ts).
 * `--check` writes nothing and fails when a committed file is stale or
 * missing, or when that folder has a rule file the generator does not write (CI).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { REMOTE_WRITE_RULES_DIR, renderRemoteWriteRules } from './remote-write-rules.js';

const check = process.argv.includes('--check');
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
