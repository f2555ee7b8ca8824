/**
 * The README and the pages under docs/ link to each other and to the repository's files: every
 * relative link (Markdown links, reference definitions, `<img src>` and `<a href>`) must point at a
 * file or folder that exists, and a `#fragment` into a Markdown file at one of its headings (GitHub's
 * anchors: lower case, punctuation dropped, spaces as `-`, `-1`, `-2`… for repeats). Code blocks and
 * code spans are not links. The README's smallest workflow is docs/examples/deploy-minimal.yml, so
 * __tests__/unit/examples.test.ts checks its inputs.
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../rule-files.js';

function markdownFiles(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return markdownFiles(rel);
    return e.name.endsWith('.md') ? [rel] : [];
  });
}

const FILES = ['README.md', ...markdownFiles('docs')];

/** The text outside fenced code blocks, code spans blanked (so their brackets are not links). */
function prose(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(```|~~~)/.exec(line)?.[1];
    if (marker && (fence === undefined || fence === marker)) {
      fence = fence === undefined ? marker : undefined;
      lines.push('');
      continue;
    }
    lines.push(fence === undefined ? line.replace(/(`+)[\s\S]*?\1/g, '``') : '');
  }
  return lines;
}

/** GitHub's heading anchor. */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

const anchorCache = new Map<string, Set<string>>();
function anchors(file: string): Set<string> {
  let set = anchorCache.get(file);
  if (set) return set;
  set = new Set();
  const seen = new Map<string, number>();
  const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
  let fence = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) continue;
    const heading = /^#{1,6} (.+?)\s*#*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const s = slug(heading);
      const n = seen.get(s) ?? 0;
      seen.set(s, n + 1);
      set.add(n === 0 ? s : `${s}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) set.add(m[1] as string);
  }
  anchorCache.set(file, set);
  return set;
}

interface Link {
  readonly line: number;
  readonly target: string;
}

function links(file: string): Link[] {
  const out: Link[] = [];
  prose(readFileSync(path.join(REPO_ROOT, file), 'utf8')).forEach((text, i) => {
    const add = (target: string | undefined): void => {
      if (target) out.push({ line: i + 1, target });
    };
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) add(m[1]);
    for (const m of text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g)) add(m[1]);
    for (const m of text.matchAll(/<(?:img|a|source)\b[^>]*?\s(?:src|href|srcset)="([^"]+)"/g)) add(m[1]);
  });
  return out;
}

/** What is wrong with a link from `file`, or undefined when it resolves. */
function problem(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined; // absolute URL
  const [rawPath = '', fragment] = target.split('#', 2);
  const linked = rawPath === '' ? file : path.normalize(path.join(path.dirname(file), decodeURI(rawPath)));
  if (linked.startsWith('..')) return 'points outside the repository';
  const full = path.join(REPO_ROOT, linked);
  if (!existsSync(full)) return `no such file: ${linked}`;
  if (fragment !== undefined && linked.endsWith('.md') && statSync(full).isFile()) {
    if (!anchors(linked).has(fragment)) return `${linked} has no heading #${fragment}`;
  }
  return undefined;
}

test('the README and the docs pages are all checked', () => {
  expect(FILES).toEqual(
    expect.arrayContaining(['README.md', 'docs/stages.md', 'docs/metrics.md', 'docs/track-mode.md']),
  );
});

describe.each(FILES)('%s', (file) => {
  test('every relative link resolves', () => {
    const broken = links(file)
      .map((l) => ({ ...l, problem: problem(file, l.target) }))
      .filter((l) => l.problem !== undefined)
      .map((l) => `${file}:${l.line} ${l.target}: ${l.problem}`);
    expect(broken).toEqual([]);
  });
});

describe('the checker itself', () => {
  test('anchors as GitHub makes them', () => {
    expect(slug('Reporting from steps: `DEPLOY_METRICS_FILE`')).toBe(
      'reporting-from-steps-deploy_metrics_file',
    );
    expect(slug('Remote write (Mimir, Cortex, Thanos, VictoriaMetrics, Grafana Cloud)')).toBe(
      'remote-write-mimir-cortex-thanos-victoriametrics-grafana-cloud',
    );
    expect(slug("Other modes' metrics")).toBe('other-modes-metrics');
    expect(slug('Metrics and their semantics, and why')).toBe('metrics-and-their-semantics-and-why');
  });

  test('a missing file, a missing heading and a link out of the repository are caught; URLs are not checked', () => {
    expect(problem('README.md', 'docs/nope.md')).toBe('no such file: docs/nope.md');
    expect(problem('README.md', 'docs/stages.md#no-such-heading')).toBe(
      'docs/stages.md has no heading #no-such-heading',
    );
    expect(problem('docs/stages.md', '../../etc/passwd')).toBe('points outside the repository');
    expect(problem('README.md', 'https://example.com/missing')).toBeUndefined();
    expect(problem('README.md', '#usage')).toBeUndefined();
    expect(problem('README.md', 'docs/')).toBeUndefined();
  });

  test('links inside code are not links', () => {
    expect(prose('```md\n[a](missing.md)\n```\n`[b](missing.md)` and [c](ok.md)')).toEqual([
      '',
      '',
      '',
      '`` and [c](ok.md)',
    ]);
  });
});

test("the README's smallest workflow is docs/examples/deploy-minimal.yml, word for word", () => {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const first = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(first).toBe(readFileSync(path.join(REPO_ROOT, 'docs/examples/deploy-minimal.yml'), 'utf8'));
});
