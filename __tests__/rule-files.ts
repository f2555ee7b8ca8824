/**
 * The shipped Prometheus rule files, their promtool test files and the
 * runbooks, read as data for the tests that check them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PROMETHEUS_DIR = path.join(REPO_ROOT, 'deploy', 'prometheus');
export const RULES_DIR = path.join(PROMETHEUS_DIR, 'rules');
export const RULE_TESTS_DIR = path.join(PROMETHEUS_DIR, 'tests');
export const RUNBOOKS_DIR = path.join(REPO_ROOT, 'docs', 'runbooks');
export const ALERTMANAGER_CONFIG = path.join(REPO_ROOT, 'deploy', 'alertmanager', 'alertmanager.yml');
export const PROMETHEUS_CONFIG = path.join(PROMETHEUS_DIR, 'prometheus.yml');

/** The rule files in load order: recording rules first, as deploy/prometheus/prometheus.yml lists them. */
export const RULE_FILES = [
  path.join(RULES_DIR, 'deployment-recording.yml'),
  path.join(RULES_DIR, 'deployment-alerts.yml'),
];

export interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly Rule[];
  /** The file the group is in. */
  readonly file: string;
}

export function ruleGroups(): RuleGroup[] {
  return RULE_FILES.flatMap((file) => {
    const doc = parse(readFileSync(file, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
    return doc.groups.map((g) => ({ name: g.name, rules: g.rules, file }));
  });
}

export interface AlertRule extends Rule {
  readonly alert: string;
  readonly group: string;
}

export function alertRules(): AlertRule[] {
  return ruleGroups().flatMap((g) =>
    g.rules.filter((r): r is Rule & { alert: string } => !!r.alert).map((r) => ({ ...r, group: g.name })),
  );
}

/** Every distinct `record:` name. */
export function recordNames(): string[] {
  return [...new Set(ruleGroups().flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))))];
}

export function ruleTestFiles(): string[] {
  return readdirSync(RULE_TESTS_DIR)
    .filter((f) => f.endsWith('.test.yml'))
    .sort()
    .map((f) => path.join(RULE_TESTS_DIR, f));
}

export interface RuleTestFile {
  readonly file: string;
  readonly rule_files: string[];
  readonly group_eval_order?: string[];
  readonly tests: {
    readonly name?: string;
    readonly alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: unknown[] }[];
    readonly promql_expr_test?: { expr: string; eval_time: string; exp_samples?: unknown[] }[];
  }[];
}

export function readRuleTestFile(file: string): RuleTestFile {
  return { file, ...(parse(readFileSync(file, 'utf8')) as Omit<RuleTestFile, 'file'>) };
}

/** Runbook files by alert name (file name without `.md`). */
export function runbookNames(): string[] {
  return readdirSync(RUNBOOKS_DIR)
    .filter((f) => f.endsWith('.md'))
    .map((f) => f.slice(0, -'.md'.length))
    .sort();
}
