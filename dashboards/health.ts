/**
 * Post-Deployment Health (/d/post-deployment-health): health and latency of
 * each service after its latest deployment, the error rate around the deploy
 * point, latency percentiles, health checks and smoke tests per service.
 */
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  BarGaugeDisplayMode,
  BigValueColorMode,
  BigValueGraphMode,
  GraphThresholdsStyleMode,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import {
  events,
  lastValue,
  METRICS,
  query,
  sel,
  selRaw,
  steps,
  thresholdLines,
  DATASOURCE,
  deploymentDashboard,
} from './common.js';

/** Health-check latency: the design's p95 target (500 ms) and HealthCheckLatencyHigh (1000 ms). */
export const LATENCY_STEPS = (): ReturnType<typeof steps> =>
  steps(['green', null], ['orange', 500], ['red', 1000]);
/** Post-deployment error rate: baseline under 1 %, rollback above 5 %. */
export const ERROR_RATE_STEPS = (): ReturnType<typeof steps> =>
  steps(['green', null], ['orange', 0.01], ['red', 0.05]);

export function healthDashboard(): DashboardBuilder {
  const latency = sel(METRICS.healthCheckLatency);
  // Percentiles over the range: one value per deployment, read from each deployment's own raw
  // series (right on sparse data too).
  const perDeployment = `max by (service, deployment_id) (last_over_time(${selRaw(METRICS.healthCheckLatency)}[$__range]))`;
  return deploymentDashboard({
    title: 'Post-Deployment Health',
    uid: 'post-deployment-health',
    description:
      'Health after each deployment: health checks (verify mode or steps), error rate, smoke tests. The action measures its own health checks and the error-rate query you give verify mode; dependencies it does not probe are not shown.',
    tags: ['deployment', 'health'],
    from: 'now-6h',
    refresh: '30s',
  })
    .withRow(new RowBuilder('Health status (latest deployment)'))
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Health check latency')
        .description('Health endpoint response time of each service’s latest deployment, by health status.')
        .withTarget(
          query(`max by (service, status) (${latency})`, '{{service}} {{status}}', { instant: true }),
        )
        .unit('ms')
        .thresholds(LATENCY_STEPS())
        .colorMode(BigValueColorMode.Background)
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Error rate after deploy')
        .description(
          'post_deployment_error_rate of each service’s latest deployment: healthy under 1 %, rollback above 5 %.',
        )
        .withTarget(
          query(`max by (service) (${sel(METRICS.postDeploymentErrorRate)})`, '{{service}}', {
            instant: true,
          }),
        )
        .unit('percentunit')
        .decimals(2)
        .thresholds(ERROR_RATE_STEPS())
        .colorMode(BigValueColorMode.Background)
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Health-check pass rate (30 days)')
        .description('Recording rule deployment:health_check_pass_ratio:30d; SLO 99.9 %.')
        .withTarget(query(sel('deployment:health_check_pass_ratio:30d'), '{{service}}', { instant: true }))
        .unit('percentunit')
        .decimals(2)
        .thresholds(steps(['red', null], ['green', 0.999]))
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Smoke-test pass rate (30 days)')
        .description('Recording rule deployment:smoke_test_pass_ratio:30d; SLO 99 %.')
        .withTarget(query(sel('deployment:smoke_test_pass_ratio:30d'), '{{service}}', { instant: true }))
        .unit('percentunit')
        .decimals(2)
        .thresholds(steps(['red', null], ['green', 0.99]))
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
    .withRow(new RowBuilder('Error rate and latency'))
    .withPanel(
      new TimeseriesPanel()
        .datasource(DATASOURCE)
        .title('Error rate around the deploy point')
        .description(
          'Error ratio measured after each deployment (one series per deployment id); deployment starts are annotations. Dashed: 1 % (healthy) and 5 % (rollback).',
        )
        .withTarget(
          query(
            `max by (service, deployment_id) (${sel(METRICS.postDeploymentErrorRate)})`,
            '{{service}} {{deployment_id}}',
          ),
        )
        .unit('percentunit')
        .min(0)
        .thresholds(ERROR_RATE_STEPS())
        .thresholdsStyle(thresholdLines(GraphThresholdsStyleMode.Dashed))
        .span(12)
        .height(8),
    )
    .withPanel(
      new TimeseriesPanel()
        .datasource(DATASOURCE)
        .title('Health check latency')
        .description('Latest deployment’s health check latency over time; dashed at 500 ms and 1000 ms.')
        .withTarget(query(`max by (service, status) (${latency})`, '{{service}} {{status}}'))
        .unit('ms')
        .min(0)
        .thresholds(LATENCY_STEPS())
        .thresholdsStyle(thresholdLines(GraphThresholdsStyleMode.Dashed))
        .span(12)
        .height(8),
    )
    .withPanel(
      new BarGaugePanel()
        .datasource(DATASOURCE)
        .title('Health check latency percentiles')
        .description(
          'p50, p75, p95 and p99 of the health check latency over the deployments within the time range: one value per deployment (its last latency, the worst status if it reported several), as the stage durations are, not weighted by how long a value stayed exposed.',
        )
        .withTarget(query(`quantile(0.50, ${perDeployment})`, 'p50', { instant: true }))
        .withTarget(query(`quantile(0.75, ${perDeployment})`, 'p75', { instant: true }))
        .withTarget(query(`quantile(0.95, ${perDeployment})`, 'p95', { instant: true }))
        .withTarget(query(`quantile(0.99, ${perDeployment})`, 'p99', { instant: true }))
        .unit('ms')
        .min(0)
        .thresholds(LATENCY_STEPS())
        .orientation(VizOrientation.Horizontal)
        .displayMode(BarGaugeDisplayMode.Gradient)
        .reduceOptions(lastValue())
        .span(12)
        .height(8),
    )
    .withPanel(
      new TimeseriesPanel()
        .datasource(DATASOURCE)
        .title('Health checks made and failed')
        .description(
          'Health checks per service counted since the previous point, exactly (api_health_check_total, _failures_total): the points add up to the checks made and failed within the time range.',
        )
        .withTarget(
          query(events(sel(METRICS.healthCheckTotal), 'service', '$__interval'), '{{service}} made'),
        )
        .withTarget(
          query(
            events(sel(METRICS.healthCheckFailuresTotal), 'service', '$__interval'),
            '{{service}} failed',
          ),
        )
        .decimals(0)
        .min(0)
        .span(12)
        .height(8),
    )
    .withRow(new RowBuilder('Services'))
    .withPanel(
      new TablePanel()
        .datasource(DATASOURCE)
        .title('Services after their latest deployment')
        .description('Per service: health check latency, error rate, health-check and smoke-test pass rates.')
        .withTarget(query(`max by (service) (${latency})`, '', { table: true, refId: 'latency' }))
        .withTarget(
          query(`max by (service) (${sel(METRICS.postDeploymentErrorRate)})`, '', {
            table: true,
            refId: 'errors',
          }),
        )
        .withTarget(
          query(`max by (service) (${sel('deployment:health_check_pass_ratio:30d')})`, '', {
            table: true,
            refId: 'health',
          }),
        )
        .withTarget(
          query(`max by (service) (${sel('deployment:smoke_test_pass_ratio:30d')})`, '', {
            table: true,
            refId: 'smoke',
          }),
        )
        .withTransformation({ id: 'merge', options: {} })
        .withTransformation({
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            renameByName: {
              'Value #latency': 'health check latency (ms)',
              'Value #errors': 'error rate',
              'Value #health': 'health checks passed (30 d)',
              'Value #smoke': 'smoke tests passed (30 d)',
            },
          },
        })
        .span(12)
        .height(8),
    )
    .withPanel(
      new TablePanel()
        .datasource(DATASOURCE)
        .title('Smoke tests')
        .description('Smoke tests run and failed within the time range, per service and test.')
        .withTarget(
          query(events(sel(METRICS.smokeTestTotal), 'service, test_name'), '', { table: true, refId: 'run' }),
        )
        .withTarget(
          query(events(sel(METRICS.smokeTestFailuresTotal), 'service, test_name'), '', {
            table: true,
            refId: 'failed',
          }),
        )
        .withTransformation({ id: 'merge', options: {} })
        .withTransformation({
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            renameByName: { 'Value #run': 'run', 'Value #failed': 'failed' },
          },
        })
        .span(12)
        .height(8),
    );
}
