/**
 * runJob: one GitHub Actions job, emulated closely enough to run a
 * JavaScript action's real bundles (pre/main/post) the way a hosted runner does.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadActionManifest, type ActionManifest } from './action-manifest.js';
import { evaluateCondition, interpolate, type ExprScope } from './expressions.js';
import { createFileCommandFiles, readFileCommands } from './file-commands.js';
import { cleanupGroups, killTrackedProcesses, runProcess, TIMEOUT_EXIT_CODE } from './process.js';
import type {
  CheckAnnotationView,
  JobResult,
  JobSpec,
  JobStatus,
  JobView,
  OrphanProcess,
  PhaseResult,
  RunStep,
  StepSpec,
  StepView,
  UsesStep,
} from './types.js';
import {
  annotationFromCommand,
  applyAnnotationLimits,
  parseWorkflowCommand,
  SecretMasker,
  type Annotation,
} from './workflow-commands.js';

/** GitHub drops a step summary above 1 MiB (with an error annotation). */
const SUMMARY_LIMIT_BYTES = 1024 * 1024;
/** GitHub shows at most 20 step summaries per job. */
const SUMMARY_MAX_STEPS = 20;

/** How long the runner waits for a step's stdout/stderr after its process exited (5 s). */
export const DEFAULT_OUTPUT_GRACE_MS = 5000;

/** Variables passed through from the emulating process; everything else is built fresh. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'USER', 'LOGNAME', 'TMPDIR'];

function isUses(step: StepSpec): step is UsesStep {
  return 'uses' in step;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `Cond` shorthands name a status function; anything else is an expression. */
function conditionExpression(cond: string | undefined): string {
  if (cond === undefined) return 'success()';
  return ['success', 'always', 'failure', 'cancelled'].includes(cond) ? `${cond}()` : cond;
}

function firstLine(script: string): string {
  return (
    script
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** A finished phase and the virtual seconds it took. */
interface Timed {
  res: PhaseResult;
  seconds: number;
}

interface ViewEntry extends StepView {
  key: string;
  removed: boolean;
}

/** The runner's default GITHUB_* / RUNNER_* variables for this job. */
function defaultRunnerVars(
  jobName: string,
  dirs: { temp: string; tool: string; workspace: string; runnerWorkspace: string; eventPath: string },
): Record<string, string> {
  return {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTOR: 'octocat',
    GITHUB_ACTOR_ID: '583231',
    GITHUB_TRIGGERING_ACTOR: 'octocat',
    // Deliberately unresolvable (.invalid, RFC 2606): a test that forgot to point
    // GITHUB_API_URL at its fake API fails fast, with a self-explaining host name,
    // instead of reaching out to api.github.com.
    GITHUB_API_URL: 'http://github-api-not-configured.invalid',
    GITHUB_GRAPHQL_URL: 'http://github-api-not-configured.invalid/graphql',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_REPOSITORY_ID: '123456789',
    GITHUB_REPOSITORY_OWNER: 'octo-org',
    GITHUB_REPOSITORY_OWNER_ID: '987654',
    GITHUB_RUN_ID: '1000000001',
    GITHUB_RUN_NUMBER: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKFLOW: 'Deploy',
    GITHUB_WORKFLOW_REF: 'octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main',
    GITHUB_WORKFLOW_SHA: 'ffac537e6cbbf934b08745a378932722df287a53',
    GITHUB_JOB: jobName,
    GITHUB_SHA: 'ffac537e6cbbf934b08745a378932722df287a53',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_REF_TYPE: 'branch',
    GITHUB_REF_PROTECTED: 'false',
    GITHUB_HEAD_REF: '',
    GITHUB_BASE_REF: '',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: dirs.eventPath,
    GITHUB_WORKSPACE: dirs.workspace,
    GITHUB_RETENTION_DAYS: '90',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'GitHub Actions 2',
    RUNNER_ENVIRONMENT: 'github-hosted',
    RUNNER_TEMP: dirs.temp,
    RUNNER_TOOL_CACHE: dirs.tool,
    RUNNER_WORKSPACE: dirs.runnerWorkspace,
  };
}

/** Turns GITHUB_* variables into the `github` context, as the runner derives one from the other. */
function githubContextFrom(
  vars: Record<string, string>,
  event: unknown,
  token: string,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const g = (k: string): string => vars[k] ?? '';
  return {
    action: '',
    action_path: '',
    action_ref: '',
    action_repository: '',
    actor: g('GITHUB_ACTOR'),
    actor_id: g('GITHUB_ACTOR_ID'),
    api_url: g('GITHUB_API_URL'),
    base_ref: g('GITHUB_BASE_REF'),
    env: '',
    event,
    event_name: g('GITHUB_EVENT_NAME'),
    event_path: g('GITHUB_EVENT_PATH'),
    graphql_url: g('GITHUB_GRAPHQL_URL'),
    head_ref: g('GITHUB_HEAD_REF'),
    job: g('GITHUB_JOB'),
    path: '',
    ref: g('GITHUB_REF'),
    ref_name: g('GITHUB_REF_NAME'),
    ref_protected: g('GITHUB_REF_PROTECTED') === 'true',
    ref_type: g('GITHUB_REF_TYPE'),
    repository: g('GITHUB_REPOSITORY'),
    repository_id: g('GITHUB_REPOSITORY_ID'),
    repository_owner: g('GITHUB_REPOSITORY_OWNER'),
    repository_owner_id: g('GITHUB_REPOSITORY_OWNER_ID'),
    retention_days: g('GITHUB_RETENTION_DAYS'),
    run_attempt: g('GITHUB_RUN_ATTEMPT'),
    run_id: g('GITHUB_RUN_ID'),
    run_number: g('GITHUB_RUN_NUMBER'),
    server_url: g('GITHUB_SERVER_URL'),
    sha: g('GITHUB_SHA'),
    token,
    triggering_actor: g('GITHUB_TRIGGERING_ACTOR'),
    workflow: g('GITHUB_WORKFLOW'),
    workflow_ref: g('GITHUB_WORKFLOW_REF'),
    workflow_sha: g('GITHUB_WORKFLOW_SHA'),
    workspace: g('GITHUB_WORKSPACE'),
    ...extra,
  };
}

/**
 * Runs one job: every `uses` step's `pre` (in order; not for local actions),
 * the main steps honouring `if:`, then the `post` of every `uses` step whose
 * main ran, in reverse order — as the GitHub runner does. Each process gets
 * fresh file-command files; outputs, env, path, state, summaries, masks and
 * annotations are collected, and the REST API's view of the job's steps is
 * reported through `onStepsChange` on a virtual clock.
 *
 * Never throws for a failing step (that is a `failure` result); throws only
 * for an unusable spec (missing action.yml, non-node action).
 */
export async function runJob(spec: JobSpec): Promise<JobResult> {
  const jobName = spec.name ?? 'deploy';
  const realStart = performance.now();
  const jobTimeoutMs = spec.timeoutMs ?? 120_000;
  const deadline = realStart + jobTimeoutMs;
  const nodePath = spec.nodePath ?? (process.env.EMULATOR_NODE || process.execPath);
  const debug = spec.debug === true;
  const realTime = spec.realTime === true;
  const outputGraceMs = spec.outputGraceMs ?? DEFAULT_OUTPUT_GRACE_MS;
  // The runner worker's own environment carries one tracking id per job; every process of the job
  // inherits it (a step or job env can override it, as on GitHub), and "Complete job" kills what
  // still carries it.
  const trackingId = `github_${randomUUID()}`;

  // Manifests first: an unusable spec throws before anything is created.
  const manifests = new Map<number, ActionManifest>();
  for (const [i, step] of spec.steps.entries()) {
    if (isUses(step)) manifests.set(i, await loadActionManifest(path.resolve(step.uses)));
  }

  // Runner layout, one temp root per job so concurrent jobs never share files.
  const workdir = await mkdtemp(
    path.join(tmpdir(), `runner-emulator-${jobName.replace(/[^A-Za-z0-9_.-]/g, '_')}-`),
  );
  const userEnv = spec.env ?? {};
  const repoName = (userEnv.GITHUB_REPOSITORY ?? 'octo-org/octo-repo').split('/')[1] ?? 'repo';
  const dirs = {
    temp: path.join(workdir, '_temp'),
    tool: path.join(workdir, '_tool'),
    runnerWorkspace: path.join(workdir, 'work', repoName),
    workspace: path.join(workdir, 'work', repoName, repoName),
    eventPath: path.join(workdir, '_github_workflow', 'event.json'),
  };
  for (const d of [dirs.temp, dirs.tool, dirs.workspace, path.dirname(dirs.eventPath)])
    await mkdir(d, { recursive: true });

  // GITHUB_*/RUNNER_* (and CI) given in spec.env replace the defaults; the rest is job env.
  const runnerVars = defaultRunnerVars(jobName, dirs);
  const jobEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(userEnv)) {
    if (/^(GITHUB_|RUNNER_)/.test(k) || k === 'CI') runnerVars[k] = v;
    else jobEnv[k] = v;
  }
  if (debug) runnerVars.RUNNER_DEBUG = '1';
  const ctxGithub = { ...(spec.context?.github ?? {}) };
  let event: unknown = ctxGithub.event;
  if (userEnv.GITHUB_EVENT_PATH !== undefined && event === undefined) {
    // The caller brought its own event file: it is the payload, left untouched.
    event = JSON.parse(await readFile(userEnv.GITHUB_EVENT_PATH, 'utf8')) as unknown;
  } else {
    event ??= {};
    if (userEnv.GITHUB_EVENT_PATH !== undefined) runnerVars.GITHUB_EVENT_PATH = dirs.eventPath;
    await writeFile(dirs.eventPath, JSON.stringify(event, null, 2));
  }
  const token =
    typeof ctxGithub.token === 'string' ? ctxGithub.token : `ghs_${randomBytes(18).toString('hex')}`;
  const github = githubContextFrom(runnerVars, event, token, { ...ctxGithub, event, token });
  const checkRunId = spec.context?.job?.check_run_id;

  const basics: Record<string, string> = {};
  for (const k of INHERITED_ENV) {
    const v = process.env[k];
    if (v !== undefined) basics[k] = v;
  }
  basics.RUNNER_TRACKING_ID = trackingId;

  // Mutable job state.
  let status: JobStatus = 'success';
  // The API view's clock: virtual (advances by each step's seconds), or the wall clock when realTime.
  let vt = realTime ? Date.now() : (spec.startTime ?? new Date()).getTime();
  vt -= vt % 1000; // The API has 1 s resolution.
  const now = (): number => (realTime ? Date.now() : vt);
  const jobStartedAt = iso(vt);
  const githubEnv: Record<string, string> = {};
  const prependPath: string[] = [];
  const masker = new SecretMasker();
  masker.add(token); // The runner masks the job token from the start.
  const masks: string[] = [];
  const logLines: string[] = [];
  const phases: PhaseResult[] = [];
  const allAnnotations: { a: Annotation; runner: boolean }[] = [];
  const outputs: Record<string, Record<string, string>> = {};
  const stepsContext: Record<
    string,
    { outputs: Record<string, string>; outcome: string; conclusion: string }
  > = {};
  const states = new Map<number, Record<string, string>>();
  const mainStarted = new Set<number>();
  const groups = new Set<number>();
  /** Pipes still held by children of finished steps: released at the job's end. */
  const heldOutputs: Array<() => void> = [];
  let orphans: OrphanProcess[] = [];
  let timedOut = false;
  let runCounter = 0;

  const log = (line: string): void => {
    logLines.push(masker.mask(line));
  };
  /** The job's check run annotations as the API shows them (masked, as the runner uploads them). */
  const checkAnnotations: CheckAnnotationView[] = [];
  const toCheckRun = (a: Annotation): void => {
    if (!spec.onAnnotationsChange) return;
    const line = a.line ?? 1;
    checkAnnotations.push({
      path: a.file ?? '.github',
      start_line: line,
      end_line: a.endLine ?? line,
      start_column: a.col ?? null,
      end_column: a.endColumn ?? null,
      annotation_level: a.level === 'error' ? 'failure' : a.level,
      title: masker.mask(a.title ?? ''),
      message: masker.mask(a.message),
      raw_details: '',
    });
    spec.onAnnotationsChange(checkAnnotations.map((x) => ({ ...x })));
  };
  const runnerAnnotation = (
    level: Annotation['level'],
    message: string,
    step: number,
    phase: Annotation['phase'],
    stepName: string,
  ): void => {
    const a: Annotation = { level, message, properties: {}, step, phase, stepName, shown: true };
    allAnnotations.push({ a, runner: true });
    toCheckRun(a);
    log(`##[${level}]${message}`);
  };

  // ---- The API view: Set up job, pre steps, main steps, post steps (reverse), Complete job.
  const label = (s: UsesStep): string => s.label ?? (s.local ? './' : s.uses);
  const mainName = (s: StepSpec): string =>
    isUses(s) ? (s.name ?? `Run ${label(s)}`) : (s.name ?? `Run ${firstLine(s.run)}`);
  const preName = (s: UsesStep): string => (s.name ? `Pre ${s.name}` : `Pre Run ${label(s)}`);
  const postName = (s: UsesStep): string => (s.name ? `Post ${s.name}` : `Post Run ${label(s)}`);
  const view: ViewEntry[] = [];
  const addView = (key: string, name: string): void => {
    view.push({
      key,
      name,
      number: view.length + 1,
      status: 'queued',
      conclusion: null,
      started_at: null,
      completed_at: null,
      removed: false,
    });
  };
  addView('setup', 'Set up job');
  spec.steps.forEach((s, i) => {
    if (isUses(s) && !s.local && manifests.get(i)?.pre) addView(`pre:${i}`, preName(s));
  });
  spec.steps.forEach((s, i) => addView(`main:${i}`, mainName(s)));
  for (let i = spec.steps.length - 1; i >= 0; i--) {
    const s = spec.steps[i] as StepSpec;
    if (isUses(s) && manifests.get(i)?.post) addView(`post:${i}`, postName(s));
  }
  addView('complete', 'Complete job');
  const entry = (key: string): ViewEntry => view.find((v) => v.key === key) as ViewEntry;
  const jobView: JobView = {
    status: 'in_progress',
    conclusion: null,
    started_at: jobStartedAt,
    completed_at: null,
  };
  const snapshot = (): StepView[] =>
    view
      .filter((v) => !v.removed)
      .map(({ number, name, status: st, conclusion, started_at, completed_at }) => ({
        number,
        name,
        status: st,
        conclusion,
        started_at,
        completed_at,
      }));
  const notify = (): void => spec.onStepsChange?.(snapshot(), { ...jobView });
  const startEntry = (e: ViewEntry): void => {
    e.status = 'in_progress';
    e.started_at = iso(now());
    notify();
  };
  const endEntry = (e: ViewEntry, conclusion: string, seconds: number): void => {
    if (!realTime) vt += Math.max(0, seconds) * 1000;
    e.status = 'completed';
    e.conclusion = conclusion;
    e.completed_at = iso(now());
    notify();
  };
  const skipEntry = (e: ViewEntry): void => {
    e.status = 'completed';
    e.conclusion = 'skipped';
    e.started_at = iso(now());
    e.completed_at = e.started_at;
    notify();
  };

  const scope = (stepEnv: Record<string, string>): ExprScope => ({
    jobStatus: status,
    contexts: {
      github,
      env: { ...jobEnv, ...githubEnv, ...stepEnv },
      job: { status, check_run_id: checkRunId ?? null, services: {} },
      steps: stepsContext,
      runner: {
        os: runnerVars.RUNNER_OS,
        arch: runnerVars.RUNNER_ARCH,
        name: runnerVars.RUNNER_NAME,
        environment: runnerVars.RUNNER_ENVIRONMENT,
        temp: runnerVars.RUNNER_TEMP,
        tool_cache: runnerVars.RUNNER_TOOL_CACHE,
        debug: debug ? '1' : '',
      },
      secrets: { GITHUB_TOKEN: token },
      vars: {},
      inputs: {},
      matrix: null,
      strategy: {},
    },
  });
  const stepEnvOf = (s: StepSpec): Record<string, string> => {
    const base = scope({});
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.env ?? {})) out[k] = interpolate(v, base);
    return out;
  };

  /** Per-process environment, in the runner's precedence: job env < GITHUB_ENV < step env < github/runner vars < per-process vars. */
  const processEnv = (
    stepEnv: Record<string, string>,
    perProcess: Record<string, string>,
  ): Record<string, string> => {
    const env: Record<string, string> = {
      ...basics,
      ...jobEnv,
      ...githubEnv,
      ...stepEnv,
      ...runnerVars,
      ...perProcess,
    };
    if (prependPath.length > 0)
      env.PATH =
        [...prependPath].reverse().join(path.delimiter) + (env.PATH ? path.delimiter + env.PATH : '');
    return env;
  };

  /** Runs one process as one API step and folds its file commands into the job. */
  const execPhase = async (args: {
    index: number;
    step: StepSpec;
    phase: PhaseResult['phase'];
    name: string;
    view: ViewEntry;
    header: string[];
    command: string;
    commandArgs: string[];
    stepEnv: Record<string, string>;
    perProcess: Record<string, string>;
    virtualSeconds?: number;
    missingFile?: string;
    /** The conclusion is decided by the caller (cancelled step): no exit-code error line. */
    overrideConclusion?: boolean;
  }): Promise<Timed> => {
    const { index, step, phase, name } = args;
    startEntry(args.view);
    log(`##[group]${args.header[0] ?? name}`);
    for (const l of args.header.slice(1)) log(l);
    log('##[endgroup]');
    const result: PhaseResult = {
      step: index,
      id: step.id,
      phase,
      name,
      exitCode: null,
      conclusion: 'success',
      stdout: '',
      stderr: '',
      outputs: {},
      summary: '',
      state: {},
      annotations: [],
      masks: [],
      durationMs: 0,
      skipped: false,
      timedOut: false,
      outputHeldByChild: false,
      heldOutputMs: 0,
    };
    const where = { step: index, phase, stepName: name };
    const started = performance.now();
    let failed = false;
    const remaining = deadline - performance.now();
    if (args.missingFile !== undefined) {
      // The runner checks the script exists before starting node (ArgUtil.File).
      runnerAnnotation('error', `File not found: '${args.missingFile}'`, index, phase, name);
      failed = true;
    } else if (remaining <= 0) {
      timedOut = true;
      result.timedOut = true;
      runnerAnnotation(
        'error',
        `The job exceeded the emulator's ${jobTimeoutMs} ms guard; '${name}' was not started.`,
        index,
        phase,
        name,
      );
      failed = true;
    } else {
      const files = await createFileCommandFiles(dirs.temp);
      const env = processEnv(args.stepEnv, { ...args.perProcess, ...files });
      // The runner removes NODE_ICU_DATA for node actions (actions/runner#795).
      if (args.command === nodePath) delete env.NODE_ICU_DATA;
      result.processEnv = env;
      let stopToken: string | null = null;
      let commandFailed = false;
      const onLine = (_stream: 'stdout' | 'stderr', line: string): void => {
        // The runner runs both streams through the command manager.
        const cmd = parseWorkflowCommand(line, stopToken ? new Set([stopToken]) : undefined);
        if (stopToken !== null) {
          if (cmd && cmd.command.toLowerCase() === stopToken.toLowerCase()) stopToken = null;
          log(line);
          return;
        }
        if (!cmd) {
          log(line);
          return;
        }
        switch (cmd.command.toLowerCase()) {
          case 'add-mask':
            if (cmd.data.trim() === '') {
              runnerAnnotation(
                'warning',
                "Can't add secret mask for empty string in ##[add-mask] command.",
                index,
                phase,
                name,
              );
            } else {
              masker.add(cmd.data);
              masks.push(cmd.data);
              result.masks.push(cmd.data);
            }
            return;
          case 'error':
          case 'warning':
          case 'notice': {
            const a = annotationFromCommand(cmd, where);
            result.annotations.push(a);
            allAnnotations.push({ a, runner: false });
            toCheckRun(a);
            log(`##[${a.level}]${cmd.data}`);
            return;
          }
          case 'debug':
            if (debug) log(`##[debug]${cmd.data}`);
            return;
          case 'group':
            log(`##[group]${cmd.data}`);
            return;
          case 'endgroup':
            log('##[endgroup]');
            return;
          case 'stop-commands':
            stopToken = cmd.data;
            log(line);
            return;
          case 'set-env':
          case 'add-path':
            // Disabled since 2020: "Unable to process command … successfully." fails the step.
            commandFailed = true;
            runnerAnnotation(
              'error',
              `Unable to process command '${line.trim()}' successfully.`,
              index,
              phase,
              name,
            );
            runnerAnnotation(
              'error',
              `The \`${cmd.command}\` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the \`ACTIONS_ALLOW_UNSECURE_COMMANDS\` environment variable to \`true\`.`,
              index,
              phase,
              name,
            );
            return;
          default:
            // set-output, save-state, echo, add-matcher, remove-matcher: accepted, no effect here.
            return;
        }
      };
      const timeoutMs = Math.max(1, Math.min(spec.stepTimeoutMs ?? Number.POSITIVE_INFINITY, remaining));
      const outcome = await runProcess({
        command: args.command,
        args: args.commandArgs,
        cwd: dirs.workspace,
        env,
        timeoutMs,
        outputGraceMs,
        onLine,
      });
      if (outcome.pgid !== undefined) groups.add(outcome.pgid);
      result.exitCode = outcome.exitCode;
      result.stdout = outcome.stdout;
      result.stderr = outcome.stderr;
      if (outcome.outputHeldByChild) {
        // The runner moves on a few seconds after the process exited; later output is lost.
        result.outputHeldByChild = true;
        result.heldOutputMs = outcome.heldOutputMs;
        heldOutputs.push(outcome.releaseOutput);
        log(
          `[runner-emulator] '${name}' exited but a process it started still holds its stdout/stderr: moved on after ${Math.round(outcome.heldOutputMs)} ms (what it writes later is lost)`,
        );
      }
      if (outcome.timedOut) {
        timedOut = true;
        result.timedOut = true;
        runnerAnnotation(
          'error',
          `'${name}' did not finish within ${Math.round(timeoutMs)} ms: the emulator killed its process group (exit code ${TIMEOUT_EXIT_CODE}).`,
          index,
          phase,
          name,
        );
      }
      const fc = await readFileCommands(files);
      for (const e of fc.errors) runnerAnnotation('error', e, index, phase, name);
      Object.assign(githubEnv, fc.env);
      for (const p of fc.paths) {
        const at = prependPath.indexOf(p);
        if (at >= 0) prependPath.splice(at, 1);
        prependPath.push(p);
      }
      result.outputs = fc.outputs;
      result.state = fc.state;
      if (fc.summaryBytes > SUMMARY_LIMIT_BYTES) {
        runnerAnnotation(
          'error',
          `$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of ${SUMMARY_LIMIT_BYTES / 1024}k, got ${Math.ceil(fc.summaryBytes / 1024)}k.`,
          index,
          phase,
          name,
        );
      } else if (fc.summary !== '') {
        // The runner scrubs secrets from the summary before uploading it.
        result.summary = fc.summary
          .split('\n')
          .map((l) => masker.mask(l))
          .join('\n');
      }
      failed = outcome.exitCode !== 0 || fc.errors.length > 0 || commandFailed;
      if (phase === 'run' && outcome.exitCode !== 0 && !args.overrideConclusion) {
        runnerAnnotation(
          'error',
          `Process completed with exit code ${outcome.exitCode}.`,
          index,
          phase,
          name,
        );
      }
    }
    result.durationMs = performance.now() - started;
    result.conclusion = failed ? 'failure' : 'success';
    const seconds = args.virtualSeconds ?? Math.ceil(result.durationMs / 1000);
    // Post-step status is part of the job too: a failing post fails the job.
    if (failed && status === 'success') status = 'failure';
    phases.push(result);
    return { res: result, seconds };
  };

  const finishView = (t: Timed, e: ViewEntry): void => endEntry(e, t.res.conclusion, t.seconds);

  const skipped = (index: number, step: StepSpec, phase: PhaseResult['phase'], name: string): PhaseResult => {
    const r: PhaseResult = {
      step: index,
      id: step.id,
      phase,
      name,
      exitCode: null,
      conclusion: 'skipped',
      stdout: '',
      stderr: '',
      outputs: {},
      summary: '',
      state: {},
      annotations: [],
      masks: [],
      durationMs: 0,
      skipped: true,
      timedOut: false,
      outputHeldByChild: false,
      heldOutputMs: 0,
    };
    phases.push(r);
    return r;
  };

  /** Runs pre/main/post of a uses step; inputs are evaluated for this phase, now. */
  const runUsesPhase = async (
    i: number,
    step: UsesStep,
    phase: 'pre' | 'main' | 'post',
    e: ViewEntry,
    name: string,
  ): Promise<Timed> => {
    const m = manifests.get(i) as ActionManifest;
    const stepEnv = stepEnvOf(step);
    const sc = scope(stepEnv);
    const inputs: Record<string, string> = {};
    const given = step.with ?? {};
    for (const [k, v] of Object.entries(given)) inputs[k] = interpolate(v, sc);
    const givenLower = new Set(Object.keys(given).map((k) => k.toLowerCase()));
    for (const [k, def] of Object.entries(m.inputs)) {
      if (!givenLower.has(k.toLowerCase()) && def.default !== undefined)
        inputs[k] = interpolate(def.default, sc);
    }
    const perProcess: Record<string, string> = {};
    for (const [k, v] of Object.entries(inputs))
      perProcess[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
    for (const [k, v] of Object.entries(states.get(i) ?? {})) perProcess[`STATE_${k}`] = v;
    const lbl = label(step);
    perProcess.GITHUB_ACTION =
      step.id ?? (step.local ? '__self' : `__${path.basename(step.uses).replace(/[^A-Za-z0-9_]/g, '_')}`);
    if (!step.local) {
      const [repo, ref] = lbl.split('@');
      perProcess.GITHUB_ACTION_REPOSITORY = repo ?? '';
      perProcess.GITHUB_ACTION_REF = ref ?? '';
    }
    const script = path.join(m.dir, (phase === 'pre' ? m.pre : phase === 'post' ? m.post : m.main) as string);
    let missingFile: string | undefined;
    try {
      if (!(await stat(script)).isFile()) missingFile = script;
    } catch {
      missingFile = script;
    }
    const header = [name];
    const withKeys = Object.keys(inputs);
    if (withKeys.length > 0) header.push('with:', ...withKeys.map((k) => `  ${k}: ${inputs[k]}`));
    if (Object.keys(stepEnv).length > 0)
      header.push('env:', ...Object.entries(stepEnv).map(([k, v]) => `  ${k}: ${v}`));
    if (phase === 'post') header.push('Post job cleanup.');
    if (phase === 'main') {
      const unexpected = Object.keys(given).filter(
        (k) => !Object.keys(m.inputs).some((d) => d.toLowerCase() === k.toLowerCase()),
      );
      if (unexpected.length > 0) {
        runnerAnnotation(
          'warning',
          `Unexpected input(s) ${unexpected.map((u) => `'${u}'`).join(', ')}, valid inputs are [${Object.keys(
            m.inputs,
          )
            .map((d) => `'${d}'`)
            .join(', ')}]`,
          i,
          phase,
          name,
        );
      }
    }
    const timed = await execPhase({
      index: i,
      step,
      phase,
      name,
      view: e,
      header,
      command: nodePath,
      commandArgs: [script],
      stepEnv,
      perProcess,
      ...(missingFile !== undefined ? { missingFile } : {}),
    });
    // GITHUB_STATE is intra-action: visible to the later phases of this instance only.
    states.set(i, { ...(states.get(i) ?? {}), ...timed.res.state });
    return timed;
  };

  let killed = false;
  try {
    // ---- Set up job
    const setup = entry('setup');
    startEntry(setup);
    log('##[group]Set up job');
    log(`Current runner version: 'emulator'`);
    log(`Runner name: '${runnerVars.RUNNER_NAME}'`);
    log(`Complete job name: ${jobName}`);
    log('##[endgroup]');
    endEntry(setup, 'success', Math.ceil((performance.now() - realStart) / 1000));

    // ---- Pre steps: pre-if defaults to always(); never for a local action.
    for (const [i, step] of spec.steps.entries()) {
      if (!isUses(step) || step.local || !manifests.get(i)?.pre) continue;
      const m = manifests.get(i) as ActionManifest;
      const e = entry(`pre:${i}`);
      const name = preName(step);
      if (!evaluateCondition(m.preIf, scope(stepEnvOf(step)))) {
        skipped(i, step, 'pre', name);
        skipEntry(e);
        continue;
      }
      finishView(await runUsesPhase(i, step, 'pre', e, name), e);
    }

    // ---- Main steps.
    for (const [i, step] of spec.steps.entries()) {
      const e = entry(`main:${i}`);
      const name = mainName(step);
      const phase = isUses(step) ? 'main' : 'run';
      if (!evaluateCondition(conditionExpression(step.if), scope(stepEnvOf(step)))) {
        skipped(i, step, phase, name);
        skipEntry(e);
        if (step.id) stepsContext[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
        // A skipped main never registers its post step.
        const post = view.find((v) => v.key === `post:${i}`);
        if (post) {
          post.removed = true;
          notify();
        }
        continue;
      }
      let timed: Timed;
      if (isUses(step)) {
        mainStarted.add(i);
        timed = await runUsesPhase(i, step, 'main', e, name);
      } else {
        timed = await runStep(i, step, e, name);
      }
      const res = timed.res;
      if (step.id) {
        outputs[step.id] = res.outputs;
        stepsContext[step.id] = { outputs: res.outputs, outcome: res.conclusion, conclusion: res.conclusion };
      }
      finishView(timed, e);
    }

    // ---- Post steps, reverse order; post-if defaults to always().
    if (spec.killBeforePost) {
      killed = true;
      log('##[error]The runner has received a shutdown signal. (runner-emulator: killBeforePost)');
    } else {
      for (let i = spec.steps.length - 1; i >= 0; i--) {
        const step = spec.steps[i] as StepSpec;
        if (!isUses(step) || !mainStarted.has(i) || !manifests.get(i)?.post) continue;
        const m = manifests.get(i) as ActionManifest;
        const e = entry(`post:${i}`);
        const name = postName(step);
        if (!evaluateCondition(m.postIf, scope(stepEnvOf(step)))) {
          skipped(i, step, 'post', name);
          skipEntry(e);
          continue;
        }
        finishView(await runUsesPhase(i, step, 'post', e, name), e);
      }
    }
  } finally {
    // "Complete job" (also when the job ends early: killBeforePost, the guard, an error): the runner
    // kills every process still carrying the job's RUNNER_TRACKING_ID, wherever it was started
    // (detached, setsid, daemonised). Then the emulator's own safety net: the steps' process groups.
    orphans = await killTrackedProcesses(trackingId);
    cleanupGroups(groups);
    for (const release of heldOutputs) release();
  }
  const orphanLines = orphans.map((o) => `Terminate orphan process: pid (${o.pid}) (${o.name})`);

  const conclusion = killed ? 'failure' : status;
  if (!killed) {
    const complete = entry('complete');
    startEntry(complete);
    log('##[group]Complete job');
    log('Cleaning up orphan processes');
    for (const l of orphanLines) log(l);
    log('##[endgroup]');
    endEntry(complete, 'success', 0);
  } else {
    for (const l of orphanLines) log(l);
  }
  jobView.status = 'completed';
  jobView.conclusion = conclusion;
  jobView.completed_at = iso(now());
  notify();

  // Annotation display limits apply to everything the check run would carry.
  applyAnnotationLimits(allAnnotations.map((x) => x.a));
  const shownSummaries = phases
    .map((p) => p.summary)
    .filter((s) => s !== '')
    .slice(0, SUMMARY_MAX_STEPS);
  let summary = '';
  for (const s of shownSummaries) summary += summary === '' || summary.endsWith('\n') ? s : `\n${s}`;

  return {
    status,
    phases,
    outputs,
    summary,
    annotations: allAnnotations.filter((x) => !x.runner).map((x) => x.a),
    runnerAnnotations: allAnnotations.filter((x) => x.runner).map((x) => x.a),
    masks,
    log: logLines.join('\n') + '\n',
    env: { ...githubEnv },
    steps: snapshot(),
    job: { ...jobView },
    timedOut,
    trackingId,
    orphans,
    workdir,
    cleanup: () => rm(workdir, { recursive: true, force: true }),
  };

  /** A `run:` step: bash with the runner's `bash --noprofile --norc -eo pipefail {0}`. */
  async function runStep(i: number, step: RunStep, e: ViewEntry, name: string): Promise<Timed> {
    const stepEnv = stepEnvOf(step);
    const script = interpolate(step.run, scope(stepEnv));
    const file = path.join(dirs.temp, `${randomUUID()}.sh`);
    await writeFile(file, script);
    runCounter++;
    const lines = script.replace(/\n$/, '').split('\n');
    const header = [
      `Run ${lines[0] ?? ''}`,
      ...lines.slice(1),
      'shell: /usr/bin/bash --noprofile --norc -e -o pipefail {0}',
    ];
    if (Object.keys(stepEnv).length > 0)
      header.push('env:', ...Object.entries(stepEnv).map(([k, v]) => `  ${k}: ${v}`));
    const timed = await execPhase({
      index: i,
      step,
      phase: 'run',
      name,
      view: e,
      header,
      command: 'bash',
      commandArgs: ['--noprofile', '--norc', '-eo', 'pipefail', file],
      stepEnv,
      perProcess: { GITHUB_ACTION: step.id ?? (runCounter === 1 ? '__run' : `__run_${runCounter}`) },
      ...(step.durationSeconds !== undefined && !realTime ? { virtualSeconds: step.durationSeconds } : {}),
      overrideConclusion: step.cancelJob === true || step.jobTimeout === true || step.stepTimeout === true,
    });
    const res = timed.res;
    if (step.jobTimeout) {
      // The job's timeout-minutes: the runner cancels the job (job.status cancelled at post) and
      // says why on the job's check run.
      res.conclusion = 'cancelled';
      status = 'cancelled';
      runnerAnnotation(
        'error',
        `The job running on runner ${runnerVars.RUNNER_NAME} has exceeded the maximum execution time of ${spec.timeoutMinutes ?? 360} minutes.`,
        i,
        'run',
        name,
      );
      runnerAnnotation('error', 'The operation was canceled.', i, 'run', name);
    } else if (step.cancelJob) {
      // The user cancelled the run while this step ran.
      res.conclusion = 'cancelled';
      status = 'cancelled';
      runnerAnnotation('error', 'The operation was canceled.', i, 'run', name);
    } else if (step.stepTimeout) {
      // The step's own timeout-minutes: the runner fails the step (not cancelled), and the job.
      res.conclusion = 'failure';
      if (status === 'success') status = 'failure';
      runnerAnnotation('error', 'The action has timed out.', i, 'run', name);
    }
    return timed;
  }
}
