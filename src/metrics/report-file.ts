/** Reading DEPLOY_METRICS_FILE: bounded, and a missing file is simply empty. */
import { open } from 'node:fs/promises';

const MAX_REPORT_BYTES = 1024 * 1024;

/** The file's text (at most 1 MiB, cut at a line end) and a note when something was left out. */
export async function readReportFile(path: string | undefined): Promise<{ text: string; note?: string }> {
  if (!path) return { text: '' };
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: '' };
    return { text: '', note: `DEPLOY_METRICS_FILE ${path} could not be read: ${(error as Error).message}` };
  }
  try {
    const buffer = Buffer.alloc(MAX_REPORT_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_REPORT_BYTES, 0);
    const size = (await handle.stat()).size;
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    // A cut line at the end would be reported as malformed: drop it, and say why.
    if (size > MAX_REPORT_BYTES) {
      return {
        text: text.slice(0, text.lastIndexOf('\n') + 1),
        note: `DEPLOY_METRICS_FILE ${path} is ${size} bytes; only the first 1 MiB is read`,
      };
    }
    return { text };
  } finally {
    await handle.close();
  }
}
