/**
 * The `stages` input: one rule a line, `<step name> => <service>/<stage>` or
 * `/<regex>/<flags> => <service>/<stage>`; first match wins; a line starting
 * with `#` is a comment, and `#` after the target starts one. A bad line is
 * reported by number and skipped; the other rules still apply.
 */

export interface StageTarget {
  /** Undefined when the rule names only a stage: the job's service applies. */
  readonly service: string | undefined;
  readonly stage: string;
}

export interface StageRule extends StageTarget {
  readonly line: number;
  readonly source: string;
  matches(stepName: string): boolean;
}

export interface StageMapParse {
  readonly rules: readonly StageRule[];
  /** Messages that name the input and the line. */
  readonly problems: readonly string[];
}

const NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SERVICE_RE = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$/;
/** A `/pattern/flags` rule; unknown flags reach the RegExp constructor, which names them. */
const REGEX_RULE_RE = /^\/(.+)\/([a-zA-Z]*)$/;
const TARGET_RE = /^\s*(?:[a-zA-Z0-9_][a-zA-Z0-9_.-]*\/)?[a-zA-Z_][a-zA-Z0-9_]*\s*$/;

/**
 * The rule without a trailing ` # comment`. A `#` that follows a complete
 * `=> target` starts a comment (which may itself contain `=>`); a `#` in a step
 * name (`Deploy #2 => api/deploy_railway`) does not.
 */
function withoutComment(line: string): string {
  for (const match of line.matchAll(/\s#/g)) {
    const candidate = line.slice(0, match.index);
    const arrow = candidate.lastIndexOf('=>');
    if (arrow < 0) continue;
    const target = candidate.slice(arrow + 2);
    if (TARGET_RE.test(target) || target.trim() === '') return candidate;
  }
  return line;
}
const MAX_PATTERN = 1000;

function shorten(text: string, max = 80): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** Parses the stage map. Never throws. */
export function parseStageMap(text: string, inputName = 'stages'): StageMapParse {
  const rules: StageRule[] = [];
  const problems: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const where = `input ${inputName}, line ${line} ("${shorten(trimmed)}")`;
    const rule = withoutComment(trimmed);
    const arrow = rule.lastIndexOf('=>');
    if (arrow < 0) {
      problems.push(`${where}: expected "<step name> => <service>/<stage>"; rule skipped`);
      return;
    }
    const pattern = rule.slice(0, arrow).trim();
    const target = rule.slice(arrow + 2).trim();
    if (pattern === '') {
      problems.push(`${where}: no step name before "=>"; rule skipped`);
      return;
    }
    if (pattern.length > MAX_PATTERN) {
      problems.push(`${where}: step name longer than ${MAX_PATTERN} characters; rule skipped`);
      return;
    }
    const parts = target.split('/');
    if (parts.length > 2 || target === '') {
      problems.push(`${where}: target "${shorten(target)}" is not "<service>/<stage>"; rule skipped`);
      return;
    }
    const [first, second] = parts as [string, string | undefined];
    const service = second === undefined ? undefined : first.trim();
    const stage = (second ?? first).trim();
    if (service !== undefined && !SERVICE_RE.test(service)) {
      problems.push(
        `${where}: service "${shorten(service)}" may hold only letters, digits, _ . -; rule skipped`,
      );
      return;
    }
    if (!NAME_RE.test(stage)) {
      problems.push(`${where}: stage "${shorten(stage)}" must be a name like deploy_railway; rule skipped`);
      return;
    }
    const regex = REGEX_RULE_RE.exec(pattern);
    let matches: (stepName: string) => boolean;
    if (regex) {
      let compiled: RegExp;
      try {
        // `g` and `y` make test() stateful; a rule must answer the same for every step.
        compiled = new RegExp(regex[1] ?? '', (regex[2] ?? '').replace(/[gy]/g, ''));
      } catch (error) {
        problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}; rule skipped`);
        return;
      }
      matches = (stepName) => compiled.test(stepName);
    } else {
      const wanted = pattern.toLowerCase();
      matches = (stepName) => stepName.trim().toLowerCase() === wanted;
    }
    rules.push(Object.freeze({ line, source: pattern, service, stage, matches }));
  });
  return { rules, problems };
}

/** The first rule that matches a step name. */
export function matchStage(rules: readonly StageRule[], stepName: string): StageTarget | undefined {
  return rules.find((rule) => rule.matches(stepName));
}
