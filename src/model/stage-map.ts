/**
 * The `stages` input: one rule a line, `<step name> => <service>/<stage>` or
 * `/<regex>/<flags> => <service>/<stage>`; first match wins; a line starting
 * with `#` is a comment, and `#` after the target starts one. A bad line is
 * reported by number and skipped; the other rules still apply.
 *
 * Regex rules are user code run on every step name, by post, main's snapshot
 * and the live reporter, so they are bounded twice (docs/reliability.md, "Bad
 * inputs tried"):
 * a pattern that can backtrack catastrophically is refused when the map is
 * parsed (`regex-safety.ts`), and a pattern with quantifiers, alternations or
 * back-references is matched in a worker with a time bound
 * (`regex-sandbox.ts`); a pattern that runs out is no longer used, and the
 * steps it would have matched fall to later rules or inference. Only the first
 * {@link MAX_MATCHED_NAME} characters of a step name are matched by a regex.
 */
import { checkPattern } from './regex-safety.js';
import { DEFAULT_MATCH_BUDGET, RegexSandbox, type MatchBudget } from './regex-sandbox.js';
import { SERVICE_NAME_RE } from './error-types.js';

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
/** One rule for service names, shared with what steps may report (model/error-types.ts). */
const SERVICE_RE = SERVICE_NAME_RE;
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
/** Longer lines are refused before anything else is done with them. */
const MAX_LINE = 4000;
/** A regex rule sees at most this many characters of a step name. */
export const MAX_MATCHED_NAME = 512;
/** Answers a sandboxed rule remembers (the live reporter asks about the same steps every look). */
const MAX_CACHED = 2000;

export interface StageMapOptions {
  /** Time bounds of sandboxed patterns; tests make them shorter. */
  readonly budget?: MatchBudget;
}

/** What a sandboxed rule knows beyond its definition. */
interface RuleState {
  readonly line: number;
  readonly where: string;
  readonly sandbox: RegexSandbox;
  readonly id: number;
  readonly source: string;
  readonly flags: string;
  readonly cache: Map<string, boolean>;
  /** Why the rule is no longer used. */
  dropped: string | undefined;
  /** True when it was dropped because the whole map's time was used up (said once for all). */
  droppedForBudget: boolean;
  reported: boolean;
}

const sandboxed = new WeakMap<StageRule, RuleState>();

function shorten(text: string, max = 80): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** Parses the stage map. Never throws. */
export function parseStageMap(
  text: string,
  inputName = 'stages',
  options: StageMapOptions = {},
): StageMapParse {
  const rules: StageRule[] = [];
  // One worker for the map's sandboxed patterns, started on the first match that needs it.
  let sandbox: RegexSandbox | undefined;
  const problems: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const where = `input ${inputName}, line ${line} ("${shorten(trimmed)}")`;
    if (trimmed.length > MAX_LINE) {
      problems.push(`${where}: line longer than ${MAX_LINE} characters; rule skipped`);
      return;
    }
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
    let state: RuleState | undefined;
    if (regex) {
      const source = regex[1] ?? '';
      // `g` and `y` make test() stateful; a rule must answer the same for every step.
      const flags = (regex[2] ?? '').replace(/[gy]/g, '');
      let compiled: RegExp;
      try {
        compiled = new RegExp(source, flags);
      } catch (error) {
        problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}; rule skipped`);
        return;
      }
      const verdict = checkPattern(source, flags);
      if (verdict.refused !== undefined) {
        problems.push(
          `${where}: the pattern can backtrack catastrophically: ${verdict.refused}; rule skipped`,
        );
        return;
      }
      if (verdict.simple) {
        // No quantifier, alternation or back-reference: linear in the name, run here.
        matches = (stepName) => compiled.test(stepName.slice(0, MAX_MATCHED_NAME));
      } else {
        sandbox ??= new RegexSandbox(options.budget ?? DEFAULT_MATCH_BUDGET);
        const s: RuleState = {
          line,
          where,
          sandbox,
          id: sandbox.register(),
          source,
          flags,
          cache: new Map(),
          dropped: undefined,
          droppedForBudget: false,
          reported: false,
        };
        state = s;
        matches = (stepName) => sandboxedMatches(s, [stepName])[0] ?? false;
      }
    } else {
      const wanted = pattern.toLowerCase();
      matches = (stepName) => stepName.trim().toLowerCase() === wanted;
    }
    const made: StageRule = Object.freeze({ line, source: pattern, service, stage, matches });
    if (state) sandboxed.set(made, state);
    rules.push(made);
  });
  return { rules, problems };
}

/**
 * A sandboxed rule's answers for some step names: from its cache, else from
 * the worker in one request. A rule that ran out of time (or found no time
 * left) is dropped: false for every name from then on.
 */
function sandboxedMatches(state: RuleState, stepNames: readonly string[]): boolean[] {
  if (state.dropped !== undefined) return stepNames.map(() => false);
  const texts = stepNames.map((n) => n.slice(0, MAX_MATCHED_NAME));
  const unknown = [...new Set(texts.filter((t) => !state.cache.has(t)))];
  if (unknown.length > 0) {
    const answer = state.sandbox.test(state.id, state.source, state.flags, unknown);
    if (!answer.ok) {
      const shown =
        unknown.length === 1
          ? ` on the step "${shorten(unknown[0] ?? '')}"`
          : ` on the job's ${unknown.length} step names`;
      state.droppedForBudget = answer.reason === 'budget';
      state.dropped =
        answer.reason === 'timeout'
          ? `${state.where}: matching the pattern took ${answer.detail}${shown}; rule no longer used (its steps fall to later rules or inferred stages)`
          : answer.reason === 'budget'
            ? `${state.where}: the stage map's patterns used up their time (${answer.detail}); rule no longer used (its steps fall to later rules or inferred stages)`
            : `${state.where}: ${answer.detail}; rule not used (its steps fall to later rules or inferred stages)`;
      state.cache.clear();
      return stepNames.map(() => false);
    }
    if (state.cache.size + unknown.length > MAX_CACHED) state.cache.clear();
    unknown.forEach((t, i) => state.cache.set(t, answer.matched[i] === true));
  }
  return texts.map((t) => state.cache.get(t) === true);
}

/**
 * Asks every sandboxed rule about all of a job's step names at once (one
 * request per rule), so that a rule that runs out of time is dropped for the
 * whole job before the model reads any answer: the stages and their states
 * then agree. Returns the problems not returned before, naming the input and
 * line of each rule dropped. Cheap when there is no sandboxed rule.
 */
export function prepareStageRules(rules: readonly StageRule[], stepNames: readonly string[]): string[] {
  const out: string[] = [];
  const forBudget: RuleState[] = [];
  for (const rule of rules) {
    const state = sandboxed.get(rule);
    if (!state) continue;
    if (stepNames.length > 0) sandboxedMatches(state, stepNames);
    if (state.dropped !== undefined && !state.reported) {
      state.reported = true;
      if (state.droppedForBudget) forBudget.push(state);
      else out.push(state.dropped);
    }
  }
  // Once the map's time is used up every later pattern goes the same way: one message for all.
  const [firstDropped] = forBudget;
  if (firstDropped?.dropped !== undefined)
    out.push(
      forBudget.length === 1
        ? firstDropped.dropped
        : `${firstDropped.dropped}; so were ${forBudget.length - 1} later rule(s) (lines ${forBudget
            .slice(1, 11)
            .map((r) => r.line)
            .join(', ')}${forBudget.length > 11 ? ', …' : ''})`,
    );
  return out;
}

/** The services a job may write: its own and those its stage map names. */
export function writableServices(service: string, rules: readonly StageRule[]): Set<string> {
  return new Set([service, ...rules.map((r) => r.service).filter((s): s is string => !!s)]);
}

/** The first rule that matches a step name. */
export function matchStage(rules: readonly StageRule[], stepName: string): StageTarget | undefined {
  return rules.find((rule) => rule.matches(stepName));
}
