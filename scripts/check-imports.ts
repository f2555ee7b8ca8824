/**
 * `npm run check:imports`: the import rules of docs/architecture.md ("Import directions"), checked
 * on every file under src/, type-only and dynamic imports included:
 *
 * - no import cycle between files;
 * - no cycle between the folders under src/ (a folder is a layer: who uses whom must be one-way);
 * - `model/` and `util/` import nothing outside themselves;
 * - only `entrypoints/` imports `hooks/`, and nothing imports `entrypoints/`;
 * - nothing under src/ imports the tests, the test bed (`tools/`) or `scripts/`;
 * - no dead export: every function, constant and class a file under src/ exports is named in some
 *   other file (under src/, the tests, `tools/`, `scripts/` or `dashboards/`); one only its own file
 *   uses is not exported. Types are left out: a type in an exported signature stays exported.
 *
 * Prints every violation and exits 1, or prints one line and exits 0. `--graph` also prints which
 * folder imports which.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SRC = path.join(ROOT, 'src');

/** Folders whose files import only their own folder. */
const LEAVES = new Set(['model', 'util']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The files under src/ a file imports (static, type-only, re-exports and `import()`). */
export function importsOf(file: string, text: string): { target: string; spec: string }[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => ({
      spec,
      target: path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')),
    }));
}

/** The folder under src/ a file belongs to (`.` for files directly in src/). */
function folderOf(file: string): string {
  const rel = path.relative(SRC, file);
  return rel.includes(path.sep) ? rel.split(path.sep)[0]! : '.';
}

/** Strongly connected components with more than one node, or a node importing itself (Tarjan). */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.has(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) visit(v);
  return out;
}

/** A shortest path from `from` back to itself inside one component, to print a cycle readably. */
function loopThrough(graph: Map<string, Set<string>>, from: string, within: Set<string>): string[] {
  const prev = new Map<string, string>();
  const queue = [from];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!within.has(w)) continue;
      if (w === from) {
        const pathBack = [v];
        while (pathBack[0] !== from) pathBack.unshift(prev.get(pathBack[0]!)!);
        return [...pathBack, from];
      }
      if (!seen.has(w)) {
        seen.add(w);
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [from];
}

export interface ImportReport {
  readonly violations: string[];
  readonly folders: Map<string, Set<string>>;
}

export function checkImports(files: readonly string[], read: (f: string) => string): ImportReport {
  const violations: string[] = [];
  const fileGraph = new Map<string, Set<string>>();
  const folderGraph = new Map<string, Set<string>>();
  const rel = (f: string): string => path.relative(ROOT, f);
  for (const file of files) {
    const from = folderOf(file);
    const edges = new Set<string>();
    fileGraph.set(file, edges);
    if (!folderGraph.has(from)) folderGraph.set(from, new Set());
    for (const { target, spec } of importsOf(file, read(file))) {
      if (!target.startsWith(SRC + path.sep)) {
        violations.push(`${rel(file)} imports ${spec}, outside src/`);
        continue;
      }
      edges.add(target);
      const to = folderOf(target);
      if (to === from) continue;
      folderGraph.get(from)!.add(to);
      if (LEAVES.has(from)) violations.push(`${rel(file)} (${from}/) imports ${to}/: ${spec}`);
      if (to === 'hooks' && from !== 'entrypoints')
        violations.push(`${rel(file)} imports hooks/ (only entrypoints/ may): ${spec}`);
      if (to === 'entrypoints') violations.push(`${rel(file)} imports entrypoints/: ${spec}`);
    }
  }
  for (const scc of cycles(fileGraph)) {
    const loop = loopThrough(fileGraph, scc[0]!, new Set(scc));
    violations.push(`import cycle between files: ${loop.map(rel).join(' → ')}`);
  }
  for (const scc of cycles(folderGraph)) {
    const loop = loopThrough(folderGraph, scc[0]!, new Set(scc));
    violations.push(`import cycle between folders: ${loop.map((f) => `${f}/`).join(' → ')}`);
  }
  return { violations, folders: folderGraph };
}

/** The values a file exports by declaration (`export function f`, `export const X`, `export class C`, …). */
export function exportedNames(text: string): string[] {
  const names: string[] = [];
  const re =
    /^export\s+(?:declare\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?|const|let|var|class|enum|abstract\s+class)\s+([A-Za-z_$][\w$]*)/gm;
  for (const m of text.matchAll(re)) names.push(m[1]!);
  return names;
}

/**
 * `file: name` for every export of `sources` that no other file of `corpus` names (as an
 * identifier: a word of the text, comments included, which errs on the side of passing).
 */
export function deadExports(sources: readonly string[], corpus: ReadonlyMap<string, string>): string[] {
  const filesNaming = new Map<string, Set<string>>();
  for (const [file, text] of corpus) {
    for (const word of new Set(text.match(/[A-Za-z_$][\w$]*/g) ?? [])) {
      let files = filesNaming.get(word);
      if (!files) filesNaming.set(word, (files = new Set()));
      files.add(file);
    }
  }
  const dead: string[] = [];
  for (const file of sources) {
    for (const name of exportedNames(corpus.get(file) ?? '')) {
      const users = [...(filesNaming.get(name) ?? [])].filter((f) => f !== file);
      if (users.length === 0) dead.push(`${path.relative(ROOT, file)}: ${name}`);
    }
  }
  return dead;
}

/** Every TypeScript and JavaScript file that may use an export of src/ (not dist/, not node_modules). */
function corpusFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      if (name === 'node_modules' || name === 'fixtures') return [];
      if (statSync(full).isDirectory()) return walk(full);
      return /\.(ts|mts|mjs|js)$/.test(name) ? [full] : [];
    });
  return ['src', '__tests__', 'tools', 'scripts', 'dashboards']
    .map((d) => path.join(ROOT, d))
    .filter((d) => {
      try {
        return statSync(d).isDirectory();
      } catch {
        return false;
      }
    })
    .flatMap(walk);
}

function main(): void {
  const files = sourceFiles(SRC);
  const { violations, folders } = checkImports(files, (f) => readFileSync(f, 'utf8'));
  const corpus = new Map(corpusFiles().map((f) => [f, readFileSync(f, 'utf8')] as const));
  for (const dead of deadExports(files, corpus))
    violations.push(`${dead} is exported but no other file names it: un-export it or delete it`);
  if (process.argv.includes('--graph'))
    for (const [from, to] of [...folders].sort())
      console.log(`${from}/ → ${[...to].sort().join(', ') || '(nothing)'}`);
  if (violations.length > 0) {
    for (const v of violations) console.error(v);
    console.error(`check-imports: ${violations.length} violation(s) of docs/architecture.md's import rules`);
    process.exit(1);
  }
  console.log(
    `check-imports: ${files.length} files under src/, no cycle, every import direction allowed, no dead export`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
