/**
 * Reading DEPLOY_METRICS_FILE: bounded, and a missing file is simply empty.
 *
 * Any step can put anything at that path, so only a regular file is read:
 * `lstat` first (a symbolic link is followed only to a regular file), then the
 * file is opened with `O_NONBLOCK` — a FIFO or a device put there in the
 * meantime cannot block the open — and `fstat` checks what was opened. The
 * read takes at most the first 1 MiB and is bounded in time: post and the
 * live reporter never wait on this file longer than {@link READ_TIMEOUT_MS}.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, stat, type FileHandle } from 'node:fs/promises';
import { TimeoutError, withTimeout } from '../util/timeout.js';

const MAX_REPORT_BYTES = 1024 * 1024;
/** The longest a read of the file may take (a regular file on a hung network mount). */
const READ_TIMEOUT_MS = 5000;

export interface ReportFileText {
  readonly text: string;
  readonly note?: string;
}

function kindOf(s: Stats): string {
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isDirectory()) return 'a directory';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** The file's text (at most 1 MiB, cut at a line end) and a note when something was left out. */
export async function readReportFile(
  path: string | undefined,
  timeoutMs = READ_TIMEOUT_MS,
): Promise<ReportFileText> {
  if (!path) return { text: '' };
  try {
    return await withTimeout(readBounded(path), timeoutMs, 'reading it');
  } catch (error) {
    const why = error instanceof TimeoutError ? `no answer within ${timeoutMs} ms` : (error as Error).message;
    return { text: '', note: `DEPLOY_METRICS_FILE ${path} could not be read: ${why}` };
  }
}

async function readBounded(path: string): Promise<ReportFileText> {
  const skipped = (kind: string): ReportFileText => ({
    text: '',
    note: `DEPLOY_METRICS_FILE ${path} is ${kind}, not a regular file; it was not read`,
  });
  try {
    const link = await lstat(path);
    const target = link.isSymbolicLink() ? await stat(path) : link;
    if (!target.isFile()) return skipped(kindOf(target));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: '' };
    throw error;
  }
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: '' };
    throw error;
  }
  try {
    // What was opened, not what the path named a moment ago.
    const info = await handle.stat();
    if (!info.isFile()) return skipped(kindOf(info));
    const length = Math.min(MAX_REPORT_BYTES, info.size);
    const buffer = Buffer.alloc(length);
    let bytesRead = 0;
    while (bytesRead < length) {
      const { bytesRead: n } = await handle.read(buffer, bytesRead, length - bytesRead, bytesRead);
      if (n === 0) break;
      bytesRead += n;
    }
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    // A cut line at the end would be reported as malformed: drop it, and say why.
    if (info.size > MAX_REPORT_BYTES) {
      return {
        text: text.slice(0, text.lastIndexOf('\n') + 1),
        note: `DEPLOY_METRICS_FILE ${path} is ${info.size} bytes; only the first 1 MiB is read`,
      };
    }
    return { text };
  } finally {
    await handle.close();
  }
}
