/**
 * Timestamps from the REST API: 1 s resolution, mixed UTC offsets (`…Z` for
 * jobs, `…-08:00` for steps), and `completed_at` that can precede `started_at`
 * for skipped steps (docs/platform.md, "The REST API"). Parse, never compare strings;
 * clamp durations at 0.
 */

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** Milliseconds since the epoch, or undefined for null, empty or malformed values. */
export function parseTimestamp(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!ISO_RE.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Seconds between two instants, never negative. */
export function durationSeconds(startMs: number, endMs: number): number {
  return Math.max(0, (endMs - startMs) / 1000);
}

/** ISO 8601 in UTC with whole seconds, as the API writes them. */
export function toIso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "1m 05s", "42s", "1h 02m" — for summaries. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
