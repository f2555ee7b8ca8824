/**
 * Realistic deploy jobs, run through the real `dist/` bundles under the runner
 * emulator against the fake GitHub API (and, when given, a real Pushgateway).
 * Shared by the end-to-end tests, `npm run demo` and `npm run bench`.
 */
import {
  repoActionDir,
  runJob,
  type JobResult,
  type JobView,
  type OrphanProcess,
  type PhaseResult,
  type RunStep,
  type StepSpec,
  type StepView,
} from '../runner-emulator/index.js';
import type { FakeGitHub, FakeJobInput } from '../fake-github/server.js';

export const FAKE_TOKEN = 'ghs_EmulatedJobToken0123456789abcdefABCDEF';
export const REPOSITORY = 'octo-org/octo-repo';
/** How `uses:` reads in the emulated workflows. */
export const ACTION_LABEL = 'acme/deployment-observability@v1';

/** The contract's example stage map for the API job. */
export const API_STAGE_MAP = [
  'Build Docker image      => api/build',
  'Push image to registry  => api/push',
  'Deploy to Railway       => api/deploy_railway',
  '/health/i               => api/health_check',
  'Run database migrations => api/migration',
  'Run smoke tests         => api/smoke_test',
  'Roll back deployment    => api/rollback',
].join('\n');

export interface ApiJobOptions {
  readonly healthFails?: boolean;
  readonly migrationFails?: boolean;
  readonly deploySeconds?: number;
}

const ok = (name: string, durationSeconds: number, script = 'true'): RunStep => ({
  name,
  run: script,
  durationSeconds,
});

/** deploy-api: build → push → Railway → health check → migrations → smoke tests; rollback on failure. */
export function apiSteps(o: ApiJobOptions = {}): StepSpec[] {
  return [
    ok('Run actions/checkout@v4', 2),
    ok(
      'Build Docker image',
      95,
      `echo 'deployment_infrastructure_cost{resource="railway_compute"} 2.50' >> "$DEPLOY_METRICS_FILE"`,
    ),
    ok('Push image to registry', 45),
    ok(
      'Deploy to Railway',
      o.deploySeconds ?? 150,
      `echo 'railway_deployment_memory_mb 512' >> "$DEPLOY_METRICS_FILE"; echo 'railway_deployment_cpu_percent 75.2' >> "$DEPLOY_METRICS_FILE"`,
    ),
    {
      name: 'Wait for health check',
      durationSeconds: o.healthFails ? 45 : 8,
      run: o.healthFails
        ? `echo 'api_health_check_latency_ms{status="unhealthy"} 5000' >> "$DEPLOY_METRICS_FILE"; echo "health check failed: HTTP 503" >&2; exit 1`
        : `echo 'api_health_check_latency_ms{status="healthy"} 42' >> "$DEPLOY_METRICS_FILE"`,
    },
    {
      name: 'Run database migrations',
      durationSeconds: 23,
      run: o.migrationFails
        ? `echo 'database_migration_lag_seconds{migration_count="5"} 23.4' >> "$DEPLOY_METRICS_FILE"; exit 1`
        : `echo 'database_migration_lag_seconds{migration_count="5"} 23.4' >> "$DEPLOY_METRICS_FILE"`,
    },
    {
      name: 'Run smoke tests',
      durationSeconds: 52,
      run: `echo 'smoke_test_total{test_name="/health"} 1' >> "$DEPLOY_METRICS_FILE"; echo 'smoke_test_total{test_name="/api/v1/items"} 1' >> "$DEPLOY_METRICS_FILE"`,
    },
    {
      name: 'Roll back deployment',
      if: 'failure',
      durationSeconds: 30,
      run: `echo 'deployment_rollback_total{reason="health_check_failed",status="success"} 1' >> "$DEPLOY_METRICS_FILE"`,
    },
  ];
}

export interface LiveApiJobOptions {
  /** The health check fails (exit 1), so the rollback step runs. */
  readonly healthFails?: boolean;
  /** Real seconds of each step (defaults: build 3, push 2, deploy 4, health check 2, rollback 20). */
  readonly buildSeconds?: number;
  readonly pushSeconds?: number;
  readonly deploySeconds?: number;
  readonly healthSeconds?: number;
  readonly rollbackSeconds?: number;
}

/**
 * deploy-api on the wall clock, for a job polled while it runs (`runTrackedJob({ realTime: true })`):
 * build → push → Railway → health check, and the rollback (`if: failure()`) when the health check
 * fails. Each step really takes its seconds (`sleep`) and writes the same DEPLOY_METRICS_FILE lines as
 * {@link apiSteps}; no `durationSeconds`.
 */
export function liveApiSteps(o: LiveApiJobOptions = {}): StepSpec[] {
  const sleep = (seconds: number): string => `sleep ${seconds}`;
  return [
    {
      name: 'Build Docker image',
      run: `${sleep(o.buildSeconds ?? 3)}\necho 'deployment_infrastructure_cost{resource="railway_compute"} 2.50' >> "$DEPLOY_METRICS_FILE"`,
    },
    { name: 'Push image to registry', run: sleep(o.pushSeconds ?? 2) },
    {
      name: 'Deploy to Railway',
      run: `${sleep(o.deploySeconds ?? 4)}\necho 'railway_deployment_memory_mb 512' >> "$DEPLOY_METRICS_FILE"; echo 'railway_deployment_cpu_percent 75.2' >> "$DEPLOY_METRICS_FILE"`,
    },
    {
      name: 'Wait for health check',
      run: o.healthFails
        ? `${sleep(o.healthSeconds ?? 2)}\necho 'api_health_check_latency_ms{status="unhealthy"} 5000' >> "$DEPLOY_METRICS_FILE"; echo "health check failed: HTTP 503" >&2; exit 1`
        : `${sleep(o.healthSeconds ?? 2)}\necho 'api_health_check_latency_ms{status="healthy"} 42' >> "$DEPLOY_METRICS_FILE"`,
    },
    {
      name: 'Roll back deployment',
      if: 'failure',
      run: `${sleep(o.rollbackSeconds ?? 20)}\necho 'deployment_rollback_total{reason="health_check_failed",status="success"} 1' >> "$DEPLOY_METRICS_FILE"`,
    },
  ];
}

/** deploy-web: install → build → Vercel → verification (stages inferred from the names). */
export function webSteps(o: { vercelSeconds?: number } = {}): StepSpec[] {
  return [
    ok('Run actions/checkout@v4', 2),
    ok('Install dependencies', 35),
    ok(
      'Build Next.js app',
      90,
      `echo 'deployment_infrastructure_cost{resource="vercel_build"} 0.40' >> "$DEPLOY_METRICS_FILE"`,
    ),
    ok('Deploy to Vercel', o.vercelSeconds ?? 120),
    ok('Verify web app loads', 10),
  ];
}

/** migrate (database): check → apply → verify. */
export function databaseSteps(o: { applyFails?: boolean } = {}): StepSpec[] {
  return [
    ok('Run actions/checkout@v4', 2),
    ok('Check pending migrations', 10),
    {
      name: 'Apply migrations',
      durationSeconds: 65,
      run: o.applyFails
        ? `echo 'deployment_errors_total{stage="migration_apply",error_type="migration_failed"} 1' >> "$DEPLOY_METRICS_FILE"; exit 1`
        : `echo 'database_migration_lag_seconds{migration_count="3"} 61.2' >> "$DEPLOY_METRICS_FILE"`,
    },
    ok('Verify schema', 5),
  ];
}

export interface TrackedJobOptions {
  readonly gh: FakeGitHub;
  readonly runId: number;
  readonly attempt?: number;
  /** GITHUB_JOB, e.g. deploy-api. */
  readonly job: string;
  readonly steps: readonly StepSpec[];
  /** Action inputs (pushgateway-url etc.). */
  readonly with?: Record<string, string>;
  readonly stateDir: string;
  /** Pass `check-run-id` (default true); false: the action looks the job up among the attempt's jobs. */
  readonly checkRunId?: boolean;
  /** `uses: ./` — pre does not run. */
  readonly local?: boolean;
  readonly startTime?: Date;
  readonly env?: Record<string, string>;
  readonly runnerName?: string;
  /** Fields of the job as the API shows it that differ from what the runner says (e.g. its runner_name). */
  readonly apiJob?: Partial<FakeJobInput>;
  readonly killBeforePost?: boolean;
  /** Steps placed before the action (default none: the action is the first step). */
  readonly before?: readonly StepSpec[];
  readonly nodePath?: string;
  /**
   * The API view on the wall clock (`JobSpec.realTime`): for jobs whose steps really take seconds
   * ({@link liveApiSteps}), polled while they run. The fake job starts now (`startTime` is ignored).
   */
  readonly realTime?: boolean;
  /** The emulator's whole-job guard (`JobSpec.timeoutMs`, default 120000 ms). */
  readonly timeoutMs?: number;
  /** `JobSpec.outputGraceMs`: how long a step waits for pipes a child still holds (default 5000 ms). */
  readonly outputGraceMs?: number;
  /** Also called on every step start and end, after the fake API got the new view. */
  readonly onStepsChange?: (view: StepView[], job: JobView) => void;
}

export interface TrackedJob {
  readonly result: JobResult;
  readonly jobId: number;
  /** The tracking instance's post phase (outputs, summary, annotations), if it ran. */
  readonly post: PhaseResult | undefined;
  readonly pre: PhaseResult | undefined;
  readonly main: PhaseResult | undefined;
  /** The job's RUNNER_TRACKING_ID (`github_<uuid>`), in every process's environment. */
  readonly trackingId: string;
  /** Processes still carrying it at "Complete job", killed there (e.g. a live reporter that outlived post). */
  readonly orphans: readonly OrphanProcess[];
  /** Phases whose process exited while a child still held its stdout/stderr (the step waited for the grace). */
  readonly heldOutput: readonly PhaseResult[];
}

/** Runs one deploy job with the action as its first step. */
export async function runTrackedJob(o: TrackedJobOptions): Promise<TrackedJob> {
  const startTime = o.realTime ? new Date() : (o.startTime ?? new Date());
  const runnerName = o.runnerName ?? `GitHub Actions ${o.runId % 1000}-${o.job}`;
  const jobId = o.gh.addJob({
    run_id: o.runId,
    run_attempt: o.attempt ?? 1,
    name: o.job,
    status: 'in_progress',
    conclusion: null,
    started_at: startTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    completed_at: null,
    runner_name: runnerName,
    steps: [],
    ...o.apiJob,
  });
  const result = await runJob({
    name: o.job,
    nodePath: o.nodePath,
    startTime,
    killBeforePost: o.killBeforePost,
    ...(o.realTime !== undefined ? { realTime: o.realTime } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.outputGraceMs !== undefined ? { outputGraceMs: o.outputGraceMs } : {}),
    env: {
      GITHUB_API_URL: o.gh.url,
      GITHUB_REPOSITORY: REPOSITORY,
      GITHUB_RUN_ID: String(o.runId),
      GITHUB_RUN_ATTEMPT: String(o.attempt ?? 1),
      GITHUB_REF_NAME: 'main',
      GITHUB_WORKFLOW: 'deploy-full-stack',
      RUNNER_NAME: runnerName,
      DEPLOYMENT_OBSERVABILITY_STATE_DIR: o.stateDir,
      ...o.env,
    },
    context: {
      github: { token: FAKE_TOKEN },
      job: { check_run_id: o.checkRunId === false ? '' : jobId },
    },
    steps: [
      ...(o.before ?? []),
      {
        uses: repoActionDir(),
        id: 'track',
        label: o.local ? './' : ACTION_LABEL,
        local: o.local,
        // The suites that test post's behaviour (faults injected per request, request counts,
        // 50 concurrent jobs) run without the live reporter unless they ask for it; the live
        // suites and the demo set `live` themselves.
        with: { live: 'false', ...o.with },
      },
      ...o.steps,
    ],
    onStepsChange: (view, job) => {
      o.gh.setJobSteps(jobId, view, {
        status: job.status,
        conclusion: job.conclusion,
        completed_at: job.completed_at,
      });
      o.onStepsChange?.(view, job);
    },
    // The job's check run: the runner's errors (a timeout, a cancel) and the steps' annotations.
    onAnnotationsChange: (annotations) => o.gh.setJobAnnotations(jobId, annotations),
  });
  const find = (phase: PhaseResult['phase']): PhaseResult | undefined =>
    result.phases.find((p) => p.id === 'track' && p.phase === phase && !p.skipped);
  return {
    result,
    jobId,
    post: find('post'),
    pre: find('pre'),
    main: find('main'),
    trackingId: result.trackingId,
    orphans: result.orphans,
    heldOutput: result.phases.filter((p) => p.outputHeldByChild),
  };
}
