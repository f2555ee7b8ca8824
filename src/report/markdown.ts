/** Making untrusted text (step names, messages) safe inside Markdown and Mermaid. */

/** One table cell: no pipes or new lines breaking the row, bounded length. */
export function cell(text: string, max = 120): string {
  const oneLine = text
    .replace(/[\r\n]+/g, ' ')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** Inline code that cannot be closed early by backticks in the text. */
export function code(text: string, max = 200): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ');
  const bounded = oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
  if (!bounded.includes('`')) return `\`${bounded}\``;
  // CommonMark: a code span's fence is longer than any backtick run inside it.
  const longest = Math.max(...(bounded.match(/`+/g) ?? ['']).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence} ${bounded} ${fence}`;
}

/** A Mermaid gantt task or section name: Mermaid treats `:` `;` `#` and new lines as syntax. */
export function mermaidText(text: string, max = 60): string {
  const safe =
    text
      .replace(/[:;#\r\n"`{}<>]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim() || 'stage';
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}
