/**
 * Where metrics go: a Pushgateway, a remote-write receiver, or both. Each sink
 * reads what a group holds (so counters stay cumulative) and writes families;
 * publish.ts does the merging and carrying the same way for every sink.
 */
import type { MetricFamily } from '../metrics/exposition.js';
import type { ExistingGroup } from '../metrics/series.js';

/** The labels naming a group (`job` first), in the order of the Pushgateway's URL path. */
export type GroupingKey = readonly (readonly [string, string])[];

export function describeGroup(key: GroupingKey): string {
  return key.map(([l, v]) => `${l}="${v}"`).join(',');
}

export interface WriteOptions {
  /** Pushgateway: POST replaces the families sent, PUT the whole group. Remote write ignores it. */
  readonly method: 'POST' | 'PUT';
  /** When the group's own series are written (ms): the deployment's real time. */
  readonly at: number;
}

export interface MetricsSink {
  /** For messages: "the Pushgateway", "remote write". */
  readonly name: string;
  /** The URL written to, without credentials. */
  readonly target: string;
  /** Whether a PUT can replace the whole group (drops stale gauges). */
  readonly replacesGroups: boolean;
  /** Namespace of counts carried from failed writes, so each sink catches up on its own. */
  readonly carryPrefix: string;
  /** The group's current series; throws when they cannot be read. */
  readGroup(key: GroupingKey, deadline: number): Promise<ExistingGroup>;
  /** Writes families; throws with the receiver's message on failure. */
  write(
    key: GroupingKey,
    families: readonly MetricFamily[],
    deadline: number,
    options: WriteOptions,
  ): Promise<void>;
}
