/** Types of scripts/bootstrap.mjs (plain Node, so it runs before any dependency is installed). */
export interface InstallState {
  /** package-lock.json's mtime in ms; undefined when it is absent. */
  readonly lockMtimeMs?: number;
  /** Whether node_modules exists. */
  readonly nodeModules: boolean;
  /** node_modules/.package-lock.json's mtime in ms; undefined when it is absent. */
  readonly installedLockMtimeMs?: number;
}

export declare function installDecision(state: InstallState): { install: boolean; reason: string };
export declare function ensureDependencies(root?: string): boolean;
