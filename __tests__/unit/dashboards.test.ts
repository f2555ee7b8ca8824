/**
 * The dashboards as code (dashboards/*.ts) and what they generate
 * (deploy/grafana/dashboards/*.json), the Grafana provisioning files and the
 * example stack (deploy/docker-compose.yml): the committed JSON is what the
 * code generates, every query names only metrics of the one table or
 * recording rules of the shipped rule files, the template variables exist and
 * are used, thresholds follow action.yml, and every file the compose file
 * mounts exists. The remote-write flavour (deploy/grafana/dashboards-remote-write/)
 * is the same dashboards with every raw metric read densified
 * (remote_write:<metric>, recorded by the generated densify group), but for
 * range reads of per-deployment series, which are right on sparse data.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import {
  dashboardQueries,
  dashboards,
  DASHBOARDS_DIR,
  densifiedByDashboards,
  REMOTE_WRITE_DASHBOARDS_DIR,
  renderDashboards,
  type DashboardQuery,
} from '../../dashboards/index.js';
import { REMOTE_WRITE_DESCRIPTION, REMOTE_WRITE_PREFIX, selRaw } from '../../dashboards/common.js';
import { DENSIFY_GROUP, PREFIX } from '../../scripts/remote-write-rules.js';
import { ALL_METRICS, METRICS, metricByName } from '../../src/metrics/definitions.js';
import { STAGE_STATES } from '../../src/model/stage-state.js';
import {
  PROMETHEUS_CONFIG,
  recordNames,
  REMOTE_WRITE_RULE_FILES,
  REPO_ROOT,
  ruleGroups,
  ruleGroupsOf,
} from '../rule-files.js';

interface PanelJson {
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: {
    expr?: string;
    refId?: string;
    instant?: boolean;
    format?: string;
    datasource?: { uid?: string };
  }[];
  panels?: PanelJson[];
  repeat?: string;
  transformations?: { id: string; options: Record<string, unknown> }[];
  fieldConfig?: {
    defaults?: { thresholds?: { steps: { value: number | null; color: string }[] } };
    overrides?: {
      matcher: { id: string; options: string };
      properties: { id: string; value: unknown }[];
    }[];
  };
}
interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  templating: {
    list: { name: string; type: string; query?: unknown; includeAll?: boolean; allValue?: string }[];
  };
  annotations: { list: { name: string; expr?: string }[] };
  description?: string;
  tags?: string[];
}

/** The committed dashboards of a folder (default: the Pushgateway flavour's), by file name. */
const committed = (dir = DASHBOARDS_DIR): Map<string, DashboardJson> =>
  new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f, JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as DashboardJson]),
  );
const committedRemoteWrite = (): Map<string, DashboardJson> => committed(REMOTE_WRITE_DASHBOARDS_DIR);

const allPanels = (panels: PanelJson[]): PanelJson[] =>
  panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

const byUid = (uid: string): DashboardJson => {
  const d = [...committed().values()].find((x) => x.uid === uid);
  if (!d) throw new Error(`no dashboard ${uid}`);
  return d;
};

const panel = (uid: string, title: string): PanelJson => {
  const p = allPanels(byUid(uid).panels).find((x) => x.title === title);
  if (!p) throw new Error(`no panel "${title}" in ${uid}`);
  return p;
};

/** The action's input defaults, read here independently of the dashboard code. */
function actionDefault(input: string): string {
  const action = parse(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
  };
  return action.inputs[input]?.default ?? '';
}
const stageThresholds = (): [string, number][] =>
  actionDefault('thresholds')
    .split(/\s+/)
    .filter(Boolean)
    .map((pair) => pair.split('='))
    .map(([stage, seconds]) => [stage ?? '', Number(seconds)]);

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'and',
  'or',
  'unless',
  'inf',
  'nan',
]);

/**
 * Metric names (and recording rule names) a PromQL expression selects: the
 * identifiers left after removing strings, label matchers, range and
 * subquery brackets, variables, grouping/matching label lists and function
 * names.
 */
function selectedNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...stripped.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)]
    .map((m) => m[1] as string)
    .filter((n) => !PROMQL_KEYWORDS.has(n.toLowerCase()));
  return [...new Set(names)];
}

describe('generated dashboards', () => {
  test('the committed JSON is what the code generates (run `npm run dashboards` when this fails)', async () => {
    const rendered = await renderDashboards();
    for (const { file, path: p, text } of rendered) {
      expect({ file, text: existsSync(p) ? readFileSync(p, 'utf8') : `(missing ${file})` }).toEqual({
        file,
        text,
      });
    }
    // Both flavours, and no JSON without code in either folder.
    expect(
      [
        ...[...committed().keys()],
        ...[...committedRemoteWrite().keys()].map((f) => path.posix.join('../dashboards-remote-write', f)),
      ].sort(),
    ).toEqual(rendered.map((r) => r.file).sort());
    expect(rendered.filter((r) => r.file.startsWith('../dashboards-remote-write/'))).toHaveLength(5);
  });

  test('the five dashboards of the design, at the design’s URLs', () => {
    expect(
      dashboards()
        .map(({ dashboard }) => [dashboard.uid, dashboard.title])
        .sort(),
    ).toEqual(
      [
        ['database-migrations', 'Database Migrations'],
        ['deployment-costs', 'Deployment Costs'],
        ['deployment-pipeline', 'Deployment Pipeline'],
        ['deployment-success-rate', 'Deployment Success Rate'],
        ['post-deployment-health', 'Post-Deployment Health'],
      ].sort(),
    );
  });

  test('every panel but rows has PromQL on the datasource variable', () => {
    for (const d of [...committed().values(), ...committedRemoteWrite().values()]) {
      for (const p of allPanels(d.panels).filter((x) => x.type !== 'row')) {
        expect({ panel: p.title, targets: (p.targets ?? []).length > 0 }).toEqual({
          panel: p.title,
          targets: true,
        });
        expect({ panel: p.title, datasource: p.datasource?.uid }).toEqual({
          panel: p.title,
          datasource: '${datasource}',
        });
        for (const t of p.targets ?? []) {
          expect(t.expr?.trim()).toBeTruthy();
          expect(t.datasource?.uid).toBe('${datasource}');
        }
      }
    }
  });
});

describe('every panel query parses (promtool)', () => {
  /** Grafana's variables as an instant query would have them substituted. */
  const substitute = (expr: string): string =>
    expr
      .split('$__rate_interval')
      .join('1m')
      .split('$__interval')
      .join('15s')
      .split('$__range_s')
      .join('3600')
      .split('$__range')
      .join('1h')
      .replace(/\$\{?environment\}?/g, 'production')
      .replace(/\$\{?service\}?/g, '.*');

  test('the queries of both flavours, as recording rules, pass promtool check rules', () => {
    const queries = [...committed().values(), ...committedRemoteWrite().values()].flatMap((d) =>
      dashboardQueries(d),
    );
    expect(queries.length).toBeGreaterThan(80);
    const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-queries-'));
    try {
      const file = path.join(dir, 'queries.yml');
      writeFileSync(
        file,
        stringify({
          groups: [
            {
              name: 'dashboard-queries',
              rules: queries.map((q, i) => ({ record: `dashboard_query_${i}`, expr: substitute(q.expr) })),
            },
          ],
        }),
      );
      let output = '';
      try {
        output = execFileSync('promtool', ['check', 'rules', '--lint=none', file], {
          encoding: 'utf8',
          stdio: 'pipe',
        });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        throw new Error(`promtool check rules: ${e.stderr ?? ''}${e.stdout ?? ''}`);
      }
      expect(output).toContain(`SUCCESS: ${queries.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('per-deployment panels on synthetic data (promtool)', () => {
  /** The panel's query of the committed Pushgateway flavour, as Grafana substitutes its variables. */
  const panelQuery = (dashboard: string, panel: string, refId = 'A'): string => {
    const q = [...committed().values()]
      .flatMap((d) => dashboardQueries(d))
      .find((x) => x.dashboard === dashboard && x.panel === panel && x.refId === refId);
    if (!q) throw new Error(`${dashboard} / ${panel} [${refId}] not found`);
    return q.expr
      .split('$__range_s')
      .join('3600')
      .split('$__range')
      .join('1h')
      .split('$__interval')
      .join('1m')
      .replace(/\$\{?environment\}?/g, 'production')
      .replace(/\$\{?service\}?/g, '.*');
  };
  const promtoolTest = (test: Record<string, unknown>): void => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-data-'));
    try {
      writeFileSync(path.join(dir, 'empty.yml'), 'groups: []\n');
      const file = path.join(dir, 'panel.test.yml');
      writeFileSync(file, stringify({ rule_files: ['empty.yml'], evaluation_interval: '1m', tests: [test] }));
      try {
        execFileSync('promtool', ['test', 'rules', file], { encoding: 'utf8', stdio: 'pipe' });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        throw new Error(`promtool test rules: ${e.stdout ?? ''}${e.stderr ?? ''}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const group = 'job="deployment",environment="production",service="api"';

  test('the trailing-24-hour cost drops to 0 on a quiet day, though the Pushgateway keeps exposing the last cost', () => {
    promtoolTest({
      interval: '1h',
      input_series: [
        // deployment 1001 started at 0 and reported 2.50; nothing since, for two days
        { series: `deployment_start_timestamp_seconds{${group},deployment_id="1001"}`, values: '0x48' },
        {
          series: `deployment_infrastructure_cost{${group},deployment_id="1001",resource="railway_compute"}`,
          values: '2.5x48',
        },
      ],
      promql_expr_test: [
        {
          expr: panelQuery('Deployment Costs', 'Cost trend (trailing 24 h)'),
          eval_time: '12h',
          exp_samples: [{ labels: '{resource="railway_compute"}', value: 2.5 }],
        },
        {
          expr: panelQuery('Deployment Costs', 'Cost trend (trailing 24 h)'),
          eval_time: '36h',
          exp_samples: [{ labels: '{resource="railway_compute"}', value: 0 }],
        },
        // the range's total counts the deployments that started within it: none in the last hour
        { expr: panelQuery('Deployment Costs', 'Total deployment cost'), eval_time: '36h', exp_samples: [] },
      ],
    });
  });

  test('the latency percentiles take one value per deployment, not a quantile over time of the gauge', () => {
    promtoolTest({
      interval: '1m',
      input_series: [
        // 1001: 100 ms, exposed for 50 minutes; 1002: 1000 ms, for the last 10
        {
          series: `api_health_check_latency_ms{${group},deployment_id="1001",status="healthy"}`,
          values: '100x49 stale',
        },
        {
          series: `api_health_check_latency_ms{${group},deployment_id="1002",status="degraded"}`,
          values: '_x50 1000x10',
        },
      ],
      promql_expr_test: [
        {
          // the median of the two deployments' values (a time-weighted quantile said 100, the max
          // of per-series quantiles 1000)
          expr: panelQuery('Post-Deployment Health', 'Health check latency percentiles', 'A'),
          eval_time: '1h',
          exp_samples: [{ labels: '{}', value: 550 }],
        },
      ],
    });
  });
});

describe('panel queries name only metrics of the table or recording rules', () => {
  const known = new Set<string>([
    ...ALL_METRICS.flatMap((m) =>
      m.type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
    ),
    ...recordNames(),
  ]);
  const queries = (): DashboardQuery[] => [...committed().values()].flatMap((d) => dashboardQueries(d));

  test('the name parser finds metric names and only them', () => {
    expect(
      selectedNames(
        'sum by (service) (increase(deployment_total{stage="build", x=~"$service"}[$__range])) / on(stage) group_left max(deployment:stage_threshold_seconds offset 1h) > bool 0.5',
      ).sort(),
    ).toEqual(['deployment:stage_threshold_seconds', 'deployment_total']);
    expect(selectedNames('label_replace(x_total, "a", "b", "", "") * 1000 and time() - y')).toEqual([
      'x_total',
      'y',
    ]);
  });

  test('every query selects at least one known name and no unknown one', () => {
    const all = queries();
    expect(all.length).toBeGreaterThan(40);
    const unknown = all.flatMap((q) =>
      selectedNames(q.expr)
        .filter((n) => !known.has(n))
        .map((n) => `${q.dashboard} / ${q.panel}: ${n}`),
    );
    expect(unknown).toEqual([]);
    const nameless = all
      .filter((q) => selectedNames(q.expr).length === 0)
      .map((q) => `${q.dashboard} / ${q.panel}`);
    expect(nameless).toEqual([]);
  });

  test('every metric a query names comes from the table, so a rename regenerates the panel', () => {
    // Every metric of the table is on a dashboard, but the action's own bookkeeping.
    const used = new Set(queries().flatMap((q) => selectedNames(q.expr)));
    const unused = ALL_METRICS.filter(
      (m) =>
        !used.has(m.name) &&
        !used.has(`${m.name}_bucket`) &&
        m.name !== METRICS.countersUpdated.name &&
        m.name !== METRICS.summaryCountedAttempt.name,
    ).map((m) => m.name);
    expect(unused).toEqual([]);
  });
});

describe('template variables', () => {
  /** Metrics and rules without a service label (summary mode's, or aggregated per environment). */
  const WITHOUT_SERVICE = new Set([
    `${METRICS.timeToDeploy.name}_bucket`,
    METRICS.actionDuration.name,
    METRICS.workflowRunsTotal.name,
    'deployment:migration_success_ratio:30d',
    'deployment:time_to_deploy_seconds:p50_7d',
    'deployment:time_to_deploy_seconds:p95_7d',
    'deployment:time_to_deploy_seconds:p99_7d',
  ]);
  const WITHOUT_ENVIRONMENT = new Set([METRICS.actionDuration.name, METRICS.workflowRunsTotal.name]);
  const threshold = new Set(['deployment:stage_threshold_seconds']);

  test.each(dashboards().map(({ dashboard }) => [dashboard.uid ?? '']))(
    '%s has environment and service',
    (uid) => {
      const d = byUid(uid);
      const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
      expect(vars.datasource?.type).toBe('datasource');
      expect(vars.environment).toMatchObject({ type: 'query' });
      expect(String(vars.environment?.query)).toContain(METRICS.deploymentRunsTotal.name);
      expect(vars.service).toMatchObject({ type: 'query', includeAll: true, allValue: '.*' });
      expect(String(vars.service?.query)).toContain('$environment');
    },
  );

  test('every query filters on $environment and $service unless its series have no such label', () => {
    const missing = [...committed().values(), ...committedRemoteWrite().values()]
      .flatMap((d) => dashboardQueries(d))
      .flatMap((q) => {
        const names = selectedNames(q.expr)
          .map((n) => (n.startsWith(REMOTE_WRITE_PREFIX) ? n.slice(REMOTE_WRITE_PREFIX.length) : n))
          .filter((n) => !threshold.has(n));
        const out: string[] = [];
        if (names.some((n) => !WITHOUT_ENVIRONMENT.has(n)) && !q.expr.includes('environment=~"$environment"'))
          out.push(`${q.dashboard} / ${q.panel}: no $environment`);
        if (names.some((n) => !WITHOUT_SERVICE.has(n)) && !/service=~"[^"]*\$service"/.test(q.expr))
          out.push(`${q.dashboard} / ${q.panel}: no $service`);
        return out;
      });
    expect(missing).toEqual([]);
  });
});

describe('thresholds follow action.yml and the design', () => {
  test('stage timeline: each stage of the thresholds input is orange from its threshold, red from twice it', () => {
    const p = panel('deployment-pipeline', 'Stage timeline (latest deployment)');
    const stages = stageThresholds().filter(([stage]) => stage !== 'total');
    expect(stages.length).toBeGreaterThanOrEqual(7);
    for (const [stage, seconds] of stages) {
      const override = p.fieldConfig?.overrides?.find((o) => o.matcher.options === `^[^/]+/${stage}( .*)?$`);
      expect({ stage, matcher: override?.matcher.id }).toEqual({ stage, matcher: 'byRegexp' });
      const t = override?.properties.find((x) => x.id === 'thresholds')?.value as {
        steps: { value: number | null; color: string }[];
      };
      expect(t.steps).toEqual([
        { value: null, color: 'green' },
        { value: seconds, color: 'orange' },
        { value: 2 * seconds, color: 'red' },
      ]);
      // The display name the override matches is the panel's legend for that stage.
      expect(new RegExp(override?.matcher.options ?? '').test(`api/${stage} (success)`)).toBe(true);
    }
  });

  test('the recording rule deployment:stage_threshold_seconds has the same thresholds', () => {
    const rules = ruleGroups()
      .flatMap((g) => g.rules)
      .filter((r) => r.record === 'deployment:stage_threshold_seconds')
      .map((r) => [r.labels?.stage, Number(/vector\((\d+(?:\.\d+)?)\)/.exec(r.expr)?.[1])]);
    expect(Object.fromEntries(rules)).toEqual(
      Object.fromEntries(stageThresholds().filter(([stage]) => stage !== 'total')),
    );
  });

  test('success rate: green from the SLO (slo-success-rate), error budget 1 - SLO', () => {
    const slo = Number(actionDefault('slo-success-rate'));
    expect(slo).toBe(0.995);
    for (const title of ['Success rate (30 days)', 'Success rate vs SLO (30 days)']) {
      expect(panel('deployment-success-rate', title).fieldConfig?.defaults?.thresholds?.steps).toEqual([
        { value: null, color: 'red' },
        { value: slo, color: 'green' },
      ]);
    }
    const budget = panel('deployment-success-rate', 'Error budget remaining (30 days)');
    expect(budget.targets?.[0]?.expr).toMatch(new RegExp(`/ ${(1 - slo).toFixed(3)}$`));
  });

  test('time to deploy: orange from the p95 SLO, red from the total threshold', () => {
    const steps = panel('deployment-pipeline', 'TTD p50 / p95 / p99 (7 days)').fieldConfig?.defaults
      ?.thresholds?.steps;
    const total = stageThresholds().find(([s]) => s === 'total')?.[1];
    expect(steps).toEqual([
      { value: null, color: 'green' },
      { value: Number(actionDefault('slo-ttd-p95-seconds')), color: 'orange' },
      { value: total, color: 'red' },
    ]);
  });

  test('migrations: orange from the migration threshold; post-deploy error rate 1 % and 5 %', () => {
    const migration = stageThresholds().find(([s]) => s === 'migration')?.[1] ?? NaN;
    expect(
      panel('database-migrations', 'Latest migration duration').fieldConfig?.defaults?.thresholds?.steps,
    ).toEqual([
      { value: null, color: 'green' },
      { value: migration, color: 'orange' },
      { value: 2 * migration, color: 'red' },
    ]);
    expect(
      panel('post-deployment-health', 'Error rate after deploy').fieldConfig?.defaults?.thresholds?.steps,
    ).toEqual([
      { value: null, color: 'green' },
      { value: 0.01, color: 'orange' },
      { value: 0.05, color: 'red' },
    ]);
  });
});

describe('live panels: the Deployment Pipeline’s first rows', () => {
  const LIVE = ['Current stage', 'Running stage: elapsed / threshold', 'Progress (latest deployment)'];
  const STAGES_TABLE = 'Stages of the latest deployment: $service';
  const pipelines = (): DashboardJson[] =>
    [...committed().values(), ...committedRemoteWrite().values()].filter((d) =>
      d.uid.startsWith('deployment-pipeline'),
    );
  const rows = (d: DashboardJson): [string, string[]][] => {
    const out: [string, string[]][] = [];
    for (const p of d.panels) {
      if (p.type === 'row') out.push([p.title, []]);
      else out[out.length - 1]?.[1].push(p.title);
    }
    return out;
  };

  test('the current deployment row starts with the live panels, the stage timeline row with the stage states', () => {
    for (const d of pipelines()) {
      const [first, second] = rows(d);
      expect(first?.[0]).toBe('Current deployment');
      expect(first?.[1].slice(0, 3)).toEqual(LIVE);
      expect(second?.[0]).toBe('Stage timeline');
      expect(second?.[1][0]).toBe(STAGES_TABLE);
    }
  });

  test('Current stage: a table of three instant queries merged on their labels', () => {
    const p = panel('deployment-pipeline', 'Current stage');
    expect(p.type).toBe('table');
    expect(p.targets?.map((t) => [t.refId, t.instant, t.format])).toEqual([
      ['progress', true, 'table'],
      ['elapsed', true, 'table'],
      ['threshold', true, 'table'],
    ]);
    expect(p.transformations?.map((t) => t.id)).toEqual(['merge', 'organize']);
  });

  test('stage states: one table per service, sorted by the order key (hidden), each state marked as the design draws it', () => {
    const p = panel('deployment-pipeline', STAGES_TABLE);
    expect(p.type).toBe('table');
    expect(p.repeat).toBe('service');
    expect(p.targets?.map((t) => t.refId)).toEqual(['order', 'seconds']);
    expect(p.transformations?.map((t) => t.id)).toEqual(['merge', 'sortBy', 'organize']);
    expect(p.transformations?.[1]?.options).toMatchObject({ sort: [{ field: 'Value #order' }] });
    expect(p.transformations?.[2]?.options).toMatchObject({ excludeByName: { 'Value #order': true } });
    const mappings = p.fieldConfig?.overrides
      ?.find((o) => o.matcher.options === 'state')
      ?.properties.find((x) => x.id === 'mappings')?.value as { options: Record<string, { text: string }> }[];
    expect(
      Object.fromEntries(Object.entries(mappings[0]?.options ?? {}).map(([state, m]) => [state, m.text])),
    ).toEqual({
      success: '✅ success',
      failure: '❌ failure',
      cancelled: '⛔ cancelled',
      running: '⏳ running',
      waiting: '⏸ waiting',
      skipped: '⏭ skipped',
    });
    // Every state the action writes has its mark.
    expect(Object.keys(mappings[0]?.options ?? {}).sort()).toEqual([...STAGE_STATES].sort());
  });

  test('the running stage’s threshold falls back to the thresholds input’s defaults of action.yml', () => {
    for (const title of ['Current stage', 'Running stage: elapsed / threshold']) {
      const expr = panel('deployment-pipeline', title).targets?.find((t) =>
        t.expr?.includes(METRICS.stageThreshold.name),
      )?.expr;
      const fallback = [
        ...(expr ?? '').matchAll(/label_replace\(vector\((\d+)\), "stage", "(\w+)", "", ""\)/g),
      ].map((m) => [m[2], Number(m[1])]);
      expect(Object.fromEntries(fallback)).toEqual(
        Object.fromEntries(stageThresholds().filter(([stage]) => stage !== 'total')),
      );
    }
  });

  test('every read of a deployment_stage_state value is filtered == 1 (remote write writes the other states as 0)', () => {
    const name = METRICS.stageState.name;
    for (const d of pipelines()) {
      const exprs = dashboardQueries(d)
        .filter((q) => q.expr.includes(name))
        .map((q) => q.expr);
      expect(exprs.length).toBeGreaterThanOrEqual(7);
      for (const expr of exprs) {
        for (const m of expr.matchAll(new RegExp(`(?:${REMOTE_WRITE_PREFIX})?${name}\\{[^}]*\\}`, 'g'))) {
          const before = expr.slice(0, m.index);
          const after = expr.slice((m.index ?? 0) + m[0].length);
          // A value read, or only the deployments that have stage states (which ids, not which state).
          const ok =
            after.startsWith(' == 1') ||
            before.endsWith('max by (service, deployment_id) (') ||
            before.endsWith('and on(service, deployment_id) ');
          expect({
            dashboard: d.uid,
            at: `${before.slice(-40)}⟨${m[0]}⟩${after.slice(0, 10)}`,
            ok,
          }).toMatchObject({
            ok: true,
          });
        }
      }
    }
  });
});

describe('the remote-write flavour (deploy/grafana/dashboards-remote-write/)', () => {
  /** The densify group of the remote-write rules, as generated. */
  const densifyRecords = (): Set<string> =>
    new Set(
      ruleGroupsOf(REMOTE_WRITE_RULE_FILES)
        .filter((g) => g.name === DENSIFY_GROUP)
        .flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
    );
  /** Recording rules of the remote-write variant other than the densify group (deployment:*). */
  const variantRecords = (): Set<string> =>
    new Set(
      ruleGroupsOf(REMOTE_WRITE_RULE_FILES)
        .filter((g) => g.name !== DENSIFY_GROUP)
        .flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
    );
  const raw = new Set(
    ALL_METRICS.flatMap((m) =>
      m.type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
    ),
  );
  const pairs = (): [DashboardJson, DashboardJson][] =>
    [...committed().values()].map((pg) => {
      const rw = [...committedRemoteWrite().values()].find((d) => d.uid === `${pg.uid}-remote-write`);
      if (!rw) throw new Error(`no remote-write flavour of ${pg.uid}`);
      return [pg, rw];
    });

  test('the five dashboards, uids suffixed -remote-write, titles suffixed " (remote write)"', () => {
    expect([...committedRemoteWrite().entries()].map(([f, d]) => [f, d.uid, d.title]).sort()).toEqual(
      [...committed().values()]
        .map((d) => [`${d.uid}-remote-write.json`, `${d.uid}-remote-write`, `${d.title} (remote write)`])
        .sort(),
    );
    expect(dashboards('remote-write').map((d) => d.file)).toEqual(
      dashboards().map(
        (d) => `../dashboards-remote-write/${d.file.replace(/\.json$/, '-remote-write.json')}`,
      ),
    );
    for (const d of committedRemoteWrite().values()) expect(d.tags).toContain('remote-write');
  });

  test('the same panels, annotations and variables: only remote_write: prefixes differ', () => {
    const strip = (x: unknown): string => JSON.stringify(x).split(REMOTE_WRITE_PREFIX).join('');
    for (const [pg, rw] of pairs()) {
      expect(strip(rw.panels)).toBe(JSON.stringify(pg.panels));
      expect(strip(rw.annotations)).toBe(JSON.stringify(pg.annotations));
      expect(strip(rw.templating)).toBe(JSON.stringify(pg.templating));
      expect(rw.description).toBe(`${pg.description}${REMOTE_WRITE_DESCRIPTION}`);
      // and the Pushgateway flavour reads no densified series
      expect(JSON.stringify(pg)).not.toContain(REMOTE_WRITE_PREFIX);
    }
  });

  test('the variables read the densified deployment_runs_total', () => {
    for (const d of committedRemoteWrite().values()) {
      const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, String(v.query)]));
      expect(vars.environment).toBe(
        `label_values(${PREFIX}${METRICS.deploymentRunsTotal.name}, environment)`,
      );
      expect(vars.service).toContain(`${PREFIX}${METRICS.deploymentRunsTotal.name}{`);
    }
  });

  /**
   * Where a raw metric may appear in a remote-write query: as the series of a
   * range function that reads values (last_over_time, quantile_over_time) of a
   * per-deployment gauge (deployment_id): each deployment keeps its own series,
   * so one sample per deployment reads right.
   */
  const SPARSE_SAFE = /(?:last_over_time\(\s*|quantile_over_time\(\s*[\d.]+\s*,\s*)$/;
  const rawMisreads = (expr: string): string[] => {
    const out: string[] = [];
    for (const n of raw) {
      for (const m of expr.matchAll(new RegExp(`(?<![A-Za-z0-9_:])${n}(?![A-Za-z0-9_:])`, 'g'))) {
        const before = expr.slice(0, m.index);
        const after = expr.slice((m.index ?? 0) + n.length);
        const ok =
          SPARSE_SAFE.test(before) &&
          /^\s*(\{[^}]*\})?\s*\[[^\]]+\]/.test(after) &&
          (metricByName(n)?.labels.includes('deployment_id') ?? false);
        if (!ok) out.push(`${n} at ${m.index}`);
      }
    }
    return out;
  };

  test('the check of raw reads tells a sparse-safe range read from an instant or a counter read', () => {
    expect(rawMisreads('max(last_over_time(deployment_infrastructure_cost{a="b"}[$__range]))')).toEqual([]);
    expect(rawMisreads('max(quantile_over_time(0.95, api_health_check_latency_ms{a="b"}[1h]))')).toEqual([]);
    expect(rawMisreads('max(deployment_infrastructure_cost{a="b"})')).toHaveLength(1);
    expect(rawMisreads('last_over_time(deployment_runs_total[1h])')).toHaveLength(1);
    expect(rawMisreads('increase(deployment_stage_duration_seconds[1h])')).toHaveLength(1);
    expect(rawMisreads('remote_write:deployment_runs_total')).toEqual([]);
    expect(() => selRaw(METRICS.deploymentRunsTotal)).toThrow(/no deployment_id/);
  });

  test('every query reads only densified series, recording rules, or raw per-deployment gauges over a range', () => {
    const densified = densifyRecords();
    const records = variantRecords();
    const queries = [...committedRemoteWrite().values()].flatMap((d) => dashboardQueries(d));
    expect(queries.length).toBeGreaterThan(40);
    const wrong = queries.flatMap((q) => [
      ...selectedNames(q.expr)
        .filter((n) =>
          n.startsWith(REMOTE_WRITE_PREFIX)
            ? !densified.has(n) // a densified series the densify group does not record
            : !records.has(n) && !raw.has(n),
        )
        .map((n) => `${q.dashboard} / ${q.panel}: ${n} is not recorded`),
      ...rawMisreads(q.expr).map((m) => `${q.dashboard} / ${q.panel}: raw ${m} not sparse-safe`),
    ]);
    expect(wrong).toEqual([]);
  });

  test('every raw metric a Pushgateway panel reads instantly is read densified in the remote-write flavour', () => {
    // e.g. the status, outcome, elapsed, latest-deployment, counters (increase) and cost panels
    const densifiedNames = new Set(densifiedByDashboards());
    for (const n of [
      METRICS.inProgress.name,
      METRICS.stageState.name,
      METRICS.stageStartTimestamp.name,
      METRICS.stageThreshold.name,
      METRICS.lastSuccessTimestamp.name,
      METRICS.lastFailureTimestamp.name,
      METRICS.startTimestamp.name,
      METRICS.stageDuration.name,
      METRICS.deploymentTotal.name,
      METRICS.deploymentRunsTotal.name,
      METRICS.deploymentRollbackTotal.name,
      METRICS.infrastructureCost.name,
      METRICS.railwayMemory.name,
      METRICS.railwayCpu.name,
      METRICS.deploymentFrequency.name,
      METRICS.actionDuration.name,
      METRICS.workflowRunsTotal.name,
      `${METRICS.timeToDeploy.name}_bucket`,
    ])
      expect({ n, densified: densifiedNames.has(n) }).toEqual({ n, densified: true });
  });

  test('the densify group records every metric the remote-write dashboards read (scripts/remote-write-rules.ts)', () => {
    expect(PREFIX).toBe(REMOTE_WRITE_PREFIX);
    const recorded = densifyRecords();
    const needed = densifiedByDashboards();
    expect(needed.length).toBeGreaterThan(10);
    expect(needed.filter((n) => !recorded.has(`${PREFIX}${n}`))).toEqual([]);
  });
});

describe('example stack: deploy/docker-compose.yml and Grafana provisioning', () => {
  const DEPLOY = path.join(REPO_ROOT, 'deploy');
  interface ComposeService {
    image: string;
    command?: string[];
    volumes?: string[];
    ports?: string[];
    depends_on?: string[];
  }
  const compose = (): { services: Record<string, ComposeService>; volumes?: Record<string, unknown> } =>
    parse(readFileSync(path.join(DEPLOY, 'docker-compose.yml'), 'utf8'));
  /** `source:target[:mode]` of a service's volumes. */
  const mounts = (s: ComposeService): { source: string; target: string }[] =>
    (s.volumes ?? []).map((v) => {
      const [source = '', target = ''] = v.split(':');
      return { source, target };
    });

  test('services prometheus, pushgateway, alertmanager and grafana, images pinned', () => {
    const { services } = compose();
    expect(Object.keys(services).sort()).toEqual(['alertmanager', 'grafana', 'prometheus', 'pushgateway']);
    for (const s of Object.values(services)) expect(s.image).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+$/);
  });

  test('the Pushgateway persists its groups on a volume', () => {
    const pg = compose().services.pushgateway as ComposeService;
    const flag = pg.command?.find((c) => c.startsWith('--persistence.file='));
    expect(flag).toBeDefined();
    const file = flag?.slice('--persistence.file='.length) ?? '';
    expect(file).not.toBe('');
    expect(mounts(pg).some((m) => file.startsWith(`${m.target}/`) && !m.source.startsWith('.'))).toBe(true);
  });

  test('every bind-mounted path exists in the repository; named volumes are declared', () => {
    const { services, volumes } = compose();
    for (const [name, s] of Object.entries(services)) {
      for (const { source, target } of mounts(s)) {
        expect(target).toMatch(/^\//);
        if (source.startsWith('.')) {
          expect({ name, source, exists: existsSync(path.resolve(DEPLOY, source)) }).toEqual({
            name,
            source,
            exists: true,
          });
        } else {
          expect(Object.keys(volumes ?? {})).toContain(source);
        }
      }
    }
  });

  test('Prometheus gets the shipped configuration and rules where prometheus.yml expects them', () => {
    const prom = compose().services.prometheus as ComposeService;
    const configFlag = prom.command?.find((c) => c.startsWith('--config.file='))?.split('=')[1] ?? '';
    const configMount = mounts(prom).find((m) => m.target === configFlag);
    expect(configMount?.source).toBe('./prometheus/prometheus.yml');
    const config = parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as {
      rule_files: string[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; honor_labels?: boolean; static_configs: { targets: string[] }[] }[];
    };
    // Rule files resolve relative to the configuration file, inside the rules mount.
    const rulesMount = mounts(prom).find((m) => m.source === './prometheus/rules');
    for (const f of config.rule_files) {
      const inContainer = path.posix.join(path.posix.dirname(configFlag), f);
      expect(inContainer.startsWith(`${rulesMount?.target}/`)).toBe(true);
      expect(existsSync(path.join(DEPLOY, 'prometheus', f))).toBe(true);
    }
    // Host names are the compose services'.
    const pushgateway = config.scrape_configs.find((s) => s.job_name === 'pushgateway');
    expect(pushgateway?.honor_labels).toBe(true);
    expect(pushgateway?.static_configs[0]?.targets).toEqual(['pushgateway:9091']);
    expect(config.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(['alertmanager:9093']);
    expect(prom.command).toContain('--storage.tsdb.retention.time=35d');
  });

  test('Alertmanager gets deploy/alertmanager/alertmanager.yml', () => {
    const am = compose().services.alertmanager as ComposeService;
    const configFlag = am.command?.find((c) => c.startsWith('--config.file='))?.split('=')[1] ?? '';
    expect(mounts(am).find((m) => m.target === configFlag)?.source).toBe('./alertmanager/alertmanager.yml');
  });

  test('Grafana: provisioning mounted, datasource is the compose Prometheus, dashboards folder is the JSON', () => {
    const grafana = compose().services.grafana as ComposeService;
    const m = mounts(grafana);
    const target = (source: string): string | undefined => m.find((x) => x.source === source)?.target;
    expect(target('./grafana/provisioning/datasources')).toBe('/etc/grafana/provisioning/datasources');
    expect(target('./grafana/provisioning/dashboards')).toBe('/etc/grafana/provisioning/dashboards');

    const dir = (sub: string): string => path.join(DEPLOY, 'grafana', 'provisioning', sub);
    const yamlFiles = (sub: string): string[] =>
      readdirSync(dir(sub)).filter((f) => f.endsWith('.yml') && statSync(path.join(dir(sub), f)).isFile());
    const datasources = yamlFiles('datasources').flatMap(
      (f) =>
        (
          parse(readFileSync(path.join(dir('datasources'), f), 'utf8')) as {
            datasources: { type: string; url: string }[];
          }
        ).datasources,
    );
    expect(datasources.map((d) => [d.type, d.url])).toEqual([['prometheus', 'http://prometheus:9090']]);

    const providers = yamlFiles('dashboards').flatMap(
      (f) =>
        (
          parse(readFileSync(path.join(dir('dashboards'), f), 'utf8')) as {
            providers: { type: string; options: { path: string } }[];
          }
        ).providers,
    );
    expect(providers).toHaveLength(1);
    expect(providers[0]?.type).toBe('file');
    expect(target('./grafana/dashboards')).toBe(providers[0]?.options.path);
    // The stack is the Pushgateway one: the remote-write flavour is in a folder of its own,
    // outside the one the provider reads (it reads subfolders too), and not mounted.
    expect(path.relative(DASHBOARDS_DIR, REMOTE_WRITE_DASHBOARDS_DIR)).toBe('../dashboards-remote-write');
    expect(JSON.stringify(grafana)).not.toContain('dashboards-remote-write');
  });

  test('Grafana: a provider for the remote-write flavour, in its own folder, not mounted by the stack', () => {
    const dir = path.join(DEPLOY, 'grafana', 'provisioning', 'dashboards-remote-write');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yml'));
    expect(files).toEqual(['deployment-observability-remote-write.yml']);
    const { providers } = parse(readFileSync(path.join(dir, files[0] as string), 'utf8')) as {
      providers: { name: string; folder: string; type: string; options: { path: string } }[];
    };
    const pushgateway = (
      parse(
        readFileSync(
          path.join(DEPLOY, 'grafana', 'provisioning', 'dashboards', 'deployment-observability.yml'),
          'utf8',
        ),
      ) as { providers: { name: string; folder: string; options: { path: string } }[] }
    ).providers[0];
    expect(providers).toHaveLength(1);
    expect(providers[0]).toMatchObject({ type: 'file', folder: 'Deployments (remote write)' });
    expect(providers[0]?.name).not.toBe(pushgateway?.name);
    expect(providers[0]?.folder).not.toBe(pushgateway?.folder);
    // Its path is not inside the Pushgateway provider's (which would load the flavour twice).
    expect(providers[0]?.options.path.startsWith(`${pushgateway?.options.path}/`)).toBe(false);
    const grafana = compose().services.grafana as ComposeService;
    expect(mounts(grafana).map((m) => m.source)).not.toContain(
      './grafana/provisioning/dashboards-remote-write',
    );
  });
});
