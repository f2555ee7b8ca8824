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
