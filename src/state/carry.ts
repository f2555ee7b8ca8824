/**
 * Counts a failed push could not deliver, kept until the next push of the
 * same group delivers them (README, "Carried counts of failed pushes").
 *
 * Stored outside the job: a directory that outlives it (self-hosted runners,
 * the emulator) named by DEPLOYMENT_OBSERVABILITY_STATE_DIR, else
 * RUNNER_TOOL_CACHE, which persists on self-hosted runners. Entries are
 * dropped once the group's `deployment_observability_counters_updated_timestamp_seconds`
 * is newer than them: a later push already included them, even if clearing
 * the store afterwards failed. So a carried count is added once.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { metricByName } from '../metrics/definitions.js';
import { customDefinition } from '../metrics/reported.js';
import type { SeriesUpdate } from '../metrics/series.js';

export interface CarriedEntry {
  readonly deploymentId: string;
  /** When the failed push happened (ms); compared with the group's counters-updated marker. */
  readonly recordedAt: number;
  readonly updates: readonly SeriesUpdate[];
}

export interface CarryStore {
  /** Where entries are kept, for messages. */
  readonly description: string;
  load(groupId: string): Promise<CarriedEntry[]>;
  save(groupId: string, entries: readonly CarriedEntry[]): Promise<void>;
}

/** At most this many deployments wait in one group; older ones are dropped first. */
export const MAX_CARRIED_ENTRIES = 200;

interface StoredUpdate {
  name: string;
  family: string;
  labels: Record<string, string>;
  value: number;
}

interface StoredEntry {
  deploymentId: string;
  recordedAt: number;
  updates: StoredUpdate[];
}

const ACTION_LABELS = new Set(['environment', 'deployment_id', 'service']);

function toStored(entry: CarriedEntry): StoredEntry {
  return {
    deploymentId: entry.deploymentId,
    recordedAt: entry.recordedAt,
    updates: entry.updates.map((u) => ({
      name: u.name,
      family: u.definition.name,
      labels: { ...u.labels },
      value: u.value,
    })),
  };
}

function fromStored(stored: StoredEntry): CarriedEntry | undefined {
  if (
    typeof stored?.deploymentId !== 'string' ||
    typeof stored.recordedAt !== 'number' ||
    !Array.isArray(stored.updates)
  ) {
    return undefined;
  }
  const updates: SeriesUpdate[] = [];
  for (const u of stored.updates) {
    if (
      typeof u?.family !== 'string' ||
      typeof u.value !== 'number' ||
      typeof u.labels !== 'object' ||
      u.labels === null
    )
      continue;
    const definition =
      metricByName(u.family) ??
      customDefinition(
        u.family,
        Object.keys(u.labels)
          .filter((l) => !ACTION_LABELS.has(l))
          .sort(),
      );
    updates.push({ definition, name: u.name, labels: u.labels, value: u.value });
  }
  return { deploymentId: stored.deploymentId, recordedAt: stored.recordedAt, updates };
}

/** Entries a group's counters-updated marker (seconds) already includes are dropped. */
export function pendingAfter(
  entries: readonly CarriedEntry[],
  markerSeconds: number | undefined,
): CarriedEntry[] {
  if (markerSeconds === undefined) return [...entries];
  return entries.filter((e) => e.recordedAt > markerSeconds * 1000);
}

export class FileCarryStore implements CarryStore {
  constructor(private readonly dir: string) {}

  get description(): string {
    return `the directory ${this.dir}`;
  }

  private file(groupId: string): string {
    return join(this.dir, `carry-${createHash('sha256').update(groupId).digest('hex').slice(0, 32)}.json`);
  }

  async load(groupId: string): Promise<CarriedEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file(groupId), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const parsed = JSON.parse(text) as { group?: string; entries?: StoredEntry[] };
    return (parsed.entries ?? []).map(fromStored).filter((e): e is CarriedEntry => e !== undefined);
  }

  async save(groupId: string, entries: readonly CarriedEntry[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.file(groupId);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    const kept = entries.slice(-MAX_CARRIED_ENTRIES).map(toStored);
    await writeFile(tmp, JSON.stringify({ group: groupId, entries: kept }) + '\n', 'utf8');
    // rename is atomic: a concurrent reader sees the old file or the new one, never half of one.
    await rename(tmp, file);
  }
}
