/**
 * The `stages` input: `<step name> => <service>/<stage>` or `/<regex>/<flags> => <service>/<stage>`,
 * first match wins, `#` comments, bad lines reported by number and skipped.
 */
import { describe, expect, test } from '@jest/globals';
import {
  MAX_MATCHED_NAME,
  matchStage,
  parseStageMap,
  prepareStageRules,
  type StageTarget,
} from '../../src/model/stage-map.js';

const CONTRACT_EXAMPLE = `
Build Docker image      => api/build
Push image to registry  => api/push
Deploy to Railway       => api/deploy_railway
/health/i               => api/health_check
Run database migrations => api/migration
Run smoke tests         => api/smoke_test
Roll back deployment    => api/rollback
`;

function target(text: string, stepName: string): StageTarget | undefined {
  const { rules } = parseStageMap(text);
  const found = matchStage(rules, stepName);
  return found === undefined ? undefined : { service: found.service, stage: found.stage };
}

describe('the contract example', () => {
  const parsed = parseStageMap(CONTRACT_EXAMPLE);

  test('parses seven rules without problems', () => {
    expect(parsed.problems).toEqual([]);
    expect(parsed.rules.map((r) => `${r.service}/${r.stage}@${r.line}`)).toEqual([
      'api/build@2',
      'api/push@3',
      'api/deploy_railway@4',
      'api/health_check@5',
      'api/migration@6',
      'api/smoke_test@7',
      'api/rollback@8',
    ]);
  });

  test.each<[string, StageTarget | undefined]>([
    ['Build Docker image', { service: 'api', stage: 'build' }],
    ['build docker image', { service: 'api', stage: 'build' }],
    ['BUILD DOCKER IMAGE', { service: 'api', stage: 'build' }],
    ['  Build Docker image  ', { service: 'api', stage: 'build' }],
    ['Push image to registry', { service: 'api', stage: 'push' }],
    ['Deploy to Railway', { service: 'api', stage: 'deploy_railway' }],
    ['Wait for health check', { service: 'api', stage: 'health_check' }],
    ['HEALTH', { service: 'api', stage: 'health_check' }],
    ['Run database migrations', { service: 'api', stage: 'migration' }],
    ['Run smoke tests', { service: 'api', stage: 'smoke_test' }],
    ['Roll back deployment', { service: 'api', stage: 'rollback' }],
    ['Build Docker image now', undefined],
    ['Build  Docker image', undefined],
    ['Run actions/checkout@v4', undefined],
    ['Set up job', undefined],
    ['', undefined],
  ])('%j → %j', (step, expected) => {
    const found = matchStage(parsed.rules, step);
    expect(found && { service: found.service, stage: found.stage }).toEqual(expected);
  });
});

describe('rules', () => {
  test.each<[string, string, string, StageTarget | undefined]>([
    [
      'exact names are case-insensitive',
      'Deploy API => api/deploy_railway',
      'deploy api',
      { service: 'api', stage: 'deploy_railway' },
    ],
    ['exact names are not substrings', 'Deploy => api/deploy_railway', 'Deploy to Railway', undefined],
    [
      'regex without flags is case-sensitive',
      '/^Deploy/ => api/deploy_railway',
      'deploy to railway',
      undefined,
    ],
    [
      'regex without flags',
      '/^Deploy/ => api/deploy_railway',
      'Deploy to railway',
      { service: 'api', stage: 'deploy_railway' },
    ],
    [
      'regex with i',
      '/^deploy/i => api/deploy_railway',
      'DEPLOY now',
      { service: 'api', stage: 'deploy_railway' },
    ],
    [
      'regex with a slash inside',
      '/build\\/push/ => api/push',
      'build/push image',
      { service: 'api', stage: 'push' },
    ],
    ['regex with an unescaped slash', '/a/b/ => api/push', 'xa/by', { service: 'api', stage: 'push' }],
    [
      'regex alternation',
      '/^(vercel|netlify) deploy$/i => web/deploy_vercel',
      'Netlify Deploy',
      { service: 'web', stage: 'deploy_vercel' },
    ],
    ['stage-only target', 'Build => build', 'Build', { service: undefined, stage: 'build' }],
    [
      'stage-only target with regex',
      '/smoke/i => smoke_test',
      'Run Smoke',
      { service: undefined, stage: 'smoke_test' },
    ],
    ['spaces around the slash', 'Build => api / build', 'Build', { service: 'api', stage: 'build' }],
    [
      'service with dot and dash',
      'Build => api-v2.eu/build',
      'Build',
      { service: 'api-v2.eu', stage: 'build' },
    ],
    ['no spaces around =>', 'Build=>api/build', 'Build', { service: 'api', stage: 'build' }],
    [
      '=> inside the step name: last => splits',
      'Map a => b => api/build',
      'Map a => b',
      { service: 'api', stage: 'build' },
    ],
    [
      '=> inside a regex',
      '/a => b/ => web/verification',
      'x a => b y',
      { service: 'web', stage: 'verification' },
    ],
    [
      'trailing comment after the target',
      'Build => api/build # the image',
      'Build',
      { service: 'api', stage: 'build' },
    ],
    [
      'trailing comment with tab',
      'Build => api/build\t# the image',
      'Build',
      { service: 'api', stage: 'build' },
    ],
    [
      '# inside the step name is not a comment',
      'Build #2 => api/build',
      'Build #2',
      { service: 'api', stage: 'build' },
    ],
    [
      'CRLF line endings',
      'Build => api/build\r\nPush => api/push\r\n',
      'Push',
      { service: 'api', stage: 'push' },
    ],
  ])('%s', (_what, text, step, expected) => {
    expect(parseStageMap(text).problems).toEqual([]);
    expect(target(text, step)).toEqual(expected);
  });

  test('first match wins', () => {
    const text = [
      '/deploy/i => api/deploy_railway',
      'Deploy web => web/deploy_vercel',
      '/.*/ => api/build',
    ].join('\n');
    expect(target(text, 'Deploy web')).toEqual({ service: 'api', stage: 'deploy_railway' });
    expect(target(text, 'anything else')).toEqual({ service: 'api', stage: 'build' });
  });

  test('order of rules is the order of lines', () => {
    const { rules } = parseStageMap('B => api/b\nA => api/a\n');
    expect(rules.map((r) => r.source)).toEqual(['B', 'A']);
  });

  test('comments and blank lines are skipped, but keep line numbers', () => {
    const { rules, problems } = parseStageMap(
      '# a comment\n\n   # indented comment\nBuild => api/build\n   \nbad line\n',
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]?.line).toBe(4);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('line 6');
  });

  test('an empty input gives no rules and no problems', () => {
    expect(parseStageMap('')).toEqual({ rules: [], problems: [] });
    expect(parseStageMap('\n\n  \n')).toEqual({ rules: [], problems: [] });
  });

  test('rules are frozen', () => {
    const { rules } = parseStageMap('Build => api/build');
    expect(Object.isFrozen(rules[0])).toBe(true);
  });

  test.each(['g', 'y', 'gy', 'gi', 'yi'])('flag %s is harmless across repeated matches', (flags) => {
    const { rules, problems } = parseStageMap(`/deploy/${flags} => api/deploy_railway`);
    expect(problems).toEqual([]);
    const rule = rules[0];
    expect(rule).toBeDefined();
    const answers = ['deploy', 'deploy', 'Run deploy', 'deploy now', 'deploy'].map((s) => rule?.matches(s));
    expect(answers).toEqual([true, true, true, true, true]);
    expect(rule?.matches('nothing here')).toBe(false);
  });

  test.each(['s', 'm', 'u', 'd', 'v', 'ims'])('flag %s is accepted', (flags) => {
    const { rules, problems } = parseStageMap(`/^Deploy/${flags} => api/deploy_railway`);
    expect(problems).toEqual([]);
    expect(rules).toHaveLength(1);
  });

  test('a bad line does not stop the other rules', () => {
    const { rules, problems } = parseStageMap('Build => api/build\nnonsense\nPush => api/push');
    expect(rules.map((r) => r.stage)).toEqual(['build', 'push']);
    expect(problems).toHaveLength(1);
  });

  test('`#` after the target starts a comment even when the comment holds "=>" (JSDoc)', () => {
    // JSDoc of stage-map.ts: "`#` after the target starts one [a comment]".
    const text = 'Deploy => api/deploy_railway # was => web/deploy_vercel';
    expect(target(text, 'Deploy')).toEqual({ service: 'api', stage: 'deploy_railway' });
  });
});

describe('problems name the input and the line', () => {
  test.each<[string, string, RegExp]>([
    ['no arrow', 'Build api/build', /expected "<step name> => <service>\/<stage>"; rule skipped$/],
    ['nothing before =>', '=> api/build', /no step name before "=>"; rule skipped$/],
    ['nothing after =>', 'Build =>', /target "" is not "<service>\/<stage>"; rule skipped$/],
    ['only a comment after =>', 'Build => # nothing', /target "" is not "<service>\/<stage>"; rule skipped$/],
    [
      'two slashes',
      'Build => api/build/extra',
      /target "api\/build\/extra" is not "<service>\/<stage>"; rule skipped$/,
    ],
    [
      'bad service',
      'Build => a pi/build',
      /service "a pi" may hold only letters, digits, _ \. -; rule skipped$/,
    ],
    ['empty service', 'Build => /build', /service "" may hold only letters, digits, _ \. -; rule skipped$/],
    ['empty stage', 'Build => api/', /stage "" must be a name like deploy_railway; rule skipped$/],
    [
      'stage with dash',
      'Build => api/deploy-railway',
      /stage "deploy-railway" must be a name like deploy_railway; rule skipped$/,
    ],
    [
      'stage starting with a digit',
      'Build => api/1build',
      /stage "1build" must be a name like deploy_railway; rule skipped$/,
    ],
    [
      '# glued to the target',
      'Build => api/build#x',
      /stage "build#x" must be a name like deploy_railway; rule skipped$/,
    ],
    ['bad regex', '/(unclosed/ => api/build', /Invalid regular expression.*; rule skipped$/],
    ['bad regex quantifier', '/*x/ => api/build', /Invalid regular expression.*; rule skipped$/],
    ['duplicate flags', '/x/ii => api/build', /Invalid flags.*; rule skipped$/],
    ['u and v together', '/x/uv => api/build', /; rule skipped$/],
    [
      'step name over 1000 characters',
      `${'x'.repeat(1001)} => api/build`,
      /step name longer than 1000 characters; rule skipped$/,
    ],
  ])('%s', (_what, ruleLine, message) => {
    const text = `# header\nBuild => api/build\n${ruleLine}\n`;
    const { rules, problems } = parseStageMap(text);
    expect(rules).toHaveLength(1);
    expect(problems).toHaveLength(1);
    const problem = problems[0] as string;
    expect(problem.startsWith('input stages, line 3 (')).toBe(true);
    expect(problem).toMatch(message);
  });

  test('the input name is the one given', () => {
    const { problems } = parseStageMap('oops', 'my-stages');
    expect(problems).toEqual([
      'input my-stages, line 1 ("oops"): expected "<step name> => <service>/<stage>"; rule skipped',
    ]);
  });

  test('a long line is shortened to one line of at most 80 characters in the message', () => {
    const { problems } = parseStageMap(`${'y'.repeat(300)} no arrow`);
    const quoted = /\("([^"]*)"\)/.exec(problems[0] ?? '')?.[1] ?? '';
    expect(quoted.length).toBe(80);
    expect(quoted.endsWith('…')).toBe(true);
  });

  test('a step name of exactly 1000 characters is accepted', () => {
    const name = 'z'.repeat(1000);
    const { rules, problems } = parseStageMap(`${name} => api/build`);
    expect(problems).toEqual([]);
    expect(matchStage(rules, name)?.stage).toBe('build');
  });

  test('a regex that never matches anything is still a rule (no false problem)', () => {
    const { rules, problems } = parseStageMap('/$^/ => api/build');
    expect(problems).toEqual([]);
    expect(matchStage(rules, 'build')).toBeUndefined();
  });

  test('never throws on hostile input', () => {
    const hostile = [
      '=>',
      '=>=>=>',
      '/ => /',
      '// => api/build',
      '/\\/ => a/b',
      '\u0000 => \u0000',
      '#'.repeat(5000),
      '=> '.repeat(500),
    ];
    for (const text of hostile) {
      expect(() => parseStageMap(text)).not.toThrow();
    }
  });
});

describe('patterns that can backtrack catastrophically are refused when the map is parsed', () => {
  test('the reported map: /^(\\w+\\s?)+$/ is refused, naming the line and why; the other rules stay', () => {
    const text = `Build Docker image => api/build\n/^(\\w+\\s?)+$/ => api/deploy_railway\n/health/i => api/health_check`;
    const started = Date.now();
    const { rules, problems } = parseStageMap(text);
    expect(rules.map((r) => r.stage)).toEqual(['build', 'health_check']);
    expect(problems).toEqual([
      'input stages, line 2 ("/^(\\w+\\s?)+$/ => api/deploy_railway"): the pattern can backtrack catastrophically: the group "(\\w+\\s?)" is repeated by "+" and holds a quantifier itself (nested quantifiers, like (a+)+); rule skipped',
    ]);
    // The step name that took 118 s before: no rule matches it, at once.
    expect(matchStage(rules, 'Deploy the api service to the production environment now!')).toBeUndefined();
    // Not the 118 s it took; bound generously (the machine may be loaded).
    expect(Date.now() - started).toBeLessThan(10000);
  });

  test.each([
    ['(a+)+', 'nested quantifiers'],
    ['^(\\w+\\s?)+$', 'nested quantifiers'],
    ['(a*)*b', 'nested quantifiers'],
    ['(?:x+)*y', 'nested quantifiers'],
    ['((a+)b)*', 'nested quantifiers'],
    ['(a?){25}a{25}', 'nested quantifiers'],
    ['(.*a){12}', 'nested quantifiers'],
    ['(?=(a+)+)', 'nested quantifiers'],
    ['(a|a)*', 'alternatives can match the same text'],
    ['(a|ab)+c', 'alternatives can match the same text'],
    ['(\\w|\\d)+$', 'alternatives can match the same text'],
    ['(x|)+y', 'alternatives can match the same text'],
    ['((a|a)b)*', 'alternatives can match the same text'],
    ['(Deploy|deploy)+', 'alternatives can match the same text', 'i'],
  ])('/%s/ is refused (%s)', (pattern, why, flags = '') => {
    const { rules, problems } = parseStageMap(`/${pattern}/${flags} => api/build`);
    expect(rules).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^input stages, line 1 \(.*\): the pattern can backtrack catastrophically: /);
    expect(problems[0]).toContain(why);
    expect(problems[0]).toMatch(/; rule skipped$/);
  });

  test.each([
    ['^Deploy', 'Deploy to Railway', true],
    ['health', 'Wait for HEALTH', true, 'i'],
    ['^(vercel|netlify) deploy$', 'Netlify Deploy', true, 'i'],
    ['(foo|bar)+', 'foobarfoo', true],
    ['^Deploy.*api', 'Deploy the api', true],
    ['(ab){3}', 'ababab', true],
    ['(\\w)(\\d)', 'a1', true],
    ['\\(a+\\)+', '(aa))', true],
    ['[(a+)+]', 'x', false],
    ['(a+)?b', 'aab', true],
    ['\\p{L}+ \\d', 'Déploiement 2', true, 'u'],
  ])('/%s/%s is accepted and answers right', (pattern, step, expected, flags = '') => {
    const { rules, problems } = parseStageMap(`/${pattern}/${flags} => api/build`);
    expect(problems).toEqual([]);
    expect(rules[0]?.matches(step)).toBe(expected);
  });
});

describe('regex matching is time-bounded', () => {
  // Polynomial (not refused), but far too slow on a long name: O(n^10).
  const SLOW = '/^a*a*a*a*a*a*a*a*a*a*b$/ => api/slow';
  const LONG = `${'a'.repeat(400)}!`;
  // Generous for a loaded machine: the slow pattern below would take far longer than any of these.
  const budget = { matchTimeoutMs: 1000, startupTimeoutMs: 10000, totalMs: 6000 };

  test('a pattern that runs past its time is dropped, said once with its line; later rules and other steps still work', () => {
    const { rules, problems } = parseStageMap(
      `${SLOW}\n/^a+!$/ => api/fallback\n/^Deploy/ => api/deploy_railway`,
      'stages',
      {
        budget,
      },
    );
    expect(problems).toEqual([]);
    const started = Date.now();
    const dropped = prepareStageRules(rules, [LONG, 'Deploy to Railway', 'ab']);
    expect(Date.now() - started).toBeLessThan(20000);
    expect(dropped).toEqual([
      `input stages, line 1 ("/^a*a*a*a*a*a*a*a*a*a*b$/ => api/slow"): matching the pattern took longer than 1000 ms on the job's 3 step names; rule no longer used (its steps fall to later rules or inferred stages)`,
    ]);
    // Dropped for every step, so the stages and their states agree; said once.
    expect(matchStage(rules, 'ab')?.stage).toBeUndefined();
    expect(matchStage(rules, LONG)?.stage).toBe('fallback');
    expect(matchStage(rules, 'Deploy to Railway')?.stage).toBe('deploy_railway');
    expect(prepareStageRules(rules, [LONG])).toEqual([]);
  });

  test('one step at a time (no prepare): the match is bounded too', () => {
    const { rules } = parseStageMap(SLOW, 'stages', { budget });
    const started = Date.now();
    expect(rules[0]?.matches(LONG)).toBe(false);
    expect(Date.now() - started).toBeLessThan(20000);
    expect(prepareStageRules(rules, [])).toEqual([
      expect.stringMatching(
        /^input stages, line 1 .*: matching the pattern took longer than 1000 ms on the step "a{79}…"; rule no longer used/,
      ),
    ]);
  });

  test('many slow patterns: the map’s total time bound ends them all, in one message', () => {
    const text = Array.from({ length: 20 }, (_, i) => `/^a*a*a*a*a*a*a*a*a*a*b${i}$/ => api/s${i}`).join(
      '\n',
    );
    const { rules } = parseStageMap(text, 'stages', {
      budget: { matchTimeoutMs: 200, startupTimeoutMs: 10000, totalMs: 700 },
    });
    const started = Date.now();
    const dropped = prepareStageRules(rules, [LONG]);
    // At most a few timeouts of 200 ms and worker starts, not 20 × 200 ms (bounded generously).
    expect(Date.now() - started).toBeLessThan(15000);
    // Each rule that times out on its own spends its whole 200 ms of the 700 ms total, so at most
    // four are reported one by one (the fourth cut short by the total), then one message for the
    // rest: 5 at most whatever the load (a loaded machine reaches that bound; it saw 5).
    expect(dropped.length).toBeLessThanOrEqual(5);
    expect(dropped[dropped.length - 1]).toMatch(
      /used up their time .*; so were \d+ later rule\(s\) \(lines \d+, /,
    );
    expect(rules.every((r) => !r.matches(LONG))).toBe(true);
  });

  test(`a regex sees at most MAX_MATCHED_NAME (${MAX_MATCHED_NAME}) characters of a step name; an exact name is compared whole`, () => {
    const { rules } = parseStageMap(
      `/^x{${MAX_MATCHED_NAME}}$/ => api/a\n/^y{${MAX_MATCHED_NAME}}$/ => api/b\n${'z'.repeat(600)} => api/c`,
    );
    expect(rules[0]?.matches('x'.repeat(MAX_MATCHED_NAME + 100))).toBe(true);
    expect(rules[1]?.matches('y'.repeat(MAX_MATCHED_NAME + 100))).toBe(true);
    expect(rules[2]?.matches('z'.repeat(600))).toBe(true);
    expect(rules[2]?.matches('z'.repeat(599))).toBe(false);
  });

  test('answers are the same as RegExp.test for sandboxed patterns, over many names (one request each)', () => {
    const patterns = ['^Deploy.*(api|web)$', '\\d{2,}', '(build|push) image', 'a|b'];
    const names = [
      'Deploy to api',
      'Deploy web',
      'step 42',
      'Build image',
      'push image',
      'nothing',
      'xyz',
      'a',
    ];
    const { rules } = parseStageMap(patterns.map((p, i) => `/${p}/i => api/s${i}`).join('\n'));
    expect(prepareStageRules(rules, names)).toEqual([]);
    for (const [i, p] of patterns.entries())
      for (const name of names) expect(rules[i]?.matches(name)).toBe(new RegExp(p, 'i').test(name));
  });

  test('a line of more than 4,000 characters is refused before anything else (comment stripping stays linear)', () => {
    const { rules, problems } = parseStageMap(`Build => api/build${' #x'.repeat(3000)}`);
    expect(rules).toEqual([]);
    expect(problems[0]).toMatch(/line 1 .*: line longer than 4000 characters; rule skipped$/);
  });
});
