/**
 * `metrics-file`: the exposition of what a hook delivered (the first sink's
 * groups, or the unsent families when there is no sink), written where the
 * input says. Every mode writes it through {@link writeMetricsFile}.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { combinedExposition, type GroupOutcome } from './publish.js';

const NOT_REGULAR = 'it exists and is not a regular file';

export type MetricsFileWritten = { readonly ok: true } | { readonly ok: false; readonly problem: string };

/** Writes the metrics file (creating its folder). Never throws: a problem is returned. */
export async function writeMetricsFile(
  path: string,
  outcomes: readonly GroupOutcome[],
): Promise<MetricsFileWritten> {
  try {
    const text = combinedExposition(outcomes);
    await mkdir(dirname(path), { recursive: true });
    await writeRegularFile(path, text);
    return { ok: true };
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Writes a file that must be a regular file or not exist yet. Not a FIFO: opening one for
 * writing would block the hook until some process reads it, past every budget. Not a device,
 * a folder, or a symbolic link: nothing is written through a link to somewhere else. The file
 * is opened without following a link and without waiting, and checked again once open, so
 * nothing swapped in after the first look is written to either.
 */
async function writeRegularFile(path: string, text: string): Promise<void> {
  try {
    const info = await lstat(path);
    if (!info.isFile()) throw new Error(NOT_REGULAR);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const handle = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    0o666,
  );
  try {
    if (!(await handle.stat()).isFile()) throw new Error(NOT_REGULAR);
    await handle.truncate(0);
    await handle.writeFile(text, 'utf8');
  } finally {
    await handle.close();
  }
}
