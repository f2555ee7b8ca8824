/**
 * Track mode's post hook: read the job's steps from the API (waiting out its
 * lag, within a bound), build the deployment, push its metrics, write the
 * metrics file, outputs, annotations and the job summary. Post has a total
 * time budget: a hung GitHub API and a hung Pushgateway together cost at most
 * ~25 s.
 */
import { runnerClient } from '../github/client.js';
import { ExportedEnv, State, TRACK_ROLE_PASSIVE } from '../config/constants.js';
import { deploymentIdOf } from '../config/inputs.js';
import { annotationsWorthReading, readRunnerTimeouts } from '../github/annotations.js';
import type { ApiJob, DeploymentResult, RunnerTimeouts } from '../model/deployment.js';
import { deliverGroups, metricsSinks, outcomeText } from '../delivery/sinks.js';
import { writeMetricsFile } from '../delivery/metrics-file.js';
import { readReportFile } from '../metrics/report-file.js';
import type { ReportedMetrics } from '../metrics/reported.js';
import { finishUpdates, ownServices } from '../metrics/track.js';
import { deploymentAnnotations } from '../report/annotations.js';
import { setDeploymentOutputs } from '../report/outputs.js';
import { renderTrackSummary, type DeliveryLine } from '../report/job-summary.js';
import { CARRY_GRACE_MS, carryStoreOf } from '../delivery/carry.js';
import { cacheKeyProbe, type CacheKeyProbe } from '../github/caches.js';
import { CACHE_KEY_PREFIXES, keptInActionsCache } from '../persistence/stores.js';
import { stopLiveReporter } from '../live/control.js';
import { describeLive } from '../report/live.js';
import { finalStates, stageProgress } from '../model/stage-state.js';
import { groupingKey, trackContext } from './track-start.js';
import { problemLogger, type HookContext } from './run-wrapper.js';
import {
  findTrackedJob,
  ownSteps,
  parseStepReports,
  trackedDeployment,
  trackedService,
} from './track-deployment.js';

const POST_BUDGET_MS = 25000;
const API_BUDGET_MS = 12000;
const LAG_BUDGET_MS = 8000;
/** Only this many reported-line problems become annotations; the rest go to the log and summary. */
const MAX_LINE_WARNINGS = 3;
/** Delivery lines (one per group and sink) shown in the summary; the rest are counted in one line. */
const MAX_DELIVERY_LINES = 20;
/** Groups that were not delivered, said one by one as warnings; the rest in one warning. */
const MAX_DELIVERY_WARNINGS = 5;

export async function finishTrack(ctx: HookContext): Promise<void> {
  const { config, io, env, clock, problems } = ctx;
  if (io.getState(State.Role) === TRACK_ROLE_PASSIVE) {
    io.info('Another instance of the action tracks this job; this one has nothing to do.');
    return;
  }
  const t0 = clock.now();
  const deadline = t0 + POST_BUDGET_MS;
  const startedAt = Number(io.getState(State.StartedAt)) || t0;
  const service = trackedService(ctx);
  const context = {
    ...trackContext(config, service),
    deploymentId: io.getState(State.DeploymentId) || deploymentIdOf(config.runner),
  };
  const notes: string[] = [];

  // 1. What steps reported through DEPLOY_METRICS_FILE.
  const reportPath = io.getState(State.ReportFile) || env[ExportedEnv.ReportFile];
  const { text, note } = await readReportFile(reportPath);
  if (note) problems.report(note);
  const reported: ReportedMetrics = parseStepReports(text, reportPath, service, config);
  reported.problems.slice(0, MAX_LINE_WARNINGS).forEach((p) => problems.report(p));
  if (reported.problems.length > MAX_LINE_WARNINGS) {
    problems.report(
      `${reported.problems.length - MAX_LINE_WARNINGS} more lines of DEPLOY_METRICS_FILE were skipped (listed in the log and the summary)`,
    );
    reported.problems.slice(MAX_LINE_WARNINGS).forEach((p) => io.info(p));
  }
  notes.push(...reported.problems);

  // 2. The live reporter stops first: no live push may land after post's final word.
  const live = await stopLive(ctx);
  if (live.note) notes.push(live.note);

  // 3. The job's steps, from the API.
  let job: ApiJob = { steps: [] };
  let timeouts: RunnerTimeouts | undefined;
  let stagesKnown = false;
  let apiRequests = 0;
  // Whether counts wait in the Actions cache is asked through the API while the job is looked up:
  // with none listed, post never loads the cache module (docs/platform.md, "The Actions cache").
  let probe: CacheKeyProbe | undefined;
  if (!config.githubToken) {
    problems.report('github-token is empty: the job\u2019s steps cannot be read, so stages are not reported');
  } else {
    const client = runnerClient(ctx.config, ctx.clock);
    if ((config.pushgateway || config.remoteWrite) && keptInActionsCache(env)) {
      probe = cacheKeyProbe(client, CACHE_KEY_PREFIXES.carry, t0 + API_BUDGET_MS);
      probe.start();
    }
    try {
      const found = await findTrackedJob(ctx, client, {
        deadline: t0 + API_BUDGET_MS,
        lagBudgetMs: LAG_BUDGET_MS,
        phase: 'post',
      });
      job = found.job;
      stagesKnown = true;
      if (!found.settled)
        notes.push(
          'The API still showed steps in progress after the wait; their durations are lower bounds.',
        );
      // A timeout and a cancel look alike in the steps; the runner's annotations tell them apart.
      if (annotationsWorthReading(found.job.steps ?? [], config.jobStatus)) {
        const read = await readRunnerTimeouts(client, found.job.id, t0 + API_BUDGET_MS, io);
        timeouts = read.timeouts;
        if (read.note) notes.push(read.note);
      }
    } catch (error) {
      problems.report(
        `Could not read this job\u2019s steps from the GitHub API: ${(error as Error).message}. Stages are not reported; the outcome comes from job-status (${config.jobStatus || 'unknown'}).`,
      );
    }
    apiRequests = client.requestCount;
  }
  io.debug(`GitHub API requests: ${apiRequests}`);

  // 4. The deployment, built as a later instance's main builds it (track-deployment.ts).
  const steps = job.steps ?? [];
  const deployment: DeploymentResult = trackedDeployment(ctx, {
    job,
    service,
    reported,
    fallbackStart: startedAt,
    ...(timeouts ? { timeouts } : {}),
  });
  for (const stage of deployment.stages) {
    io.info(
      `${stage.status === 'success' ? '✓' : stage.status === 'cancelled' ? '⛔' : '✗'} ${stage.service}/${stage.stage} ${stage.status} in ${stage.durationSeconds}s${stage.slow ? ` (slow: over ${stage.thresholdSeconds}s)` : ''}`,
    );
  }
  io.info(
    `Deployment ${context.deploymentId}: ${deployment.status} in ${deployment.durationSeconds}s${deployment.failedStage ? `, failed at ${deployment.failedStage.stage} (${deployment.errorType})` : ''}.`,
  );

  // 5. Metrics, pushed group by group (primary service first).
  const finishedAt = clock.now();
  const ownNames = ownSteps(config, steps);
  const stageStates = stagesKnown
    ? finalStates(
        stageProgress({ steps, service, rules: config.stageRules, ownStepNames: ownNames }),
        (svc, stage) => deployment.stages.find((st) => st.service === svc && st.stage === stage)?.status,
      )
    : [];
  const grouped = finishUpdates(context, deployment, reported, {
    startedAt,
    finishedAt,
    stageStates,
    thresholds: config.thresholds,
  });
  // Only this deployment's own groups are written whole (PUT); any other it only adds to (POST).
  const own = ownServices(context, deployment);
  const plans = [...grouped.entries()]
    .sort(([a], [b]) => (a === service ? -1 : b === service ? 1 : a.localeCompare(b)))
    .map(([svc, updates]) => ({ key: groupingKey(config, svc), updates, replaceGroup: own.has(svc) }));
  const store = carryStoreOf(env, { deadline: deadline + CARRY_GRACE_MS, ...(probe ? { probe } : {}) });
  const sinks = await metricsSinks(config, clock);
  const { all: outcomes, primary } = await deliverGroups(plans, sinks, {
    store,
    deploymentId: context.deploymentId,
    deadline,
    clock,
    logger: problemLogger(io, problems),
    cumulative: true,
    replaceGroup: true,
    contested: io.getState(State.ConcurrentSeen) === '1',
    at: finishedAt,
    carryDeadline: deadline + CARRY_GRACE_MS,
  });
  const delivery: DeliveryLine[] = [];
  if (sinks.length > 0) {
    let failed = 0;
    for (const outcome of outcomes) {
      const line = outcomeText(outcome, store?.description);
      if (delivery.length < MAX_DELIVERY_LINES) delivery.push(line);
      if (line.ok) io.info(line.text.replace(/`/g, ''));
      else if (++failed <= MAX_DELIVERY_WARNINGS) problems.report(line.text.replace(/`/g, ''));
      else io.info(line.text.replace(/`/g, ''));
    }
    if (failed > MAX_DELIVERY_WARNINGS)
      problems.report(
        `${failed - MAX_DELIVERY_WARNINGS} more group(s) were not delivered (listed in the log)`,
      );
    if (outcomes.length > MAX_DELIVERY_LINES) {
      const notShown = outcomes.slice(MAX_DELIVERY_LINES);
      const notOk = notShown.filter((x) => !x.pushed).length;
      delivery.push({
        ok: notOk === 0,
        text: `… and ${notShown.length} more group(s)${notOk > 0 ? `, ${notOk} of them not delivered` : ''} (listed in the log)`,
      });
    }
  } else {
    delivery.push({
      ok: true,
      text: 'No `pushgateway-url` or `remote-write-url`: nothing pushed (counters in the metrics file are this deployment\u2019s own counts)',
    });
  }

  // 6. The metrics file, pushed or not.
  const written = await writeMetricsFile(config.metricsFile, primary);
  if (written.ok) {
    delivery.push({ ok: true, text: `Metrics file: \`${config.metricsFile}\`` });
  } else {
    delivery.push({
      ok: false,
      text: `Metrics file \`${config.metricsFile}\` not written: ${written.problem}`,
    });
    problems.report(`metrics-file ${config.metricsFile} could not be written: ${written.problem}`);
  }
  if (reported.series.length > 0)
    delivery.push({
      ok: true,
      text: `${reported.series.length} series reported by steps through DEPLOY_METRICS_FILE`,
    });

  // 7. Outputs (GitHub ignores outputs set in post; a later instance's main sets them too).
  setDeploymentOutputs(io, deployment, context.deploymentId, config.metricsFile);

  // 8. Annotations.
  if (config.annotations) {
    for (const a of deploymentAnnotations(deployment, service)) {
      if (a.level === 'error') io.error(a.message, { title: a.title });
      else if (a.level === 'notice') io.notice(a.message, { title: a.title });
      else io.warning(a.message, { title: a.title });
    }
  }

  // 9. The job summary.
  if (config.writeSummary) {
    const runUrl =
      config.runner.repository && config.runner.runId
        ? `${config.runner.serverUrl}/${config.runner.repository}/actions/runs/${config.runner.runId}${config.runner.runAttempt > 1 ? `/attempts/${config.runner.runAttempt}` : ''}`
        : undefined;
    try {
      await io.appendSummary(
        renderTrackSummary({
          deployment,
          deploymentId: context.deploymentId,
          environment: config.environment,
          service,
          branch: config.runner.refName,
          runUrl,
          delivery,
          live: live.line,
          notes: [...notes, ...problems.list.filter((p) => !notes.includes(p))],
          stagesKnown,
        }),
      );
    } catch (error) {
      problems.report(`The job summary could not be written: ${(error as Error).message}`);
    }
  }
}

/** What post says about live tracking: one summary line, and a note when something went wrong. */
interface LiveOutcome {
  readonly line: string | undefined;
  readonly note: string | undefined;
}

/** Stops the live reporter pre started (if any) and describes what it did. */
async function stopLive(ctx: HookContext): Promise<LiveOutcome> {
  const { config, io, clock } = ctx;
  const pid = Number(io.getState(State.LivePid));
  if (!Number.isInteger(pid) || pid <= 0) {
    return {
      line: config.live ? undefined : 'Live tracking: off (`live: false`); everything was reported by post.',
      note: undefined,
    };
  }
  const stopped = await stopLiveReporter(
    pid,
    io.getState(State.LiveStatusFile),
    io.getState(State.LiveScript) || undefined,
    clock,
  );
  io.debug(`Live reporter ${pid}: ${stopped.how} after ${stopped.waitedMs} ms`);
  const text = describeLive(stopped.status, stopped.how, config.liveIntervalSeconds);
  const note =
    stopped.how === 'not running'
      ? `The live reporter (pid ${pid}) was not running when post started (killed?); post reported everything.`
      : stopped.status?.lastProblem && (stopped.status.errors > 0 || stopped.status.pushFailures > 0)
        ? `Live tracking had problems (post reported everything): ${stopped.status.lastProblem}`
        : undefined;
  return { line: text, note };
}
