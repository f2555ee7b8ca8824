/**
 * The five dashboards (docs/dashboards.md), as code, and their JSON as
 * committed in deploy/grafana/dashboards/ (`npm run dashboards` writes it,
 * `npm run dashboards -- --check` fails when it is stale), in two flavours:
 * for scraped Pushgateway data (deploy/grafana/dashboards/*.json) and for
 * remote-written data (deploy/grafana/dashboards-remote-write/*.json, see
 * `Flavour` in common.ts).
 */
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  FLAVOUR_OUTPUT,
  FLAVOURS,
  RAW_NAMES,
  REMOTE_WRITE_PREFIX,
  REPO_ROOT,
  withFlavour,
  type Flavour,
} from './common.js';
import { costsDashboard } from './costs.js';
import { healthDashboard } from './health.js';
import { migrationsDashboard } from './migrations.js';
import { pipelineDashboard } from './pipeline.js';
import { successRateDashboard } from './success-rate.js';

export const DASHBOARDS_DIR = path.join(REPO_ROOT, 'deploy', 'grafana', 'dashboards');
/** The remote-write flavour's JSON. */
export const REMOTE_WRITE_DASHBOARDS_DIR = path.join(DASHBOARDS_DIR, FLAVOUR_OUTPUT['remote-write'].subdir);

/** File name (relative to DASHBOARDS_DIR: `../dashboards-remote-write/…` for that flavour) and model of each dashboard. */
export function dashboards(flavour: Flavour = 'pushgateway'): { file: string; dashboard: Dashboard }[] {
  const { subdir } = FLAVOUR_OUTPUT[flavour];
  return withFlavour(flavour, () =>
    [
      pipelineDashboard(),
      successRateDashboard(),
      healthDashboard(),
      migrationsDashboard(),
      costsDashboard(),
    ].map((builder) => {
      const dashboard = builder.build();
      return { file: path.posix.join(subdir, `${dashboard.uid}.json`), dashboard };
    }),
  );
}

/** The committed text of a dashboard: JSON, formatted as the repository's Prettier formats it. */
export async function renderDashboard(dashboard: Dashboard, file: string): Promise<string> {
  const target = path.join(DASHBOARDS_DIR, file);
  const options = (await resolveConfig(target)) ?? {};
  return format(JSON.stringify(dashboard, null, 2), { ...options, filepath: target });
}

/** Every dashboard file of the given flavours (default both) with its text, as `npm run dashboards` writes them. */
export async function renderDashboards(
  flavours: readonly Flavour[] = FLAVOURS,
): Promise<{ file: string; path: string; text: string }[]> {
  return Promise.all(
    flavours
      .flatMap((f) => dashboards(f))
      .map(async ({ file, dashboard }) => ({
        file,
        path: path.join(DASHBOARDS_DIR, file),
        text: await renderDashboard(dashboard, file),
      })),
  );
}

/**
 * Raw metrics the remote-write dashboards read densified (`remote_write:<metric>`
 * in a panel, an annotation or a variable), sorted: what the densify group of
 * the remote-write rules must record for them (scripts/remote-write-rules.ts
 * reads this, so the dashboards code is the one place that decides it).
 */
export function densifiedByDashboards(): string[] {
  const names = new Set<string>();
  for (const { dashboard } of dashboards('remote-write')) {
    const texts = [
      ...dashboardQueries(dashboard as Parameters<typeof dashboardQueries>[0]).map((q) => q.expr),
      ...(dashboard.templating?.list ?? []).map((v) => JSON.stringify(v.query ?? '')),
    ];
    for (const text of texts) {
      for (const m of text.matchAll(new RegExp(`${REMOTE_WRITE_PREFIX}([A-Za-z_][A-Za-z0-9_:]*)`, 'g'))) {
        const name = m[1] as string;
        if (!RAW_NAMES.has(name))
          throw new Error(`${dashboard.uid} reads ${m[0]}: not a metric of the table`);
        names.add(name);
      }
    }
  }
  return [...names].sort();
}

/** A PromQL expression of a dashboard: a panel target's or an annotation's. */
export interface DashboardQuery {
  readonly dashboard: string;
  /** Panel title, or `annotation: <name>`. */
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
}

interface PanelJson {
  type?: string;
  title?: string;
  panels?: PanelJson[];
  targets?: { refId?: string; expr?: string }[];
}

/** Every PromQL expression of a dashboard model (panels, panels inside rows, annotations). */
export function dashboardQueries(dashboard: {
  title?: string;
  panels?: PanelJson[];
  annotations?: { list?: { name?: string; expr?: string }[] };
}): DashboardQuery[] {
  const title = dashboard.title ?? '';
  const fromPanels = (panels: PanelJson[]): DashboardQuery[] =>
    panels.flatMap((p) => [
      ...fromPanels(p.panels ?? []),
      ...(p.targets ?? []).map((t, i) => ({
        dashboard: title,
        panel: p.title ?? '',
        refId: t.refId ?? String.fromCharCode(65 + i),
        expr: t.expr ?? '',
      })),
    ]);
  const annotations = (dashboard.annotations?.list ?? [])
    .filter((a) => a.expr !== undefined)
    .map((a) => ({
      dashboard: title,
      panel: `annotation: ${a.name ?? ''}`,
      refId: 'annotation',
      expr: a.expr ?? '',
    }));
  return [...fromPanels(dashboard.panels ?? []), ...annotations];
}
