/**
 * Static checks of the shipped rules, their promtool tests, runbooks and
 * docs: every alert the design names at its severity, a runbook for every
 * alert and an alert for every runbook, a firing and a non-firing promtool
 * case for every alert, an assertion for every recording rule, and rules that
 * only read metrics the action (or the Pushgateway) exposes. promtool itself
 * runs in __tests__/e2e/rules.e2e.test.ts.
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ALL_METRICS } from '../../src/metrics/definitions.js';
import {
  alertRules,
  casesByThresholdInput,
  metricNames,
  PUSHED_THRESHOLD,
  readRuleTestFile,
  recordNames,
  REPO_ROOT,
  ruleGroups,
  RULE_FILES,
  ruleTestFiles,
  runbookNames,
  RUNBOOKS_DIR,
  THRESHOLD_ALERTS,
} from '../rule-files.js';

/** The alerts and severities, plus the SLO and pipeline alerts. */
const EXPECTED_SEVERITIES: Record<string, string> = {
  DeploymentFailed: 'critical',
  HealthCheckFailuresPostDeploy: 'critical',
  PostDeploymentErrorRateHigh: 'critical',
  DatabaseMigrationFailed: 'critical',
  DeploymentTakingTooLong: 'high',
  DatabaseMigrationSlow: 'high',
  SmokeTestsFailingPostDeploy: 'high',
  RollbackTriggered: 'high',
  DeploymentStageTooSlow: 'high',
  DeploymentSlightlyBehindSchedule: 'medium',
  HealthCheckLatencyHigh: 'medium',
  DeploymentFrequencyLow: 'medium',
  DeploymentStageSlow: 'low',
  RollbackCompleted: 'low',
  DeploymentAbandoned: 'low',
  DeploymentErrorBudgetBurnFast: 'high',
  DeploymentErrorBudgetBurnSlow: 'medium',
  DeploymentErrorBudgetExhausted: 'medium',
  DeploymentMetricsPushFailing: 'high',
  DeploymentMetricsNotPushed: 'medium',
  DeploymentPushgatewayDown: 'high',
};

const alerts = alertRules();
/** The uids of the dashboards (deploy/grafana/dashboards/<uid>.json). */
const DASHBOARD_UIDS = readdirSync(path.join(REPO_ROOT, 'deploy', 'grafana', 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length));
const alertNames = alerts.map((a) => a.alert).sort();

describe('alert rules', () => {
  test('every alert of the design at its severity, and no other', () => {
    expect(Object.fromEntries(alerts.map((a) => [a.alert, a.labels?.severity]))).toEqual(EXPECTED_SEVERITIES);
    expect(new Set(alertNames).size).toBe(alertNames.length);
  });

  test.each(alerts.map((a) => [a.alert, a] as const))(
    '%s has a summary, a description, its runbook_url and the dashboard to open',
    (name, rule) => {
      expect(rule.annotations?.summary?.trim()).toBeTruthy();
      expect(rule.annotations?.description?.trim()).toBeTruthy();
      expect(rule.annotations?.runbook_url).toBe(`docs/runbooks/${name}.md`);
      expect(rule.labels?.component).toBeTruthy();
      // a Grafana path (/d/<uid>…) of one of the dashboards, with the alert's environment and
      // service where it has them; `npm run rules -- --dashboard-base` makes it absolute
      const url = rule.annotations?.dashboard_url ?? '';
      const uid = /^\/d\/([a-z-]+)(\?|$)/.exec(url)?.[1];
      expect(DASHBOARD_UIDS).toContain(uid);
      if (name !== 'DeploymentPushgatewayDown') {
        expect(url).toContain('var-environment={{');
        expect(url).toContain('var-service={{');
      }
    },
  );

  test('the dashboard of each alert: pipeline, health, migrations or success rate', () => {
    const uidOf = (a: (typeof alerts)[number]): string =>
      /^\/d\/([a-z-]+)/.exec(a.annotations?.dashboard_url ?? '')?.[1] ?? '';
    const by = (uid: string): string[] =>
      alerts
        .filter((a) => uidOf(a) === uid)
        .map((a) => a.alert)
        .sort();
    expect(by('post-deployment-health')).toEqual([
      'HealthCheckFailuresPostDeploy',
      'HealthCheckLatencyHigh',
      'PostDeploymentErrorRateHigh',
      'SmokeTestsFailingPostDeploy',
    ]);
    expect(by('database-migrations')).toEqual(['DatabaseMigrationFailed', 'DatabaseMigrationSlow']);
    expect(by('deployment-success-rate')).toEqual([
      'DeploymentErrorBudgetBurnFast',
      'DeploymentErrorBudgetBurnSlow',
      'DeploymentErrorBudgetExhausted',
      'DeploymentFrequencyLow',
      'RollbackCompleted',
      'RollbackTriggered',
    ]);
  });
});

describe('expressions that keep their meaning (Prometheus 2.42 and 3, any scrape phase)', () => {
  const rules = ruleGroups().flatMap((g) => g.rules.map((r) => [r.alert ?? r.record ?? '', r, g] as const));

  test.each(rules)('%s does not extrapolate: no increase(), rate() or irate()', (_name, rule) => {
    const texts = [rule.expr, ...Object.values(rule.annotations ?? {})];
    for (const t of texts) expect(t).not.toMatch(/\b(increase|rate|irate|delta|idelta)\(/);
  });

  test('a counter is counted as a difference with its value a window ago, resets and new series included', () => {
    const counted = rules.filter(([, r]) =>
      /last_over_time\(\w+(\{[^}]*\})?\[1h\] offset \w+\)/.test(r.expr),
    );
    expect(counted.length).toBeGreaterThan(10);
    for (const [name, r] of counted) {
      // the reset part adds what was counted before the reset
      if (
        /^deployment:runs:|^deployment:(api_health|migration|smoke)|^(HealthCheckFailures|DatabaseMigrationFailed|SmokeTests|Rollback)/.test(
          name,
        )
      )
        expect(r.expr).toMatch(/max_over_time\(/);
    }
  });

  test('time_to_deploy buckets are read under their bound whatever the spelling of le ("60" or "60.0")', () => {
    const rule = rules.find(([name]) => name === 'deployment:time_to_deploy_seconds_bucket:increase7d')?.[1];
    expect(rule?.expr).toContain(
      'label_replace(time_to_deploy_seconds_bucket, "bound", "$1", "le", "(.+?)(?:\\\\.0+)?")',
    );
    expect(rule?.expr).not.toMatch(/le="/);
  });

  test('the 30-day recording groups are evaluated every 5 minutes; alerts read them over 10 minutes', () => {
    const groups = ruleGroups();
    const thirtyDay = groups.filter(
      (g) => g.rules.some((r) => /\[30d\]|offset 30d/.test(r.expr)) && g.rules.every((r) => r.record),
    );
    expect(thirtyDay.map((g) => g.name).sort()).toEqual([
      'deployment-post-deploy-quality',
      'deployment-runs-30d',
    ]);
    for (const g of thirtyDay) expect(g.interval).toBe('5m');
    const slow = new Set(thirtyDay.flatMap((g) => g.rules.map((r) => r.record ?? '')));
    for (const g of groups.filter((x) => !thirtyDay.includes(x))) {
      for (const r of g.rules) {
        for (const name of metricNames(r.expr).filter((n) => slow.has(n))) {
          expect({
            rule: r.alert ?? r.record,
            name,
            read: r.expr.includes(`last_over_time(${name}`),
          }).toEqual({
            rule: r.alert ?? r.record,
            name,
            read: true,
          });
        }
      }
    }
  });
});

describe('the SLO alerts are sized to the deployment volume', () => {
  const slo = alerts.filter((a) => a.group === 'deployment-slo-alerts');

  test('burn rates as shares of a budget counted in deployments, at least 2 failures, history of the window', () => {
    const fast = slo.find((a) => a.alert === 'DeploymentErrorBudgetBurnFast')?.expr ?? '';
    const slowBurn = slo.find((a) => a.alert === 'DeploymentErrorBudgetBurnSlow')?.expr ?? '';
    // the workbook's shares of a 30-day budget: 2 % in 1 h (14.4x), 5 % in 6 h (6x), 10 % in 3 d (1x)
    expect(fast).toContain('clamp_min(0.02 * last_over_time(deployment:error_budget_failures:30d[10m]), 2)');
    expect(fast).toContain('clamp_min(0.05 * last_over_time(deployment:error_budget_failures:30d[10m]), 2)');
    expect(slowBurn).toContain(
      'clamp_min(0.10 * last_over_time(deployment:error_budget_failures:30d[10m]), 2)',
    );
    expect(fast).toContain('last_over_time(deployment_runs_total[1h] offset 1h)');
    expect(fast).toContain('last_over_time(deployment_runs_total[1h] offset 6h)');
    expect(slowBurn).toContain('last_over_time(deployment_runs_total[1h] offset 3d)');
  });

  test('the exhausted budget needs 2 failures and 30 days of history', () => {
    const exhausted = slo.find((a) => a.alert === 'DeploymentErrorBudgetExhausted')?.expr ?? '';
    expect(exhausted).toMatch(/deployment:runs:increase30d\{status="failure"\}\[10m\]\) >= 2/);
    expect(exhausted).toContain('last_over_time(deployment_runs_total[1h] offset 30d)');
  });
});

describe('runbooks', () => {
  test('every alert has a runbook and every runbook an alert', () => {
    const runbooks = runbookNames();
    const alertsWithoutRunbook = alertNames.filter((a) => !runbooks.includes(a));
    const runbooksWithoutAlert = runbooks.filter((r) => !alertNames.includes(r));
    expect({ alertsWithoutRunbook, runbooksWithoutAlert }).toEqual({
      alertsWithoutRunbook: [],
      runbooksWithoutAlert: [],
    });
  });

  test.each(alerts.map((a) => [a.alert, a.labels?.severity ?? ''] as const))(
    '%s: meaning, PromQL checks, the run, rollback, resolution, escalation',
    (name, severity) => {
      const text = readFileSync(path.join(RUNBOOKS_DIR, `${name}.md`), 'utf8');
      expect(text.startsWith(`# ${name}\n`)).toBe(true);
      expect(text).toContain(`**Severity:** ${severity}`);
      for (const heading of [
        '## What it means',
        '## First checks',
        '## Find the run',
        '## Roll back',
        '## When it resolves',
        '## Escalation',
      ]) {
        expect(text).toContain(`\n${heading}\n`);
      }
      expect(text).toContain('```promql');
      // deployment_id → the run, attempts included
      expect(text).toContain('/actions/runs/9876543210/attempts/2');
    },
  );

  test('rollback steps for Railway, Vercel and Alembic are where a deployment can be rolled back', () => {
    const text = readFileSync(path.join(RUNBOOKS_DIR, 'DeploymentFailed.md'), 'utf8');
    expect(text).toContain('**Rollback**');
    expect(text).toContain('vercel rollback');
    expect(text).toContain('alembic downgrade -1');
  });
});

describe('promtool test files', () => {
  const files = ruleTestFiles().map(readRuleTestFile);
  const groupsInOrder = ruleGroups().map((g) => g.name);
  const recordingGroups = ruleGroups()
    .filter((g) => g.rules.every((r) => r.record))
    .map((g) => g.name);

  test('there are test files', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  test.each(files.map((f) => [path.basename(f.file), f] as const))(
    '%s loads both rule files and orders every group, recording groups first',
    (_name, f) => {
      expect(f.rule_files.map((r) => path.resolve(path.dirname(f.file), r)).sort()).toEqual(
        [...RULE_FILES].sort(),
      );
      expect([...(f.group_eval_order ?? [])].sort()).toEqual([...groupsInOrder].sort());
      const order = f.group_eval_order ?? [];
      const lastRecording = Math.max(...recordingGroups.map((g) => order.indexOf(g)));
      const firstAlerting = Math.min(
        ...groupsInOrder.filter((g) => !recordingGroups.includes(g)).map((g) => order.indexOf(g)),
      );
      expect(lastRecording).toBeLessThan(firstAlerting);
    },
  );

  const cases = files.flatMap((f) => f.tests.flatMap((t) => t.alert_rule_test ?? []));
  test.each(alertNames)('%s has a case where it fires and one where it must not', (name) => {
    const mine = cases.filter((c) => c.alertname === name);
    expect(mine.filter((c) => (c.exp_alerts ?? []).length > 0).length).toBeGreaterThan(0);
    expect(mine.filter((c) => (c.exp_alerts ?? []).length === 0).length).toBeGreaterThan(0);
  });

  test('30-day recordings are asserted at multiples of 5 minutes, when their group (interval: 5m) evaluates', () => {
    const slow = ruleGroups()
      .filter((g) => g.interval === '5m')
      .flatMap((g) => g.rules.map((r) => r.record ?? ''));
    const seconds = (t: string): number =>
      [...t.matchAll(/(\d+)([dhms])/g)].reduce(
        (sum, [, n, u]) =>
          sum + Number(n) * ({ d: 86400, h: 3600, m: 60, s: 1 } as Record<string, number>)[u ?? 's']!,
        0,
      );
    const off = files.flatMap((f) =>
      f.tests.flatMap((t) =>
        (t.promql_expr_test ?? [])
          .filter((e) => slow.some((r) => e.expr.includes(r)) && seconds(e.eval_time) % 300 !== 0)
          .map((e) => `${path.basename(f.file)}: ${e.expr} at ${e.eval_time}`),
      ),
    );
    expect(off).toEqual([]);
  });

  const exprs = files.flatMap((f) => f.tests.flatMap((t) => (t.promql_expr_test ?? []).map((e) => e.expr)));
  test.each(recordNames())('recording rule %s is asserted', (record) => {
    const pattern = new RegExp(
      `(^|[^a-z0-9_:])${record.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-z0-9_:])`,
    );
    expect(exprs.filter((e) => pattern.test(e))).not.toEqual([]);
  });
});

describe('the duration alerts follow the thresholds input the action pushes', () => {
  const files = ruleTestFiles().map(readRuleTestFile);

  test('exactly the alerts that compare a duration with a threshold read deployment_stage_threshold_seconds', () => {
    expect(
      alerts
        .filter((a) => metricNames(a.expr).includes(PUSHED_THRESHOLD))
        .map((a) => a.alert)
        .sort(),
    ).toEqual(THRESHOLD_ALERTS);
  });

  test.each(THRESHOLD_ALERTS)(
    '%s: the threshold pushed to its group, else the default; its description names the one in force',
    (name) => {
      const rule = alerts.find((a) => a.alert === name);
      const expr = rule?.expr ?? '';
      // one threshold per group (and stage), joined on the labels of the group the action pushed it to
      expect(expr).toMatch(
        /max by \(job, environment, service(, stage)?\) \(deployment_stage_threshold_seconds(\{stage="(total|migration)"\})?\)/,
      );
      expect(expr).toMatch(/on\(job, environment, service(, stage)?\) group_left\(\)/);
      // a stage or group without a pushed threshold: the defaults (the total's 900 s is a constant)
      expect(expr).toMatch(/\bor\b[\s\S]*(deployment:stage_threshold_seconds|\* 0 \+ 900\b)/);
      expect(rule?.annotations?.description).toContain(PUSHED_THRESHOLD);
    },
  );

  test.each(THRESHOLD_ALERTS)(
    '%s fires and stays quiet in cases with a pushed threshold and in cases without one',
    (name) => {
      for (const withThreshold of [true, false]) {
        const { firing, quiet } = casesByThresholdInput(files, name, withThreshold);
        expect({ withThreshold, firing: firing > 0, quiet: quiet > 0 }).toEqual({
          withThreshold,
          firing: true,
          quiet: true,
        });
      }
    },
  );
});

describe('the rules read what exists', () => {
  const pushed = new Set(
    ALL_METRICS.flatMap((m) =>
      m.type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
    ),
  );
  const known = new Set([
    ...pushed,
    ...recordNames(),
    // added by the Pushgateway to every group, and by Prometheus to every target
    'push_time_seconds',
    'push_failure_time_seconds',
    'up',
  ]);

  test('the name extraction sees metric names only', () => {
    expect(
      metricNames(
        'sum by (job, environment) (increase(x_total{a="b c"}[1h] offset 1d)) > on(stage) group_left() y and z',
      ),
    ).toEqual(['x_total', 'y', 'z']);
  });

  test.each(ruleGroups().flatMap((g) => g.rules.map((r) => [r.alert ?? r.record ?? '', r.expr] as const)))(
    '%s reads only pushed, Pushgateway or recorded series',
    (_name, expr) => {
      expect(metricNames(expr).filter((n) => !known.has(n))).toEqual([]);
    },
  );
});

describe('docs/metrics.md', () => {
  const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'metrics.md'), 'utf8');
  test.each(ALL_METRICS.map((m) => m.name))('documents %s', (name) => {
    expect(doc).toContain(`\`${name}\``);
  });
  const sliRecords = [
    'deployment:success_ratio:30d',
    'deployment:error_budget_used:ratio30d',
    'deployment:error_budget_remaining:ratio30d',
    'deployment:time_to_deploy_seconds:p50_7d',
    'deployment:time_to_deploy_seconds:p95_7d',
    'deployment:time_to_deploy_seconds:p99_7d',
    'deployment:stage_duration_seconds:avg7d',
    'deployment:stage_duration_seconds:p95_7d',
    'deployment:health_check_pass_ratio:30d',
    'deployment:migration_success_ratio:30d',
    'deployment:smoke_test_pass_ratio:30d',
  ];
  test.each(sliRecords)('gives the PromQL of the SLI recorded as %s', (record) => {
    expect(recordNames()).toContain(record);
    expect(doc).toContain(`\`${record}\``);
  });
  test('links the runbooks and the rule files', () => {
    expect(existsSync(path.join(REPO_ROOT, 'deploy', 'prometheus', 'rules', 'deployment-alerts.yml'))).toBe(
      true,
    );
    expect(doc).toContain('deploy/prometheus/rules/deployment-alerts.yml');
    expect(doc).toContain('runbooks/');
  });
});
