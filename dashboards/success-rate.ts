/**
 * Deployment Success Rate (/d/deployment-success-rate): success rate against
 * the SLO, rollbacks, error budget, the success/failure/cancelled split, failure
 * root causes and the error-budget burndown. Cancelled runs (a person or
 * cancel-in-progress stopped the job before anything failed) are shown as their
 * own outcome and left out of the success rate and the error budget.
 */
import type { DashboardBuilder, DynamicConfigValue } from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as PiePanel, PieChartType } from '@grafana/grafana-foundation-sdk/piechart';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  BarGaugeDisplayMode,
  BigValueGraphMode,
  GraphThresholdsStyleMode,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import {
  actionDefaults,
  events,
  lastValue,
  METRICS,
  query,
  sel,
  steps,
  thresholdLines,
  DATASOURCE,
  deploymentDashboard,
} from './common.js';

/** The outcomes that are deployments for the success rate and the error budget. */
const DEPLOYMENT_STATUSES = 'status=~"success|failure"';

/** One colour per outcome of deployment_runs_total, the same on every panel. */
function outcomeColours<T extends { overrideByName(name: string, properties: DynamicConfigValue[]): T }>(
  panel: T,
): T {
  for (const [status, colour] of [
    ['success', 'green'],
    ['failure', 'red'],
    ['cancelled', 'purple'],
  ] as const)
    panel.overrideByName(status, [{ id: 'color', value: { mode: 'fixed', fixedColor: colour } }]);
  return panel;
}

export function successRateDashboard(): DashboardBuilder {
  const { sloSuccessRate } = actionDefaults();
  const budget = Number((1 - sloSuccessRate).toFixed(6));
  /** Runs over 30 days of one outcome; by default the deployments: successes and failures, not cancels. */
  const runs30d = (status = ''): string =>
    `sum(${sel('deployment:runs:increase30d', status ? `status="${status}"` : DEPLOYMENT_STATUSES)})`;

  return deploymentDashboard({
    title: 'Deployment Success Rate',
    uid: 'deployment-success-rate',
    description: `Deployment reliability against the ${sloSuccessRate * 100} % success SLO (30 days): whole deployments (deployment_runs_total), rollbacks, error budget.`,
    tags: ['deployment', 'slo'],
    from: 'now-30d',
    refresh: '1m',
  })
    .withRow(new RowBuilder('Success metrics'))
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Success rate (30 days)')
        .description(
          `Successful deployments / successful and failed deployments over 30 days (recording rule deployment:runs:increase30d; cancelled runs are left out); green from the SLO, ${sloSuccessRate * 100} % (the slo-success-rate input).`,
        )
        .withTarget(
          query(`(${runs30d('success')} or vector(0)) / ${runs30d()}`, 'success rate', { instant: true }),
        )
        .unit('percentunit')
        .decimals(2)
        .min(0)
        .max(1)
        .thresholds(steps(['red', null], ['green', sloSuccessRate]))
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withPanel(
      outcomeColours(new StatPanel())
        .datasource(DATASOURCE)
        .title('Deployments (30 days)')
        .description(
          'Whole deployments (one per tracked deploy job) by outcome over 30 days: success, failure and cancelled (stopped by a person or cancel-in-progress; not in the success rate).',
        )
        .withTarget(
          query(`sum by (status) (${sel('deployment:runs:increase30d')})`, '{{status}}', { instant: true }),
        )
        .decimals(0)
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Rollbacks')
        .description('Rollbacks counted within the time range (deployment_rollback_total), by outcome.')
        .withTarget(
          query(events(sel(METRICS.deploymentRollbackTotal), 'status'), '{{status}}', { instant: true }),
        )
        .decimals(0)
        .thresholds(steps(['green', null], ['orange', 1]))
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Error budget remaining (30 days)')
        .description(
          `Share of the error budget (${budget * 100} % of deployments may fail; cancelled runs are not deployments here) left over 30 days; negative: overspent.`,
        )
        .withTarget(
          query(`1 - ((${runs30d('failure')} or vector(0)) / ${runs30d()}) / ${budget}`, 'remaining', {
            instant: true,
          }),
        )
        .unit('percentunit')
        .decimals(0)
        .thresholds(steps(['red', null], ['orange', 0], ['green', 0.5]))
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Deployment frequency (DORA)')
        .description(
          'Successful deployment runs completed per period (deployment_frequency, pushed by summary mode; service "all" is whole workflow runs).',
        )
        .withTarget(
          query(
            `max by (service, period) (${sel(METRICS.deploymentFrequency, '', 'environment=~"$environment", service=~"all|$service"')})`,
            '{{service}} per {{period}}',
            { instant: true },
          ),
        )
        .decimals(0)
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(24)
        .height(4),
    )
    .withRow(new RowBuilder('Status and root causes'))
    .withPanel(
      outcomeColours(new PiePanel())
        .datasource(DATASOURCE)
        .title('Deployments: success / failure / cancelled')
        .description(
          'Whole deployments within the time range by outcome; cancelled ones (stopped by a person or cancel-in-progress) apart, in neither of the others.',
        )
        .withTarget(
          query(`${events(sel(METRICS.deploymentRunsTotal), 'status')} > 0`, '{{status}}', { instant: true }),
        )
        .pieType(PieChartType.Donut)
        .reduceOptions(lastValue())
        .span(8)
        .height(8),
    )
    .withPanel(
      new BarGaugePanel()
        .datasource(DATASOURCE)
        .title('Failure root causes')
        .description(
          'Failed stages within the time range by error type (timeout, health_check_failed, migration_failed, test_failed, rollback_triggered, api_unreachable, database_connection_error).',
        )
        .withTarget(
          query(`${events(sel(METRICS.deploymentErrorsTotal), 'error_type')} > 0`, '{{error_type}}', {
            instant: true,
          }),
        )
        .decimals(0)
        .thresholds(steps(['red', null]))
        .orientation(VizOrientation.Horizontal)
        .displayMode(BarGaugeDisplayMode.Basic)
        .reduceOptions(lastValue())
        .span(8)
        .height(8),
    )
    .withPanel(
      new BarGaugePanel()
        .datasource(DATASOURCE)
        .title('Failed stages')
        .description(
          'Stage failures within the time range by service and stage (deployment_total{status="failure"}).',
        )
        .withTarget(
          query(
            `${events(sel(METRICS.deploymentTotal, 'status="failure"'), 'service, stage')} > 0`,
            '{{service}}/{{stage}}',
            { instant: true },
          ),
        )
        .decimals(0)
        .thresholds(steps(['red', null]))
        .orientation(VizOrientation.Horizontal)
        .displayMode(BarGaugeDisplayMode.Basic)
        .reduceOptions(lastValue())
        .span(8)
        .height(8),
    )
    .withRow(new RowBuilder('Error budget'))
    .withPanel(
      new TimeseriesPanel()
        .datasource(DATASOURCE)
        .title('Error budget burndown (30 days)')
        .description(
          'Error budget remaining per service (recording rule deployment:error_budget_remaining:ratio30d); the line at 0 is an exhausted budget.',
        )
        .withTarget(query(sel('deployment:error_budget_remaining:ratio30d'), '{{service}}'))
        .unit('percentunit')
        .thresholds(steps(['red', null], ['green', 0]))
        .thresholdsStyle(thresholdLines(GraphThresholdsStyleMode.DashedAndArea))
        .span(12)
        .height(8),
    )
    .withPanel(
      new TimeseriesPanel()
        .datasource(DATASOURCE)
        .title('Success rate vs SLO (30 days)')
        .description(
          `Per service (recording rule deployment:success_ratio:30d); the dashed line is the SLO, ${sloSuccessRate * 100} %.`,
        )
        .withTarget(query(sel('deployment:success_ratio:30d'), '{{service}}'))
        .unit('percentunit')
        .decimals(2)
        .max(1)
        .thresholds(steps(['red', null], ['green', sloSuccessRate]))
        .thresholdsStyle(thresholdLines(GraphThresholdsStyleMode.Dashed))
        .span(12)
        .height(8),
    );
}
