/**
 * Making untrusted text (step, job and branch names, error types, a receiver's error body) safe
 * where it enters GitHub-flavoured Markdown (job summaries, check runs) and Mermaid. GitHub renders
 * with cmark-gfm (tables, strikethrough, autolinks, tag filter) and raw HTML through a sanitiser,
 * so untrusted text must never open a link, an image, raw HTML, emphasis, a code span, a table
 * cell, a block (heading, quote, list) or an autolink (`https://…`, `www.…`, `name@host`).
 * Tested by rendering with Debian's `cmark-gfm` (`__tests__/unit/gfm.test.ts`).
 */
import { redactUrls } from '../util/safe-text.js';

/** Zero-width space: keeps GFM's autolink extension from seeing `www.` or `user@host`. */
const ZWSP = '&#8203;';

const ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };
/** ASCII punctuation that opens inline syntax; escaped with a backslash (CommonMark 2.4). */
const INLINE_SYNTAX = new Set(['\\', '`', '*', '_', '~', '[', ']', '|', '$', '#']);
const ALNUM = /[A-Za-z0-9]/;

/** Text escaped so that it renders as itself: no Markdown syntax, no HTML, no autolink. One line. */
export function inline(text: string): string {
  const s = text.replace(/[\r\n\u2028\u2029\u0085]+/g, ' ');
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c in ENTITIES) out += ENTITIES[c];
    else if (c === '_' && ALNUM.test(s[i - 1] ?? '') && ALNUM.test(s[i + 1] ?? ''))
      out += c; // `deploy_railway`: an underscore inside a word is never emphasis
    else if (INLINE_SYNTAX.has(c)) out += `\\${c}`;
    else if (c === ':' && s.startsWith('//', i + 1))
      out += '\\:'; // `https\://` is not autolinked
    else if (c === '@')
      out += `@${ZWSP}`; // nor `user@host` (nor a GitHub @mention)
    else if ((c === 'w' || c === 'W') && /^www\./i.test(s.slice(i, i + 4)) && !ALNUM.test(s[i - 1] ?? '')) {
      out += `${s.slice(i, i + 3)}\\.`;
      i += 3;
    } else out += c;
  }
  // A block marker at the start (heading, list item, quote, thematic break, setext underline).
  return out.replace(/^(\s*)([+\-=])/, '$1\\$2').replace(/^(\s*\d+)([.)])/, '$1\\$2');
}

/** The first `max` characters of a text, `…` when cut. */
function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One table cell (or any one-line text): escaped, URLs redacted, at most `max` characters of text. */
export function cell(text: string, max = 120): string {
  return inline(bounded(redactUrls(text.replace(/[\r\n]+/g, ' ')), max));
}

/** A code span's delimiters around one-line text: a fence longer than any backtick run inside. */
function codeSpan(oneLine: string): string {
  if (!oneLine.includes('`')) return `\`${oneLine}\``;
  // CommonMark: a code span's fence is longer than any backtick run inside it.
  const longest = Math.max(...(oneLine.match(/`+/g) ?? ['']).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence} ${oneLine} ${fence}`;
}

/** Inline code that cannot be closed early by backticks in the text (not for table cells: {@link codeCell}). */
export function code(text: string, max = 200): string {
  return codeSpan(bounded(text.replace(/[\r\n]+/g, ' '), max));
}

/**
 * Inline code inside a table cell. GFM splits the row on every `|` not escaped by a backslash,
 * even inside a code span, and removes that backslash again (so the span shows `|`). A pipe after
 * an odd run of backslashes gets one more backslash, or the row would split there.
 */
export function codeCell(text: string, max = 200): string {
  const content = bounded(text.replace(/[\r\n]+/g, ' '), max).replace(/(\\*)\|/g, (_all, slashes: string) =>
    slashes.length % 2 === 0 ? `${slashes}\\|` : `${slashes}\\\\|`,
  );
  return codeSpan(content);
}

/**
 * A line of text the action wrote with `code` in backticks, around untrusted parts (a delivery
 * line with a group's labels and a receiver's error body, the live-tracking line): each backtick
 * pair becomes a code span, everything else is escaped; URLs redacted; one line.
 */
export function markdownLine(text: string, max = 1000): string {
  const parts = bounded(redactUrls(text.replace(/[\r\n]+/g, ' ')), max).split('`');
  return parts
    .map((part, i) => {
      const isCode = i % 2 === 1 && i < parts.length - 1;
      return isCode ? code(part, max) : inline(i % 2 === 1 ? `\`${part}` : part);
    })
    .join('');
}

/** A link whose target the action built itself (a run URL): only http(s), nothing that ends it early. */
export function link(label: string, url: string): string {
  if (!/^https?:\/\/[^\s]+$/i.test(url)) return inline(label);
  const target = url.replace(/[()<>\\[\]"'`]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `[${inline(label)}](${target})`;
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
