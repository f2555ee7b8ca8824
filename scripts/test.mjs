// `npm test`: makes sure the real parts the suite needs are installed — the npm
// packages (scripts/bootstrap.mjs runs `npm ci` when node_modules is missing or
// stale), the Debian packages it runs (Prometheus, Pushgateway, Alertmanager,
// Chromium, cmark-gfm) and Node 24 under tools/node24 (scripts/setup-test-deps.sh) — then
// runs jest on native ESM with the Node that runs this script; the action's bundles run
// on Node 24, the runtime action.yml declares. `npm run test:node24` runs jest itself
// on Node 24.
// Ends with one plain "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureDependencies } from './bootstrap.mjs';

const args = process.argv.slice(2);
// A bare clone: `npm ci` first (once; again when package-lock.json changed).
try {
  ensureDependencies();
} catch (error) {
  console.error(`bootstrap: ${error.message}`);
  process.exit(1);
}
if (process.env.SKIP_TEST_SETUP !== '1' && existsSync('scripts/setup-test-deps.sh')) {
  const setup = spawnSync('bash', ['scripts/setup-test-deps.sh'], { stdio: 'inherit' });
  if (setup.status !== 0) process.exit(setup.status ?? 1);
}
// The bundles under test run on Node 24, as on GitHub's runners (action.yml: node24), whatever
// Node runs jest; EMULATOR_NODE set by the caller wins.
const node24 = join('tools', 'node24', 'node_modules', '.bin', 'node');
const emulatorNode = process.env.EMULATOR_NODE || (existsSync(node24) ? join(process.cwd(), node24) : '');
const jest = join(dirname(createRequire(import.meta.url).resolve('jest/package.json')), 'bin', 'jest.js');
const resultsDir = mkdtempSync(join(tmpdir(), 'jest-results-'));
const resultsFile = join(resultsDir, 'results.json');
console.log(
  `Running the suite on Node ${process.version}; the action's bundles run on ${emulatorNode ? 'Node 24' : `Node ${process.version} (no Node 24 under tools/node24)`}`,
);
// The whole suite enforces the coverage threshold (jest.config.js); a subset run does not.
const coverage = args.length === 0 ? ['--coverage'] : [];
const result = spawnSync(
  process.execPath,
  [jest, '--json', `--outputFile=${resultsFile}`, ...coverage, ...args],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      ...(emulatorNode ? { EMULATOR_NODE: emulatorNode } : {}),
      NODE_OPTIONS: [
        process.env.NODE_OPTIONS,
        '--experimental-vm-modules',
        '--no-warnings=ExperimentalWarning',
      ]
        .filter(Boolean)
        .join(' '),
    },
  },
);
if (existsSync(resultsFile)) {
  const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
  console.log(
    `\njest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped`,
  );
  if (r.numTotalTests === 0) {
    console.error('no test ran');
    process.exitCode = 1;
  }
}
rmSync(resultsDir, { recursive: true, force: true });
process.exit(process.exitCode || (result.status ?? 1));
