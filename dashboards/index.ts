/**
 * The five dashboards of the design document, as code, and their JSON as
 * committed in deploy/grafana/dashboards/ (`npm run dashboards` writes it,
 * `npm run dashboards -- --check` fails when it is stale).
 */
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { REPO_ROOT } from './common.js';
import { costsDashboard } from './costs.js';
import { healthDashboard } from './health.js';
import { migrationsDashboard } from './migrations.js';
import { pipelineDashboard } from './pipeline.js';
import { successRateDashboard } from './success-rate.js';

export const DASHBOARDS_DIR = path.join(REPO_ROOT, 'deploy', 'grafana', 'dashboards');

/** File name (in DASHBOARDS_DIR) and model of each dashboard. */
export function dashboards(): { file: string; dashboard: Dashboard }[] {
  return [
    pipelineDashboard(),
    successRateDashboard(),
    healthDashboard(),
    migrationsDashboard(),
    costsDashboard(),
  ].map((builder) => {
    const dashboard = builder.build();
    return { file: `${dashboard.uid}.json`, dashboard };
  });
}

/** The committed text of a dashboard: JSON, formatted as the repository's Prettier formats it. */
export async function renderDashboard(dashboard: Dashboard, file: string): Promise<string> {
  const target = path.join(DASHBOARDS_DIR, file);
  const options = (await resolveConfig(target)) ?? {};
  return format(JSON.stringify(dashboard, null, 2), { ...options, filepath: target });
}

/** Every dashboard file with its text, as `npm run dashboards` writes them. */
export async function renderDashboards(): Promise<{ file: string; path: string; text: string }[]> {
  return Promise.all(
    dashboards().map(async ({ file, dashboard }) => ({
      file,
      path: path.join(DASHBOARDS_DIR, file),
      text: await renderDashboard(dashboard, file),
    })),
  );
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
