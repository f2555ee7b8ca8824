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
import { deliverGroups, metricsSinks } from '../delivery/sinks.js';
import { othersInProgress } from '../delivery/publish.js';
import { describeGroup, type GroupingKey, type MetricsSink } from '../delivery/sink.js';
import { startUpdates, triggeredBy, type TrackContext } from '../metrics/track.js';
import { launchLiveReporter, liveScriptPath, type LiveSettings } from '../live/control.js';
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

/**
 * Starts the live reporter beside the job (live: true, a sink, a token). pre
 * does not wait for it; its pid goes to post, which stops it.
 */
function startLive(ctx: HookContext, settings: LiveSettings): void {
  const { config, io, env } = ctx;
  if (!config.live) {
    io.info('Live tracking is off (live: false): post reports the deployment when the job ends.');
    return;
  }
  if (!config.githubToken) return; // post says the steps cannot be read
  const script = ctx.liveScript ?? liveScriptPath();
  if (!script) {
    ctx.problems.report(
      'The live reporter (dist/live/index.js) is missing from the action; only post will report',
    );
    return;
  }
  try {
    const pid = launchLiveReporter(script, settings, env, ctx.spawn);
    if (pid === undefined) throw new Error('no process id');
    io.saveState(State.LivePid, String(pid));
    io.saveState(State.LiveScript, script);
    io.saveState(State.LiveStatusFile, settings.statusFile);
    io.info(
      `Live tracking: a reporter (pid ${pid}) looks at this job every ${config.liveIntervalSeconds}s and pushes each stage as it ends.`,
    );
  } catch (error) {
    ctx.problems.report(
      `The live reporter could not be started, so only post will report: ${(error as Error).message}`,
    );
  }
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
  let reportFileMade: string | undefined;
  try {
    await mkdir(dirname(reportFile), { recursive: true });
    await writeFile(reportFile, '', { flag: 'a' });
    io.exportVariable(ExportedEnv.ReportFile, reportFile);
    io.saveState(State.ReportFile, reportFile);
    reportFileMade = reportFile;
  } catch (error) {
    ctx.problems.report(
      `Could not create DEPLOY_METRICS_FILE at ${reportFile}: ${(error as Error).message}; steps cannot report metrics`,
    );
  }
  io.exportVariable(ExportedEnv.DeploymentId, deploymentId);
  io.info(`Tracking deployment ${deploymentId} of ${config.service} to ${config.environment}.`);

  const sinks = await metricsSinks(config, clock);
  if (sinks.length === 0) {
    if (config.live)
      io.info('Live tracking is off: there is no pushgateway-url or remote-write-url to push to.');
    return TRACK_ROLE_OWNER;
  }
  startLive(ctx, {
    deploymentId,
    service: config.service,
    startedAt,
    reportFile: reportFileMade,
    statusFile: join(base, 'deployment-observability', `live-${safeJob}-${deploymentId}.json`),
    runnerPid: process.ppid > 1 ? process.ppid : undefined,
  });
  const key = groupingKey(config, config.service);
  const { all } = await deliverGroups(
    [{ key, updates: startUpdates(trackContext(config), startedAt, config.thresholds) }],
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
  await warnIfConcurrent(ctx, sinks, key, deploymentId, startedAt + START_BUDGET_MS);
  return TRACK_ROLE_OWNER;
}

/**
 * Warns when the group shows another deployment of the same environment and service running
 * (`deployment_in_progress` 1, started less than 6 h ago): both posts write the group, and a
 * moment's overlap can show a counter lower than it was. Never fails anything.
 */
async function warnIfConcurrent(
  ctx: HookContext,
  sinks: readonly MetricsSink[],
  key: GroupingKey,
  deploymentId: string,
  deadline: number,
): Promise<void> {
  const sink = sinks.find((s) => s.replacesGroups);
  if (!sink || ctx.clock.now() >= deadline) return;
  let others: string[];
  try {
    others = othersInProgress(await sink.readGroup(key, deadline), deploymentId, ctx.clock.now());
  } catch {
    return; // the push above already said what is wrong with the sink
  }
  if (others.length === 0) return;
  ctx.io.saveState(State.ConcurrentSeen, '1');
  ctx.io.warning(
    `Another deployment of ${ctx.config.service} to ${ctx.config.environment} is in progress (deployment ${others.join(', ')}). ` +
      'Concurrent deploys of one service write the same metrics group; add concurrency: to the deploy job to serialise them (docs/reliability.md).',
    { title: 'Concurrent deployment' },
  );
}
