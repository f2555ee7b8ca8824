/**
 * GitHub-flavoured Markdown rendered by a real GFM renderer: Debian's `cmark-gfm` (GitHub's own
 * renderer, `scripts/setup-test-deps.sh` installs it), with GitHub's extensions and raw HTML kept
 * (`--unsafe`: GitHub passes raw HTML on to its sanitiser, which keeps links and images).
 */
import { execFileSync } from 'node:child_process';

export function renderGfm(markdown: string): string {
  return execFileSync(
    'cmark-gfm',
    ['--unsafe', '-e', 'table', '-e', 'strikethrough', '-e', 'autolink', '-e', 'tagfilter', '-e', 'tasklist'],
    { input: markdown, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
}

/** Every tag of the HTML in order (`tr`, `/tr`, …), code spans left out: the document's structure. */
export function tagsOf(html: string): string[] {
  return [...html.matchAll(/<(\/?[a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g)]
    .map((m) => (m[1] as string).toLowerCase())
    .filter((t) => t !== 'code' && t !== '/code');
}

/** The targets of every link and image in the HTML. */
export function linkTargets(html: string): string[] {
  return [...html.matchAll(/<(?:a|img)\b[^>]*?(?:href|src)="([^"]*)"/g)].map((m) => m[1] as string);
}

/** Rows of every table: the number of cells of each row, table by table. */
export function tableShapes(html: string): number[][] {
  return [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((t) =>
    [...(t[1] as string).matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(
      (r) => [...(r[1] as string).matchAll(/<t[dh]\b/g)].length,
    ),
  );
}
