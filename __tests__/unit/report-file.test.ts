/**
 * Reading DEPLOY_METRICS_FILE (src/metrics/report-file.ts): any step can put anything at that path,
 * so only a regular file is read — never a FIFO, a directory or a device — at most its first 1 MiB,
 * and within a time bound. A missing file is simply empty.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readReportFile } from '../../src/metrics/report-file.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'report-file-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('readReportFile', () => {
  test('no path or a missing file: empty, no note', async () => {
    expect(await readReportFile(undefined)).toEqual({ text: '' });
    expect(await readReportFile(join(dir, 'missing.prom'))).toEqual({ text: '' });
  });

  test('a regular file: its text', async () => {
    const path = join(dir, 'ok.prom');
    writeFileSync(path, 'a_gauge 1\nb_total 2\n');
    expect(await readReportFile(path)).toEqual({ text: 'a_gauge 1\nb_total 2\n' });
  });

  test('a FIFO with no writer does not block: not read, a note says why, at once', async () => {
    const path = join(dir, 'fifo.prom');
    execFileSync('mkfifo', [path]);
    const started = Date.now();
    const result = await readReportFile(path);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toEqual({
      text: '',
      note: `DEPLOY_METRICS_FILE ${path} is a FIFO (named pipe), not a regular file; it was not read`,
    });
  });

  test('a symbolic link to a FIFO is not read either; a link to a regular file is', async () => {
    const fifo = join(dir, 'fifo2');
    execFileSync('mkfifo', [fifo]);
    const link = join(dir, 'link-to-fifo.prom');
    symlinkSync(fifo, link);
    expect((await readReportFile(link)).note).toMatch(/is a FIFO \(named pipe\), not a regular file/);
    const file = join(dir, 'target.prom');
    writeFileSync(file, 'x 1\n');
    const good = join(dir, 'link-to-file.prom');
    symlinkSync(file, good);
    expect(await readReportFile(good)).toEqual({ text: 'x 1\n' });
  });

  test.each([
    [
      'a directory',
      () => {
        const path = join(dir, 'a-dir.prom');
        mkdirSync(path);
        return path;
      },
      'is a directory',
    ],
    [
      'a device (/dev/zero, through a link)',
      () => {
        const path = join(dir, 'zero.prom');
        symlinkSync('/dev/zero', path);
        return path;
      },
      'is a device',
    ],
  ])('%s: not read, a note', async (_what, make, says) => {
    const path = make();
    const result = await readReportFile(path);
    expect(result.text).toBe('');
    expect(result.note).toContain(says);
  });

  test('over 1 MiB: the first 1 MiB, cut at a line end, with a note', async () => {
    const path = join(dir, 'big.prom');
    const line = 'my_gauge{i="0123456789"} 1\n';
    writeFileSync(path, line.repeat(Math.ceil((1024 * 1024 + 100) / line.length)));
    const result = await readReportFile(path);
    expect(result.text.length).toBeLessThanOrEqual(1024 * 1024);
    expect(result.text.endsWith('\n')).toBe(true);
    expect(result.text.split('\n').every((l) => l === '' || l === line.trim())).toBe(true);
    expect(result.note).toMatch(/bytes; only the first 1 MiB is read$/);
  });

  test('a 100 MB file is read (its first 1 MiB) in well under a second', async () => {
    const path = join(dir, 'huge.prom');
    writeFileSync(path, 'my_total 1\n'.repeat(200_000));
    truncateSync(path, 100 * 1000 * 1000);
    const started = performance.now();
    const result = await readReportFile(path);
    const ms = performance.now() - started;
    expect(result.note).toBe(`DEPLOY_METRICS_FILE ${path} is 100000000 bytes; only the first 1 MiB is read`);
    expect(result.text.length).toBeLessThanOrEqual(1024 * 1024);
    // A quarter second on an idle machine; generous here for a loaded, shared one.
    expect(ms).toBeLessThan(1000);
  });
});
