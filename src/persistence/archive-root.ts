/**
 * Runs a cache call with the cache's paths anchored in one directory of ours.
 *
 * `@actions/cache` identifies an entry by its key and a version that hashes the path strings it
 * was given, and stores the files relative to `GITHUB_WORKSPACE` (else the current directory),
 * extracting them there again. An absolute path under `RUNNER_TEMP` therefore restores only on a
 * runner whose temp directory has the same absolute path, and lands elsewhere when the workspace
 * sits at another depth. Giving the module a relative path (`carry/<id>`) while both
 * `GITHUB_WORKSPACE` and the current directory point at our root makes the version and the
 * archive's layout the same on every runner (docs/platform.md, "The Actions cache").
 *
 * The two are process-wide, so calls run one at a time, and each call keeps them until the
 * module's promise settles — also after the caller stopped waiting for it — so an archive that
 * arrives late is still extracted into our root, never into the user's workspace.
 */
import { mkdir } from 'node:fs/promises';

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `call` with `GITHUB_WORKSPACE` and the current directory set to `root`, after the calls
 * queued before it. `startBy` (ms, on `now`): a call whose turn comes later does not start.
 */
export function inArchiveRoot<T>(
  root: string,
  call: () => Promise<T>,
  startBy = Infinity,
  now: () => number = Date.now,
): Promise<T> {
  const run = async (): Promise<T> => {
    if (now() >= startBy) throw new Error("no time left in this step's budget");
    await mkdir(root, { recursive: true });
    const savedCwd = process.cwd();
    const hadWorkspace = Object.prototype.hasOwnProperty.call(process.env, 'GITHUB_WORKSPACE');
    const savedWorkspace = process.env.GITHUB_WORKSPACE;
    process.env.GITHUB_WORKSPACE = root;
    process.chdir(root);
    try {
      return await call();
    } finally {
      process.chdir(savedCwd);
      if (hadWorkspace) process.env.GITHUB_WORKSPACE = savedWorkspace;
      else delete process.env.GITHUB_WORKSPACE;
    }
  };
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}
