/**
 * The rolling history: one record per run attempt, keyed by `<run id>.<attempt>`
 * so summarising the same attempt twice keeps one record, bounded by
 * `history-days`, merged by key when two summaries raced, and stored in a
 * compact encoding (a string table, times as offsets in seconds, gzip): about
 * 30 bytes a record, far below 1 MB for 10,000 records (at most
 * {@link MAX_JOBS_PER_RECORD} jobs of a record are stored). Pure.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { MAX_JOBS_PER_RECORD, recordKey, type JobOutcome, type RunRecord } from './record.js';

const HISTORY_FORMAT_VERSION = 1;
/** A hard bound whatever `history-days` says: the newest records are kept. */
const MAX_HISTORY_RECORDS = 20000;
const DAY_MS = 86_400_000;
/** Characters of a head SHA kept in history (the full SHA is only needed for the current run). */
const SHA_CHARS = 12;

/**
 * Merges record sets by key. For the same attempt the record read later wins
 * (the one with more jobs, then the later completion): a summary that ran
 * inside the run saw fewer finished jobs than one triggered by `workflow_run`.
 */
export function mergeHistory(...sets: readonly (readonly RunRecord[])[]): RunRecord[] {
  const byKey = new Map<string, RunRecord>();
  for (const set of sets) {
    for (const record of set) {
      const key = recordKey(record);
      const current = byKey.get(key);
      if (
        !current ||
        record.jobs.length > current.jobs.length ||
        (record.jobs.length === current.jobs.length && record.completedAt >= current.completedAt)
      )
        byKey.set(key, record);
    }
  }
  return [...byKey.values()].sort((a, b) => a.completedAt - b.completedAt || a.runId - b.runId);
}

/** Drops records that completed more than `days` before `now`, and the oldest past {@link MAX_HISTORY_RECORDS}. */
export function pruneHistory(records: readonly RunRecord[], now: number, days: number): RunRecord[] {
  const since = now - days * DAY_MS;
  const kept = records.filter((r) => r.completedAt >= since);
  return kept.length > MAX_HISTORY_RECORDS ? kept.slice(kept.length - MAX_HISTORY_RECORDS) : kept;
}

type EncodedJob = [number, number, number];
type EncodedRecord = [
  runId: number,
  attempt: number,
  triggeredAt: number,
  completedAfter: number,
  conclusion: number,
  branch: number,
  sha: string,
  commitBefore: number | null,
  ttd: number | null,
  duration: number,
  queue: number,
  failedStage: number | null,
  rollback: 0 | 1,
  jobs: EncodedJob[],
];

interface EncodedHistory {
  v: number;
  /** Epoch seconds every `triggeredAt` is relative to. */
  base: number;
  strings: string[];
  records: EncodedRecord[];
}

/** Gzipped compact JSON of the records. */
export function encodeHistory(records: readonly RunRecord[]): Buffer {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const s = (value: string): number => {
    let i = index.get(value);
    if (i === undefined) {
      i = strings.length;
      strings.push(value);
      index.set(value, i);
    }
    return i;
  };
  const base = records.length > 0 ? Math.floor(Math.min(...records.map((r) => r.triggeredAt)) / 1000) : 0;
  const sec = (ms: number): number => Math.round(ms / 1000);
  const encoded: EncodedHistory = {
    v: HISTORY_FORMAT_VERSION,
    base,
    strings,
    records: records.map((r) => [
      r.runId,
      r.attempt,
      sec(r.triggeredAt) - base,
      sec(r.completedAt - r.triggeredAt),
      s(r.conclusion),
      s(r.branch),
      r.headSha.slice(0, SHA_CHARS),
      r.commitAt === undefined ? null : sec(r.triggeredAt - r.commitAt),
      r.ttdSeconds ?? null,
      r.durationSeconds,
      r.queueSeconds,
      r.failedStage === undefined ? null : s(r.failedStage),
      r.rollback ? 1 : 0,
      r.jobs.slice(0, MAX_JOBS_PER_RECORD).map((j): EncodedJob => [s(j.name), s(j.conclusion), j.seconds]),
    ]),
  };
  return gzipSync(JSON.stringify(encoded), { level: 9 });
}

/** Records out of {@link encodeHistory}'s bytes; throws on anything else (the caller starts afresh). */
export function decodeHistory(bytes: Buffer): RunRecord[] {
  const parsed = JSON.parse(gunzipSync(bytes).toString('utf8')) as EncodedHistory;
  if (
    parsed?.v !== HISTORY_FORMAT_VERSION ||
    !Array.isArray(parsed.records) ||
    !Array.isArray(parsed.strings)
  )
    throw new Error(`not a version ${HISTORY_FORMAT_VERSION} history`);
  const str = (i: number): string => {
    const v = parsed.strings[i];
    if (typeof v !== 'string') throw new Error(`history: string ${i} is missing`);
    return v;
  };
  return parsed.records.map((e) => {
    const triggeredAt = (parsed.base + e[2]) * 1000;
    return {
      runId: e[0],
      attempt: e[1],
      triggeredAt,
      completedAt: triggeredAt + e[3] * 1000,
      conclusion: str(e[4]),
      branch: str(e[5]),
      headSha: e[6],
      commitAt: e[7] === null ? undefined : triggeredAt - e[7] * 1000,
      ttdSeconds: e[8] ?? undefined,
      durationSeconds: e[9],
      queueSeconds: e[10],
      failedStage: e[11] === null ? undefined : str(e[11]),
      rollback: e[12] === 1,
      jobs: e[13].map((j): JobOutcome => ({ name: str(j[0]), conclusion: str(j[1]), seconds: j[2] })),
    };
  });
}
