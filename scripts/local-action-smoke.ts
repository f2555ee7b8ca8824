/**
 * Smoke test under GitHub's `@github/local-action` (`npm run smoke:local-action`): runs pre, main and
 * post of track mode from the TypeScript sources the way a developer would,
 *
 *   local-action run . src/hooks/main.ts <env file> --pre src/hooks/pre.ts --post src/hooks/post.ts
 *
 * with a dotenv file of inputs, against the fake GitHub API (tools/fake-github) serving the job:
 * a deploy-api job whose health check failed. Then checks what local-action printed and what the
 * action wrote: exit code 0, the three phases ran, no warning or error, the outputs local-action
 * shows (status, failed stage, error type, stages), the job summary in `GITHUB_STEP_SUMMARY`, the
 * metrics file, and that post read the job with the token.
 *
 * Without `--pushgateway-url <url>` nothing is pushed (the action still writes the metrics file and
 * the summary). The run is hermetic: the child gets none of this shell's `GITHUB_*`, `RUNNER_*`,
 * `ACTIONS_*` or `INPUT_*` variables, and is killed after {@link TIMEOUT_MS}.
 *
 * docs/development.md, "Running a hook under local-action", says what local-action does differently
 * from the runner and what the env file must therefore hold.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeGitHub } from '../tools/fake-github/server.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js');
/** Generous: the whole run takes a few seconds (tsx compiles the hooks on the fly). */
const TIMEOUT_MS = 120_000;
const TOKEN = 'ghs_LocalActionSmoke0123456789abcdefABCD';
const RUN_ID = 7_700_000_001;

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Runs local-action; resolves with its exit code and everything it printed. */
function localAction(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Its own process group: local-action runs `npm exec tsx …`, which runs node; a timeout ends all three.
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      output += `\n(killed after ${TIMEOUT_MS / 1000} s)\n`;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The "Action Outputs" table local-action prints at the end: output name → value. */
export function shownOutputs(output: string): Record<string, string> {
  const start = output.lastIndexOf('Action Outputs');
  if (start < 0) return {};
  const rows = output
    .slice(start)
    .matchAll(/^\s*│\s*\d+\s*│\s*'([^']+)'\s*│\s*'((?:[^'\\]|\\.)*)'\s*│\s*$/gm);
  return Object.fromEntries([...rows].map((m) => [m[1] as string, (m[2] as string).replace(/\\'/g, "'")]));
}

/** `level: title` of every warning and error workflow command printed (`::warning title=…::…`). */
export function annotations(output: string): string[] {
  return [...output.matchAll(/^::(warning|error)\b([^\n]*?)::/gm)].map(
    (m) => `${m[1]}: ${/title=([^,]*)/.exec(m[2] ?? '')?.[1] ?? '(no title)'}`,
  );
}

/** The environment of the child: this one without anything a runner or an action would have set. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!/^(GITHUB_|RUNNER_|ACTIONS_|INPUT_|STATE_|DEPLOY_METRICS_FILE$|DEPLOYMENT_)/.test(key))
      env[key] = value;
  // The fake API listens on loopback: never through a proxy this shell may name.
  for (const key of ['NO_PROXY', 'no_proxy'])
    env[key] = [env[key], '127.0.0.1', 'localhost'].filter(Boolean).join(',');
  return env;
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error(`no ${path.relative(ROOT, BIN)}: run npm ci`);
  const started = Date.now();
  const temp = mkdtempSync(path.join(tmpdir(), 'local-action-smoke-'));
  const gh = await startFakeGitHub({ token: TOKEN });
  try {
    const at = (secondsAgo: number): string =>
      new Date(started - secondsAgo * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const runId = gh.addRun({
      id: RUN_ID,
      run_attempt: 1,
      name: 'deploy',
      path: '.github/workflows/deploy.yml',
      head_branch: 'main',
      status: 'in_progress',
      conclusion: null,
      created_at: at(300),
      run_started_at: at(300),
      updated_at: at(1),
    });
    const step = (name: string, conclusion: string, from: number, to: number) => ({
      name,
      status: 'completed' as const,
      conclusion,
      started_at: at(from),
      completed_at: at(to),
    });
    // The job as the API shows it while post runs: the deploy steps over, the action's post running.
    const jobId = gh.addJob({
      run_id: runId,
      name: 'deploy-api',
      status: 'in_progress',
      conclusion: null,
      started_at: at(290),
      steps: [
        step('Set up job', 'success', 290, 289),
        step('Pre Run acme/deployment-observability@v1', 'success', 289, 288),
        step('Run acme/deployment-observability@v1', 'success', 288, 288),
        step('Build Docker image', 'success', 288, 200),
        step('Deploy to Railway', 'success', 200, 60),
        step('Wait for health check', 'failure', 60, 20),
        step('Roll back deployment', 'success', 20, 5),
        {
          name: 'Post Run acme/deployment-observability@v1',
          status: 'in_progress',
          conclusion: null,
          started_at: at(1),
          completed_at: null,
        },
      ],
    });

    const summaryFile = path.join(temp, 'step-summary.md');
    const metricsFile = path.join(temp, 'deployment-metrics.prom');
    writeFileSync(summaryFile, '');
    const pushgateway = option('--pushgateway-url');
    // Every input whose action.yml default is an expression is set: local-action uses an input's
    // default text as it is (`${{ github.token }}`), and an empty value in this file falls back to it.
    const envFile = path.join(temp, '.env');
    const lines: Record<string, string> = {
      INPUT_MODE: 'track',
      INPUT_ENVIRONMENT: 'local',
      INPUT_SERVICE: 'api',
      'INPUT_GITHUB-TOKEN': TOKEN,
      'INPUT_CHECK-RUN-ID': String(jobId),
      'INPUT_JOB-STATUS': 'failure',
      'INPUT_RUN-ID': String(runId),
      // The live reporter runs dist/live/index.js beside the running bundle: a run from src/ has none.
      INPUT_LIVE: 'false',
      'INPUT_METRICS-FILE': metricsFile,
      ...(pushgateway ? { 'INPUT_PUSHGATEWAY-URL': pushgateway } : {}),
      GITHUB_API_URL: gh.url,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'octo-org/octo-repo',
      GITHUB_RUN_ID: String(runId),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: 'deploy-api',
      GITHUB_REF_NAME: 'main',
      GITHUB_WORKFLOW: 'deploy',
      GITHUB_ACTION_REPOSITORY: 'acme/deployment-observability',
      GITHUB_ACTION_REF: 'v1',
      GITHUB_STEP_SUMMARY: summaryFile,
      RUNNER_TEMP: temp,
    };
    writeFileSync(
      envFile,
      Object.entries(lines)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );

    const { code, output } = await localAction(
      ['run', ROOT, 'src/hooks/main.ts', envFile, '--pre', 'src/hooks/pre.ts', '--post', 'src/hooks/post.ts'],
      cleanEnv(),
    );
    const outputs = shownOutputs(output);
    const summary = readFileSync(summaryFile, 'utf8');
    const metrics = existsSync(metricsFile) ? readFileSync(metricsFile, 'utf8') : '';
    const stages = ((): { stage?: string; status?: string }[] => {
      try {
        return JSON.parse(outputs['stages-json'] ?? '[]') as { stage?: string; status?: string }[];
      } catch {
        return [];
      }
    })();
    const jobReads = gh.requests.filter((r) => r.path.includes(`/actions/jobs/${jobId}`));
    const checks: [string, boolean][] = [
      ['local-action exited 0', code === 0],
      [
        'pre, main and post ran',
        ['Running Pre Step', 'Running Action', 'Running Post Step'].every((t) => output.includes(t)),
      ],
      [
        "the only annotations are the deployment's own (no telemetry problem)",
        JSON.stringify(annotations(output)) ===
          JSON.stringify([
            'error: Deployment failed at health_check (api)',
            'warning: Slow stage: health_check',
          ]),
      ],
      ['post read the job from the API', jobReads.length > 0],
      [`outputs: deployment-id ${runId}`, outputs['deployment-id'] === String(runId)],
      ['outputs: status failure', outputs.status === 'failure'],
      ['outputs: failed-stage health_check', outputs['failed-stage'] === 'health_check'],
      ['outputs: error-type health_check_failed', outputs['error-type'] === 'health_check_failed'],
      [
        'outputs: stages-json holds build, deploy_railway, health_check (failed), rollback',
        JSON.stringify(stages.map((s) => [s.stage, s.status])) ===
          JSON.stringify([
            ['build', 'success'],
            ['deploy_railway', 'success'],
            ['health_check', 'failure'],
            ['rollback', 'success'],
          ]),
      ],
      ['outputs: metrics-file', outputs['metrics-file'] === metricsFile],
      [
        'the job summary (GITHUB_STEP_SUMMARY) says where it failed',
        summary.includes('Deployment failed at health_check'),
      ],
      [
        'the metrics file counts one failed deployment',
        /^deployment_runs_total\{[^}]*status="failure"[^}]*\} 1$/m.test(metrics),
      ],
      ['the token never reached the output', !output.includes(TOKEN)],
    ];
    const failed = checks.filter(([, ok]) => !ok);
    for (const [what, ok] of checks) console.log(`${ok ? '✓' : '✗'} ${what}`);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (failed.length > 0) {
      console.error(
        `\nlocal-action smoke test: ${failed.length} check(s) failed (${seconds} s). What it printed:\n`,
      );
      console.error(output.split('\n').slice(-120).join('\n'));
      console.error(`\nOutputs shown: ${JSON.stringify(outputs)}\nSummary:\n${summary}`);
      process.exitCode = 1;
    } else {
      console.log(
        `local-action smoke test passed in ${seconds} s (pre, main and post of track mode from src/).`,
      );
    }
  } finally {
    await gh.close();
    rmSync(temp, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  });
}
