/**
 * The parsers every mode's reader shares: a bad value falls back to its default with a problem
 * that names the input and quotes the value (one line, bounded).
 */
import { quoteInput } from '../util/safe-text.js';

const TRUE = ['true', 'yes', '1', 'on'];
const FALSE = ['false', 'no', '0', 'off'];

/** `true`/`yes`/`1`/`on` or `false`/`no`/`0`/`off`, any case; empty: the fallback. */
export function parseBoolean(value: string, name: string, fallback: boolean, problems: string[]): boolean {
  const v = value.trim().toLowerCase();
  if (v === '') return fallback;
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  problems.push(`input ${name}: ${quoteInput(value)} is not true or false; using ${fallback}`);
  return fallback;
}

/** A number `valid` accepts; empty: the fallback; anything else: the fallback and a problem saying what was `expected`. */
export function parseNumber(
  value: string,
  name: string,
  fallback: number,
  valid: (n: number) => boolean,
  expected: string,
  problems: string[],
): number {
  const raw = value.trim();
  if (raw === '') return fallback;
  const n = Number(raw);
  if (Number.isFinite(n) && valid(n)) return n;
  problems.push(`input ${name}: ${quoteInput(raw)} is not ${expected}; using ${fallback}`);
  return fallback;
}

/** What a seconds input allows, and what it falls to. */
export interface SecondsRule {
  readonly fallback: number;
  readonly min: number;
  /** No upper bound when undefined. */
  readonly max?: number;
  /** Out of range: the nearest bound (`clamp`) or the fallback (`fallback`). */
  readonly outOfRange: 'clamp' | 'fallback';
}

/**
 * A number of seconds: `30`, `30s`, `30 s`, `7.5`; empty: the fallback. Not a number (`ten`, `-5`,
 * `1e3`): the fallback. Out of range: the rule says which. Each fallback is a problem naming the input.
 */
export function parseSeconds(value: string, name: string, rule: SecondsRule, problems: string[]): number {
  const text = value.trim();
  if (text === '') return rule.fallback;
  const match = /^(\d+(?:\.\d+)?)\s*s?$/.exec(text);
  if (!match) {
    problems.push(`input ${name}: ${quoteInput(value)} is not a number of seconds; using ${rule.fallback}`);
    return rule.fallback;
  }
  const seconds = Number(match[1]);
  const max = rule.max ?? Infinity;
  if (seconds >= rule.min && seconds <= max) return seconds;
  const used = rule.outOfRange === 'fallback' ? rule.fallback : Math.min(max, Math.max(rule.min, seconds));
  const range =
    rule.max === undefined
      ? `below the minimum of ${rule.min} seconds`
      : `outside ${rule.min}–${rule.max} seconds`;
  problems.push(`input ${name}: ${seconds} is ${range}; using ${used}`);
  return used;
}
