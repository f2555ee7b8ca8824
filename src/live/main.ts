/**
 * The live reporter process (dist/live): reads the inputs from the
 * environment it inherited from pre, and what pre knows from
 * {@link LIVE_SETTINGS_ENV}, then runs the loop until a stop condition holds.
 * It has no stdout: its status file is how post learns what it did.
 */
import { readConfig, type Config } from '../config/inputs.js';
import { configureProxy } from '../util/proxy.js';
import { runnerClient } from '../github/client.js';
import { findCurrentJob } from '../github/find-job.js';
import { metricsSinks } from '../delivery/sinks.js';
import { readReportFile } from '../metrics/report-file.js';
import { type GroupingKey } from '../delivery/sink.js';
import { triggeredBy } from '../metrics/track.js';
import { systemClock, type Clock } from '../util/clock.js';
import { LIVE_SETTINGS_ENV, processAlive, writeLiveStatus, type LiveSettings } from './control.js';
import { runLiveReporter, type LiveStatus } from './reporter.js';

const silent = { info() {}, debug() {}, warning() {}, error() {}, notice() {} };

/** Inputs as @actions/core reads them: INPUT_<NAME>, spaces to underscores, upper case. */
function inputReader(env: NodeJS.ProcessEnv): (name: string) => string {
  return (name) => env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '';
}

function groupingKeyOf(config: Config): (service: string) => GroupingKey {
  return (service) => [
    ['job', config.metricsJob],
    ['environment', config.environment],
    ['service', service],
  ];
}

/** Runs the reporter; resolves when it stopped. Never throws. */
export async function runLiveProcess(
  env: NodeJS.ProcessEnv = process.env,
  clock: Clock = systemClock,
): Promise<LiveStatus | undefined> {
  let settings: LiveSettings;
  try {
    settings = JSON.parse(env[LIVE_SETTINGS_ENV] ?? '') as LiveSettings;
  } catch {
    return undefined;
  }
  const { config } = readConfig(inputReader(env), env);
  try {
    await configureProxy(env);
  } catch {
    return undefined; // the reporter never logs; post reports the same proxy problem
  }
  const sinks = await metricsSinks(config, clock);
  if (sinks.length === 0 || !config.githubToken) return undefined;
  const client = runnerClient(config, clock);
  let latest: LiveStatus | undefined;
  const save = (status: LiveStatus): void => {
    latest = status;
    try {
      writeLiveStatus(settings.statusFile, status);
    } catch {
      // Post then says it has no status; nothing else is lost.
    }
  };
  let stopRequested = false;
  // Post's SIGTERM: save what was done and end at once, so no push lands after post's.
  process.on('SIGTERM', () => {
    stopRequested = true;
    if (latest) save({ ...latest, stoppedBecause: 'stopped by post', updatedAt: clock.now() });
    process.exit(0);
  });
  return runLiveReporter({
    client,
    job: {
      jobId: config.checkRunId,
      lookUp: async () =>
        (
          await findCurrentJob({
            client,
            runner: config.runner,
            checkRunId: undefined,
            clock,
            logger: silent,
            deadline: clock.now() + 10_000,
            lagBudgetMs: 0,
            phase: 'main',
          })
        ).job,
    },
    sinks,
    clock,
    context: {
      environment: config.environment,
      deploymentId: settings.deploymentId,
      service: settings.service,
      branch: config.runner.refName,
      triggeredBy: triggeredBy(config.runner.eventName),
    },
    groupingKey: groupingKeyOf(config),
    rules: config.stageRules,
    thresholds: config.thresholds,
    actionRepository: config.runner.actionRepository,
    actionRef: config.runner.actionRef,
    intervalMs: config.liveIntervalSeconds * 1000,
    startedAt: settings.startedAt,
    readReport: async () => (await readReportFile(settings.reportFile)).text,
    onStatus: save,
    stopRequested: () => stopRequested,
    runnerAlive: () => settings.runnerPid === undefined || processAlive(settings.runnerPid),
    pid: process.pid,
  });
}
