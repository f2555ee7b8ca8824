/**
 * The import checker (`npm run check:imports`) on made-up trees, so a cycle or a forbidden
 * direction is known to fail it; and on the real src/, which must pass.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkImports, cycles, deadExports, exportedNames, SRC } from '../../scripts/check-imports.js';

const at = (rel: string): string => path.join(SRC, rel);

function check(files: Record<string, string>): string[] {
  return checkImports(Object.keys(files).map(at), (f) => files[path.relative(SRC, f)] ?? '').violations;
}

describe('cycles', () => {
  test('finds a loop of three and a self-import, not a chain', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['d'])],
      ['e', new Set(['a'])],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c'], ['d']]);
    expect(
      cycles(
        new Map([
          ['x', new Set(['y'])],
          ['y', new Set<string>()],
        ]),
      ),
    ).toEqual([]);
  });
});

describe('checkImports', () => {
  test('a type-only cycle between files is a cycle', () => {
    const v = check({
      'config/inputs.ts': "import type { W } from '../delivery/client.js';\n",
      'delivery/client.ts': "import type { C } from '../config/inputs.js';\n",
    });
    expect(
      v.some((m) =>
        m.startsWith(
          'import cycle between files: src/config/inputs.ts → src/delivery/client.ts → src/config/inputs.ts',
        ),
      ),
    ).toBe(true);
    expect(v).toContain('import cycle between folders: config/ → delivery/ → config/');
  });

  test('a dynamic import counts', () => {
    const v = check({
      'metrics/a.ts': "export const a = () => import('../delivery/b.js');\n",
      'delivery/b.ts': "import { x } from '../metrics/c.js';\n",
      'metrics/c.ts': 'export const x = 1;\n',
    });
    expect(v).toEqual(['import cycle between folders: delivery/ → metrics/ → delivery/']);
  });

  test('model/ and util/ import only themselves; only entrypoints/ import hooks/', () => {
    const v = check({
      'model/m.ts': "import { x } from '../metrics/x.js';\nimport { y } from './y.js';\n",
      'model/y.ts': '',
      'metrics/x.ts': "import { h } from '../hooks/h.js';\n",
      'hooks/h.ts': '',
      'entrypoints/pre.ts': "import { h } from '../hooks/h.js';\n",
    });
    expect(v).toEqual([
      'src/model/m.ts (model/) imports metrics/: ../metrics/x.js',
      'src/metrics/x.ts imports hooks/ (only entrypoints/ may): ../hooks/h.js',
    ]);
  });

  test('an import out of src/ is refused', () => {
    expect(check({ 'util/u.ts': "import { f } from '../../tools/fake-github/server.js';\n" })).toEqual([
      'src/util/u.ts imports ../../tools/fake-github/server.js, outside src/',
    ]);
  });

  test('the real src/ keeps the rules', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) files.push(full);
      }
    };
    walk(SRC);
    expect(checkImports(files, (f) => readFileSync(f, 'utf8')).violations).toEqual([]);
  });
});

describe('deadExports', () => {
  const corpus = new Map([
    [
      at('util/a.ts'),
      [
        'export function used(): void {}',
        'export const onlyHere = 1;',
        'export async function testedOnly(): Promise<void> {}',
        'export class Lonely {}',
        'export interface Shape { n: number }',
        'const local = onlyHere + 1;',
      ].join('\n'),
    ],
    [at('hooks/b.ts'), "import { used } from '../util/a.js';\nused();\n"],
    [
      path.join(SRC, '..', '__tests__', 'unit', 'a.test.ts'),
      "import { testedOnly } from '../../src/util/a.js';\n",
    ],
  ]);

  test('an exported value no other file names is dead; one a test or another file uses is not; types are left out', () => {
    expect(deadExports([at('util/a.ts'), at('hooks/b.ts')], corpus)).toEqual([
      'src/util/a.ts: onlyHere',
      'src/util/a.ts: Lonely',
    ]);
  });

  test('exportedNames reads the declaration forms', () => {
    expect(
      exportedNames(
        'export function f() {}\nexport async function g() {}\nexport const C = 1;\nexport enum E {}\nexport type T = 1;\n  export const indented = 2;',
      ),
    ).toEqual(['f', 'g', 'C', 'E']);
  });
});
