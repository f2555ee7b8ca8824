/**
 * Deployment Pipeline (/d/deployment-pipeline): the current deployment (its
 * running stage against the stage's threshold and its progress, from the live
 * series), the stage states and timeline against the stage thresholds, stage
 * durations over the last 10 deployments, failure details and the
 * time-to-deploy distribution.
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
  TableCellDisplayMode,
  BigValueColorMode,
  BigValueGraphMode,
  GraphThresholdsStyleMode,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import {
  actionDefaults,
  bucket,
  bucketEvents,
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

/** The states of `deployment_stage_state` that end a stage: progress counts these as done. */
export const FINISHED_STATES = ['success', 'failure', 'cancelled', 'skipped'] as const;

/** How the stage-state table shows each state (the design's timeline marks). */
export const STATE_MARKS: Readonly<Record<string, [string, string]>> = {
  success: ['✅ success', 'green'],
  failure: ['❌ failure', 'red'],
  cancelled: ['⛔ cancelled', 'purple'],
  running: ['⏳ running', 'blue'],
  waiting: ['⏸ waiting', 'text'],
  skipped: ['⏭ skipped', 'text'],
};

/**
 * What the "current stage" column says when no stage of the latest
 * deployment runs: in this order, the first that applies.
 */
export const NO_STAGE_RUNNING = {
  /** A stage failed. */
  failed: 'failed',
  /** None failed, a stage was cancelled (a person or cancel-in-progress stopped the job). */
  cancelled: 'cancelled',
  /** None failed, a stage still waits: the job is between stages. */
  waiting: 'waiting for the next stage',
  /** Every stage finished (success or skipped). */
  succeeded: 'succeeded',
} as const;

/** Sort keys of stages that never started (no start timestamp): after every started one, waiting last. */
export const NOT_STARTED_ORDER = { other: 1e10, waiting: 2e10 } as const;

/**
 * The live-series queries (deployment_stage_state and its companions), built
 * in the flavour being generated: every read of a per-stage series is limited
 * to the latest deployment of each service that reports stage states, and the
 * state series are filtered `== 1` (a remote write writes the five other
 * states of each stage as 0).
 */
export function liveQueries(): {
  latest: string;
  states: (matchers?: string) => string;
  running: string;
  elapsed: string;
  threshold: string;
  progress: string;
  current: string;
  order: string;
  seconds: string;
} {
  const state = (matchers = ''): string => `${sel(METRICS.stageState, matchers)} == 1`;
  // Per service, the deployment (with stage states) whose deployment_start_timestamp_seconds is
  // the greatest; one whose start is not known ranks last.
  const latest =
    `topk by (service) (1,\n` +
    `    max by (service, deployment_id) (${sel(METRICS.startTimestamp)})\n` +
    `      and on(service, deployment_id) ${sel(METRICS.stageState)}\n` +
    `  or\n` +
    `    max by (service, deployment_id) (${sel(METRICS.stageState)}) * 0\n` +
    `)`;
  const ofLatest = (matchers = ''): string => `${state(matchers)} and on(service, deployment_id) ${latest}`;
  const states = (matchers = ''): string =>
    `max by (service, deployment_id, stage, state) (\n  ${ofLatest(matchers)}\n)`;
  const running = `max by (service, deployment_id, stage) (\n  ${ofLatest('state="running"')}\n)`;
  const elapsed =
    `max by (service, deployment_id, stage) (time() - ${sel(METRICS.stageStartTimestamp)})\n` +
    `  and on(service, deployment_id, stage)\n` +
    running;
  const defaults = stageThresholds()
    .map(([stage, seconds]) => `label_replace(vector(${seconds}), "stage", "${stage}", "", "")`)
    .join('\n    or ');
  // The threshold the deployment pushed for its running stage, else the action's default.
  const threshold =
    `  ${running}\n` +
    `    * on(service, stage) group_left()\n` +
    `  max by (service, stage) (${sel(METRICS.stageThreshold)})\n` +
    `or\n` +
    `  ${running}\n` +
    `    * on(stage) group_left()\n` +
    `  (\n    ${defaults}\n  )`;
  const count = (matchers = ''): string => `count by (service, deployment_id) (\n  ${ofLatest(matchers)}\n)`;
  const progress =
    `(\n` +
    `    ${count(`state=~"${FINISHED_STATES.join('|')}"`)}\n` +
    `  or\n` +
    `    ${count()} * 0\n` +
    `)\n` +
    `  / on(service, deployment_id)\n` +
    count();
  const status = (text: string, matchers = ''): string =>
    `label_replace(max by (service, deployment_id) (${ofLatest(matchers)}), "current", "${text}", "", "")`;
  const current =
    `  max by (service, deployment_id, current) (label_replace(${running}, "current", "$1", "stage", "(.+)"))\n` +
    `or on(service, deployment_id)\n` +
    `  ${status(NO_STAGE_RUNNING.failed, 'state="failure"')}\n` +
    `or on(service, deployment_id)\n` +
    `  ${status(NO_STAGE_RUNNING.cancelled, 'state="cancelled"')}\n` +
    `or on(service, deployment_id)\n` +
    `  ${status(NO_STAGE_RUNNING.waiting, 'state="waiting"')}\n` +
    `or on(service, deployment_id)\n` +
    `  ${status(NO_STAGE_RUNNING.succeeded)}`;
  const order =
    `  max by (service, deployment_id, stage) (${sel(METRICS.stageStartTimestamp)})\n` +
    `    * on(service, deployment_id, stage) group_left(state)\n` +
    `  ${states()}\n` +
    `or\n` +
    `  ${states('state!="waiting"')} * 0 + ${NOT_STARTED_ORDER.other}\n` +
    `or\n` +
    `  ${states()} * 0 + ${NOT_STARTED_ORDER.waiting}`;
  const seconds =
    `  max by (service, deployment_id, stage) (${sel(METRICS.stageDuration)})\n` +
    `    * on(service, deployment_id, stage) group_left(state)\n` +
    `  ${states('state=~"success|failure|cancelled"')}\n` +
    `or\n` +
    `  max by (service, deployment_id, stage) (time() - ${sel(METRICS.stageStartTimestamp)})\n` +
    `    * on(service, deployment_id, stage) group_left(state)\n` +
    `  ${states('state="running"')}`;
  return { latest, states, running, elapsed, threshold, progress, current, order, seconds };
}

/** The last 10 deployment ids (by start time) seen within the range. */
const LAST_10 = `topk(10, max by (deployment_id) (last_over_time(${selRaw(METRICS.startTimestamp)}[$__range])))`;
const STAGE_IN_LAST_10 = `last_over_time(${selRaw(METRICS.stageDuration)}[$__range]) and on(deployment_id) ${LAST_10}`;

export function pipelineDashboard(): DashboardBuilder {
  const { sloTtdP95Seconds } = actionDefaults();
  const total = threshold('total');
  const live = liveQueries();
  const finished = FINISHED_STATES.join(', ');
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
      new TablePanel()
        .datasource(DATASOURCE)
        .title('Current stage')
        .description(
          `Per service, the latest deployment that reports stage states (deployment_stage_state, pushed while the job runs): the stage running now, how long it has run (time() minus deployment_stage_start_timestamp_seconds) against its threshold (deployment_stage_threshold_seconds as the deployment pushed it, else the action's default), and its progress: stages finished (${finished}) / all its stages. When no stage runs: "${NO_STAGE_RUNNING.failed}" if a stage failed, else "${NO_STAGE_RUNNING.cancelled}" if one was cancelled, else "${NO_STAGE_RUNNING.waiting}" while a stage waits, else "${NO_STAGE_RUNNING.succeeded}".`,
        )
        .withTarget(
          query(
            `(\n${live.current}\n)\n  * on(service, deployment_id) group_left()\n(\n${live.progress}\n)`,
            '',
            {
              table: true,
              refId: 'progress',
            },
          ),
        )
        .withTarget(
          query(
            `max by (service, deployment_id, current) (label_replace(\n${live.elapsed}\n, "current", "$1", "stage", "(.+)"))`,
            '',
            { table: true, refId: 'elapsed' },
          ),
        )
        .withTarget(
          query(
            `max by (service, deployment_id, current) (label_replace(\n${live.threshold}\n, "current", "$1", "stage", "(.+)"))`,
            '',
            { table: true, refId: 'threshold' },
          ),
        )
        .withTransformation({ id: 'merge', options: {} })
        .withTransformation({
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            indexByName: {
              service: 0,
              current: 1,
              'Value #elapsed': 2,
              'Value #threshold': 3,
              'Value #progress': 4,
              deployment_id: 5,
            },
            renameByName: {
              current: 'current stage',
              'Value #elapsed': 'elapsed',
              'Value #threshold': 'threshold',
              'Value #progress': 'progress',
            },
          },
        })
        .overrideByName('elapsed', [{ id: 'unit', value: 's' }])
        .overrideByName('threshold', [{ id: 'unit', value: 's' }])
        .overrideByName('progress', [
          { id: 'unit', value: 'percentunit' },
          { id: 'decimals', value: 0 },
          { id: 'min', value: 0 },
          { id: 'max', value: 1 },
          {
            id: 'custom.cellOptions',
            value: { type: TableCellDisplayMode.Gauge, mode: BarGaugeDisplayMode.Basic },
          },
        ])
        .overrideByName('current stage', [
          {
            id: 'mappings',
            value: valueText({
              [NO_STAGE_RUNNING.failed]: [`❌ ${NO_STAGE_RUNNING.failed}`, 'red'],
              [NO_STAGE_RUNNING.cancelled]: [`⛔ ${NO_STAGE_RUNNING.cancelled}`, 'purple'],
              [NO_STAGE_RUNNING.waiting]: [`⏸ ${NO_STAGE_RUNNING.waiting}`, 'text'],
              [NO_STAGE_RUNNING.succeeded]: [`✅ ${NO_STAGE_RUNNING.succeeded}`, 'green'],
            }),
          },
        ])
        .thresholds(steps(['blue', null]))
        .span(12)
        .height(6),
    )
    .withPanel(
      new BarGaugePanel()
        .datasource(DATASOURCE)
        .title('Running stage: elapsed / threshold')
        .description(
          'Seconds the running stage of each service’s latest deployment has run, divided by its threshold (the pushed deployment_stage_threshold_seconds, else the action’s default): above 100 % it is slow, above 200 % it timed out by the design’s definition. Empty while no stage runs, or when the running stage has no threshold (see Current stage for its elapsed time).',
        )
        .withTarget(
          query(
            `(\n${live.elapsed}\n)\n  / on(service, deployment_id, stage)\n(\n${live.threshold}\n)`,
            '{{service}}/{{stage}}',
            {
              instant: true,
            },
          ),
        )
        .unit('percentunit')
        .min(0)
        .max(2)
        .thresholds(steps(['green', null], ['orange', 1], ['red', 2]))
        .orientation(VizOrientation.Horizontal)
        .displayMode(BarGaugeDisplayMode.Gradient)
        .reduceOptions(lastValue())
        .noValue('No running stage with a threshold')
        .span(6)
        .height(6),
    )
    .withPanel(
      new BarGaugePanel()
        .datasource(DATASOURCE)
        .title('Progress (latest deployment)')
        .description(
          `Per service, the stages of its latest deployment that finished (${finished}) divided by all its stages (deployment_stage_state), 100 % once every stage has finished.`,
        )
        .withTarget(query(live.progress, '{{service}}', { instant: true }))
        .unit('percentunit')
        .min(0)
        .max(1)
        .thresholds(steps(['blue', null], ['green', 1]))
        .orientation(VizOrientation.Horizontal)
        .displayMode(BarGaugeDisplayMode.Basic)
        .reduceOptions(lastValue())
        .span(6)
        .height(6),
    )
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
          'Succeeded when the last success timestamp is newer than the last failure timestamp (a failure never overwrites a success; a cancelled deployment moves neither, so this shows the outcome before it).',
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
      new TablePanel()
        .datasource(DATASOURCE)
        .title('Stages of the latest deployment: $service')
        .description(
          `Every stage of the service’s latest deployment that reports stage states, in stage order (by start time; stages that never started after them, waiting ones last) with its state (deployment_stage_state == 1): ✅ success, ❌ failure, ⛔ cancelled, ⏳ running, ⏸ waiting, ⏭ skipped. Seconds: the duration of a finished stage, the time a running one has run so far. One table per selected service.`,
        )
        .withTarget(query(live.order, '', { table: true, refId: 'order' }))
        .withTarget(query(live.seconds, '', { table: true, refId: 'seconds' }))
        .withTransformation({ id: 'merge', options: {} })
        .withTransformation({ id: 'sortBy', options: { fields: {}, sort: [{ field: 'Value #order' }] } })
        .withTransformation({
          id: 'organize',
          options: {
            excludeByName: { Time: true, 'Value #order': true, service: true },
            indexByName: { stage: 0, state: 1, 'Value #seconds': 2, deployment_id: 3 },
            renameByName: { 'Value #seconds': 'seconds' },
          },
        })
        .overrideByName('state', [
          { id: 'mappings', value: valueText(STATE_MARKS) },
          { id: 'custom.cellOptions', value: { type: TableCellDisplayMode.ColorText } },
        ])
        .overrideByName('seconds', [
          { id: 'unit', value: 's' },
          { id: 'decimals', value: 0 },
        ])
        .repeat('service')
        .repeatDirection('h')
        .maxPerRow(2)
        .span(12)
        .height(9),
    )
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
          query(bucketEvents(selEnv(bucket(METRICS.timeToDeploy))), '{{le}}', {
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
