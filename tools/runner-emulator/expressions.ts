/**
 * A small evaluator for GitHub Actions `${{ … }}` expressions: enough of the
 * language for action.yml input defaults (`${{ github.token }}`,
 * `${{ job.status }}`, `${{ github.event.workflow_run.id || github.run_id }}`),
 * step `with:`/`env:` values and `if:` conditions.
 *
 * Semantics follow GitHub's expression docs: context property access is
 * case-insensitive, `||`/`&&` return an operand (not a boolean), `==` compares
 * strings case-insensitively and coerces mixed types to numbers, a missing
 * property is `null`, and `null` renders as the empty string.
 */

/** A value an expression can produce. */
export type ExprValue =
  string | number | boolean | null | ExprValue[] | { [key: string]: ExprValue | undefined };

/** Everything an expression can see: named contexts plus the job status the status functions read. */
export interface ExprScope {
  contexts: Record<string, unknown>;
  /** `job.status` right now; drives success()/failure()/cancelled(). */
  jobStatus: 'success' | 'failure' | 'cancelled';
}

type Token =
  | { kind: 'str'; value: string }
  | { kind: 'num'; value: number }
  | { kind: 'ident'; value: string }
  | { kind: 'op'; value: string }
  | { kind: 'eof' };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      // String literals use single quotes; '' is an escaped quote (GitHub's rule).
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new Error(`Unterminated string literal in expression: ${src}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += src[i];
        i++;
      }
      tokens.push({ kind: 'str', value });
      continue;
    }
    const num = /^(0x[0-9a-fA-F]+|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(src.slice(i));
    if (num && (c !== '-' || /\d/.test(src[i + 1] ?? ''))) {
      tokens.push({ kind: 'num', value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    // Property names may contain hyphens (`steps.track.outputs.deployment-id`).
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', value: ident[0] });
      i += ident[0].length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['||', '&&', '==', '!=', '<=', '>='].includes(two)) {
      tokens.push({ kind: 'op', value: two });
      i += 2;
      continue;
    }
    if ('!<>()[].,*'.includes(c)) {
      tokens.push({ kind: 'op', value: c });
      i++;
      continue;
    }
    throw new Error(`Unexpected character '${c}' in expression: ${src}`);
  }
  tokens.push({ kind: 'eof' });
  return tokens;
}

/** Truthiness as GitHub defines it: false, 0, -0, '', null and NaN are falsy. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '') return false;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  return true;
}

/** Renders a value the way `${{ }}` interpolation does. */
export function exprToString(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, null, 2);
}

function toNumber(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v);
  return NaN;
}

function looseEquals(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (typeof a === 'object' && a !== null) return a === b;
  if (typeof b === 'object' && b !== null) return false;
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  return toNumber(a) === toNumber(b);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = toNumber(a);
  const y = toNumber(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  return x - y;
}

/** Case-insensitive property lookup, as contexts are case-insensitive on GitHub. */
function getProp(obj: unknown, key: unknown): unknown {
  if (obj === null || obj === undefined) return null;
  if (Array.isArray(obj)) {
    if (typeof key === 'number') return obj[key] ?? null;
    return null;
  }
  if (typeof obj !== 'object') return null;
  const k = String(key);
  const rec = obj as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(rec, k)) return rec[k] ?? null;
  const lower = k.toLowerCase();
  for (const [name, value] of Object.entries(rec)) {
    if (name.toLowerCase() === lower) return value ?? null;
  }
  return null;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly scope: ExprScope,
    private readonly src: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }
  private next(): Token {
    return this.tokens[this.pos++] as Token;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.value === v;
  }
  private expectOp(v: string): void {
    const t = this.next();
    if (t.kind !== 'op' || t.value !== v) throw new Error(`Expected '${v}' in expression: ${this.src}`);
  }

  parse(): unknown {
    const v = this.or();
    if (this.peek().kind !== 'eof') throw new Error(`Unexpected token in expression: ${this.src}`);
    return v;
  }

  private or(): unknown {
    let left = this.and();
    while (this.isOp('||')) {
      this.next();
      const right = this.and();
      left = truthy(left) ? left : right;
    }
    return left;
  }

  private and(): unknown {
    let left = this.cmp();
    while (this.isOp('&&')) {
      this.next();
      const right = this.cmp();
      left = truthy(left) ? right : left;
    }
    return left;
  }

  private cmp(): unknown {
    const left = this.unary();
    const t = this.peek();
    if (t.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.value)) {
      this.next();
      const right = this.unary();
      switch (t.value) {
        case '==':
          return looseEquals(left, right);
        case '!=':
          return !looseEquals(left, right);
        case '<':
          return compare(left, right) < 0;
        case '<=':
          return compare(left, right) <= 0;
        case '>':
          return compare(left, right) > 0;
        default:
          return compare(left, right) >= 0;
      }
    }
    return left;
  }

  private unary(): unknown {
    if (this.isOp('!')) {
      this.next();
      return !truthy(this.unary());
    }
    return this.postfix(this.primary());
  }

  private postfix(value: unknown): unknown {
    let v = value;
    // After `.*` the value is a list and later property names apply to each item.
    let filtered = false;
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        if (t.kind === 'op' && t.value === '*') {
          // Object filter `a.*.b`: the values of every property.
          v = v && typeof v === 'object' ? Object.values(v as object) : [];
          filtered = true;
          continue;
        }
        if (t.kind !== 'ident') throw new Error(`Expected a property name in expression: ${this.src}`);
        v = filtered && Array.isArray(v) ? v.map((x: unknown) => getProp(x, t.value)) : getProp(v, t.value);
        continue;
      }
      if (this.isOp('[')) {
        this.next();
        const key = this.or();
        this.expectOp(']');
        v = getProp(v, key);
        continue;
      }
      return v;
    }
  }

  private primary(): unknown {
    const t = this.next();
    if (t.kind === 'str' || t.kind === 'num') return t.value;
    if (t.kind === 'op' && t.value === '(') {
      const v = this.or();
      this.expectOp(')');
      return v;
    }
    if (t.kind === 'ident') {
      const name = t.value;
      if (name === 'true') return true;
      if (name === 'false') return false;
      if (name === 'null') return null;
      if (this.isOp('(')) {
        this.next();
        const args: unknown[] = [];
        if (!this.isOp(')')) {
          for (;;) {
            args.push(this.or());
            if (this.isOp(',')) {
              this.next();
              continue;
            }
            break;
          }
        }
        this.expectOp(')');
        return this.call(name, args);
      }
      return getProp(this.scope.contexts, name);
    }
    throw new Error(`Unexpected token in expression: ${this.src}`);
  }

  private call(name: string, args: unknown[]): unknown {
    const s = this.scope.jobStatus;
    const str = (i: number): string => exprToString(args[i]);
    switch (name.toLowerCase()) {
      case 'success':
        return s === 'success';
      case 'failure':
        return s === 'failure';
      case 'cancelled':
        return s === 'cancelled';
      case 'always':
        return true;
      case 'contains': {
        const hay = args[0];
        if (Array.isArray(hay)) return hay.some((x) => looseEquals(x, args[1]));
        return str(0).toLowerCase().includes(str(1).toLowerCase());
      }
      case 'startswith':
        return str(0).toLowerCase().startsWith(str(1).toLowerCase());
      case 'endswith':
        return str(0).toLowerCase().endsWith(str(1).toLowerCase());
      case 'format':
        return str(0)
          .replace(/\{(\d+)\}/g, (_m, d: string) => str(Number(d) + 1))
          .replace(/\{\{/g, '{')
          .replace(/\}\}/g, '}');
      case 'join': {
        const a = args[0];
        const sep = args.length > 1 ? str(1) : ',';
        return Array.isArray(a) ? a.map(exprToString).join(sep) : str(0);
      }
      case 'tojson':
        return JSON.stringify(args[0] ?? null, null, 2);
      case 'fromjson':
        return JSON.parse(str(0)) as unknown;
      default:
        throw new Error(`Unsupported function '${name}' in expression: ${this.src}`);
    }
  }
}

/** Evaluates the inside of one `${{ … }}`. */
export function evaluate(expression: string, scope: ExprScope): unknown {
  return new Parser(tokenize(expression), scope, expression).parse();
}

/** Whether a condition names a status function; if not, GitHub wraps it in `success() && (…)`. */
function hasStatusFunction(expression: string): boolean {
  return /\b(success|failure|cancelled|always)\s*\(/i.test(expression);
}

/**
 * Evaluates an `if:` condition (with or without `${{ }}`), applying GitHub's
 * implicit `success() &&` when the condition calls no status function.
 */
export function evaluateCondition(condition: string, scope: ExprScope): boolean {
  let expr = condition.trim();
  const wrapped = /^\$\{\{([\s\S]*)\}\}$/.exec(expr);
  if (wrapped) expr = (wrapped[1] as string).trim();
  if (expr === '') expr = 'success()';
  if (!hasStatusFunction(expr)) expr = `success() && (${expr})`;
  return truthy(evaluate(expr, scope));
}

/** Replaces every `${{ … }}` in a string with its rendered value. */
export function interpolate(template: string, scope: ExprScope): string {
  return template.replace(/\$\{\{([\s\S]*?)\}\}/g, (_m, inner: string) =>
    exprToString(evaluate(inner, scope)),
  );
}
