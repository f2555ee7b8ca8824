/**
 * scripts/bootstrap.mjs: `npm run demo` and `npm test` run `npm ci` first when node_modules is
 * missing or stale. The decision is a pure function of what the file system shows; the rest is
 * checked on a real folder with a stand-in `npm` on PATH (no registry is asked).
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { installDecision } from '../../scripts/bootstrap.mjs';
import { REPO_ROOT } from '../rule-files.js';

describe('installDecision', () => {
  test.each([
    [{ nodeModules: false }, false, 'no package-lock.json: nothing to install from'],
    [{ lockMtimeMs: 1000, nodeModules: false }, true, 'node_modules is missing'],
    [
      { lockMtimeMs: 1000, nodeModules: true },
      true,
      'node_modules has no .package-lock.json (an interrupted or foreign install)',
    ],
    [
      { lockMtimeMs: 2000, nodeModules: true, installedLockMtimeMs: 1000 },
      true,
      'package-lock.json is newer than node_modules/.package-lock.json',
    ],
    [
      { lockMtimeMs: 1000, nodeModules: true, installedLockMtimeMs: 1000 },
      false,
      'node_modules matches package-lock.json',
    ],
    [
      { lockMtimeMs: 1000, nodeModules: true, installedLockMtimeMs: 1001 },
      false,
      'node_modules matches package-lock.json',
    ],
  ])('%j → install %s', (state, install, reason) => {
    expect(installDecision(state)).toEqual({ install, reason });
  });
});

describe('node scripts/bootstrap.mjs <command>, on a folder laid out like the repository', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A repository copy with bootstrap.mjs, a lock, and a fake `npm` that records its calls. */
  function layout(): {
    run: (...cmd: string[]) => { status: number | null; out: string };
    calls: () => string[];
  } {
    dir = mkdtempSync(path.join(tmpdir(), 'bootstrap-'));
    mkdirSync(path.join(dir, 'scripts'));
    writeFileSync(
      path.join(dir, 'scripts', 'bootstrap.mjs'),
      readFileSync(path.join(REPO_ROOT, 'scripts', 'bootstrap.mjs')),
    );
    writeFileSync(path.join(dir, 'package-lock.json'), '{}');
    const bin = path.join(dir, 'fake-bin');
    mkdirSync(bin);
    // `npm ci` as npm does it: node_modules, its .package-lock.json written last, a tool in .bin.
    writeFileSync(
      path.join(bin, 'npm'),
      [
        '#!/bin/sh',
        'echo "npm $*" >> "$PWD/npm-calls.txt"',
        'mkdir -p node_modules/.bin',
        'printf \'#!/bin/sh\\necho "tool ran: $*"\\n\' > node_modules/.bin/tool',
        'chmod +x node_modules/.bin/tool',
        'echo "{}" > node_modules/.package-lock.json',
      ].join('\n'),
    );
    chmodSync(path.join(bin, 'npm'), 0o755);
    return {
      run: (...cmd) => {
        const r = spawnSync(process.execPath, ['scripts/bootstrap.mjs', ...cmd], {
          cwd: dir,
          encoding: 'utf8',
          env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` },
        });
        return { status: r.status, out: r.stdout + r.stderr };
      },
      calls: () => {
        try {
          return readFileSync(path.join(dir, 'npm-calls.txt'), 'utf8').trim().split('\n');
        } catch {
          return [];
        }
      },
    };
  }

  test('a bare clone: npm ci once, then the command from node_modules/.bin with its arguments', () => {
    const repo = layout();
    const first = repo.run('tool', 'scripts/demo.ts', '--embedded');
    expect(first.status).toBe(0);
    expect(first.out).toContain('bootstrap: node_modules is missing: npm ci');
    expect(first.out).toContain('tool ran: scripts/demo.ts --embedded');
    expect(repo.calls()).toEqual(['npm ci --prefer-offline --no-audit --no-fund']);
    // Installed and current: no second npm ci.
    expect(repo.run('tool').status).toBe(0);
    expect(repo.calls()).toHaveLength(1);
  });

  test('a lock newer than the install (a pull): npm ci again', () => {
    const repo = layout();
    repo.run('tool');
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(dir, 'package-lock.json'), later, later);
    const r = repo.run('tool');
    expect(r.out).toContain('package-lock.json is newer than node_modules/.package-lock.json: npm ci');
    expect(repo.calls()).toHaveLength(2);
  });

  test("the command's exit code is the script's; a failed npm ci stops before the command", () => {
    const repo = layout();
    expect(repo.run('node', '-e', 'process.exit(7)').status).toBe(7);
    writeFileSync(path.join(dir, 'fake-bin', 'npm'), '#!/bin/sh\nexit 3\n');
    rmSync(path.join(dir, 'node_modules'), { recursive: true });
    const r = repo.run('node', '-e', 'console.log("should not run")');
    expect(r.status).toBe(1);
    expect(r.out).toContain('bootstrap: npm ci failed (exit 3)');
    expect(r.out).not.toContain('should not run');
  });
});
