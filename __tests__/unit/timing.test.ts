/**
 * REST API timestamps: 1 s resolution, mixed UTC offsets, completed_at before started_at.
 */
import { describe, expect, test } from '@jest/globals';
import { durationSeconds, formatDuration, parseTimestamp, toIso } from '../../src/model/timing.js';

const TEN_UTC = Date.UTC(2024, 0, 1, 10, 0, 0);

describe('parseTimestamp', () => {
  test.each<[string, number]>([
    ['2024-01-01T10:00:00Z', TEN_UTC],
    ['2024-01-01T02:00:00-08:00', TEN_UTC],
    ['2024-01-01T15:30:00+05:30', TEN_UTC],
    ['2024-01-01T10:00:00+00:00', TEN_UTC],
    ['2024-01-01T10:00:00+0000', TEN_UTC],
    ['2024-01-01T11:00:00+0100', TEN_UTC],
    ['2024-01-01T10:00:00.000Z', TEN_UTC],
    ['2024-01-01T10:00:00.5Z', TEN_UTC + 500],
    ['2024-01-01T10:00:00.123456Z', TEN_UTC + 123],
    ['2024-01-01t10:00:00z', TEN_UTC],
    ['2023-12-31T23:00:00-11:00', TEN_UTC],
  ])('%s → %d', (text, ms) => {
    expect(parseTimestamp(text)).toBe(ms);
  });

  test('a job timestamp in Z and a step timestamp in -08:00 are the same instant', () => {
    expect(parseTimestamp('2024-01-01T10:00:00Z')).toBe(parseTimestamp('2024-01-01T02:00:00-08:00'));
    // …though the strings compare the other way round.
    expect('2024-01-01T10:00:00Z' > '2024-01-01T02:00:00-08:00').toBe(true);
  });

  test.each<[string, string | null | undefined]>([
    ['null', null],
    ['undefined', undefined],
    ['empty', ''],
    ['garbage', 'not a date'],
    ['date only', '2024-01-01'],
    ['no offset (local time would be ambiguous)', '2024-01-01T10:00:00'],
    ['space instead of T', '2024-01-01 10:00:00Z'],
    ['month 13', '2024-13-01T10:00:00Z'],
    ['hour 25', '2024-01-01T25:00:00Z'],
    ['day 32', '2024-01-32T10:00:00Z'],
    ['RFC 2822', 'Mon, 01 Jan 2024 10:00:00 GMT'],
    ['epoch number as text', '1704103200'],
    ['trailing garbage', '2024-01-01T10:00:00Z garbage'],
    ['leading space', ' 2024-01-01T10:00:00Z'],
    ['minutes missing', '2024-01-01T10Z'],
  ])('%s → undefined', (_what, value) => {
    expect(parseTimestamp(value)).toBeUndefined();
  });
});

describe('durationSeconds', () => {
  test.each<[string, number, number, number]>([
    ['ordinary', TEN_UTC, TEN_UTC + 65_000, 65],
    ['sub-second', TEN_UTC, TEN_UTC + 1500, 1.5],
    ['zero', TEN_UTC, TEN_UTC, 0],
    ['completed before started (skipped step): clamped at 0', TEN_UTC + 5000, TEN_UTC, 0],
    ['far negative: clamped', TEN_UTC, 0, 0],
  ])('%s', (_what, start, end, seconds) => {
    expect(durationSeconds(start, end)).toBe(seconds);
  });

  test('mixed offsets give the right duration', () => {
    const start = parseTimestamp('2024-01-01T02:00:00-08:00') as number;
    const end = parseTimestamp('2024-01-01T10:01:30Z') as number;
    expect(durationSeconds(start, end)).toBe(90);
  });
});

describe('toIso', () => {
  test.each<[number, string]>([
    [TEN_UTC, '2024-01-01T10:00:00Z'],
    [TEN_UTC + 999, '2024-01-01T10:00:00Z'],
    [0, '1970-01-01T00:00:00Z'],
  ])('%d → %s', (ms, text) => {
    expect(toIso(ms)).toBe(text);
  });

  test('round trips through parseTimestamp at whole seconds', () => {
    expect(parseTimestamp(toIso(TEN_UTC + 42_000))).toBe(TEN_UTC + 42_000);
  });
});

describe('formatDuration', () => {
  test.each<[number, string]>([
    [0, '0s'],
    [0.4, '0s'],
    [1, '1s'],
    [42, '42s'],
    [59, '59s'],
    [59.4, '59s'],
    [59.6, '1m 00s'],
    [60, '1m 00s'],
    [65, '1m 05s'],
    [119, '1m 59s'],
    [600, '10m 00s'],
    [3599, '59m 59s'],
    [3599.6, '1h 00m'],
    [3600, '1h 00m'],
    [3720, '1h 02m'],
    [3725, '1h 02m'],
    [36000, '10h 00m'],
    [90000, '25h 00m'],
  ])('%p → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
