// Bundles each hook with ncc into dist/<hook>/index.js (ESM) and writes the
// dist/<hook>/package.json that makes Node load it as ESM. Fails when a bundle
// contains `webpackMissingModule` (ncc exits 0 but the bundle throws
// "Cannot find module" at run time — see docs/platform.md, "Toolchain").
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

// live: the reporter process pre starts beside the job (src/live).
const hooks = ['pre', 'main', 'post', 'live'];
const ncc = join('node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');

for (const hook of hooks) {
  const out = join('dist', hook);
  rmSync(out, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [ncc, 'build', join('src', 'entrypoints', `${hook}.ts`), '-o', out, '--license', 'licenses.txt', '-q'],
    { stdio: 'inherit' },
  );
  // ncc names an ESM bundle index.mjs on some versions; the action declares index.js.
  if (existsSync(join(out, 'index.mjs'))) renameSync(join(out, 'index.mjs'), join(out, 'index.js'));
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }, null, 2) + '\n');
  for (const file of readdirSync(out)) {
    const path = join(out, file);
    if (statSync(path).isFile() && readFileSync(path, 'utf8').includes('webpackMissingModule')) {
      console.error(
        `${path} contains webpackMissingModule: the bundle would throw "Cannot find module" on the runner`,
      );
      process.exit(1);
    }
  }
  console.log(`built ${out}/index.js (${Math.round(statSync(join(out, 'index.js')).size / 1024)} KiB)`);
}
