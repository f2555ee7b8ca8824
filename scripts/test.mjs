// `npm test`: makes sure the real parts the suite needs are installed
// (scripts/setup-test-deps.sh: Debian's prometheus and prometheus-pushgateway,
// and Node 24 under tools/node24), then runs jest on native ESM with the Node
// that runs this script. `npm run test:node24` runs the same suite on Node 24,
// the runtime action.yml declares. Ends with one plain "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const args = process.argv.slice(2);
if (process.env.SKIP_TEST_SETUP !== '1' && existsSync('scripts/setup-test-deps.sh')) {
  const setup = spawnSync('bash', ['scripts/setup-test-deps.sh'], { stdio: 'inherit' });
  if (setup.status !== 0) process.exit(setup.status ?? 1);
}
const jest = join(dirname(createRequire(import.meta.url).resolve('jest/package.json')), 'bin', 'jest.js');
const resultsDir = mkdtempSync(join(tmpdir(), 'jest-results-'));
const resultsFile = join(resultsDir, 'results.json');
console.log(`Running the suite on Node ${process.version}`);
// The whole suite enforces the coverage threshold (jest.config.js); a subset run does not.
const coverage = args.length === 0 ? ['--coverage'] : [];
const result = spawnSync(
  process.execPath,
  [jest, '--json', `--outputFile=${resultsFile}`, ...coverage, ...args],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
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
