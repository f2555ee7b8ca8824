/** Public types of the runner emulator. */
import type { Annotation } from './workflow-commands.js';

export type { Annotation } from './workflow-commands.js';

/**
 * A step condition. The four status functions by name, or any expression
 * (with or without `${{ }}`); like GitHub, an expression that calls no status
 * function is implicitly `success() && (…)`.
 */
export type Cond = 'success' | 'always' | 'failure' | 'cancelled' | (string & Record<never, never>);

/** A `uses:` step running a JavaScript action from a directory holding action.yml. */
export interface UsesStep {
  /** Path to the action directory (has action.yml or action.yaml). */
  uses: string;
  id?: string;
  name?: string;
  /** Inputs; `${{ }}` is evaluated, again for each phase (pre, main, post). */
  with?: Record<string, string>;
  /** `uses: ./`: the runner does not run `runs.pre` for a local action. */
  local?: boolean;
  /** How `uses:` reads in the workflow, for display names (default `./` when local, else `uses`). */
  label?: string;
  if?: Cond;
  env?: Record<string, string>;
}

/** A `run:` step (bash). */
export interface RunStep {
  /** Bash script; `${{ }}` is evaluated first, as GitHub does. */
  run: string;
  name?: string;
  id?: string;
  if?: Cond;
  env?: Record<string, string>;
  /** Virtual duration shown in the API view instead of the real one (ignored when `JobSpec.realTime`). */
  durationSeconds?: number;
  /**
   * The step hits its own `timeout-minutes`: as the runner does, the step fails (conclusion
   * `failure`, job status `failure`) with the runner's error "The action has timed out.".
   */
  stepTimeout?: boolean;
  /**
   * A person (or `cancel-in-progress`) cancels the run while this step runs: the step's
   * conclusion and job.status become `cancelled`, with the runner's "The operation was canceled.".
   */
  cancelJob?: boolean;
  /**
   * The job hits its `timeout-minutes` (or the 6-hour limit) while this step runs: cancelled like
   * `cancelJob`, plus the runner's error "The job running on runner <name> has exceeded the
   * maximum execution time of <JobSpec.timeoutMinutes> minutes.".
   */
  jobTimeout?: boolean;
}

/** One step of a job. */
export type StepSpec = UsesStep | RunStep;

/** Job status as `job.status` reports it. */
export type JobStatus = 'success' | 'failure' | 'cancelled';

/** A step in the REST API's job view (`GET /actions/jobs/{id}` `steps[]`). */
export interface StepView {
  number: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
}

/**
 * One annotation of the job's check run as `GET /repos/{o}/{r}/check-runs/{job_id}/annotations`
 * returns it (the job's id is its check run's id): the runner's own errors and the steps'
 * `::error`/`::warning`/`::notice` commands, in the order they were made.
 */
export interface CheckAnnotationView {
  path: string;
  start_line: number;
  end_line: number;
  start_column: number | null;
  end_column: number | null;
  annotation_level: 'notice' | 'warning' | 'failure';
  title: string;
  message: string;
  raw_details: string;
}

/** The job itself in the REST API view. */
export interface JobView {
  status: 'in_progress' | 'completed';
  conclusion: string | null;
  started_at: string;
  completed_at: string | null;
}

/** What {@link runJob} runs. */
export interface JobSpec {
  /** Job id, GITHUB_JOB (default `deploy`). */
  name?: string;
  /** Node binary for action bundles; default `process.env.EMULATOR_NODE || process.execPath`. */
  nodePath?: string;
  /**
   * Job env; GITHUB_* / RUNNER_* / CI keys here replace the emulator's defaults
   * (set GITHUB_RUN_ID, GITHUB_API_URL, … here: the `github` context is derived
   * from them). A GITHUB_EVENT_PATH given here is read as the event payload
   * (unless `context.github.event` is also given, which then wins and is
   * written to the job's own event file).
   */
  env?: Record<string, string>;
  /**
   * Extra `${{ }}` context: `github.*` entries override the ones derived from
   * the env (they do not change the env: `github.event` is also written to
   * GITHUB_EVENT_PATH, `github.token` is the job token, masked in the log);
   * `job.check_run_id` (no default: empty, as on GHES).
   */
  context?: { github?: Record<string, unknown>; job?: { check_run_id?: number | string } };
  /** Origin of the virtual clock used in the API view (default now; ignored when `realTime`). */
  startTime?: Date;
  /**
   * The API view on the wall clock: each step's and the job's timestamps are the real times (1 s
   * resolution, as the API has) at which they started and ended, not a virtual clock advanced by
   * `durationSeconds` (which is then ignored). For jobs whose steps really take seconds (`sleep 3`),
   * polled while they run.
   */
  realTime?: boolean;
  /**
   * After a step's process exits, how long to wait for its stdout/stderr to close when a child it
   * started still holds them, before the step ends anyway (default 5000 ms, the runner's 5 s). What
   * the child writes later is lost; the phase reports `outputHeldByChild`.
   */
  outputGraceMs?: number;
  steps: StepSpec[];
  /** Whole-job guard (default 120000 ms). Past it, processes are killed and no new one starts. */
  timeoutMs?: number;
  /** Per-process guard (default: what remains of `timeoutMs`). */
  stepTimeoutMs?: number;
  /** Called whenever a step starts or ends, with the full API view. */
  onStepsChange?: (view: StepView[], job: JobView) => void;
  /** Called whenever the job's check run gains an annotation, with all of them so far. */
  onAnnotationsChange?: (annotations: CheckAnnotationView[]) => void;
  /** The job's `timeout-minutes` named by a `jobTimeout` step's runner error (default 360, GitHub's limit). */
  timeoutMinutes?: number;
  /** Simulates the runner dying between main and post: no post hooks run. */
  killBeforePost?: boolean;
  /** Step debug logging (ACTIONS_STEP_DEBUG): sets RUNNER_DEBUG=1 and shows `::debug::` lines in the log. */
  debug?: boolean;
}

/** One process (or skipped step) of the job. */
export interface PhaseResult {
  /** Index into `JobSpec.steps` (-1 for none). */
  step: number;
  id: string | undefined;
  phase: 'pre' | 'main' | 'post' | 'run';
  /** The step name as GitHub shows it. */
  name: string;
  /** null when the phase was skipped or never started. */
  exitCode: number | null;
  conclusion: 'success' | 'failure' | 'cancelled' | 'skipped';
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  /** This step's GITHUB_STEP_SUMMARY content (masked, as the runner uploads it). */
  summary: string;
  /** GITHUB_STATE written by this phase. */
  state: Record<string, string>;
  annotations: Annotation[];
  /** Values this phase registered with `::add-mask::`. */
  masks: string[];
  durationMs: number;
  skipped: boolean;
  /** Killed by the emulator's timeout (exit code 124). */
  timedOut: boolean;
  /**
   * The process exited but a child it started still held its stdout/stderr (inherited pipes) when
   * `outputGraceMs` ran out: the step ended without them, as the runner does after 5 s.
   */
  outputHeldByChild: boolean;
  /** How long the step waited for those pipes after its process exited (0 unless `outputHeldByChild`). */
  heldOutputMs: number;
  /** The environment the process ran with (absent when skipped). */
  processEnv?: Record<string, string>;
}

/** A process the job left behind, killed at "Complete job" because it still carried the job's tracking id. */
export interface OrphanProcess {
  pid: number;
  /** Its command line (`/proc/<pid>/cmdline`, arguments joined by spaces). */
  command: string;
  /** Its process name (`/proc/<pid>/comm`), as in the log's `Terminate orphan process: pid (…) (name)`. */
  name: string;
}

/** Everything a job produced. */
export interface JobResult {
  /** Final `job.status`. */
  status: JobStatus;
  phases: PhaseResult[];
  /** Main-phase outputs by step id. */
  outputs: Record<string, Record<string, string>>;
  /** Step summaries GitHub would show (first 20 non-empty ones), in order. */
  summary: string;
  /** Annotations from `::error|warning|notice::` workflow commands, every phase. */
  annotations: Annotation[];
  /** Annotations the runner itself adds (`Process completed with exit code 1.`, unexpected inputs, …). */
  runnerAnnotations: Annotation[];
  /** Values from `::add-mask::`. */
  masks: string[];
  /** The whole job log as the runner shows it, masked. */
  log: string;
  /** GITHUB_ENV-accumulated variables. */
  env: Record<string, string>;
  /** Final API view of the steps and the job. */
  steps: StepView[];
  job: JobView;
  /** Some process was killed by a timeout, or the job guard expired. */
  timedOut: boolean;
  /** `github_<uuid>`: the job's RUNNER_TRACKING_ID, in every process's environment (unless a step overrode it). */
  trackingId: string;
  /**
   * Processes still carrying `RUNNER_TRACKING_ID=<trackingId>` at the job's end ("Complete job", or the
   * early end of killBeforePost / the job guard), SIGKILLed there as the runner does (Linux /proc only;
   * empty elsewhere). Detached or `setsid` children are found too; this process is never included.
   */
  orphans: OrphanProcess[];
  /** The job temp root (RUNNER_TEMP, workspace, event file live inside); removed by cleanup(). */
  workdir: string;
  cleanup(): Promise<void>;
}
