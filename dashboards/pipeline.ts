/**
 * Deployment Pipeline (/d/deployment-pipeline): the current deployment, the
 * stage timeline against the stage thresholds, stage durations over the last
 * 10 deployments, failure details and the time-to-deploy distribution.
 */
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as GaugePanel } from '@grafana/grafana-foundation-sdk/gauge';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  BarGaugeDisplayMode,
  BigValueColorMode,
  BigValueGraphMode,
  GraphThresholdsStyleMode,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import {
  actionDefaults,
  bucket,
  events,
  lastValue,
  metric,
  METRICS,
  query,
  sel,
  selEnv,
  selRaw,
  steps,
  threshold,
  thresholdLines,
  valueText,
  DATASOURCE,
  deploymentDashboard,
} from './common.js';

/** The stages the `thresholds` input names (all but `total`). */
export function stageThresholds(): [string, number][] {
  return Object.entries(actionDefaults().thresholds).filter(([stage]) => stage !== 'total');
}

/** The last 10 deployment ids (by start time) seen within the range. */
const LAST_10 = `topk(10, max by (deployment_id) (last_over_time(${selRaw(METRICS.startTimestamp)}[$__range])))`;
const STAGE_IN_LAST_10 = `last_over_time(${selRaw(METRICS.stageDuration)}[$__range]) and on(deployment_id) ${LAST_10}`;

export function pipelineDashboard(): DashboardBuilder {
  const { sloTtdP95Seconds } = actionDefaults();
  const total = threshold('total');
  const stageOverrides = (b: BarGaugePanel): BarGaugePanel => {
    for (const [stage, seconds] of stageThresholds()) {
      b.overrideByRegexp(`^[^/]+/${stage}( .*)?$`, [
        {
          id: 'thresholds',
          value: steps(['green', null], ['orange', seconds], ['red', 2 * seconds]).build(),
        },
        { id: 'max', value: 2 * seconds },
      ]);
    }
    return b;
  };

  return deploymentDashboard({
    title: 'Deployment Pipeline',
    uid: 'deployment-pipeline',
    description:
      'Real-time deployment status: current deployment, stages, durations, failures, time to deploy.',
    tags: ['deployment', 'pipeline'],
    from: 'now-7d',
    refresh: '30s',
  })
    .withRow(new RowBuilder('Current deployment'))
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Deployment status')
        .description('Per service: 1 while its latest deployment runs (pre pushed it), 0 once post finished.')
        .withTarget(query(`max by (service) (${sel(METRICS.inProgress)})`, '{{service}}', { instant: true }))
        .mappings(valueText({ '0': ['Finished', 'green'], '1': ['IN PROGRESS', 'blue'] }))
        .thresholds(steps(['green', null], ['blue', 0.5]))
        .colorMode(BigValueColorMode.Background)
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Outcome of the latest finished deployment')
        .description(
          'Succeeded when the last success timestamp is newer than the last failure timestamp (a failure never overwrites a success).',
        )
        .withTarget(
          query(
            `max by (service) (${sel(METRICS.lastSuccessTimestamp)})\n` +
              `  > bool on(service)\n` +
              `    (max by (service) (${sel(METRICS.lastFailureTimestamp)}) or max by (service) (${sel(METRICS.lastSuccessTimestamp)}) * 0)\n` +
              `or\n` +
              `  max by (service) (${sel(METRICS.lastFailureTimestamp)}) * 0`,
            '{{service}}',
            { instant: true },
          ),
        )
        .mappings(valueText({ '0': ['Failed', 'red'], '1': ['Succeeded', 'green'] }))
        .thresholds(steps(['red', null], ['green', 1]))
        .colorMode(BigValueColorMode.Background)
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withPanel(
      new GaugePanel()
        .datasource(DATASOURCE)
        .title('Elapsed: running deployment, else stage time of the latest')
        .description(
          `Seconds since a running deployment started; for a finished one, the sum of its stage durations. Total threshold: ${total} s (the thresholds input's total).`,
        )
        .withTarget(
          query(
            `max by (service) (\n` +
              `    (time() - ${sel(METRICS.startTimestamp)})\n` +
              `      and on(job, environment, service, deployment_id) (${sel(METRICS.inProgress)} == 1)\n` +
              `  or\n` +
              `    sum by (job, environment, service, deployment_id) (${sel(METRICS.stageDuration)})\n` +
              `)`,
            '{{service}}',
            { instant: true },
          ),
        )
        .unit('s')
        .min(0)
        .max(total)
        .thresholds(steps(['green', null], ['orange', sloTtdP95Seconds], ['red', total]))
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withPanel(
      new TablePanel()
        .datasource(DATASOURCE)
        .title('Latest deployment')
        .description(
          'Deployment id (the run id, -N for attempt N), branch and trigger of each service’s latest deployment.',
        )
        .withTarget(
          query(`max by (service, deployment_id, branch, triggered_by) (${sel(METRICS.inProgress)})`, '', {
            table: true,
          }),
        )
        .withTransformation({
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            renameByName: { Value: 'in progress' },
          },
        })
        .span(6)
        .height(6),
    )
    .withRow(new RowBuilder('Stage timeline'))
    .withPanel(
      stageOverrides(
        new BarGaugePanel()
          .datasource(DATASOURCE)
          .title('Stage timeline (latest deployment)')
          .description(
            'Each stage of the latest finished deployment, in seconds; orange from the stage threshold (the action’s thresholds input), red from twice it.',
          )
          .withTarget(
            query(
              `max by (service, stage, status) (${sel(METRICS.stageDuration)})`,
              '{{service}}/{{stage}} ({{status}})',
              { instant: true },
            ),
          )
          .unit('s')
          .min(0)
          .thresholds(steps(['green', null]))
          .orientation(VizOrientation.Horizontal)
          .displayMode(BarGaugeDisplayMode.Basic)
          .reduceOptions(lastValue()),
      )
        .span(14)
        .height(9),
    )
    .withPanel(
      new BarGaugePanel()
        .datasource(DATASOURCE)
        .title('Stage duration / threshold (latest deployment)')
        .description(
          'Stage duration divided by its threshold (deployment:stage_threshold_seconds, the thresholds input): above 100 % the stage was slow, above 200 % it timed out by the design’s definition.',
        )
        .withTarget(
          query(
            `max by (service, stage) (${sel(METRICS.stageDuration)})\n` +
              `  / on(stage) group_left\n` +
              `max by (stage) (deployment:stage_threshold_seconds)`,
            '{{service}}/{{stage}}',
            { instant: true },
          ),
        )
        .unit('percentunit')
        .min(0)
        .max(2)
        .thresholds(steps(['green', null], ['orange', 1], ['red', 2]))
        .orientation(VizOrientation.Horizontal)
        .displayMode(BarGaugeDisplayMode.Gradient)
        .reduceOptions(lastValue())
        .span(10)
        .height(9),
    )
    .withRow(new RowBuilder('Stage durations'))
    .withPanel(
      new TablePanel()
        .datasource(DATASOURCE)
        .title('Stage durations, last 10 deployments')
        .description(
          'Average, p95 and maximum per stage over the last 10 deployments (by start time) within the time range; one value per deployment.',
        )
        .withTarget(query(`avg by (service, stage) (${STAGE_IN_LAST_10})`, '', { table: true, refId: 'avg' }))
        .withTarget(
          query(`quantile by (service, stage) (0.95, ${STAGE_IN_LAST_10})`, '', {
            table: true,
            refId: 'p95',
          }),
        )
        .withTarget(query(`max by (service, stage) (${STAGE_IN_LAST_10})`, '', { table: true, refId: 'max' }))
        .withTransformation({ id: 'merge', options: {} })
        .withTransformation({
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            renameByName: { 'Value #avg': 'avg', 'Value #p95': 'p95', 'Value #max': 'max' },
          },
        })
        .unit('s')
        .decimals(1)
        .span(12)
        .height(9),
    )
    .withPanel(
      new TimeseriesPanel()
        .datasource(DATASOURCE)
        .title('Stage duration trend (7-day average and p95)')
        .description(
          'Recording rules deployment:stage_duration_seconds:avg7d and :p95_7d, per service and stage.',
        )
        .withTarget(query(sel('deployment:stage_duration_seconds:avg7d'), '{{service}}/{{stage}} avg'))
        .withTarget(query(sel('deployment:stage_duration_seconds:p95_7d'), '{{service}}/{{stage}} p95'))
        .unit('s')
        .min(0)
        .span(12)
        .height(9),
    )
    .withRow(new RowBuilder('Failure details'))
    .withPanel(
      new TablePanel()
        .datasource(DATASOURCE)
        .title('Failed stages')
        .description('Every failed stage of a deployment within the time range, with its duration.')
        .withTarget(
          query(
            `max by (service, deployment_id, stage) (last_over_time(${selRaw(METRICS.stageDuration, 'status="failure"')}[$__range]))`,
            '',
            { table: true },
          ),
        )
        .withTransformation({
          id: 'organize',
          options: { excludeByName: { Time: true }, renameByName: { Value: 'duration (s)' } },
        })
        .span(9)
        .height(8),
    )
    .withPanel(
      new TablePanel()
        .datasource(DATASOURCE)
        .title('Errors by stage and type')
        .description('Failed stages counted within the time range, by error type (deployment_errors_total).')
        .withTarget(
          query(`${events(sel(METRICS.deploymentErrorsTotal), 'service, stage, error_type')} > 0`, '', {
            table: true,
          }),
        )
        .withTransformation({
          id: 'organize',
          options: { excludeByName: { Time: true }, renameByName: { Value: 'failures' } },
        })
        .span(9)
        .height(8),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Last failure')
        .description('When the last failed deployment of each service finished.')
        .withTarget(
          query(`max by (service) (${sel(METRICS.lastFailureTimestamp)}) * 1000`, '{{service}}', {
            instant: true,
          }),
        )
        .unit('dateTimeFromNow')
        .colorMode(BigValueColorMode.None)
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(8),
    )
    .withRow(new RowBuilder('Time to deploy'))
    .withPanel(
      new BarGaugePanel()
        .datasource(DATASOURCE)
        .title('TTD distribution')
        .description(
          'Workflow runs by time to deploy (time_to_deploy_seconds, pushed by summary mode) within the time range, per bucket.',
        )
        .withTarget(
          query(events(selEnv(bucket(METRICS.timeToDeploy)), 'le'), '{{le}}', {
            instant: true,
            heatmap: true,
          }),
        )
        .orientation(VizOrientation.Vertical)
        .displayMode(BarGaugeDisplayMode.Basic)
        .thresholds(steps(['blue', null]))
        .reduceOptions(lastValue())
        .span(10)
        .height(8),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('TTD p50 / p95 / p99 (7 days)')
        .description(
          `Recording rules deployment:time_to_deploy_seconds:p50_7d, :p95_7d, :p99_7d. Orange from the p95 SLO (${sloTtdP95Seconds} s, the slo-ttd-p95-seconds input), red from the total threshold (${total} s).`,
        )
        .withTarget(query(selEnv('deployment:time_to_deploy_seconds:p50_7d'), 'p50', { instant: true }))
        .withTarget(query(selEnv('deployment:time_to_deploy_seconds:p95_7d'), 'p95', { instant: true }))
        .withTarget(query(selEnv('deployment:time_to_deploy_seconds:p99_7d'), 'p99', { instant: true }))
        .unit('s')
        .thresholds(steps(['green', null], ['orange', sloTtdP95Seconds], ['red', total]))
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(7)
        .height(8),
    )
    .withPanel(
      new TimeseriesPanel()
        .datasource(DATASOURCE)
        .title('Workflow run duration')
        .description('Duration of the latest run per workflow, branch and conclusion (summary mode).')
        .withTarget(
          query(
            `max by (workflow, branch, conclusion) (${metric(METRICS.actionDuration)})`,
            '{{workflow}} {{branch}} {{conclusion}}',
          ),
        )
        .unit('s')
        .min(0)
        .thresholds(steps(['green', null], ['red', total]))
        .thresholdsStyle(thresholdLines(GraphThresholdsStyleMode.Dashed))
        .span(7)
        .height(8),
    )
    .withPanel(
      new BarGaugePanel()
        .datasource(DATASOURCE)
        .title('Workflow runs by conclusion')
        .description(
          'Workflow run attempts within the time range (github_workflow_runs_total, summary mode).',
        )
        .withTarget(
          query(
            events(metric(METRICS.workflowRunsTotal), 'workflow, conclusion'),
            '{{workflow}} {{conclusion}}',
            { instant: true },
          ),
        )
        .decimals(0)
        .thresholds(steps(['blue', null]))
        .orientation(VizOrientation.Horizontal)
        .displayMode(BarGaugeDisplayMode.Basic)
        .reduceOptions(lastValue())
        .span(24)
        .height(5),
    );
}
