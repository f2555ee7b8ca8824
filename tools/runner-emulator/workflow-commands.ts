/**
 * Stdout workflow commands (`::name k=v,…::data`) and secret masking, after
 * actions/runner's ActionCommand.TryParseV2 and ActionCommandManager.
 */

/** An annotation as the check run would record it. */
export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  title?: string;
  file?: string;
  line?: number;
  endLine?: number;
  col?: number;
  endColumn?: number;
  /** Every property of the command, unescaped. */
  properties: Record<string, string>;
  /** Index of the StepSpec it came from (-1: the runner itself, outside any step). */
  step: number;
  phase: 'pre' | 'main' | 'post' | 'run' | 'job';
  /** The step's name as GitHub shows it. */
  stepName: string;
  /**
   * Whether GitHub would display it: at most 10 errors, 10 warnings and 10
   * notices per step and 50 per job are shown; the rest are dropped.
   */
  shown: boolean;
}

/** A parsed workflow command. */
export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  data: string;
}

/**
 * Commands the runner registers. Any other `::x::` line is plain output
 * (TryParseV2 returns false for unregistered names). Matching is
 * case-insensitive like the runner's OrdinalIgnoreCase set.
 */
const REGISTERED = new Set([
  'add-mask',
  'add-matcher',
  'remove-matcher',
  'debug',
  'warning',
  'error',
  'notice',
  'group',
  'endgroup',
  'echo',
  'set-output',
  'save-state',
  'set-env',
  'add-path',
  'stop-commands',
]);

/** Message data: only CR, LF and % are escaped (runner _escapeDataMappings, applied in this order). */
export function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

/** Property values also escape `:` and `,` (runner _escapePropertyMappings). */
export function unescapeProperty(s: string): string {
  return s
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

/**
 * Parses one output line as a workflow command, or returns null when it is
 * plain output. `extra` holds names registered at run time (a stop-commands
 * token).
 */
export function parseWorkflowCommand(input: string, extra?: ReadonlySet<string>): WorkflowCommand | null {
  const message = input.trimStart(); // The runner trims leading whitespace before looking for `::`.
  if (!message.startsWith('::')) return null;
  const end = message.indexOf('::', 2);
  if (end < 0) return null;
  const info = message.slice(2, end);
  const space = info.indexOf(' ');
  const name = space < 0 ? info : info.slice(0, space);
  const lower = name.toLowerCase();
  if (!REGISTERED.has(lower) && !(extra && [...extra].some((t) => t.toLowerCase() === lower))) return null;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const prop of info
      .slice(space + 1)
      .trim()
      .split(',')) {
      if (prop === '') continue;
      const eq = prop.indexOf('=');
      // The runner splits with RemoveEmptyEntries and keeps only `k=v` pairs with both parts.
      if (eq <= 0 || eq === prop.length - 1) continue;
      properties[prop.slice(0, eq)] = unescapeProperty(prop.slice(eq + 1));
    }
  }
  return { command: name, properties, data: unescapeData(message.slice(end + 2)) };
}

function intProp(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isNaN(n) ? undefined : n;
}

/** Builds an annotation from an `error`/`warning`/`notice` command. */
export function annotationFromCommand(
  cmd: WorkflowCommand,
  where: { step: number; phase: Annotation['phase']; stepName: string },
): Annotation {
  const p = cmd.properties;
  const a: Annotation = {
    level: cmd.command.toLowerCase() as Annotation['level'],
    message: cmd.data,
    properties: { ...p },
    ...where,
    shown: true,
  };
  if (p.title !== undefined) a.title = p.title;
  if (p.file !== undefined) a.file = p.file;
  const line = intProp(p.line);
  if (line !== undefined) a.line = line;
  const endLine = intProp(p.endLine);
  if (endLine !== undefined) a.endLine = endLine;
  const col = intProp(p.col);
  if (col !== undefined) a.col = col;
  const endColumn = intProp(p.endColumn);
  if (endColumn !== undefined) a.endColumn = endColumn;
  return a;
}

/**
 * The runner's secret masker: every registered value (and the encodings the
 * runner also masks: JSON-string and URI-escaped) becomes `***` in the log and
 * in step summaries. Only output written after registration is masked, as on
 * GitHub, so a secret printed before its `::add-mask::` leaks here too.
 */
export class SecretMasker {
  private readonly values = new Set<string>();

  /** Registers a value; blank values are ignored (the runner warns about them). */
  add(value: string): void {
    const candidates = [value, ...value.split(/\r?\n/)];
    for (const v of candidates) {
      if (v.trim() === '') continue;
      this.values.add(v);
      const json = JSON.stringify(v).slice(1, -1);
      if (json !== v) this.values.add(json);
      const uri = encodeURIComponent(v);
      if (uri !== v) this.values.add(uri);
    }
  }

  /** Replaces every registered value, longest first so overlapping secrets mask fully. */
  mask(text: string): string {
    if (this.values.size === 0) return text;
    let out = text;
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) {
      out = out.split(v).join('***');
    }
    return out;
  }
}

/** Marks which annotations GitHub would show: 10 per level per step, 50 per job. */
export function applyAnnotationLimits(annotations: Annotation[]): void {
  const perStep = new Map<string, number>();
  let total = 0;
  for (const a of annotations) {
    const key = `${a.step}/${a.phase}/${a.level}`;
    const n = (perStep.get(key) ?? 0) + 1;
    perStep.set(key, n);
    a.shown = n <= 10 && total < 50;
    if (a.shown) total++;
  }
}
