/**
 * Summary mode (main): reads the whole run attempt-aware, keeps the rolling
 * history, pushes the run's metrics into the `job`/`repository`/`workflow`
 * group, writes the dashboard-like job summary and the "Deployment
 * observability" check run on the head commit. Fail-open: every problem is a
 * warning (the wrapper honours fail-on-error), every call is bounded by
 * {@link SUMMARY_BUDGET_MS}.
 */
import { Outputs } from '../config/constants.js';
import { deploymentIdOf } from '../config/inputs.js';
import type { SummaryInputs } from '../config/summary-inputs.js';
import { GitHubApiError, runnerClient, type GitHubClient } from '../github/client.js';
import { readRunAttempt } from '../github/runs.js';
import { METRICS } from '../metrics/definitions.js';
import type { Sample } from '../metrics/exposition.js';
import { deliverGroups, metricsSinks, outcomeText } from '../delivery/sinks.js';
import { writeMetricsFile } from '../delivery/metrics-file.js';
import { describeGroup, type GroupingKey, type MetricsSink } from '../delivery/sink.js';
import type { CacheApi } from '../persistence/cache-module.js';
import { carryStoreOf } from '../delivery/carry.js';
import { computeFigures, errorTypeOf } from '../summary/figures.js';
import { knownErrorType } from '../model/error-types.js';
import { mergeHistory, pruneHistory } from '../summary/history.js';
import { countThisAttempt } from '../summary/count-once.js';
import { historyScope, historyStoreOf, type HistoryStore } from '../summary/history-store.js';
import { COUNTED_MARKER, summaryUpdates } from '../summary/metrics.js';
import { prepareStageRules } from '../model/stage-map.js';
import { buildRecord, failedJobOf, recordFromRunOnly, recordKey, type RunRecord } from '../summary/record.js';
import type { ApiRun } from '../github/runs.js';
import {
  annotationPages,
  checkAnnotations,
  checkConclusion,
  checkOutput,
  renderJobSummary,
  type CheckAnnotation,
  type SummaryContext,
} from '../summary/render.js';
import type { FetchLike } from '../util/http.js';
import type { HookContext } from './run-wrapper.js';

/** The whole summary step's time budget. */
const SUMMARY_BUDGET_MS = 45_000;
/** Reading the run and its jobs, and the bootstrap, end by then. */
const API_BUDGET_MS = 20_000;
/**
 * History bootstrap when the history is empty: at most this many pages of 100
 * completed runs of the workflow (`GET /actions/workflows/{id}/runs`), so a
 * summary sends at most 1 (run) + 1 per 100 jobs + 3 (bootstrap) + 1 (PR by
 * head_sha) + 1 + 2 (check run and its annotation pages) requests.
 */
const BOOTSTRAP_PAGES = 3;
/** Annotations sent on the check run: three requests of 50 at most. */
const MAX_ANNOTATIONS = 150;
/** Workflow-command annotations show at most 10 warnings and 10 errors per step (docs/platform.md). */
const MAX_COMMAND_ANNOTATIONS = 10;

export interface SummaryDeps {
  readonly cache?: CacheApi;
  readonly fetchImpl?: FetchLike;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function bootstrap(
  client: GitHubClient,
  workflowId: number,
  inputs: SummaryInputs,
  now: number,
  deadline: number,
): Promise<RunRecord[]> {
  const since = new Date(now - inputs.historyDays * 86_400_000).toISOString().slice(0, 10);
  const records: RunRecord[] = [];
  for (let page = 1; page <= BOOTSTRAP_PAGES; page++) {
    const { totalCount, runs } = await client.listWorkflowRuns<ApiRun>(workflowId, since, page, deadline);
    records.push(...runs.filter((r) => r.conclusion).map(recordFromRunOnly));
    if (runs.length < 100 || page * 100 >= totalCount) break;
  }
  return records;
}

interface HistoryState {
  readonly store: HistoryStore | undefined;
  readonly stored: RunRecord[];
  /** The stored records could be read: they decide whether an attempt was counted. */
  readonly loaded: boolean;
}

async function loadHistory(
  ctx: HookContext,
  inputs: SummaryInputs,
  scope: string,
  deadline: number,
  deps: SummaryDeps,
  notes: string[],
): Promise<HistoryState> {
  if (!inputs.history) {
    notes.push('history is false: the figures come from the GitHub API alone.');
    return { store: undefined, stored: [], loaded: false };
  }
  const found = historyStoreOf(ctx.env, scope, deadline, deps.cache);
  if (!found.store) {
    const note = `No deployment history: ${found.reason}; the figures come from the GitHub API alone.`;
    notes.push(note);
    ctx.io.warning(note);
    return { store: undefined, stored: [], loaded: false };
  }
  try {
    return { store: found.store, stored: await found.store.load(), loaded: true };
  } catch (error) {
    const note = `The deployment history in ${found.store.description} could not be read (${message(error)}); the figures come from the GitHub API alone.`;
    notes.push(note);
    ctx.io.warning(note);
    return { store: found.store, stored: [], loaded: false };
  }
}

/** The Pushgateway group's counted marker and `github_action_duration_seconds` samples. */
async function readGroupState(
  client: MetricsSink | undefined,
  key: GroupingKey,
  deadline: number,
): Promise<{ marker: number | undefined; durations: readonly Sample[]; problem: string | undefined }> {
  if (!client) return { marker: undefined, durations: [], problem: undefined };
  try {
    const group = await client.readGroup(key, deadline);
    const marker = group.samples.get(COUNTED_MARKER.name)?.[0]?.value;
    return {
      marker: marker !== undefined && Number.isFinite(marker) ? marker : undefined,
      durations: group.samples.get(METRICS.actionDuration.name) ?? [],
      problem: undefined,
    };
  } catch (error) {
    return { marker: undefined, durations: [], problem: message(error) };
  }
}

async function publishCheckRun(
  ctx: HookContext,
  client: GitHubClient,
  run: ApiRun,
  summary: SummaryContext,
  deadline: number,
): Promise<void> {
  const workflowPath = (run.path ?? '').replace(/@.*$/, '');
  const annotations = checkAnnotations(summary, workflowPath).slice(0, MAX_ANNOTATIONS);
  const pages = annotationPages(annotations);
  const output = checkOutput(summary);
  const now = new Date(ctx.clock.now()).toISOString();
  try {
    const created = await client.createCheckRun(
      {
        name: 'Deployment observability',
        head_sha: run.head_sha,
        status: 'completed',
        conclusion: checkConclusion(summary.record.conclusion),
        completed_at: now,
        external_id: recordKey(summary.record),
        details_url: run.html_url,
        output: { ...output, annotations: pages[0] ?? [] },
      },
      deadline,
    );
    for (const page of pages.slice(1))
      await client.updateCheckRun(created.id, { output: { ...output, annotations: page } }, deadline);
    ctx.io.info(
      `Check run "Deployment observability" ${created.id} on ${run.head_sha.slice(0, 12)} with ${annotations.length} annotation(s).`,
    );
  } catch (error) {
    if (error instanceof GitHubApiError && (error.status === 403 || error.status === 404)) {
      // Fork PRs' tokens are read-only; without `checks: write` the check run cannot be created
      // (docs/platform.md, "The REST API").
      ctx.io.warning(
        `The check run could not be created (${error.message}): the token needs \`checks: write\` ` +
          '(a `workflow_run`-triggered job has it even for fork PRs). The findings are workflow-command annotations on this job instead.',
      );
      commandAnnotations(ctx, annotations);
      return;
    }
    ctx.problems.report(`The check run could not be written: ${message(error)}`);
  }
}

function commandAnnotations(ctx: HookContext, annotations: readonly CheckAnnotation[]): void {
  let errors = 0;
  let warnings = 0;
  for (const a of annotations) {
    const properties = { title: a.title, file: a.path, startLine: a.start_line };
    if (a.annotation_level === 'failure' && errors++ < MAX_COMMAND_ANNOTATIONS)
      ctx.io.error(a.message, properties);
    else if (a.annotation_level === 'warning' && warnings++ < MAX_COMMAND_ANNOTATIONS - 1)
      ctx.io.warning(a.message, properties);
    else if (a.annotation_level === 'notice') ctx.io.notice(a.message, properties);
  }
}

export async function runSummary(ctx: HookContext, deps: SummaryDeps = {}): Promise<void> {
  const { config, io, clock, problems } = ctx;
  // The main hook dispatches only summary mode here; its inputs were read with all the others.
  if (config.mode !== 'summary') return;
  const inputs = config.summary;
  const t0 = clock.now();
  const deadline = t0 + SUMMARY_BUDGET_MS;
  const apiDeadline = t0 + API_BUDGET_MS;
  const runner = config.runner;
  if (!runner.repository || !inputs.runId) {
    problems.report('summary mode needs GITHUB_REPOSITORY and a run-id: nothing to summarise');
    return;
  }
  if (!config.githubToken) {
    problems.report('github-token is empty: the run cannot be read, so nothing is summarised');
    return;
  }
  const github = runnerClient(config, clock, deps.fetchImpl);

  let attempt;
  try {
    attempt = await readRunAttempt(github, inputs.runId, apiDeadline);
  } catch (error) {
    problems.report(`The run ${inputs.runId} could not be read: ${message(error)}`);
    return;
  }
  const { run, jobs } = attempt;
  // Inside the run (a last job with `needs:`), the summary job itself is left out.
  const ownJobId = inputs.runId === runner.runId ? config.checkRunId : undefined;
  // The failed stage is named as track mode names it: the `stages` map (its regex rules bounded in
  // time; a rule that runs out is reported and dropped), else inference.
  const failedSteps = (failedJobOf(jobs.filter((j) => j.id !== ownJobId))?.steps ?? []).map((s) => s.name);
  for (const p of prepareStageRules(config.stageRules, failedSteps)) problems.report(p);
  const record = buildRecord(run, jobs, ownJobId, config.stageRules);
  const workflow = run.name || runner.workflow || 'workflow';
  const notes: string[] = [];

  const scope = historyScope([runner.repository, String(run.workflow_id ?? workflow), config.environment]);
  const history = await loadHistory(ctx, inputs, scope, deadline, deps, notes);
  let bootstrapped: RunRecord[] = [];
  if (history.stored.length === 0 && run.workflow_id !== undefined) {
    const before = github.requestCount;
    try {
      // Only runs older than this one: a newer run that has finished already gets its own summary
      // next, and must be counted then, not taken for history now.
      bootstrapped = (await bootstrap(github, run.workflow_id, inputs, t0, apiDeadline)).filter(
        (r) => r.runId < run.id,
      );
      notes.push(
        `History bootstrapped from the GitHub API: ${bootstrapped.length} completed runs in ${github.requestCount - before} request(s) (at most ${BOOTSTRAP_PAGES}); their stage timings are not known.`,
      );
    } catch (error) {
      io.warning(`The history could not be bootstrapped from the GitHub API: ${message(error)}`);
    }
  }

  const sinks = await metricsSinks(config, clock);
  // The first sink's group decides whether this attempt was counted (when there is no history).
  const primarySink = sinks[0];
  const groupKey: GroupingKey = [
    ['job', config.metricsJob],
    ['repository', runner.repository],
    ['workflow', workflow],
  ];
  const group = await readGroupState(primarySink, groupKey, deadline);
  const count = countThisAttempt(record, {
    history: history.loaded ? history.stored : undefined,
    marker: group.marker,
    groupProblem: group.problem,
  });
  if (!history.loaded && group.problem !== undefined && primarySink)
    problems.report(
      `Neither the history nor the group {${describeGroup(groupKey)}} (${primarySink.name}) could be read (${group.problem}): this attempt's counters are not added, so it is never counted twice`,
    );
  if (!count)
    io.info(`Run ${run.id} attempt ${record.attempt} was counted before: its counters are not added again.`);

  const merged = pruneHistory(mergeHistory(bootstrapped, history.stored, [record]), t0, inputs.historyDays);
  const figures = computeFigures(
    merged,
    t0,
    inputs.historyDays,
    inputs.sloSuccessRate,
    inputs.sloTtdP95Seconds,
  );

  const updates = summaryUpdates(
    record,
    { workflow, repository: runner.repository, environment: config.environment },
    figures.frequency,
    count,
    group.durations,
  );
  // The summarised attempt's id, as track mode names a deployment.
  const deploymentId = deploymentIdOf({ ...runner, runId: String(run.id), runAttempt: record.attempt });
  const store = primarySink
    ? carryStoreOf(ctx.env, {
        deadline,
        ...(deps.cache ? { cache: () => Promise.resolve(deps.cache!) } : {}),
      })
    : undefined;
  const { all: outcomes, primary } = await deliverGroups([{ key: groupKey, updates }], sinks, {
    store,
    deploymentId,
    deadline,
    clock,
    logger: io,
    cumulative: true,
    replaceGroup: false,
    // Remote write puts time_to_deploy_seconds where the run finished.
    at: Math.min(record.completedAt, clock.now()),
  });
  for (const o of outcomes) {
    const line = outcomeText(o, store?.description);
    if (!line.ok) problems.report(line.text.replace(/`/g, ''));
  }
  const written = await writeMetricsFile(config.metricsFile, primary);
  if (!written.ok)
    problems.report(`metrics-file ${config.metricsFile} could not be written: ${written.problem}`);

  if (history.store && history.loaded) {
    try {
      await history.store.save(merged);
    } catch (error) {
      problems.report(
        `The deployment history could not be saved to ${history.store.description}: ${message(error)}`,
      );
    }
  }

  let pullRequest = run.pull_requests?.[0]?.number;
  if (pullRequest === undefined && (run.event ?? '').startsWith('pull_request')) {
    // Fork PRs leave `pull_requests` empty: find the PR by the head commit (docs/platform.md).
    try {
      pullRequest = (await github.listPullsForCommit(run.head_sha, apiDeadline))[0]?.number;
    } catch (error) {
      io.info(`The pull request of ${run.head_sha.slice(0, 12)} could not be found: ${message(error)}`);
    }
  }

  const summary: SummaryContext = {
    record,
    figures,
    workflow,
    repository: runner.repository,
    runUrl: run.html_url,
    sloSuccessRate: inputs.sloSuccessRate,
    sloTtdP95Seconds: inputs.sloTtdP95Seconds,
    slowJobSeconds: config.thresholds.total ?? 900,
    notes,
    pullRequest,
  };
  io.setOutput(Outputs.DeploymentId, deploymentId);
  // Cancelled is not failed: a run a person or cancel-in-progress stopped says so.
  const status = statusOutput(record.conclusion);
  io.setOutput(Outputs.Status, status);
  io.setOutput(Outputs.DurationSeconds, String(record.durationSeconds));
  io.setOutput(Outputs.FailedStage, record.failedStage ?? '');
  // As track mode: the failed stage's error type (`unknown` with no stage), empty unless it failed.
  io.setOutput(Outputs.ErrorType, status === 'failure' ? (knownErrorType(errorTypeOf(record)) ?? '') : '');
  io.setOutput(Outputs.MetricsFile, config.metricsFile);
  if (config.writeSummary) {
    try {
      await io.appendSummary(renderJobSummary(summary));
    } catch (error) {
      problems.report(`The job summary could not be written: ${message(error)}`);
    }
  }
  if (config.annotations) await publishCheckRun(ctx, github, run, summary, deadline);
  io.info(
    `Summary of run ${run.id} attempt ${record.attempt}: ${github.requestCount} GitHub API request(s).`,
  );
}

/** The `status` output of summary mode: `success`, `cancelled`, else `failure` (timed out, failed…). */
function statusOutput(conclusion: string): 'success' | 'cancelled' | 'failure' {
  return conclusion === 'success' || conclusion === 'cancelled' ? conclusion : 'failure';
}
