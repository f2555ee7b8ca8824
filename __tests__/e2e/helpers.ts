/** Shared set-up of the end-to-end suites: a real Pushgateway, the fake GitHub API, a state dir. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from '../../tools/fake-github/server.js';
import { pushgatewayMetrics, startPushgateway, type Service } from '../../tools/services/index.js';
import { FAKE_TOKEN } from '../../tools/scenarios/index.js';

export interface Bed {
  pg: Service;
  gh: FakeGitHub;
  stateDir: string;
  close(): Promise<void>;
}

export async function startBed(ghOptions: FakeGitHubOptions = {}): Promise<Bed> {
  const [pg, gh] = await Promise.all([
    startPushgateway(),
    startFakeGitHub({ token: FAKE_TOKEN, ...ghOptions }),
  ]);
  const stateDir = mkdtempSync(join(tmpdir(), 'deploy-obs-state-'));
  return {
    pg,
    gh,
    stateDir,
    close: async () => {
      await Promise.all([pg.stop(), gh.close()]);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

let nextRun = 7_000_000;
/** A fresh run id per job, so deployments are told apart. */
export function newRunId(): number {
  return nextRun++;
}

/**
 * Values the Pushgateway holds for `metric` in series whose labels include
 * all of `labels`, read from its own API (not through the action's code).
 */
export async function gatewayValues(
  url: string,
  metric: string,
  labels: Record<string, string>,
): Promise<number[]> {
  const values: number[] = [];
  for (const group of await pushgatewayMetrics(url)) {
    const family = group[metric] as
      { metrics?: { labels: Record<string, string>; value?: string }[] } | undefined;
    for (const m of family?.metrics ?? []) {
      if (Object.entries(labels).every(([k, v]) => m.labels[k] === v)) values.push(Number(m.value));
    }
  }
  return values;
}

/** The single value of a series; fails the test when there is none or several. */
export async function gatewayValue(
  url: string,
  metric: string,
  labels: Record<string, string>,
): Promise<number> {
  const values = await gatewayValues(url, metric, labels);
  if (values.length !== 1)
    throw new Error(
      `expected one ${metric}${JSON.stringify(labels)}, found ${values.length}: ${values.join(', ')}`,
    );
  return values[0] as number;
}

/**
 * The sum of a counter's series whose labels include all of `labels` (both outcomes of
 * `deployment_runs_total`: post writes the other one at 0); fails the test when there is none.
 */
export async function gatewayTotal(
  url: string,
  metric: string,
  labels: Record<string, string>,
): Promise<number> {
  const values = await gatewayValues(url, metric, labels);
  if (values.length === 0) throw new Error(`expected ${metric}${JSON.stringify(labels)}, found none`);
  return values.reduce((a, b) => a + b, 0);
}

/**
 * Lint findings promtool reports on metric names the action keeps as documented
 * (docs/metrics.md), abbreviated units and all; anything else it says is a real problem.
 */
const CONTRACT_NAME_LINTS = [
  'api_health_check_latency_ms metric names should not contain abbreviated units',
  'railway_deployment_memory_mb metric names should not contain abbreviated units',
];

/**
 * `promtool check metrics` on exposition text: a real parser's verdict. A parse
 * error, or a lint finding other than the contract's fixed names, throws.
 */
export function promtoolCheckMetrics(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
  const file = join(dir, 'metrics.prom');
  writeFileSync(file, text);
  let output: string;
  try {
    output = execFileSync('bash', ['-c', `promtool check metrics < "${file}" 2>&1 || true`], {
      encoding: 'utf8',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const findings = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !CONTRACT_NAME_LINTS.includes(l));
  if (findings.length > 0) throw new Error(`promtool check metrics: ${findings.join(' | ')}`);
  return output;
}
