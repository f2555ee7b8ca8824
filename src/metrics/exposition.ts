/**
 * Prometheus text exposition (format 0.0.4): rendering and parsing of single
 * sample lines. Pure. The escaping rules are those of the exposition format
 * docs: label values escape `\`, `"` and newline; HELP escapes `\` and newline.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details
 */
import type { MetricType } from './definitions.js';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** Exposition name: the family name, or `<name>_bucket|_sum|_count` for histograms. */
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
  /**
   * When the value was true (ms), for series of one deployment such as a stage's
   * duration. Remote write sends it; exposition text never carries it (the
   * Pushgateway rejects timestamps).
   */
  readonly timestampMs?: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly samples: readonly Sample[];
}

/** Metric names: https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels */
export const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Formats a sample value the way Prometheus parses it back (`+Inf`, `-Inf`, `NaN`). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export function formatLabels(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  return `{${names.map((n) => `${n}="${escapeLabelValue(labels[n] ?? '')}"`).join(',')}}`;
}

/** One family as exposition text: HELP, TYPE, then its samples. */
export function renderFamily(family: MetricFamily): string {
  const lines = [`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`];
  for (const s of family.samples) lines.push(`${s.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  return lines.join('\n') + '\n';
}

/** Several families as one exposition document (families without samples are left out). */
export function renderExposition(families: readonly MetricFamily[]): string {
  return families
    .filter((f) => f.samples.length > 0)
    .map(renderFamily)
    .join('');
}

export type ParsedLine =
  | { readonly kind: 'blank' }
  | { readonly kind: 'comment' }
  | { readonly kind: 'sample'; readonly sample: Sample }
  | { readonly kind: 'error'; readonly message: string };

const VALUE_RE = /^[+-]?(?:Inf|inf|NaN|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;

function parseValue(text: string): number | undefined {
  if (!VALUE_RE.test(text)) return undefined;
  const t = text.toLowerCase();
  if (t === '+inf' || t === 'inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  return Number(text);
}

/**
 * Parses one line of text exposition. Never throws: a line it cannot read
 * comes back as `{kind:'error'}` with a message saying what is wrong.
 */
export function parseExpositionLine(line: string): ParsedLine {
  const text = line.trim();
  if (text === '') return { kind: 'blank' };
  if (text.startsWith('#')) return { kind: 'comment' };
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(text);
  if (!nameMatch) return { kind: 'error', message: 'does not start with a metric name' };
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (text[i] === '{') {
    i++;
    for (;;) {
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (text[i] === '}') {
        i++;
        break;
      }
      const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
      if (!labelMatch) return { kind: 'error', message: `bad label name at column ${i + 1}` };
      const labelName = labelMatch[0];
      i += labelName.length;
      while (text[i] === ' ') i++;
      if (text[i] !== '=') return { kind: 'error', message: `expected = after label ${labelName}` };
      i++;
      while (text[i] === ' ') i++;
      if (text[i] !== '"')
        return { kind: 'error', message: `label ${labelName} value must be in double quotes` };
      i++;
      let value = '';
      for (;;) {
        const c = text[i];
        if (c === undefined) return { kind: 'error', message: `label ${labelName} value is not closed` };
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\') {
          const n = text[i + 1];
          if (n === 'n') value += '\n';
          else if (n === '\\' || n === '"') value += n;
          else return { kind: 'error', message: `bad escape \\${n ?? ''} in label ${labelName}` };
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      if (labelName.startsWith('__')) return { kind: 'error', message: `label ${labelName} is reserved` };
      if (Object.prototype.hasOwnProperty.call(labels, labelName))
        return { kind: 'error', message: `label ${labelName} appears twice` };
      labels[labelName] = value;
      while (text[i] === ' ') i++;
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        break;
      }
      return { kind: 'error', message: `expected , or } after label ${labelName}` };
    }
  }
  if (text[i] !== ' ' && text[i] !== '\t')
    return { kind: 'error', message: 'expected a space and a value after the name' };
  const rest = text.slice(i).trim().split(/\s+/);
  const value = parseValue(rest[0] ?? '');
  if (value === undefined)
    return { kind: 'error', message: `"${(rest[0] ?? '').slice(0, 40)}" is not a number` };
  if (rest.length > 2) return { kind: 'error', message: 'unexpected text after the value' };
  if (rest[1] !== undefined && !/^-?\d+$/.test(rest[1]))
    return { kind: 'error', message: `"${rest[1]}" is not a timestamp in milliseconds` };
  return { kind: 'sample', sample: { name, labels, value } };
}

/** A stable key for a series: name plus labels sorted by name. */
export function seriesKey(name: string, labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `${name}{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(',')}}`;
}
