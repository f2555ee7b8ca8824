/**
 * Database Migrations (/d/database-migrations): the latest migration, its
 * history, the duration trend against the migration threshold, and the
 * migration success rate.
 */
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  BigValueColorMode,
  BigValueGraphMode,
  GraphThresholdsStyleMode,
} from '@grafana/grafana-foundation-sdk/common';
import {
  events,
  lastValue,
  METRICS,
  query,
  sel,
  selEnv,
  selRaw,
  steps,
  threshold,
  thresholdLines,
  DATASOURCE,
  deploymentDashboard,
} from './common.js';

/** Stages that run migrations: the API job's `migration`, the database job's `migration_apply`. */
export const MIGRATION_STAGES = 'stage=~"migration|migration_apply"';

export function migrationsDashboard(): DashboardBuilder {
  const migration = threshold('migration');
  // Orange from the migration threshold, red from twice it (DatabaseMigrationSlow's 120 s).
  const migrationSteps = (): ReturnType<typeof steps> =>
    steps(['green', null], ['orange', migration], ['red', 2 * migration]);
  const lag = sel(METRICS.migrationLag);
  const stages = sel(METRICS.stageDuration, MIGRATION_STAGES);
  // The history tables read each deployment's own raw series over the range (right on sparse data too).
  const lagRange = selRaw(METRICS.migrationLag);
  const stagesRange = selRaw(METRICS.stageDuration, MIGRATION_STAGES);

  return deploymentDashboard({
    title: 'Database Migrations',
    uid: 'database-migrations',
    description: `Migration performance and success: database_migration_lag_seconds (reported by steps), the migration stages, migration_success_total / migration_failure_total. Threshold ${migration} s (the thresholds input’s migration).`,
    tags: ['deployment', 'database'],
    from: 'now-30d',
    refresh: '1m',
  })
    .withRow(new RowBuilder('Current migration'))
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Latest migration duration')
        .description('database_migration_lag_seconds of the latest deployment, with its migration count.')
        .withTarget(
          query(
            `max by (service, deployment_id, migration_count) (${lag})`,
            '{{service}} {{deployment_id}} ({{migration_count}} migrations)',
            { instant: true },
          ),
        )
        .unit('s')
        .thresholds(migrationSteps())
        .colorMode(BigValueColorMode.Background)
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(8)
        .height(6),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Latest migration stage')
        .description('The migration stage of each service’s latest deployment, its duration and status.')
        .withTarget(
          query(`max by (service, stage, status) (${stages})`, '{{service}}/{{stage}} {{status}}', {
            instant: true,
          }),
        )
        .unit('s')
        .thresholds(migrationSteps())
        .colorMode(BigValueColorMode.Value)
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(8)
        .height(6),
    )
    .withPanel(
      new StatPanel()
        .datasource(DATASOURCE)
        .title('Migration success rate (30 days)')
        .description('Recording rule deployment:migration_success_ratio:30d (per environment); SLO 100 %.')
        .withTarget(
          query(selEnv('deployment:migration_success_ratio:30d'), '{{environment}}', { instant: true }),
        )
        .unit('percentunit')
        .decimals(1)
        .thresholds(steps(['red', null], ['green', 1]))
        .graphMode(BigValueGraphMode.None)
        .reduceOptions(lastValue())
        .span(8)
        .height(6),
    )
    .withRow(new RowBuilder('History'))
    .withPanel(
      new TablePanel()
        .datasource(DATASOURCE)
        .title('Migration history')
        .description('Every deployment’s migration stage within the time range: duration and status.')
        .withTarget(
          query(
            `max by (service, deployment_id, stage, status) (last_over_time(${stagesRange}[$__range]))`,
            '',
            {
              table: true,
            },
          ),
        )
        .withTransformation({
          id: 'organize',
          options: { excludeByName: { Time: true }, renameByName: { Value: 'duration (s)' } },
        })
        .withTransformation({ id: 'sortBy', options: { sort: [{ field: 'deployment_id', desc: true }] } })
        .span(12)
        .height(8),
    )
    .withPanel(
      new TablePanel()
        .datasource(DATASOURCE)
        .title('Reported migration runs')
        .description(
          'database_migration_lag_seconds as each deployment’s steps reported it, within the time range.',
        )
        .withTarget(
          query(
            `max by (service, deployment_id, migration_count) (last_over_time(${lagRange}[$__range]))`,
            '',
            {
              table: true,
            },
          ),
        )
        .withTransformation({
          id: 'organize',
          options: { excludeByName: { Time: true }, renameByName: { Value: 'duration (s)' } },
        })
        .span(12)
        .height(8),
    )
    .withRow(new RowBuilder('Trend and success'))
    .withPanel(
      new TimeseriesPanel()
        .datasource(DATASOURCE)
        .title('Migration duration trend')
        .description(
          `Reported migration time and migration stage durations; dashed at ${migration} s and ${2 * migration} s.`,
        )
        .withTarget(query(`max by (service) (${lag})`, '{{service}} reported'))
        .withTarget(query(`max by (service, stage) (${stages})`, '{{service}}/{{stage}}'))
        .unit('s')
        .min(0)
        .thresholds(migrationSteps())
        .thresholdsStyle(thresholdLines(GraphThresholdsStyleMode.Dashed))
        .span(12)
        .height(8),
    )
    .withPanel(
      new TimeseriesPanel()
        .datasource(DATASOURCE)
        .title('Migration runs by outcome')
        .description(
          'Migration runs counted since the previous point, exactly (migration_success_total, migration_failure_total): the points add up to the runs within the time range.',
        )
        .withTarget(
          query(
            events(sel(METRICS.migrationSuccessTotal), 'service', '$__interval'),
            '{{service}} succeeded',
          ),
        )
        .withTarget(
          query(events(sel(METRICS.migrationFailureTotal), 'service', '$__interval'), '{{service}} failed'),
        )
        .decimals(0)
        .min(0)
        .span(12)
        .height(8),
    );
}
