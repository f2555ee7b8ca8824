/**
 * Deployment Costs (/d/deployment-costs): cost summary, cost by service, the
 * cost trend and the cost by component (resource), from
 * deployment_infrastructure_cost that steps report through DEPLOY_METRICS_FILE,
 * with the Railway peak memory and CPU.
 */
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as PiePanel, PieChartType } from '@grafana/grafana-foundation-sdk/piechart';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { BigValueGraphMode } from '@grafana/grafana-foundation-sdk/common';
import {
  lastValue,
  METRICS,
  query,
  sel,
  selRaw,
  startedWithin,
  DATASOURCE,
  deploymentDashboard,
} from './common.js';

/**
 * One value per deployment, service and resource, for the deployments that
 * started within `window` (`seconds` long): the cost gauge holds the latest
 * deployment's costs, each deployment in its own series (deployment_id), and a
 * Pushgateway keeps exposing the latest one's through quiet days, so the
 * deployments are taken from their start time, not from the gauge being there.
 */
export function costPerDeployment(window = '$__range', seconds = '$__range_s'): string {
  return (
    `max by (service, deployment_id, resource) (\n` +
    `  last_over_time(${selRaw(METRICS.infrastructureCost)}[${window}])\n` +
    `    and on(environment, deployment_id) ${startedWithin(window, seconds)}\n` +
    `)`
  );
}

export function costsDashboard(): DashboardBuilder {
  const perDeployment = costPerDeployment();
  return deploymentDashboard({
    title: 'Deployment Costs',
    uid: 'deployment-costs',
    description:
      'Infrastructure cost of deployments as steps report it (deployment_infrastructure_cost{resource=…}), summed per deployment within the time range.',
    tags: ['deployment', 'cost'],
    from: 'now-30d',
    refresh: '5m',
  })
    .withRow(new RowBuilder('Cost summary'))
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Total deployment cost')
        .description('Costs of every deployment that started within the time range.')
        .withTarget(query(`sum(${perDeployment})`, 'total', { instant: true }))
        .unit('currencyUSD')
        .decimals(2)
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Average cost per deployment run')
        .description(
          'Total cost divided by the deployment runs (deployment ids) that started within the time range and reported a cost.',
        )
        .withTarget(
          query(`sum(${perDeployment}) / count(count by (deployment_id) (${perDeployment}))`, 'per run', {
            instant: true,
          }),
        )
        .unit('currencyUSD')
        .decimals(2)
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Cost of the latest deployment')
        .description('Per service: the cost its latest deployment reported.')
        .withTarget(
          query(`sum by (service) (${sel(METRICS.infrastructureCost)})`, '{{service}}', { instant: true }),
        )
        .unit('currencyUSD')
        .decimals(2)
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Railway peak memory / CPU (latest)')
        .description(
          'railway_deployment_memory_mb and railway_deployment_cpu_percent of the latest deployment.',
        )
        .withTarget(
          query(`max by (service) (${sel(METRICS.railwayMemory)})`, '{{service}} memory', { instant: true }),
        )
        .withTarget(
          query(`max by (service) (${sel(METRICS.railwayCpu)})`, '{{service}} CPU', { instant: true }),
        )
        .overrideByRegexp('memory$', [{ id: 'unit', value: 'decmbytes' }])
        .overrideByRegexp('CPU$', [{ id: 'unit', value: 'percent' }])
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withRow(new RowBuilder('By service and component'))
    .withPanel(
      new PiePanel()
        .datasource(DATASOURCE)
        .title('Cost by service')
        .description('Costs of the deployments that started within the time range, per service.')
        .withTarget(query(`sum by (service) (${perDeployment})`, '{{service}}', { instant: true }))
        .unit('currencyUSD')
        .pieType(PieChartType.Donut)
        .reduceOptions(lastValue())
        .span(8)
        .height(8),
    )
    .withPanel(
      new TablePanel()
        .datasource(DATASOURCE)
        .title('Cost by component')
        .description(
          'Per resource (railway_compute, vercel_build, database_migration, …): total and average per deployment.',
        )
        .withTarget(query(`sum by (resource) (${perDeployment})`, '', { table: true, refId: 'total' }))
        .withTarget(query(`avg by (resource) (${perDeployment})`, '', { table: true, refId: 'avg' }))
        .withTransformation({ id: 'merge', options: {} })
        .withTransformation({
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            renameByName: { 'Value #total': 'total', 'Value #avg': 'per deployment' },
          },
        })
        .unit('currencyUSD')
        .decimals(2)
        .span(8)
        .height(8),
    )
    .withPanel(
      new TimeseriesPanel()
        .datasource(DATASOURCE)
        .title('Cost trend (trailing 24 h)')
        .description(
          'At each point: costs of the deployments that started within the preceding 24 hours, per resource (0 on a day without deployments).',
        )
        .withTarget(
          query(
            `sum by (resource) (${costPerDeployment('1d', '86400')})\n  or\nsum by (resource) (last_over_time(${selRaw(METRICS.infrastructureCost)}[1d])) * 0`,
            '{{resource}}',
          ),
        )
        .unit('currencyUSD')
        .min(0)
        .span(8)
        .height(8),
    );
}
