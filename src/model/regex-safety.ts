/**
 * A conservative static check of a user's regular expression (a stage-map
 * rule) for the shapes that make a backtracking engine take exponential time:
 *
 * - **nested quantifiers**: a group repeated more than once (`*`, `+`, `{n,}`,
 *   `{n,m}` with m > 1) that itself holds a quantifier of variable count
 *   (`*`, `+`, `?`, `{n,m}` with n ≠ m), at any depth: `(a+)+`, `(\w+\s?)+`,
 *   `(a*b?){2,}`, `((x+)y)*`;
 * - **repeated alternations that can match the same text**: a group repeated
 *   more than once holding an alternation whose branches do not all start with
 *   distinct literal characters: `(a|a)*`, `(a|ab)+`, `(\w|\d)*`, `(x|)+`.
 *   `(foo|bar)+` is accepted: every branch starts with its own literal.
 *
 * Everything else is accepted, including shapes that are only polynomial
 * (`.*a.*b`, `\s*\s*x`): the matching itself is time-bounded
 * (`regex-sandbox.ts`) for those. The check runs on a pattern the RegExp
 * constructor has already accepted, in one pass over its text. Pure.
 */

export interface PatternVerdict {
  /** Why the pattern is refused; undefined when it is accepted. */
  readonly refused: string | undefined;
  /**
   * True when matching is linear in the text and safe to run in-process: no
   * quantifier, no alternation and no back-reference (a fixed sequence of
   * characters, classes and assertions, like `/health/i` or `/^Deploy /`).
   */
  readonly simple: boolean;
}

interface Quantifier {
  readonly min: number;
  readonly max: number;
  readonly text: string;
}

interface Atom {
  readonly kind: 'char' | 'class' | 'group' | 'backref' | 'assertion';
  /** The literal character of a `char` atom (lower-cased with the `i` flag). */
  readonly char?: string;
  /** Group atoms: holds a variable-count quantifier somewhere inside. */
  readonly variable?: boolean;
  /** Group atoms: holds an alternation whose branches can start alike. */
  readonly ambiguous?: boolean;
  /** Group atoms: the group's text, for messages. */
  readonly source?: string;
}

interface Frame {
  readonly start: number;
  variable: boolean;
  ambiguous: boolean;
  /** First characters of the branches seen so far (undefined: a branch with no literal start). */
  readonly firsts: (string | undefined)[];
  /** The first atom of the current branch has been seen. */
  branchStarted: boolean;
  branchFirst: string | undefined;
  alternation: boolean;
}

const QUANTIFIER_RE = /^\{(\d+)(?:(,)(\d*))?\}/;

function newFrame(start: number): Frame {
  return {
    start,
    variable: false,
    ambiguous: false,
    firsts: [],
    branchStarted: false,
    branchFirst: undefined,
    alternation: false,
  };
}

function shortSource(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** The index just past a character class starting at `i` (`[`), nested classes with `v`. */
function skipClass(source: string, i: number, nested: boolean): number {
  let depth = 0;
  for (let j = i; j < source.length; j++) {
    const c = source[j];
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '[' && (depth === 0 || nested)) depth++;
    else if (c === ']') {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return source.length;
}

/** The index just past an escape starting at `i` (`\`), and the atom it is. */
function readEscape(source: string, i: number, unicode: boolean): { end: number; atom: Atom } {
  const c = source[i + 1] ?? '';
  if (/[1-9]/.test(c)) {
    let j = i + 2;
    while (/\d/.test(source[j] ?? '')) j++;
    return { end: j, atom: { kind: 'backref' } };
  }
  if (c === 'k' && source[i + 2] === '<') {
    const close = source.indexOf('>', i + 3);
    return { end: close < 0 ? source.length : close + 1, atom: { kind: 'backref' } };
  }
  if ((c === 'p' || c === 'P') && source[i + 2] === '{') {
    const close = source.indexOf('}', i + 3);
    return { end: close < 0 ? source.length : close + 1, atom: { kind: 'class' } };
  }
  if (c === 'u' && unicode && source[i + 2] === '{') {
    const close = source.indexOf('}', i + 3);
    return { end: close < 0 ? source.length : close + 1, atom: { kind: 'class' } };
  }
  if (c === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6)))
    return { end: i + 6, atom: { kind: 'class' } };
  if (c === 'x' && /^[0-9a-fA-F]{2}$/.test(source.slice(i + 2, i + 4)))
    return { end: i + 4, atom: { kind: 'class' } };
  if (c === 'c' && /[a-zA-Z]/.test(source[i + 2] ?? '')) return { end: i + 3, atom: { kind: 'class' } };
  if (c === 'b' || c === 'B') return { end: i + 2, atom: { kind: 'assertion' } };
  if ('dDwWsS0'.includes(c) || c === '') return { end: i + 2, atom: { kind: 'class' } };
  if ('fnrtv'.includes(c)) return { end: i + 2, atom: { kind: 'class' } };
  return { end: i + 2, atom: { kind: 'char', char: c } };
}

/**
 * The quantifier at `i`, if there is one: `*`, `+`, `?`, `{n}`, `{n,}`,
 * `{n,m}`, each optionally lazy (`?`).
 */
function readQuantifier(source: string, i: number): { end: number; q: Quantifier } | undefined {
  const c = source[i];
  let q: Quantifier | undefined;
  let end = i + 1;
  if (c === '*') q = { min: 0, max: Infinity, text: '*' };
  else if (c === '+') q = { min: 1, max: Infinity, text: '+' };
  else if (c === '?') q = { min: 0, max: 1, text: '?' };
  else if (c === '{') {
    const m = QUANTIFIER_RE.exec(source.slice(i, i + 40));
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' || m[3] === undefined ? Infinity : Number(m[3]);
    q = { min, max, text: m[0] };
    end = i + m[0].length;
  }
  if (!q) return undefined;
  if (source[end] === '?') end++;
  return { end, q };
}

/**
 * Checks a pattern (the text between the slashes) compiled with `flags`.
 * Never throws; a pattern it cannot follow is refused.
 */
export function checkPattern(source: string, flags: string): PatternVerdict {
  const unicode = flags.includes('u') || flags.includes('v');
  const ignoreCase = flags.includes('i');
  const stack: Frame[] = [newFrame(0)];
  let simple = true;
  let refused: string | undefined;

  const top = (): Frame => stack[stack.length - 1] as Frame;
  const endBranch = (frame: Frame): void => {
    frame.firsts.push(frame.branchStarted ? frame.branchFirst : undefined);
  };
  const closeAlternation = (frame: Frame): void => {
    endBranch(frame);
    if (!frame.alternation) return;
    const seen = new Set<string>();
    for (const first of frame.firsts) {
      if (first === undefined || seen.has(first)) {
        frame.ambiguous = true;
        return;
      }
      seen.add(first);
    }
  };

  let i = 0;
  while (i < source.length && refused === undefined) {
    const c = source[i] as string;
    let atom: Atom;
    let end: number;
    if (c === '\\') {
      ({ end, atom } = readEscape(source, i, unicode));
      if (atom.kind === 'char' && ignoreCase) atom = { ...atom, char: atom.char?.toLowerCase() };
    } else if (c === '[') {
      end = skipClass(source, i, flags.includes('v'));
      atom = { kind: 'class' };
    } else if (c === '(') {
      let j = i + 1;
      if (source[j] === '?') {
        // (?: (?= (?! (?<= (?<! (?<name>
        j++;
        if (source[j] === '<' && source[j + 1] !== '=' && source[j + 1] !== '!') {
          const close = source.indexOf('>', j);
          j = close < 0 ? source.length : close + 1;
        } else if (source[j] === '<') j += 2;
        else j++;
      }
      stack.push(newFrame(i));
      i = j;
      continue;
    } else if (c === ')') {
      const frame = stack.pop();
      if (!frame || stack.length === 0) return { refused: 'unbalanced parentheses', simple: false };
      closeAlternation(frame);
      end = i + 1;
      atom = {
        kind: 'group',
        variable: frame.variable,
        ambiguous: frame.ambiguous,
        source: source.slice(frame.start, end),
      };
    } else if (c === '|') {
      simple = false;
      const frame = top();
      endBranch(frame);
      frame.alternation = true;
      frame.branchStarted = false;
      frame.branchFirst = undefined;
      i++;
      continue;
    } else if (c === '^' || c === '$') {
      end = i + 1;
      atom = { kind: 'assertion' };
    } else if (c === '.') {
      end = i + 1;
      atom = { kind: 'class' };
    } else {
      end = i + 1;
      atom = { kind: 'char', char: ignoreCase ? c.toLowerCase() : c };
    }
    if (atom.kind === 'backref') simple = false;

    const quantified = readQuantifier(source, end);
    const q = quantified?.q;
    if (q) {
      simple = false;
      if (atom.kind === 'group' && q.max > 1) {
        const group = shortSource(atom.source ?? '');
        if (atom.variable)
          refused = `the group "${group}" is repeated by "${q.text}" and holds a quantifier itself (nested quantifiers, like (a+)+)`;
        else if (atom.ambiguous)
          refused = `the group "${group}" is repeated by "${q.text}" and its alternatives can match the same text (like (a|a)*)`;
      }
    }
    const frame = top();
    if (!frame.branchStarted) {
      frame.branchStarted = true;
      // A branch starts with a known literal only if that literal must be there.
      frame.branchFirst = atom.kind === 'char' && (!q || q.min >= 1) ? atom.char : undefined;
    }
    if (atom.kind === 'group') {
      frame.variable ||= atom.variable === true;
      frame.ambiguous ||= atom.ambiguous === true;
    }
    if (q && q.min !== q.max) frame.variable = true;
    i = quantified?.end ?? end;
  }
  if (refused !== undefined) return { refused, simple: false };
  if (stack.length !== 1) return { refused: 'unbalanced parentheses', simple: false };
  return { refused: undefined, simple };
}
