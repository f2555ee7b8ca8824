/**
 * Verify mode (main): probes the health URLs and evaluates the error-rate
 * query every interval of the window, decides by the design's gates (ending
 * early as soon as one holds), pushes the health metrics into the track group
 * (POST: track's metrics there stay intact), and sets `healthy` and
 * `rollback-recommended`. The step succeeds unless `fail-on-unhealthy` is true
 * and the verdict is unhealthy; telemetry problems follow `fail-on-error`.
 */
import { ExportedEnv, Outputs } from '../config/constants.js';
import { deploymentIdOf } from '../config/inputs.js';
import type { VerifyConfig } from '../config/verify-inputs.js';
import { deliverGroups, metricsSinks, outcomeText } from '../delivery/sinks.js';
import { METRICS } from '../metrics/definitions.js';
import { writeMetricsFile } from '../delivery/metrics-file.js';
import { type GroupingKey, type MetricsSink } from '../delivery/sink.js';
import type { DeliveryLine } from '../report/job-summary.js';
import { CARRY_GRACE_MS, carryStoreOf } from '../delivery/carry.js';
import type { Clock } from '../util/clock.js';
import { decide, type Decision } from '../verify/decision.js';
import { runDecisionLoop, type VerifySource } from '../verify/loop.js';
import { verifyUpdates } from '../verify/metrics.js';
import { probeTarget } from '../verify/probe.js';
import { PrometheusClient, QueryRejected } from '../verify/prometheus.js';
import { formatMs, PUSH_BUDGET_MS, verifySchedule, type VerifySchedule } from '../verify/schedule.js';
import { renderVerifySummary } from '../verify/job-summary.js';
import { ERROR_RATE_SOURCE, type ErrorRateSample, type VerifySample } from '../verify/timeline.js';
import type { HookContext, Problems } from './run-wrapper.js';
import { groupingKey } from './track-start.js';

/** The error-rate source: says each kind of fault once, stops asking after Prometheus rejected the query. */
function errorRateSource(
  config: VerifyConfig,
  schedule: VerifySchedule,
  clock: Clock,
  problems: Problems,
  notes: string[],
): { source: VerifySource; faults: () => number } | undefined {
  if (!config.prometheus || !config.errorRateQuery) return undefined;
  const client = new PrometheusClient(config.prometheus, clock, schedule.attemptTimeoutMs);
  const query = config.errorRateQuery;
  let rejected = false;
  let faults = 0;
  const said = new Set<string>();
  const sample = async (deadline: number): Promise<VerifySample | undefined> => {
    if (rejected) return undefined;
    const at = clock.now();
    try {
      const { value, note } = await client.ratio(query, deadline);
      if (note && !said.has(note)) {
        said.add(note);
        notes.push(note);
      }
      return { kind: 'error_rate', source: ERROR_RATE_SOURCE, at, value } satisfies ErrorRateSample;
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof QueryRejected) {
        rejected = true;
        problems.report(`${message}; the error rate is not checked`);
      } else {
        faults++;
        if (faults === 1)
          problems.report(
            `${message}; the error rate is missing for this sample (asked again every ${formatMs(schedule.intervalMs)})`,
          );
      }
      return { kind: 'error_rate', source: ERROR_RATE_SOURCE, at, value: undefined, problem: message };
    }
  };
  return { source: { name: ERROR_RATE_SOURCE, sample, finished: () => rejected }, faults: () => faults };
}

function logSample(io: HookContext['io'], sample: VerifySample, startedAt: number): void {
  const when = `+${formatMs(sample.at - startedAt)}`;
  if (sample.kind === 'probe') {
    io.info(
      `${when} ${sample.source}: ${sample.status} in ${Math.round(sample.latencyMs)} ms${sample.problem ? ` (${sample.problem})` : ''}`,
    );
  } else {
    io.info(
      `${when} error rate: ${sample.value === undefined ? (sample.problem ?? 'no data') : `${(sample.value * 100).toFixed(2)} %`}`,
    );
  }
}

function annotate(ctx: HookContext, decision: Decision, service: string): void {
  if (!ctx.config.annotations) return;
  const reasons = decision.reasons.join('; ');
  if (decision.verdict === 'unhealthy')
    ctx.io.error(`Rollback recommended: ${reasons}`, { title: `Deployment of ${service} is unhealthy` });
  else if (decision.verdict === 'degraded')
    ctx.io.warning(`Deployment of ${service} is degraded: ${reasons}`, {
      title: `Deployment of ${service} degraded`,
    });
  else if (decision.verdict === 'unknown')
    ctx.io.warning(`Health of ${service} could not be confirmed: ${reasons}`, {
      title: `Deployment of ${service} not verified`,
    });
}

/** Reading the group for the latest deployment must not hold verify up. */
const LOOKUP_BUDGET_MS = 5000;

/**
 * The deployment track mode recorded last in the group (the `deployment_id` of its greatest
 * `deployment_start_timestamp_seconds`), so a verify job re-run alone (attempt 2: `<run>-2`)
 * still names the deployment it verifies. Undefined when no sink has one.
 */
async function latestTrackedDeployment(
  sinks: readonly MetricsSink[],
  key: GroupingKey,
  clock: Clock,
  io: HookContext['io'],
): Promise<string | undefined> {
  const deadline = clock.now() + LOOKUP_BUDGET_MS;
  for (const sink of sinks) {
    if (clock.now() >= deadline) break;
    try {
      const group = await sink.readGroup(key, deadline);
      let best: { id: string; at: number } | undefined;
      for (const s of group.samples.get(METRICS.startTimestamp.name) ?? []) {
        const id = s.labels.deployment_id;
        if (id && Number.isFinite(s.value) && (!best || s.value > best.at)) best = { id, at: s.value };
      }
      if (best) {
        io.info(
          `Verifying deployment ${best.id}: the latest deployment track mode recorded in ${sink.name}.`,
        );
        return best.id;
      }
    } catch (error) {
      io.info(
        `The latest deployment could not be read from ${sink.name} (${(error as Error).message}); using the run id.`,
      );
    }
  }
  return undefined;
}

export async function runVerify(ctx: HookContext): Promise<void> {
  const { config: base, io, clock, env, problems } = ctx;
  // The main hook dispatches only verify mode here; its inputs were read (and their credentials
  // masked) with all the others.
  if (base.mode !== 'verify') return;
  const config = base.verify;
  const service = base.service;
  const key = groupingKey(base, service);
  const sinks = await metricsSinks(base, clock);
  const deploymentId =
    config.deploymentId ??
    (env[ExportedEnv.DeploymentId] ||
      (await latestTrackedDeployment(sinks, key, clock, io)) ||
      deploymentIdOf(base.runner));
  io.setOutput(Outputs.DeploymentId, deploymentId);

  const notes: string[] = [];
  const schedule = verifySchedule(config.windowSeconds);
  const rate = errorRateSource(config, schedule, clock, problems, notes);
  if (config.targets.length === 0 && !rate) {
    problems.report(
      'verify mode has nothing to check: set health-urls, or prometheus-url and error-rate-query; nothing was verified',
    );
    io.setOutput(Outputs.Healthy, 'false');
    io.setOutput(Outputs.RollbackRecommended, 'false');
    return;
  }

  io.info(
    `Verifying deployment ${deploymentId} of ${service} in ${base.environment} for ${formatMs(schedule.windowMs)}: a sample every ${formatMs(schedule.intervalMs)}; gates: error rate over 5 % for ${formatMs(schedule.errorGateMs)}, health checks failing for ${formatMs(schedule.healthGateMs)}.`,
  );
  const sources: VerifySource[] = config.targets.map((target) => ({
    name: target.name,
    sample: (deadline) =>
      probeTarget(target, deadline, { clock, attemptTimeoutMs: schedule.attemptTimeoutMs }),
  }));
  if (rate) sources.push(rate.source);

  // 1. Watch until a gate holds or the window ends.
  const loop = await runDecisionLoop({
    schedule,
    clock,
    sources,
    onSample: (sample, startedAt) => logSample(io, sample, startedAt),
  });
  if (rate && rate.faults() > 1) notes.push(`${rate.faults()} error-rate queries failed`);
  const decision = decide(loop.timeline, schedule, {
    probeSources: config.targets.map((t) => t.name),
    errorRate: rate !== undefined,
  });
  io.info(
    `Verdict: ${decision.verdict}${loop.early ? ` (decided after ${formatMs(loop.endedAt - loop.startedAt)})` : ''}. ${decision.reasons.join('; ')}`,
  );

  // 2. Outputs and annotations first: the rollback job keys on them, whatever happens to the push.
  io.setOutput(Outputs.Healthy, String(decision.healthy));
  io.setOutput(Outputs.RollbackRecommended, String(decision.rollbackRecommended));
  annotate(ctx, decision, service);

  // 3. Metrics into the track group: POST only verify's families, counters cumulative.
  const updates = verifyUpdates({ environment: base.environment, deploymentId, service }, loop.timeline);
  const delivery: DeliveryLine[] = [];
  const pushDeadline = clock.now() + PUSH_BUDGET_MS;
  const store = sinks.length > 0 ? carryStoreOf(env, { deadline: pushDeadline + CARRY_GRACE_MS }) : undefined;
  const { all, primary: outcomes } =
    updates.length === 0
      ? { all: [], primary: [] }
      : await deliverGroups([{ key, updates }], sinks, {
          store,
          deploymentId,
          deadline: pushDeadline,
          clock,
          logger: io,
          cumulative: true,
          replaceGroup: false,
        });
  if (updates.length === 0) {
    delivery.push({ ok: false, text: 'Nothing to push: no sample was taken' });
  } else if (sinks.length > 0) {
    for (const outcome of all) {
      const line = outcomeText(outcome, store?.description ?? 'the carry store');
      delivery.push(line);
      if (line.ok) io.info(line.text.replace(/`/g, ''));
      else problems.report(line.text.replace(/`/g, ''));
    }
  } else {
    delivery.push({ ok: true, text: 'No `pushgateway-url` or `remote-write-url`: nothing pushed' });
  }
  if (outcomes.length > 0) {
    const written = await writeMetricsFile(base.metricsFile, outcomes);
    if (written.ok) {
      delivery.push({ ok: true, text: `Metrics file: \`${base.metricsFile}\`` });
      io.setOutput(Outputs.MetricsFile, base.metricsFile);
    } else {
      problems.report(`metrics-file ${base.metricsFile} could not be written: ${written.problem}`);
    }
  }

  // 4. The job summary.
  if (base.writeSummary) {
    try {
      await io.appendSummary(
        renderVerifySummary({
          decision,
          schedule,
          service,
          environment: base.environment,
          deploymentId,
          startedAt: loop.startedAt,
          endedAt: loop.endedAt,
          early: loop.early,
          timeline: loop.timeline,
          targets: config.targets,
          errorRateQuery: rate ? config.errorRateQuery : undefined,
          delivery,
          notes: [...notes, ...problems.list],
        }),
      );
    } catch (error) {
      problems.report(`The job summary could not be written: ${(error as Error).message}`);
    }
  }

  // 5. The step fails on an unhealthy verdict only when asked to.
  if (config.failOnUnhealthy && decision.verdict === 'unhealthy') {
    io.setFailed(`Deployment of ${service} is unhealthy (fail-on-unhealthy): ${decision.reasons.join('; ')}`);
  }
}
