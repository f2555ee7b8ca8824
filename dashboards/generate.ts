/**
 * `npm run dashboards`: writes deploy/grafana/dashboards/*.json (Pushgateway
 * flavour) and deploy/grafana/dashboards-remote-write/*.json (remote-write
 * flavour) from the dashboard code. `--check` writes nothing and fails when a
 * committed file is stale or missing, or when a JSON file in either folder has
 * no dashboard code (CI).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './common.js';
import { DASHBOARDS_DIR, REMOTE_WRITE_DASHBOARDS_DIR, renderDashboards } from './index.js';

const check = process.argv.includes('--check');
const rendered = await renderDashboards();
const stale: string[] = [];
for (const { file, path: p, text } of rendered) {
  const current = existsSync(p) ? readFileSync(p, 'utf8') : undefined;
  if (current === text) continue;
  if (check) stale.push(file);
  else {
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
    console.log(`wrote ${path.relative(REPO_ROOT, p)}`);
  }
}
const known = new Set(rendered.map((r) => r.path));
const orphans = [DASHBOARDS_DIR, REMOTE_WRITE_DASHBOARDS_DIR]
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => readdirSync(dir).map((f) => path.join(dir, f)))
  .filter((f) => f.endsWith('.json') && !known.has(f))
  .map((f) => path.relative(REPO_ROOT, f));
if (check) {
  if (stale.length > 0 || orphans.length > 0) {
    if (stale.length > 0)
      console.error(`stale dashboards: ${stale.join(', ')}: run \`npm run dashboards\` and commit them`);
    if (orphans.length > 0) console.error(`dashboards without code: ${orphans.join(', ')}`);
    process.exit(1);
  }
  console.log(
    `deploy/grafana/dashboards and dashboards-remote-write: ${rendered.length} dashboards (Pushgateway and remote-write flavours) match the code`,
  );
} else if (orphans.length > 0) {
  console.warn(`deploy/grafana/dashboards has files no dashboard code writes: ${orphans.join(', ')}`);
}
