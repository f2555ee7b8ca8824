/**
 * Track mode's start (pre, or main when pre did not run because the action is
 * local): claim the job, record the start, export DEPLOY_METRICS_FILE and
 * DEPLOYMENT_ID, and push `deployment_in_progress=1` with the start timestamp
 * so a hung deployment is visible live.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ExportedEnv, State, TRACK_ROLE_OWNER, TRACK_ROLE_PASSIVE } from '../config/constants.js';
import { deploymentIdOf, type Config } from '../config/inputs.js';
import { describeGroup, type GroupingKey } from '../metrics/pushgateway.js';
import { deliverGroups, metricsSinks } from '../metrics/deliver.js';
import { startUpdates, triggeredBy, type TrackContext } from '../metrics/track.js';
import type { HookContext } from './run-wrapper.js';

/** Pre's push must never hold up the deployment: a short budget. */
const START_BUDGET_MS = 8000;

export function trackContext(config: Config, service: string = config.service): TrackContext {
  return {
    environment: config.environment,
    deploymentId: deploymentIdOf(config.runner),
    service,
    branch: config.runner.refName,
    triggeredBy: triggeredBy(config.runner.eventName),
  };
}

export function groupingKey(config: Config, service: string): GroupingKey {
  return [
    ['job', config.metricsJob],
    ['environment', config.environment],
    ['service', service],
  ];
}

/** Identity of this instance within the job: the step id the runner gives it. */
function instanceId(env: NodeJS.ProcessEnv): string {
  return env.GITHUB_ACTION || 'deployment-observability';
}

/** Returns the role this instance took: `owner` (tracks the job) or `passive`. */
export async function startTrack(ctx: HookContext): Promise<'owner' | 'passive'> {
  const { config, io, env, clock } = ctx;
  const owner = env[ExportedEnv.Owner];
  if (owner && owner !== instanceId(env)) {
    io.saveState(State.Role, TRACK_ROLE_PASSIVE);
    io.info(`Another instance (step ${owner}) tracks this job already; this one stays passive.`);
    return TRACK_ROLE_PASSIVE;
  }
  const startedAt = clock.now();
  const deploymentId = deploymentIdOf(config.runner);
  io.exportVariable(ExportedEnv.Owner, instanceId(env));
  io.saveState(State.Role, TRACK_ROLE_OWNER);
  io.saveState(State.StartedAt, String(startedAt));
  io.saveState(State.DeploymentId, deploymentId);
  io.saveState(State.Service, config.service);

  const base = config.runner.runnerTemp || env.TMPDIR || '/tmp';
  const safeJob = (config.runner.jobId || 'job').replace(/[^A-Za-z0-9_.-]/g, '_');
  const reportFile = join(base, 'deployment-observability', `${safeJob}-${deploymentId}.prom`);
  try {
    await mkdir(dirname(reportFile), { recursive: true });
    await writeFile(reportFile, '', { flag: 'a' });
    io.exportVariable(ExportedEnv.MetricsFile, reportFile);
    io.saveState(State.MetricsReportFile, reportFile);
  } catch (error) {
    ctx.problems.report(
      `Could not create DEPLOY_METRICS_FILE at ${reportFile}: ${(error as Error).message}; steps cannot report metrics`,
    );
  }
  io.exportVariable(ExportedEnv.DeploymentId, deploymentId);
  io.info(`Tracking deployment ${deploymentId} of ${config.service} to ${config.environment}.`);

  const sinks = await metricsSinks(config, clock);
  if (sinks.length === 0) return TRACK_ROLE_OWNER;
  const key = groupingKey(config, config.service);
  const { all } = await deliverGroups(
    [{ key, updates: startUpdates(trackContext(config), startedAt) }],
    sinks,
    {
      store: undefined,
      deploymentId,
      deadline: startedAt + START_BUDGET_MS,
      clock,
      logger: io,
      cumulative: false,
      at: startedAt,
    },
  );
  for (const outcome of all) {
    const via = outcome.sink?.name === 'remote write' ? ' by remote write' : '';
    if (outcome.pushed) io.info(`Pushed deployment_in_progress=1 to {${describeGroup(key)}}${via}.`);
    else
      ctx.problems.report(
        `deployment_in_progress was not pushed${via}, so this deployment is not visible live: ${outcome.problem ?? 'unknown problem'}`,
      );
  }
  return TRACK_ROLE_OWNER;
}
