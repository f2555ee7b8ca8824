// The first five minutes: `npm run demo` and `npm test` work on a bare clone.
//
//   node scripts/bootstrap.mjs <command> [args…]
//
// runs `npm ci` once when node_modules is missing or stale, then runs the command with
// node_modules/.bin on PATH and exits with its code. scripts/test.mjs calls ensureDependencies()
// itself. Plain Node, no dependency: it runs before any is installed.
//
// "Stale" is npm's own test: `npm ci` and `npm install` write node_modules/.package-lock.json
// after package-lock.json, so a package-lock.json newer than it (a pull, a branch switch) means
// node_modules no longer matches the lock.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Whether to run `npm ci`, from what the file system shows. Pure: the mtimes are in ms, and
 * `undefined` when the file is absent.
 * @param {{ lockMtimeMs?: number, nodeModules: boolean, installedLockMtimeMs?: number }} state
 * @returns {{ install: boolean, reason: string }}
 */
export function installDecision({ lockMtimeMs, nodeModules, installedLockMtimeMs }) {
  if (lockMtimeMs === undefined)
    return { install: false, reason: 'no package-lock.json: nothing to install from' };
  if (!nodeModules) return { install: true, reason: 'node_modules is missing' };
  if (installedLockMtimeMs === undefined)
    return {
      install: true,
      reason: 'node_modules has no .package-lock.json (an interrupted or foreign install)',
    };
  if (lockMtimeMs > installedLockMtimeMs)
    return { install: true, reason: 'package-lock.json is newer than node_modules/.package-lock.json' };
  return { install: false, reason: 'node_modules matches package-lock.json' };
}

/** @param {string} file */
function mtimeMs(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Runs `npm ci` in `root` when {@link installDecision} says so. Throws when it fails.
 * @param {string} [root]
 * @returns {boolean} whether it installed
 */
export function ensureDependencies(root = ROOT) {
  const decision = installDecision({
    lockMtimeMs: mtimeMs(path.join(root, 'package-lock.json')),
    nodeModules: existsSync(path.join(root, 'node_modules')),
    installedLockMtimeMs: mtimeMs(path.join(root, 'node_modules', '.package-lock.json')),
  });
  if (!decision.install) return false;
  console.log(`bootstrap: ${decision.reason}: npm ci`);
  const npm = spawnSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (npm.status !== 0) throw new Error(`npm ci failed (exit ${npm.status ?? npm.signal})`);
  return true;
}

/** Runs the command with node_modules/.bin first on PATH; resolves to its exit code. */
function run(/** @type {string[]} */ command, root = ROOT) {
  const [file, ...args] = command;
  const env = {
    ...process.env,
    PATH: [path.join(root, 'node_modules', '.bin'), process.env.PATH].filter(Boolean).join(path.delimiter),
  };
  const child = spawn(file === 'node' ? process.execPath : file, args, {
    stdio: 'inherit',
    env,
    shell: process.platform === 'win32',
  });
  // Ctrl-C reaches the whole foreground process group, the command included: wait for it to stop
  // (the demo stops its services first). A SIGTERM sent to this process alone is passed on.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return new Promise((resolve) => {
    child.on('error', (error) => {
      console.error(`bootstrap: cannot run ${file}: ${error.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 143)));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const command = process.argv.slice(2);
  if (command.length === 0) {
    console.error('usage: node scripts/bootstrap.mjs <command> [args…]');
    process.exit(2);
  }
  try {
    ensureDependencies();
  } catch (error) {
    console.error(`bootstrap: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  process.exitCode = await run(command);
}
