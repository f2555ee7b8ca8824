/**
 * Counts a failed push could not deliver, kept until the next push of the
 * same group delivers them (README, "Carried counts of failed pushes"), and
 * how they are written down. Where they are kept is `persistence/`'s business.
 *
 * Entries are dropped once the group's `deployment_observability_counters_updated_timestamp_seconds`
 * is newer than them: a later push already included them, even if clearing
 * the store afterwards failed. So a carried count is added once.
 */
import { metricByName } from '../metrics/definitions.js';
import { customDefinition } from '../metrics/reported.js';
import type { SeriesUpdate } from '../metrics/series.js';
import { storesFor, type Stores, type StoresOptions } from '../persistence/stores.js';

export interface CarriedEntry {
  readonly deploymentId: string;
  /** When the failed push happened (ms); compared with the group's counters-updated marker. */
  readonly recordedAt: number;
  readonly updates: readonly SeriesUpdate[];
}

/** Keeping counts a failed push could not deliver may use this much past the push deadline (ms). */
export const CARRY_GRACE_MS = 3000;

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

export interface CarryStore {
  /** Where entries are kept, for messages. */
  readonly description: string;
  load(groupId: string): Promise<CarriedEntry[]>;
  save(groupId: string, entries: readonly CarriedEntry[]): Promise<void>;
}

/** A group's carried entries in the stores of carried counts (`persistence/stores.ts`). */
export class PersistedCarryStore implements CarryStore {
  constructor(private readonly stores: Stores) {}

  get description(): string {
    return this.stores.description;
  }

  async load(groupId: string): Promise<CarriedEntry[]> {
    const bytes = await this.stores.item(groupId).load();
    if (bytes === undefined) return [];
    const parsed = JSON.parse(bytes.toString('utf8')) as { group?: string; entries?: StoredEntry[] };
    return (parsed.entries ?? []).map(fromStored).filter((e): e is CarriedEntry => e !== undefined);
  }

  async save(groupId: string, entries: readonly CarriedEntry[]): Promise<void> {
    const kept = entries.slice(-MAX_CARRIED_ENTRIES).map(toStored);
    await this.stores.item(groupId).save(JSON.stringify({ group: groupId, entries: kept }) + '\n');
  }
}

/** Where this job keeps carried counts, or undefined when nowhere (`persistence/stores.ts`). Loads nothing. */
export function carryStoreOf(env: NodeJS.ProcessEnv, options: StoresOptions): CarryStore | undefined {
  const { stores } = storesFor('carry', env, options);
  return stores ? new PersistedCarryStore(stores) : undefined;
}
