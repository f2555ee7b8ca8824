/**
 * Making untrusted text (step names, messages, branch names) safe in Markdown tables, inline code
 * and Mermaid gantt lines.
 */
import { describe, expect, test } from '@jest/globals';
import { cell, code, mermaidText } from '../../src/report/markdown.js';

/** A short test title for a possibly long string. */
function title(text: string): string {
  return text.length > 60
    ? `${JSON.stringify(text.slice(0, 24))}… (${text.length} characters)`
    : JSON.stringify(text);
}

/** Pipes that end a GFM table cell: not preceded by a backslash (cmark-gfm's row scanner). */
function unescapedPipes(row: string): number {
  let n = 0;
  for (let i = 0; i < row.length; i++) if (row[i] === '|' && row[i - 1] !== '\\') n++;
  return n;
}

/**
 * The content of the code span at the start of `text`, per CommonMark: the span opened by a run of
 * N backticks ends at the next run of exactly N backticks; one leading and one trailing space are
 * stripped when both are there (and the content is not all spaces). Undefined if never closed.
 */
function codeSpanContent(text: string): { content: string; rest: string } | undefined {
  const open = /^`+/.exec(text)?.[0];
  if (!open) return undefined;
  const n = open.length;
  let i = n;
  while (i < text.length) {
    if (text[i] === '`') {
      let j = i;
      while (text[j] === '`') j++;
      if (j - i === n) {
        let content = text.slice(n, i).replace(/\n/g, ' ');
        if (content.length >= 2 && content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '')
          content = content.slice(1, -1);
        return { content, rest: text.slice(j) };
      }
      i = j;
    } else i++;
  }
  return undefined;
}

const HOSTILE = [
  'plain',
  'a | b | c',
  '||||',
  'line\nbreak\r\nand\rcarriage',
  '`backtick`',
  '<script>alert(1)</script>',
  'trailing backslash \\',
  'escaped \\| pipe',
  '**bold** _em_ [link](http://x)',
  'x'.repeat(500),
  '🚀 déploiement ✅',
  ':;#{}"',
];

describe('cell', () => {
  test.each(HOSTILE.map((t) => [title(t), t]))('%s stays inside one table cell', (_title, text) => {
    const row = `| ${cell(text)} | next |`;
    expect(row).not.toMatch(/[\r\n]/);
    expect(unescapedPipes(row)).toBe(3);
  });

  test.each<[string, string]>([
    ['a|b', 'a\\|b'],
    ['a\nb', 'a b'],
    ['a\r\n\r\nb', 'a b'],
    ['<b>', '&lt;b&gt;'],
    ['plain text', 'plain text'],
  ])('%j → %j', (text, expected) => {
    expect(cell(text)).toBe(expected);
  });

  test.each([
    [500, 120],
    [121, 120],
    [120, 120],
    [10, 10],
  ])('a %d-character text is at most 120 characters', (length, expected) => {
    expect(cell('y'.repeat(length))).toHaveLength(expected);
  });

  test('the bound can be set; a cut text ends with an ellipsis', () => {
    const out = cell('z'.repeat(1000), 400);
    expect(out).toHaveLength(400);
    expect(out.endsWith('…')).toBe(true);
  });

  test('a cut between the backslash and the pipe of an escape does not leave a bare pipe', () => {
    for (let k = 110; k < 125; k++) {
      const row = `| ${cell(`${'a'.repeat(k)}|||||||||||`)} |`;
      expect(unescapedPipes(row)).toBe(2);
    }
  });
});

describe('code', () => {
  test.each(
    [
      'main',
      '9876543210-2',
      'feature/x',
      'a`b',
      'x ``` y',
      '`leading',
      'trailing`',
      '`both`',
      'a\nb',
      'x'.repeat(250),
    ].map((t) => [title(t), t]),
  )('%s is one code span holding the (one-line, bounded) text', (_title, text) => {
    const out = code(text);
    const span = codeSpanContent(out);
    expect(span).toBeDefined();
    expect(span?.rest).toBe('');
    const expected = text.replace(/[\r\n]+/g, ' ');
    expect(span?.content).toBe(expected.length > 200 ? `${expected.slice(0, 199)}…` : expected);
  });

  test.each<[string, string]>([
    ['main', '`main`'],
    ['a`b', '`` a`b ``'],
  ])('%j → %j', (text, expected) => {
    expect(code(text)).toBe(expected);
  });

  // JSDoc: "Inline code that cannot be closed early by backticks in the text." A run of two backticks in
  // the text closes the `` fence early (git allows backticks in branch names; error_type values come from
  // steps): code('a``b') gives "`` a``b ``", which CommonMark reads as code "a" followed by text "b ``".
  test.each(['a``b', 'x `` y', '``'])(
    '%j is one code span (a run of backticks as long as the fence)',
    (text) => {
      const span = codeSpanContent(code(text));
      expect(span?.rest).toBe('');
      expect(span?.content).toBe(text);
    },
  );
});

describe('mermaidText', () => {
  test.each<[string, string]>([
    ['build', 'build'],
    ['deploy: railway', 'deploy railway'],
    ['a;b#c', 'a b c'],
    ['multi\nline\r\nname', 'multi line name'],
    ['"quoted" `tick` {brace} <tag>', 'quoted tick brace tag'],
    ['   ', 'stage'],
    [':::', 'stage'],
    ['', 'stage'],
  ])('%j → %j', (text, expected) => {
    expect(mermaidText(text)).toBe(expected);
  });

  test.each(HOSTILE.map((t) => [title(t), t]))(
    '%s has none of Mermaid’s separators and stays short',
    (_title, text) => {
      const out = mermaidText(text);
      expect(out).not.toMatch(/[:;#\r\n"`{}<>]/);
      expect(out.length).toBeGreaterThan(0);
      expect(out.length).toBeLessThanOrEqual(60);
    },
  );
});
