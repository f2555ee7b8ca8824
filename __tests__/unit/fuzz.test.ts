/**
 * Property tests (fast-check) of the parsers that read user input and of the
 * text the action writes: the stage map, DEPLOY_METRICS_FILE, label escaping and
 * Pushgateway grouping paths, remote-write requests, URL inputs with credentials and
 * remote-write headers. Never throws; every problem names its line; every
 * exposition the action would write is accepted by a real parser (`promtool`).
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseHeaders, readConfig } from '../../src/config/inputs.js';
import { parseCredentialUrl } from '../../src/config/urls.js';
import { readVerifyConfig } from '../../src/config/verify-inputs.js';
import { parseExpositionLine, renderExposition } from '../../src/metrics/exposition.js';
import { groupPath } from '../../src/delivery/pushgateway.js';
import { metricByName } from '../../src/metrics/definitions.js';
import {
  MAX_COUNTER_INCREMENT,
  MAX_REPORTED_SERIES,
  parseReportedMetrics,
} from '../../src/metrics/reported.js';
import { mergeUpdates } from '../../src/metrics/series.js';
import { finishUpdates, type TrackContext } from '../../src/metrics/track.js';
import type { DeploymentResult } from '../../src/model/deployment.js';
import { matchStage, parseStageMap, prepareStageRules } from '../../src/model/stage-map.js';
import { MAX_SAMPLE_AGE_MS, toWriteRequest } from '../../src/delivery/remote-write/timeseries.js';
import { decodeWriteRequest, encodeWriteRequest } from '../../src/delivery/remote-write/wire.js';
import { redactUrl } from '../../src/util/safe-text.js';
import { stage, T0 } from './builders.js';

/** Characters that matter to the parsers, mixed with arbitrary unicode. */
const PIECES = [
  '=>',
  '/',
  '#',
  ' # ',
  '\n',
  '\r\n',
  ' ',
  '\t',
  '"',
  '\\',
  '{',
  '}',
  ',',
  '=',
  'api/',
  'build',
  'deploy_railway',
  '/health/i',
  '/(/',
  '/a/gyz',
  'Deploy #2',
  '_total',
  'le',
  'job',
  '1',
  '-1',
  'NaN',
  '+Inf',
  '1e300',
];
const messy = (maxLength: number): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: 'grapheme', maxLength: 6 })), {
      maxLength,
    })
    .map((parts) => parts.join(''));

describe('stage map parser', () => {
  test('never throws on arbitrary text; every problem names its input and line', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), messy(40)), (text) => {
        const parsed = parseStageMap(text);
        const lineCount = text.split(/\r?\n/).length;
        for (const problem of parsed.problems) {
          const m = /^input stages, line (\d+) /.exec(problem);
          expect(m).not.toBeNull();
          const n = Number(m?.[1]);
          expect(n).toBeGreaterThanOrEqual(1);
          expect(n).toBeLessThanOrEqual(lineCount);
        }
        for (const rule of parsed.rules) {
          expect(rule.stage).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
          // A rule answers without throwing, whatever the step name.
          expect(typeof rule.matches('Deploy to Railway')).toBe('boolean');
        }
        // Every non-blank, non-comment line is either a rule or a problem.
        const meaningful = text
          .split(/\r?\n/)
          .filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).length;
        expect(parsed.rules.length + parsed.problems.length).toBe(meaningful);
      }),
      { numRuns: 1000 },
    );
  });
});

/** Regex pieces that make backtracking blow up when put together the wrong way. */
const REGEX_PIECES = [
  '(',
  ')',
  '(?:',
  '(?=',
  '+',
  '*',
  '?',
  '{2,}',
  '{1,3}',
  '|',
  '\\w',
  '\\s',
  '\\d',
  '.',
  'a',
  ' ',
  '[a-z]',
  '^',
  '$',
  '\\1',
  'Deploy',
];
const regexSource = fc
  .array(fc.constantFrom(...REGEX_PIECES), { minLength: 1, maxLength: 14 })
  .map((parts) => parts.join(''));
/** Step names that hurt: long runs of one character ending in one that fails the match. */
const hostileName = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc
    .tuple(
      fc.constantFrom('a', ' ', 'Deploy ', 'a ', '1'),
      fc.integer({ min: 10, max: 700 }),
      fc.constantFrom('!', '', 'b'),
    )
    .map(([unit, n, end]) => `${unit.repeat(n)}${end}`.slice(0, 2000)),
);

describe('stage map: parse and match are bounded in time, whatever the map and the step names', () => {
  test('never throws; refused or not, every map answers for every step within a generous bound', () => {
    const budget = { matchTimeoutMs: 100, startupTimeoutMs: 5000, totalMs: 400 };
    let slowest = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(regexSource, fc.constantFrom('', 'i', 'u', 's')), { minLength: 1, maxLength: 4 }),
        fc.array(hostileName, { minLength: 1, maxLength: 6 }),
        (patterns, names) => {
          const text = patterns.map(([src, flags], i) => `/${src}/${flags} => api/s${i}`).join('\n');
          const started = performance.now();
          const parsed = parseStageMap(text, 'stages', { budget });
          for (const problem of parsed.problems) expect(problem).toMatch(/^input stages, line \d+ /);
          const dropped = prepareStageRules(parsed.rules, names);
          for (const problem of dropped) expect(problem).toMatch(/^input stages, line \d+ /);
          for (const name of names) matchStage(parsed.rules, name);
          const ms = performance.now() - started;
          slowest = Math.max(slowest, ms);
          // The map's time bound (400 ms) plus worker starts, with room for a loaded machine.
          expect(ms).toBeLessThan(4000);
        },
      ),
      { numRuns: 150 },
    );
    expect(slowest).toBeLessThan(4000);
  }, 120_000);

  test('patterns the static check accepts and runs in-process never take long on a 2,000-character name', () => {
    // No sandbox: only "simple" patterns (no quantifier, alternation or back-reference) run in-process.
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', ' ', '\\w', '\\s', '.', '[a-z]', '^', '$', '(?=a)', '(a)', 'Deploy'), {
          minLength: 1,
          maxLength: 40,
        }),
        hostileName,
        (parts, name) => {
          const parsed = parseStageMap(`/${parts.join('')}/i => api/x`);
          const started = performance.now();
          for (const rule of parsed.rules) rule.matches(name);
          expect(performance.now() - started).toBeLessThan(200);
        },
      ),
      { numRuns: 500 },
    );
  });
});

const CTX: TrackContext = {
  environment: 'production',
  deploymentId: '123-2',
  service: 'api',
  branch: 'main',
  triggeredBy: 'github_actions',
};

function deployment(failed: boolean): DeploymentResult {
  const stages = [
    stage({ stage: 'build' }),
    stage({ stage: 'deploy_railway', status: failed ? 'failure' : 'success' }),
    stage({ stage: 'rollback' }),
  ];
  return {
    status: failed ? 'failure' : 'success',
    stages,
    failedStage: failed ? stages[1] : undefined,
    errorType: failed ? 'unknown' : undefined,
    failureMessage: undefined,
    startedAt: T0,
    completedAt: T0 + 300_000,
    durationSeconds: 300,
    totalThresholdSeconds: 900,
    slow: false,
    rollback: stages[2],
    mainSteps: [],
  };
}

const labelName = fc.oneof(
  fc.constantFrom('status', 'stage', 'error_type', 'service', 'reason', 'resource', 'test_name', 'x'),
  fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/),
);
const metricName = fc.oneof(
  fc.constantFrom(
    'deployment_errors_total',
    'deployment_rollback_total',
    'api_health_check_latency_ms',
    'smoke_test_total',
    'deployment_infrastructure_cost',
    'railway_deployment_memory_mb',
    'database_migration_lag_seconds',
    'deployment_total',
    'my_custom_total',
    'my_custom_gauge',
  ),
  fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/),
);
const labelValue = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('"', '\\', '\n', 'a"b\\c\nd', ''),
  // Values the checked labels accept (service: the job's own; error_type: a known one).
  fc.constantFrom('api', 'timeout', 'health_check_failed'),
);
const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
/** A plausible exposition line: mostly well-formed, sometimes broken. */
const reportLine = fc.oneof(
  fc
    .tuple(
      metricName,
      fc.uniqueArray(fc.tuple(labelName, labelValue), { maxLength: 4, selector: ([n]) => n }),
      fc.oneof(
        // Bounded so that summing a dozen lines stays finite (non-finite single values come from the constants).
        fc.double({ min: -1e300, max: 1e300, noNaN: true }).map(String),
        fc.integer({ min: -5, max: 1000 }).map(String),
        fc.constantFrom('NaN', '+Inf', '-Inf', '1e400', '0x10', ''),
      ),
      fc.constantFrom('', ' 1700000000000', ' abc'),
    )
    .map(
      ([name, labels, value, ts]) =>
        `${name}${labels.length ? `{${labels.map(([n, v]) => `${n}="${escape(v)}"`).join(',')}}` : ''} ${value}${ts}`,
    ),
  messy(10),
);
const reportFile = fc.array(reportLine, { maxLength: 12 }).map((lines) => lines.join('\n'));

describe('DEPLOY_METRICS_FILE parser', () => {
  test('never throws; every problem names the file and line; accepted series render to exposition promtool accepts', () => {
    const documents: string[] = [];
    let accepted = 0;
    fc.assert(
      fc.property(reportFile, fc.boolean(), (text, failed) => {
        const reported = parseReportedMetrics(text, 'DEPLOY_METRICS_FILE /tmp/m.prom');
        for (const problem of reported.problems)
          expect(problem).toMatch(/^DEPLOY_METRICS_FILE \/tmp\/m\.prom line \d+: .*; line skipped$/s);
        for (const s of reported.series) expect(Number.isFinite(s.value)).toBe(true);
        accepted += reported.series.length;
        const groups = finishUpdates(CTX, deployment(failed), reported, {
          startedAt: T0,
          finishedAt: T0 + 300_000,
        });
        // One document per group, as pushed to a fresh group.
        expect(groups.size).toBeGreaterThan(0);
        for (const updates of groups.values())
          documents.push(renderExposition(mergeUpdates(updates, undefined)));
      }),
      { numRuns: 400 },
    );
    // A control: the checker does catch a document promtool rejects (and promtool is there).
    expect(() => checkMany(['# TYPE x gauge\nx{a="\\q"} 1\n'])).toThrow(/parsing error/);
    // The generator reaches the interesting part: many lines are accepted (about 170–250 of the
    // ~2,400 generated; the bound leaves room for the random draw).
    expect(accepted).toBeGreaterThan(100);
    // Every document as pushed (one per group), checked in a few shell calls.
    for (let i = 0; i < documents.length; i += 250) checkMany(documents.slice(i, i + 250));
  }, 20_000);
});

describe('DEPLOY_METRICS_FILE parser: hostile files', () => {
  const longToken = fc
    .tuple(fc.constantFrom('z', '9', '"', '{', 'a_', '\\', 'é'), fc.integer({ min: 1, max: 6000 }))
    .map(([c, n]) => c.repeat(n));
  const hostileLine = fc.oneof(
    reportLine,
    fc.tuple(metricName, longToken).map(([n, t]) => `${n} 1 ${t}`),
    fc.tuple(longToken, longToken).map(([a, b]) => `${a}{${b}="1"} 1`),
    fc.tuple(metricName, longToken).map(([n, t]) => `${n} ${t}`),
    fc.integer({ min: 0, max: 5000 }).map((i) => `x_total{service="svc-${i}"} 1`),
    fc.integer({ min: 0, max: 5000 }).map((i) => `y_gauge{i="${i}"} 1`),
    fc.constantFrom(
      'deployment_rollback_total{reason="x",status="success"} 1e300',
      'c_total 999999',
      'c_total 2',
    ),
  );

  test('never throws, within a generous time; bounded messages; only allowed services; series and counters capped', () => {
    fc.assert(
      fc.property(
        fc.array(hostileLine, { maxLength: 60 }),
        fc.integer({ min: 0, max: 1500 }),
        (lines, extra) => {
          // Sometimes a file far past the series limit.
          const text = [...lines, ...Array.from({ length: extra }, (_, i) => `bulk_total{i="${i}"} 1`)].join(
            '\n',
          );
          const started = performance.now();
          const r = parseReportedMetrics(text, 'DEPLOY_METRICS_FILE /tmp/m.prom', {
            services: new Set(['api', 'web']),
            service: 'api',
          });
          expect(performance.now() - started).toBeLessThan(2000);
          for (const p of r.problems) {
            expect(p).toMatch(/^DEPLOY_METRICS_FILE \/tmp\/m\.prom line \d+: .*; line skipped(, and .*)?$/s);
            expect(p.length).toBeLessThan(900);
          }
          expect(r.series.length).toBeLessThanOrEqual(MAX_REPORTED_SERIES);
          // Plain checks over every series (one expect each run: expect is slow in a loop).
          const bad = r.series.filter(
            (x) =>
              !Number.isFinite(x.value) ||
              !['api', 'web'].includes(x.labels.service ?? 'api') ||
              (x.definition.type === 'counter' && x.value > MAX_COUNTER_INCREMENT),
          );
          expect(bad).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);

  test('10,000 lines of 100 characters each parse within a second or so', () => {
    const text = Array.from(
      { length: 10_000 },
      (_, i) => `m${i % 50}{a="${'x'.repeat(70)}",i="${i}"} ${i}`,
    ).join('\n');
    const started = performance.now();
    const r = parseReportedMetrics(text, 'f', { services: new Set(['api']), service: 'api' });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(r.series).toHaveLength(MAX_REPORTED_SERIES);
  });
});

/** Lint findings promtool makes on the contract's fixed names (as in e2e/helpers.ts). */
const CONTRACT_NAME_LINTS = new Set([
  'api_health_check_latency_ms metric names should not contain abbreviated units',
  'railway_deployment_memory_mb metric names should not contain abbreviated units',
]);

/**
 * `promtool check metrics` on many documents in one shell process. A parse error
 * fails; so does a lint finding on a name the action defines (other than the
 * contract's two). Lint findings on a step's own custom name (`x_ms`, `a:b`) are
 * the step author's naming choice and are allowed.
 */
function checkMany(documents: string[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-promtool-'));
  try {
    documents.forEach((doc, i) => writeFileSync(join(dir, `${i}.prom`), doc));
    // Two promtool processes at a time (a 2-core machine); each writes its findings next to its document.
    execFileSync(
      'bash',
      ['-c', 'cd "$D" && ls | xargs -P 2 -I{} sh -c \'promtool check metrics < {} > {}.out 2>&1; true\''],
      { encoding: 'utf8', env: { ...process.env, D: dir } },
    );
    const output = documents
      .map((_, i) => `@@doc ${i}\n${readFileSync(join(dir, `${i}.prom.out`), 'utf8')}`)
      .join('\n');
    let current = -1;
    for (const raw of output.split('\n')) {
      const line = raw.trim();
      const marker = /^@@doc (\d+)$/.exec(line);
      if (marker) {
        current = Number(marker[1]);
        continue;
      }
      if (line === '' || CONTRACT_NAME_LINTS.has(line)) continue;
      const lint = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
      if (lint && !line.startsWith('error') && metricByName(lint[1] as string) === undefined) continue;
      throw new Error(`promtool check metrics: ${line}\n--- document ---\n${documents[current] ?? ''}`);
    }
    expect(output.match(/^@@doc /gm)).toHaveLength(documents.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('label escaping', () => {
  test('parseExpositionLine(render(sample)) gives back name, labels and value for arbitrary unicode', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,15}$/),
        fc.uniqueArray(
          fc.tuple(
            fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,8}$/),
            fc.oneof(
              fc.string({ unit: 'grapheme', maxLength: 20 }),
              fc.string({ unit: 'binary', maxLength: 20 }),
              messy(8),
            ),
          ),
          { maxLength: 5, selector: ([n]) => n },
        ),
        fc.oneof(fc.double({ noNaN: true }), fc.integer()),
        (name, labelPairs, value) => {
          const labels = Object.fromEntries(labelPairs);
          const text = renderExposition([
            { name, type: 'gauge', help: 'h\\elp\nx', samples: [{ name, labels, value }] },
          ]);
          const lines = text.split('\n');
          expect(lines).toHaveLength(4); // HELP, TYPE, sample, ''
          const parsed = parseExpositionLine(lines[2] as string);
          expect(parsed.kind).toBe('sample');
          if (parsed.kind !== 'sample') return;
          expect(parsed.sample.name).toBe(name);
          expect(parsed.sample.labels).toEqual(labels);
          if (Number.isNaN(value)) expect(parsed.sample.value).toBeNaN();
          else expect(parsed.sample.value).toBe(value === 0 ? 0 : value);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

/** Decodes one grouping-path value: plain or `@base64` (base64url, `=` for empty). */
function decodeSegments(path: string): [string, string][] {
  expect(path.startsWith('/metrics/')).toBe(true);
  const parts = path.slice('/metrics/'.length).split('/');
  const out: [string, string][] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const label = parts[i] as string;
    const value = parts[i + 1] as string;
    if (label.endsWith('@base64')) {
      expect(value).toMatch(/^(=|[A-Za-z0-9_-]+)$/);
      out.push([
        label.slice(0, -'@base64'.length),
        value === '=' ? '' : Buffer.from(value, 'base64url').toString('utf8'),
      ]);
    } else {
      out.push([label, value]);
    }
  }
  return out;
}

describe('grouping paths', () => {
  test('every value decodes back; no `/` inside a value and no %2F', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom('job', 'environment', 'service'),
            fc.oneof(
              fc.string({ unit: 'grapheme', maxLength: 16 }),
              fc.constantFrom('', '.', '..', '/', 'a/b', '%2F', 'prod uction', 'api', 'ü', '~a-b.c_d'),
              messy(5),
            ),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        (key) => {
          const path = groupPath(key);
          expect(path.toUpperCase()).not.toContain('%2F');
          // Segment count: exactly one label and one value per pair, so no value holds a `/`.
          expect(path.split('/').length).toBe(2 + key.length * 2);
          expect(decodeSegments(path)).toEqual(key.map(([l, v]) => [l, v]));
          for (const segment of path.split('/')) expect(segment === '.' || segment === '..').toBe(false);
          // A URL parser keeps the path as written (no dot-segment removal, no re-encoding).
          expect(new URL(`http://x${path}`).pathname).toBe(path);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('remote-write requests', () => {
  test('any families and grouping key: sorted unique labels, no empty values, each series once, values and times kept', () => {
    const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/).filter((n) => !n.startsWith('__'));
    const value = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), messy(6), fc.constant(''));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(labelName, value), { maxLength: 3, selector: ([n]) => n }),
        fc.array(
          fc.record({
            name: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/),
            labels: fc.uniqueArray(fc.tuple(labelName, value), { maxLength: 4, selector: ([n]) => n }),
            value: fc.oneof(fc.double(), fc.integer()),
            ago: fc.option(fc.integer({ min: -3_600_000, max: 6 * 3_600_000 }), { nil: undefined }),
          }),
          { maxLength: 8 },
        ),
        (keyPairs, raw) => {
          const key = [['job', 'deployment'] as const, ...keyPairs];
          const now = T0 + 10 * 3_600_000;
          const at = now - 1000;
          const families = raw.map((r, i) => ({
            name: r.name,
            type: (['counter', 'gauge', 'histogram'] as const)[i % 3] as 'counter' | 'gauge' | 'histogram',
            help: 'h',
            samples: [
              {
                name: r.name,
                labels: Object.fromEntries(r.labels),
                value: r.value,
                ...(r.ago === undefined ? {} : { timestampMs: now - r.ago }),
              },
            ],
          }));
          const request = decodeWriteRequest(encodeWriteRequest(toWriteRequest(key, families, { at, now })));
          const seen = new Set<string>();
          for (const series of request.timeseries) {
            const names = series.labels.map((l) => l.name);
            expect([...names].sort()).toEqual(names);
            expect(new Set(names).size).toBe(names.length);
            expect(series.labels.every((l) => l.value !== '')).toBe(true);
            expect(names).toContain('__name__');
            const id = JSON.stringify(series.labels);
            expect(seen.has(id)).toBe(false);
            seen.add(id);
            for (const [name, v] of key)
              if (v !== '') expect(series.labels).toContainEqual({ name, value: v });
            expect(series.samples).toHaveLength(1);
            const t = series.samples[0]?.timestamp as number;
            expect(t).toBeLessThanOrEqual(at);
            expect(t).toBeGreaterThanOrEqual(now - MAX_SAMPLE_AGE_MS);
          }
          // Every distinct series of the input is there, with its (last) value.
          const expected = new Map<string, number>();
          for (const f of families)
            for (const s of f.samples) {
              const labels: Record<string, string> = { ...s.labels };
              for (const [name, v] of key) labels[name] = v;
              labels.__name__ = s.name;
              const id = Object.keys(labels)
                .filter((n) => labels[n] !== '')
                .sort()
                .map((n) => `${n}=${labels[n]}`)
                .join(',');
              expected.set(id, s.value);
            }
          const got = new Map(
            request.timeseries.map((s) => [
              s.labels.map((l) => `${l.name}=${l.value}`).join(','),
              s.samples[0]?.value as number,
            ]),
          );
          expect(got.size).toBe(expected.size);
          for (const [id, v] of expected) {
            expect(got.has(id)).toBe(true);
            if (Number.isNaN(v)) expect(got.get(id)).toBeNaN();
            else expect(got.get(id)).toBe(v);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('URL inputs with credentials, and remote-write-headers', () => {
  /**
   * Secrets from an alphabet the rest of a URL and the action's messages do not use: upper case,
   * digits and every character that matters to a URL parser (a `%` that does not decode, `/`, `?`,
   * `#`, `@`, `:` and a space), with at least one letter so that no message can hold it by chance.
   */
  const secretText = fc
    .array(fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789%/?#@:!$&()*+,;= '.split('')), {
      minLength: 6,
      maxLength: 24,
    })
    .map((chars) => chars.join(''))
    .filter((s) => /[A-Z]/.test(s) && s.trim() === s);
  const lower = (max: number): fc.Arbitrary<string> =>
    fc
      .array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-.'.split('')), { maxLength: max })
      .map((c) => c.join(''));
  const url = fc
    .record({
      scheme: fc.constantFrom('http', 'https', 'ftp', 'HTTP', ''),
      user: lower(8),
      password: secretText,
      host: fc.oneof(lower(12), fc.constantFrom('pg:9091', 'pg:x', '[::1', 'h ost', '')),
      path: fc.oneof(
        lower(10).map((p) => `/${p}`),
        fc.constant(''),
      ),
      querySecret: secretText,
      extra: fc.oneof(fc.constant(''), messy(4)),
    })
    .map((u) => ({
      ...u,
      raw: `${u.scheme}${u.scheme ? '://' : ''}${u.user}:${u.password}@${u.host}${u.path}?api_key=${u.querySecret}${u.extra}`,
    }));

  test('the URL parser and every input that reads a URL: never throw, no message holds the password or a query secret', () => {
    fc.assert(
      fc.property(url, (u) => {
        const leaks = (text: string): boolean => text.includes(u.password) || text.includes(u.querySecret);
        const parsed = parseCredentialUrl(u.raw);
        if (!parsed.ok) expect(leaks(parsed.problem)).toBe(false);
        else {
          expect(leaks(parsed.value.display)).toBe(false);
          if (parsed.value.credentials !== undefined) {
            const [user, ...rest] = parsed.value.credentials.split(':');
            expect(parsed.secrets).toContain(Buffer.from(`${user}:${rest.join(':')}`).toString('base64'));
          }
        }
        expect(leaks(redactUrl(u.raw))).toBe(false);
        const track = readConfig(
          (name) =>
            ({
              'pushgateway-url': u.raw,
              'remote-write-url': u.raw,
              'remote-write-query-url': u.raw,
            })[name] ?? '',
          {},
        );
        const verify = readVerifyConfig(
          (name) =>
            ({
              'health-urls': `api=${u.raw}\n${u.raw}`,
              'prometheus-url': u.raw,
              'error-rate-query': 'vector(0)',
            })[name] ?? '',
        );
        for (const message of [...track.problems, ...verify.problems]) expect(leaks(message)).toBe(false);
        for (const target of verify.config.targets) expect(leaks(target.display)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  test('parseHeaders: never throws; a message never holds a header value; secret-named headers are masked', () => {
    const name = fc.oneof(
      fc.constantFrom(
        'x-api-key',
        'X-Scope-OrgID',
        'authorization',
        'content-type',
        'x-token',
        'bad name',
        '',
      ),
      lower(10),
    );
    const line = fc.oneof(
      fc.record({ name, value: secretText }).map((h) => ({ ...h, text: `${h.name}: ${h.value}` })),
      fc.record({ name, value: secretText }).map((h) => ({ ...h, text: `${h.name}${h.value}` })),
      messy(6).map((text) => ({ name: '', value: '', text })),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const problems: string[] = [];
        const secrets: string[] = [];
        const headers = parseHeaders(
          lines.map((l) => l.text).join(eol),
          'remote-write-headers',
          problems,
          secrets,
        );
        for (const l of lines.filter((x) => x.value !== ''))
          for (const p of problems) expect(p.includes(l.value)).toBe(false);
        for (const [headerName, value] of Object.entries(headers)) {
          expect(headerName).toBe(headerName.toLowerCase());
          if (/auth|token|key|secret|passw|cookie/i.test(headerName)) expect(secrets).toContain(value);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
