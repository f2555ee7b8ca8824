/**
 * Job summaries as GitHub shows them, in one page to open in a browser: GitHub Flavored Markdown
 * (tables, task lists, strikethrough, autolinks, alerts) rendered by `marked`, styled by
 * `github-markdown-css`, and every ```mermaid block drawn by Mermaid in the page. Self-contained:
 * the CSS and Mermaid's JavaScript are inlined, so opening the file fetches nothing.
 *
 * Used by `npm run demo` (demo-output/index.html), `npm run screenshot` (the README's picture) and
 * `__tests__/e2e/render.e2e.test.ts` (the same page with each Mermaid major in Chromium).
 *
 * When the page has run Mermaid, `<html>` carries `data-mermaid="done"` (or `"error"`, with the
 * message in `data-mermaid-error`): what a headless browser waits for.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Marked, type Tokens } from 'marked';
import markedAlert from 'marked-alert';

const require = createRequire(import.meta.url);

/** The Mermaid packages installed (devDependencies): the latest under its own name, older majors aliased. */
export const MERMAID_PACKAGES = ['mermaid10', 'mermaid11', 'mermaid'] as const;
export type MermaidPackage = (typeof MERMAID_PACKAGES)[number];

/** One job's summary on the page. */
export interface SummaryEntry {
  /** Unique on the page: the element id is `job-<id>`. */
  readonly id: string;
  /** The job, as GitHub titles a summary ("deploy-api summary"). */
  readonly job: string;
  /** A line under the title (what the job shows), plain text. */
  readonly caption?: string;
  /** The summary's Markdown, or its HTML as {@link renderSummary} made it. */
  readonly markdown?: string;
  readonly html?: string;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const marked = new Marked({ gfm: true, breaks: false }).use(markedAlert(), {
  renderer: {
    // GitHub replaces a ```mermaid block with the diagram; Mermaid reads the element's text.
    code(token: Tokens.Code): string | false {
      if (token.lang?.trim() !== 'mermaid') return false;
      return `<pre class="mermaid">${escapeHtml(token.text)}</pre>\n`;
    },
  },
});

/** One summary's Markdown as HTML (a fragment), Mermaid blocks left for the page to draw. */
export function renderSummary(markdown: string): string {
  return marked.parse(markdown, { async: false });
}

/** The version and the browser bundle (`dist/mermaid.min.js`, global `mermaid`) of an installed Mermaid. */
export function mermaidBundle(pkg: MermaidPackage = 'mermaid'): { version: string; js: string } {
  const { version } = require(`${pkg}/package.json`) as { version: string };
  return { version, js: readFileSync(require.resolve(`${pkg}/dist/mermaid.min.js`), 'utf8') };
}

/** Inline `<script>` text: `</script` inside it would end the element early. */
function inlineScript(js: string): string {
  return js.replace(/<\/script/gi, '<\\/script');
}

const PAGE_CSS = `
body { margin: 0; background: #f6f8fa; font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; }
main { box-sizing: border-box; max-width: 1012px; margin: 0 auto; padding: 24px 16px; }
header.page h1 { font-size: 20px; margin: 0 0 4px; }
header.page p { margin: 0 0 16px; color: #59636e; font-size: 14px; }
section.job { background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; margin: 0 0 16px; }
section.job > h2 { font-size: 14px; font-weight: 600; margin: 0; padding: 16px 24px 0; }
section.job > p.caption { margin: 4px 0 0; padding: 0 24px; color: #59636e; font-size: 12px; }
section.job > .markdown-body { padding: 8px 24px 24px; font-size: 14px; }
pre.mermaid { background: transparent; text-align: center; }
`;

const RUN_MERMAID = `
(async () => {
  const root = document.documentElement;
  try {
    mermaid.initialize({ startOnLoad: false, theme: 'default', securityLevel: 'strict' });
    await mermaid.run({ querySelector: 'pre.mermaid' });
    root.dataset.mermaid = 'done';
  } catch (error) {
    root.dataset.mermaidError = String((error && error.message) || error);
    root.dataset.mermaid = 'error';
  }
})();
`;

/** The whole page: every entry under its job title, Mermaid inlined and run on load. */
export function summariesPage(options: {
  readonly title: string;
  /** A line under the page title, plain text. */
  readonly intro?: string;
  readonly entries: readonly SummaryEntry[];
  readonly mermaid?: MermaidPackage;
}): string {
  const mermaid = mermaidBundle(options.mermaid);
  const css = readFileSync(require.resolve('github-markdown-css/github-markdown-light.css'), 'utf8');
  const sections = options.entries.map(
    (e) =>
      `<section class="job" id="job-${escapeHtml(e.id)}" data-job="${escapeHtml(e.id)}">\n` +
      `<h2>${escapeHtml(e.job)} summary</h2>\n` +
      (e.caption ? `<p class="caption">${escapeHtml(e.caption)}</p>\n` : '') +
      `<div class="markdown-body">\n${e.html ?? renderSummary(e.markdown ?? '')}</div>\n</section>`,
  );
  return [
    '<!doctype html>',
    `<html lang="en" data-mermaid-version="${escapeHtml(mermaid.version)}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(options.title)}</title>`,
    `<style>\n${css}\n${PAGE_CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    '<header class="page">',
    `<h1>${escapeHtml(options.title)}</h1>`,
    options.intro ? `<p>${escapeHtml(options.intro)}</p>` : '',
    '</header>',
    ...sections,
    '</main>',
    `<script>\n${inlineScript(mermaid.js)}\n</script>`,
    `<script>${RUN_MERMAID}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
