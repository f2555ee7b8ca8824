/**
 * `npm run dashboards`: writes deploy/grafana/dashboards/*.json from the
 * dashboard code. `--check` writes nothing and fails when a committed file is
 * stale or missing, or when a JSON file there has no dashboard code (CI).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DASHBOARDS_DIR, renderDashboards } from './index.js';

const check = process.argv.includes('--check');
const rendered = await renderDashboards();
const stale: string[] = [];
for (const { file, path, text } of rendered) {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === text) continue;
  if (check) stale.push(file);
  else {
    mkdirSync(DASHBOARDS_DIR, { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote deploy/grafana/dashboards/${file}`);
  }
}
const known = new Set(rendered.map((r) => r.file));
const orphans = readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json') && !known.has(f));
if (check) {
  if (stale.length > 0 || orphans.length > 0) {
    if (stale.length > 0)
      console.error(`stale dashboards: ${stale.join(', ')}: run \`npm run dashboards\` and commit them`);
    if (orphans.length > 0) console.error(`dashboards without code: ${orphans.join(', ')}`);
    process.exit(1);
  }
  console.log(`deploy/grafana/dashboards: ${rendered.length} dashboards match the code`);
} else if (orphans.length > 0) {
  console.warn(`deploy/grafana/dashboards has files no dashboard code writes: ${orphans.join(', ')}`);
}
