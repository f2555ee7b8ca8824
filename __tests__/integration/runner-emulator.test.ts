/**
 * The runner emulator against tiny throwaway JavaScript actions (plain .mjs
 * bundles + action.yml), checking the runner behaviours the action relies on.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DEFAULT_OUTPUT_GRACE_MS,
  findTrackedProcesses,
  parseKeyValueFile,
  repoActionDir,
  runJob,
  type CheckAnnotationView,
  type JobResult,
  type JobSpec,
  type StepView,
} from '../../tools/runner-emulator/index.js';

let root: string;
let probe: string; // pre/main/post action
let mainOnly: string; // no pre/post
const results: JobResult[] = [];

/** Shared body of the probe action: reports what the runner handed it and saves state/outputs. */
const PROBE_LIB = `
import fs from 'node:fs';
export function run(phase) {
  const env = process.env;
  const tag = env.INPUT_TAG ?? '';
  const pick = (prefix) => Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith(prefix)));
  console.log('PROBE ' + JSON.stringify({ phase, tag, inputs: pick('INPUT_'), state: pick('STATE_'), foo: env.FOO ?? null }));
  fs.appendFileSync(env.GITHUB_STATE, 'from_' + phase + '=' + tag + '\\n');
  if (phase === 'main') {
    fs.appendFileSync(env.GITHUB_OUTPUT, 'tag=' + tag + '\\nmulti<<EOF_1\\nline one\\nline two\\nEOF_1\\n');
    if (env['INPUT_SECRET']) {
      console.log('::add-mask::' + env['INPUT_SECRET']);
      console.log('the secret is ' + env['INPUT_SECRET']);
      fs.appendFileSync(env.GITHUB_STEP_SUMMARY, '# Probe\\nsecret: ' + env['INPUT_SECRET'] + '\\n');
    }
    if (env['INPUT_FAIL-MAIN'] === 'true') process.exit(1);
  }
  if (phase === 'main' && env['INPUT_HANG'] === 'true') setInterval(() => {}, 1000);
}
`;

const PROBE_YML = `
name: probe
inputs:
  tag:
    description: instance tag
    default: none
  fail-main:
    default: 'false'
  secret:
    default: ''
  hang:
    default: 'false'
  job-status:
    default: \${{ job.status }}
  token:
    default: \${{ github.token }}
  run-id:
    default: \${{ github.event.workflow_run.id || github.run_id }}
  check-run-id:
    default: \${{ job.check_run_id }}
runs:
  using: node24
  pre: dist/pre/index.mjs
  main: dist/main/index.mjs
  post: dist/post/index.mjs
`;

async function writeProbe(dir: string, yml: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'action.yml'), yml);
  await writeFile(path.join(dir, 'lib.mjs'), PROBE_LIB);
  for (const phase of ['pre', 'main', 'post']) {
    await mkdir(path.join(dir, 'dist', phase), { recursive: true });
    await writeFile(
      path.join(dir, 'dist', phase, 'index.mjs'),
      `import { run } from '../../lib.mjs';\nrun('${phase}');\n`,
    );
  }
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'emulator-test-'));
  probe = path.join(root, 'probe');
  await writeProbe(probe, PROBE_YML);
  mainOnly = path.join(root, 'main-only');
  await writeProbe(mainOnly, PROBE_YML.replace(/\n {2}pre: .*\n/, '\n').replace(/\n {2}post: .*\n/, '\n'));
});

afterAll(async () => {
  await Promise.all(results.map((r) => r.cleanup()));
  await rm(root, { recursive: true, force: true });
});

async function job(spec: JobSpec): Promise<JobResult> {
  const r = await runJob({ timeoutMs: 30_000, ...spec });
  results.push(r);
  return r;
}

/** True when `pid` no longer runs (gone, or a zombie waiting to be reaped). */
async function dead(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

const onLinux = process.platform === 'linux' ? test : test.skip;

/** The JSON a probe phase printed. */
function probeReport(
  r: JobResult,
  name: string,
): {
  phase: string;
  tag: string;
  inputs: Record<string, string>;
  state: Record<string, string>;
  foo: string | null;
} {
  const p = r.phases.find((x) => x.name === name);
  const line = p?.stdout.split('\n').find((l) => l.startsWith('PROBE '));
  if (!line) throw new Error(`no probe report for ${name}: ${JSON.stringify(r.phases.map((x) => x.name))}`);
  return JSON.parse(line.slice('PROBE '.length)) as ReturnType<typeof probeReport>;
}

describe('runner emulator', () => {
  test('repoActionDir() is the repository root holding action.yml', () => {
    expect(path.basename(path.join(repoActionDir(), 'action.yml'))).toBe('action.yml');
    expect(repoActionDir()).toBe(path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..'));
  });

  test('pre of every uses step in order, main steps, then posts in reverse; API view numbered with the runner names', async () => {
    const views: { view: StepView[]; status: string }[] = [];
    const start = new Date('2026-01-01T10:00:00Z');
    const r = await job({
      startTime: start,
      steps: [
        { uses: probe, name: 'Probe A', with: { tag: 'a' } },
        { run: 'echo hello\necho again', durationSeconds: 42 },
        { uses: probe, label: 'octo/probe@v1', with: { tag: 'b' } },
      ],
      onStepsChange: (view, j) => views.push({ view, status: j.status }),
    });
    expect(r.status).toBe('success');
    expect(r.phases.map((p) => `${p.phase}:${p.name}`)).toEqual([
      'pre:Pre Probe A',
      'pre:Pre Run octo/probe@v1',
      'main:Probe A',
      'run:Run echo hello',
      'main:Run octo/probe@v1',
      'post:Post Run octo/probe@v1',
      'post:Post Probe A',
    ]);
    expect(r.phases.every((p) => p.exitCode === 0)).toBe(true);
    expect(r.steps.map((s) => `${s.number} ${s.name} ${s.conclusion}`)).toEqual([
      '1 Set up job success',
      '2 Pre Probe A success',
      '3 Pre Run octo/probe@v1 success',
      '4 Probe A success',
      '5 Run echo hello success',
      '6 Run octo/probe@v1 success',
      '7 Post Run octo/probe@v1 success',
      '8 Post Probe A success',
      '9 Complete job success',
    ]);
    // Virtual clock: the run step lasts exactly its durationSeconds.
    const run = r.steps[4] as StepView;
    expect(Date.parse(run.completed_at as string) - Date.parse(run.started_at as string)).toBe(42_000);
    expect(r.steps[0]?.started_at).toBe('2026-01-01T10:00:00Z');
    expect(r.job).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      started_at: '2026-01-01T10:00:00Z',
    });
    // While the first post runs, it is in_progress and the later post is still queued.
    const duringPost = views.find((v) => v.view[6]?.status === 'in_progress');
    expect(duringPost?.view.slice(6).map((s) => s.status)).toEqual(['in_progress', 'queued', 'queued']);
    expect(duringPost?.status).toBe('in_progress');
    expect(views.at(-1)?.status).toBe('completed');
  });

  test('a local action (uses: ./) gets no pre; its post still runs', async () => {
    const r = await job({ steps: [{ uses: probe, local: true, with: { tag: 'l' } }] });
    expect(r.phases.map((p) => p.name)).toEqual(['Run ./', 'Post Run ./']);
    expect(r.steps.map((s) => s.name)).toEqual(['Set up job', 'Run ./', 'Post Run ./', 'Complete job']);
    // Main must cope without pre's state.
    expect(probeReport(r, 'Run ./').state).toEqual({});
    expect(probeReport(r, 'Post Run ./').state).toEqual({ STATE_from_main: 'l' });
  });

  test('an action without pre/post has none; post steps are reported only for the main that ran', async () => {
    const r = await job({
      steps: [
        { uses: mainOnly, id: 'm', with: { tag: 'x' } },
        { run: 'exit 1' },
        { uses: probe, with: { tag: 'skipped' } },
      ],
    });
    expect(r.phases.map((p) => `${p.phase}:${p.conclusion}`)).toEqual([
      'pre:success',
      'main:success',
      'run:failure',
      'main:skipped',
    ]);
    expect(r.steps.map((s) => `${s.number} ${s.name}`)).toEqual([
      '1 Set up job',
      `2 Pre Run ${probe}`,
      `3 Run ${mainOnly}`,
      '4 Run exit 1',
      `5 Run ${probe}`,
      // 6 was the skipped step's post: never registered, so the numbers have a gap.
      '7 Complete job',
    ]);
    expect(r.outputs.m).toEqual({ tag: 'x', multi: 'line one\nline two' });
  });

  test('GITHUB_STATE reaches later phases of the same instance only', async () => {
    const r = await job({
      steps: [
        { uses: probe, name: 'A', with: { tag: 'a' } },
        { uses: probe, name: 'B', with: { tag: 'b' } },
      ],
    });
    expect(probeReport(r, 'Pre A').state).toEqual({});
    expect(probeReport(r, 'A').state).toEqual({ STATE_from_pre: 'a' });
    expect(probeReport(r, 'B').state).toEqual({ STATE_from_pre: 'b' });
    expect(probeReport(r, 'Post A').state).toEqual({ STATE_from_pre: 'a', STATE_from_main: 'a' });
    expect(probeReport(r, 'Post B').state).toEqual({ STATE_from_pre: 'b', STATE_from_main: 'b' });
    // Each process got its own, fresh file-command files.
    const files = r.phases.map((p) => p.processEnv?.GITHUB_OUTPUT);
    expect(new Set(files).size).toBe(files.length);
    expect(files.every((f) => f?.includes(`${path.sep}_runner_file_commands${path.sep}set_output_`))).toBe(
      true,
    );
  });

  test('GITHUB_ENV and GITHUB_PATH reach later steps; heredoc outputs; step context in later expressions', async () => {
    const r = await job({
      steps: [
        {
          id: 'w',
          run: [
            'echo "FOO=bar" >> "$GITHUB_ENV"',
            '{ echo "MULTI<<END"; echo "x=1"; echo "y"; echo "END"; } >> "$GITHUB_ENV"',
            'mkdir -p "$RUNNER_TEMP/bin" && printf "#!/bin/sh\\necho tool-ran\\n" > "$RUNNER_TEMP/bin/mytool" && chmod +x "$RUNNER_TEMP/bin/mytool"',
            'echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"',
            '{ echo "notes<<ghadelimiter_1"; echo "a=b"; echo ""; echo "c"; echo "ghadelimiter_1"; } >> "$GITHUB_OUTPUT"',
            'echo "plain=value=with=equals" >> "$GITHUB_OUTPUT"',
          ].join('\n'),
        },
        {
          run: 'test "$FOO" = bar && test "$MULTI" = "$(printf "x=1\\ny")" && mytool && echo "from-step=${{ steps.w.outputs.plain }}"',
        },
        { uses: probe, name: 'P', with: { tag: '${{ env.FOO }}' } },
      ],
    });
    expect(r.status).toBe('success');
    expect(r.env).toEqual({ FOO: 'bar', MULTI: 'x=1\ny' });
    expect(r.outputs.w).toEqual({ notes: 'a=b\n\nc', plain: 'value=with=equals' });
    expect(r.phases.find((p) => p.phase === 'run' && p.id === undefined)?.stdout).toBe(
      'tool-ran\nfrom-step=value=with=equals\n',
    );
    expect(probeReport(r, 'P')).toMatchObject({ tag: 'bar', foo: 'bar' });
  });

  test('a heredoc without its closing delimiter fails the step like the runner', async () => {
    const r = await job({
      steps: [
        { run: 'printf "x<<EOF\\nabc\\n" >> "$GITHUB_OUTPUT"' },
        { run: 'echo never' },
        { run: 'echo cleanup', if: 'always' },
      ],
    });
    expect(r.phases.map((p) => `${p.exitCode}:${p.conclusion}`)).toEqual([
      '0:failure',
      'null:skipped',
      '0:success',
    ]);
    expect(r.status).toBe('failure');
    expect(r.runnerAnnotations.map((a) => a.message)).toEqual([
      "Unable to process file command 'output' successfully.",
      "Invalid value. Matching delimiter not found 'EOF'",
    ]);
  });

  test('input defaults are evaluated per phase: job.status is failure at post after a failed step', async () => {
    const token = 'ghs_testtoken0123456789';
    const r = await job({
      env: { GITHUB_RUN_ID: '777' },
      context: { github: { token }, job: { check_run_id: 4242 } },
      steps: [{ uses: probe, name: 'P', with: { tag: 't' } }, { run: 'exit 3' }],
    });
    expect(r.status).toBe('failure');
    const main = probeReport(r, 'P').inputs;
    expect(main).toMatchObject({
      INPUT_TAG: 't',
      'INPUT_JOB-STATUS': 'success',
      'INPUT_FAIL-MAIN': 'false',
      INPUT_TOKEN: token,
      'INPUT_RUN-ID': '777',
      'INPUT_CHECK-RUN-ID': '4242',
    });
    expect(probeReport(r, 'Post P').inputs['INPUT_JOB-STATUS']).toBe('failure');
    expect(r.runnerAnnotations.map((a) => a.message)).toEqual(['Process completed with exit code 3.']);
    // The job token is masked from the start, as the runner does.
    expect(r.log).not.toContain(token);
    expect(r.log).toContain('token: ***');

    const wr = await job({
      context: { github: { event: { workflow_run: { id: 99 } } } },
      steps: [{ uses: probe, local: true, name: 'P' }],
    });
    expect(probeReport(wr, 'P').inputs['INPUT_RUN-ID']).toBe('99');
    expect(probeReport(wr, 'P').inputs['INPUT_CHECK-RUN-ID']).toBe('');
    expect(JSON.parse(await readFile(wr.phases[0]?.processEnv?.GITHUB_EVENT_PATH ?? '', 'utf8'))).toEqual({
      workflow_run: { id: 99 },
    });

    // A caller's own event file is read as the payload and left as it is.
    const eventFile = path.join(root, 'event.json');
    await writeFile(eventFile, JSON.stringify({ workflow_run: { id: 55 } }));
    const ev = await job({
      env: { GITHUB_EVENT_PATH: eventFile },
      steps: [{ uses: probe, local: true, name: 'P' }],
    });
    expect(probeReport(ev, 'P').inputs['INPUT_RUN-ID']).toBe('55');
    expect(ev.phases[0]?.processEnv?.GITHUB_EVENT_PATH).toBe(eventFile);
  });

  test('a failing main fails the job, later success() steps are skipped, failure()/always() run, posts still run', async () => {
    const r = await job({
      steps: [
        { uses: probe, name: 'P', with: { 'fail-main': 'true' } },
        { run: 'echo skipped' },
        { run: 'echo on-failure', if: 'failure' },
        { run: 'echo on-cancel', if: 'cancelled' },
        { run: 'echo expr', if: "${{ env.NOPE == '' }}" },
      ],
    });
    expect(r.phases.map((p) => `${p.name}=${p.conclusion}`)).toEqual([
      'Pre P=success',
      'P=failure',
      'Run echo skipped=skipped',
      'Run echo on-failure=success',
      'Run echo on-cancel=skipped',
      // No status function: implicitly success() && (...), so skipped.
      'Run echo expr=skipped',
      'Post P=success',
    ]);
    expect(r.status).toBe('failure');
    expect(r.job.conclusion).toBe('failure');
  });

  test('masks: values registered with add-mask are *** in the log and the summary', async () => {
    const r = await job({ steps: [{ uses: probe, name: 'P', id: 'p', with: { secret: 'hunter2-s3cr3t' } }] });
    expect(r.masks).toEqual(['hunter2-s3cr3t']);
    expect(r.log).toContain('the secret is ***');
    expect(r.log).not.toContain('the secret is hunter2');
    // Only output after the add-mask is masked (as on GitHub): pre and main echoed the
    // literal input in their headers, post's header is masked.
    expect(r.log.match(/secret: hunter2-s3cr3t/g)).toHaveLength(2);
    expect(r.log).toContain('  secret: ***');
    expect(r.summary).toBe('# Probe\nsecret: ***\n');
    // The raw process output is kept for assertions.
    expect(r.phases.find((p) => p.name === 'P')?.stdout).toContain('the secret is hunter2-s3cr3t');
  });

  test('annotations: properties and GitHub escaping decoded; unknown commands are plain output; display limits', async () => {
    const script = [
      'echo "::warning title=Slow%2C very%3A,file=src/a.ts,line=3,endLine=4,col=2::took 5%25 longer%0Asecond line"',
      'echo "::error::boom"',
      'echo "  ::notice title=Heads up::note"',
      'echo "::debug::hidden"',
      'echo "::unknown-cmd::stays"',
      'echo "::stop-commands::pause123"',
      'echo "::error::not an annotation"',
      'echo "::pause123::"',
      'echo "::group::My group"',
      'for i in $(seq 1 11); do echo "::warning::w$i"; done',
      'echo "::endgroup::"',
    ].join('\n');
    const r = await job({ steps: [{ run: script, name: 'annotate' }] });
    expect(r.status).toBe('success');
    const [w, e, n] = r.annotations;
    expect(w).toMatchObject({
      level: 'warning',
      title: 'Slow, very:',
      file: 'src/a.ts',
      line: 3,
      endLine: 4,
      col: 2,
      message: 'took 5% longer\nsecond line',
      stepName: 'annotate',
      phase: 'run',
      shown: true,
    });
    expect(e).toMatchObject({ level: 'error', message: 'boom' });
    expect(n).toMatchObject({ level: 'notice', title: 'Heads up', message: 'note' });
    expect(r.annotations).toHaveLength(14);
    // GitHub shows at most 10 warnings per step.
    expect(r.annotations.filter((a) => a.level === 'warning' && a.shown)).toHaveLength(10);
    expect(r.annotations.at(-1)).toMatchObject({ message: 'w11', shown: false });
    expect(r.log).toContain('\n::unknown-cmd::stays\n');
    expect(r.log).toContain('\n::error::not an annotation\n');
    expect(r.log).toContain('##[group]My group');
    expect(r.log).not.toContain('##[debug]');
  });

  test('cancelJob: the step is cancelled, success()/failure() steps skipped, always()/cancelled() run', async () => {
    const r = await job({
      steps: [
        { run: 'echo one' },
        { run: 'echo two', name: 'deploy', cancelJob: true },
        { run: 'echo three' },
        { run: 'echo four', if: 'failure' },
        { run: 'echo five', if: 'always' },
        { run: 'echo six', if: 'cancelled' },
        { uses: probe, name: 'P', if: 'always' },
      ],
    });
    expect(r.status).toBe('cancelled');
    expect(r.phases.map((p) => `${p.name}=${p.conclusion}`)).toEqual([
      'Pre P=success',
      'Run echo one=success',
      'deploy=cancelled',
      'Run echo three=skipped',
      'Run echo four=skipped',
      'Run echo five=success',
      'Run echo six=success',
      'P=success',
      'Post P=success',
    ]);
    expect(probeReport(r, 'Post P').inputs['INPUT_JOB-STATUS']).toBe('cancelled');
    expect(r.job.conclusion).toBe('cancelled');
    expect(r.runnerAnnotations.map((a) => a.message)).toEqual(['The operation was canceled.']);
  });

  test('a step that hit its own timeout-minutes fails, as the runner fails it: "The action has timed out."', async () => {
    const seen: string[][] = [];
    const r = await job({
      steps: [
        { run: 'echo slow', stepTimeout: true },
        { run: 'echo after' },
        { run: 'echo report', if: 'failure' },
      ],
      onAnnotationsChange: (list) => seen.push(list.map((a) => `${a.annotation_level}:${a.message}`)),
    });
    expect(r.phases.map((p) => p.conclusion)).toEqual(['failure', 'skipped', 'success']);
    expect(r.status).toBe('failure');
    expect(r.job.conclusion).toBe('failure');
    expect(r.steps.find((s) => s.name === 'Run echo slow')?.conclusion).toBe('failure');
    expect(r.runnerAnnotations.map((a) => a.message)).toEqual(['The action has timed out.']);
    expect(seen.at(-1)).toEqual(['failure:The action has timed out.']);
  });

  test('the job hits its timeout-minutes: the step and the job are cancelled, with the runner\u2019s check-run annotation', async () => {
    let annotations: CheckAnnotationView[] = [];
    const r = await job({
      timeoutMinutes: 30,
      steps: [
        { run: 'echo hung', name: 'deploy', jobTimeout: true },
        { run: 'echo after' },
        { run: 'echo cleanup', if: 'always' },
        { uses: probe, name: 'P', if: 'always' },
      ],
      onAnnotationsChange: (list) => (annotations = list),
    });
    expect(r.status).toBe('cancelled');
    expect(r.job.conclusion).toBe('cancelled');
    expect(r.phases.map((p) => `${p.name}=${p.conclusion}`)).toEqual([
      'Pre P=success',
      'deploy=cancelled',
      'Run echo after=skipped',
      'Run echo cleanup=success',
      'P=success',
      'Post P=success',
    ]);
    expect(probeReport(r, 'Post P').inputs['INPUT_JOB-STATUS']).toBe('cancelled');
    expect(annotations).toEqual([
      {
        path: '.github',
        start_line: 1,
        end_line: 1,
        start_column: null,
        end_column: null,
        annotation_level: 'failure',
        title: '',
        message:
          'The job running on runner GitHub Actions 2 has exceeded the maximum execution time of 30 minutes.',
        raw_details: '',
      },
      expect.objectContaining({ annotation_level: 'failure', message: 'The operation was canceled.' }),
    ]);
  });

  test('killBeforePost: the runner dies after main, no post hook runs', async () => {
    const views: string[] = [];
    const r = await job({
      killBeforePost: true,
      steps: [{ uses: probe, name: 'P' }],
      onStepsChange: (v, j) => views.push(`${j.status}:${v.map((s) => s.status).join(',')}`),
    });
    expect(r.phases.map((p) => p.phase)).toEqual(['pre', 'main']);
    expect(r.steps.map((s) => `${s.name}=${s.status}`)).toEqual([
      'Set up job=completed',
      'Pre P=completed',
      'P=completed',
      'Post P=queued',
      'Complete job=queued',
    ]);
    expect(r.job.conclusion).toBe('failure');
    expect(views.at(-1)).toBe('completed:completed,completed,completed,queued,queued');
  });

  test('a hung process is killed (exit 124) without hanging the job; posts still run', async () => {
    const t0 = performance.now();
    const r = await job({
      stepTimeoutMs: 1500,
      steps: [
        { uses: probe, name: 'P', with: { hang: 'true' } },
        // A background child keeps the pipes open: the whole process group is killed.
        { run: 'sleep 60 & sleep 60', name: 'hang', if: 'always' },
        { run: 'echo after', if: 'always' },
      ],
    });
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(r.phases.map((p) => `${p.name}=${p.exitCode}`)).toEqual([
      'Pre P=0',
      'P=124',
      'hang=124',
      'Run echo after=0',
      'Post P=0',
    ]);
    expect(r.timedOut).toBe(true);
    expect(r.status).toBe('failure');
    expect(r.phases[1]?.stderr).toMatch(/did not finish within 1500 ms/);
    expect(r.runnerAnnotations.map((a) => a.message)).toEqual([
      expect.stringMatching(/^'P' did not finish within 1500 ms/),
      expect.stringMatching(/^'hang' did not finish within 1500 ms/),
      'Process completed with exit code 124.',
    ]);
  });

  test('the whole-job guard: past timeoutMs the hung process is killed and nothing else starts', async () => {
    const r = await runJob({
      timeoutMs: 1000,
      steps: [
        { run: 'sleep 30', name: 'hang' },
        { run: 'echo late', if: 'always' },
      ],
    });
    results.push(r);
    expect(r.phases.map((p) => `${p.name}=${p.exitCode}:${p.timedOut}`)).toEqual([
      'hang=124:true',
      'Run echo late=null:true',
    ]);
    expect(r.runnerAnnotations.map((a) => a.message)).toEqual([
      expect.stringMatching(/^'hang' did not finish within \d+ ms/),
      'Process completed with exit code 124.',
      "The job exceeded the emulator's 1000 ms guard; 'Run echo late' was not started.",
    ]);
    expect(r.status).toBe('failure');
  });

  test('a missing bundle fails the step with the runner message', async () => {
    const broken = path.join(root, 'broken');
    await mkdir(broken, { recursive: true });
    await writeFile(
      path.join(broken, 'action.yml'),
      'name: broken\nruns:\n  using: node24\n  main: dist/main/index.js\n',
    );
    const r = await job({ steps: [{ uses: broken, name: 'B', with: { typo: 'x' } }] });
    expect(r.status).toBe('failure');
    expect(r.phases[0]).toMatchObject({ exitCode: null, conclusion: 'failure' });
    expect(r.runnerAnnotations.map((a) => a.message)).toEqual([
      "Unexpected input(s) 'typo', valid inputs are []",
      `File not found: '${path.join(broken, 'dist/main/index.js')}'`,
    ]);
    await expect(runJob({ steps: [{ uses: root }] })).rejects.toThrow(/Can't find 'action.yml'/);
  });

  test('concurrent jobs are isolated (own temp roots, own env)', async () => {
    const rs = await Promise.all(
      ['a', 'b', 'c'].map((t) =>
        job({
          name: `job-${t}`,
          steps: [{ run: `echo "T=${t}" >> "$GITHUB_ENV"` }, { run: 'echo "$T:$GITHUB_JOB:$RUNNER_TEMP"' }],
        }),
      ),
    );
    expect(rs.map((r) => r.phases[1]?.stdout.split(':').slice(0, 2).join(':'))).toEqual([
      'a:job-a',
      'b:job-b',
      'c:job-c',
    ]);
    expect(new Set(rs.map((r) => r.workdir)).size).toBe(3);
    expect(
      rs.every((r, i) =>
        r.phases[1]?.stdout.startsWith(`${['a', 'b', 'c'][i]}:job-${['a', 'b', 'c'][i]}:${r.workdir}`),
      ),
    ).toBe(true);
  });

  test('the environment is built fresh: no NODE_OPTIONS, runner defaults present', async () => {
    const r = await job({
      env: { FOO: 'job' },
      steps: [{ run: 'true', env: { FOO: 'step', GITHUB_SHA: 'not-allowed' } }],
    });
    const env = r.phases[0]?.processEnv ?? {};
    expect(env.NODE_OPTIONS).toBeUndefined();
    expect(env).toMatchObject({
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      RUNNER_OS: 'Linux',
      GITHUB_JOB: 'deploy',
      FOO: 'step',
      GITHUB_ACTION: '__run',
    });
    // github/runner context variables win over step env, as in the runner's handlers.
    expect(env.GITHUB_SHA).toMatch(/^[0-9a-f]{40}$/);
    expect(env.RUNNER_TEMP?.startsWith(r.workdir)).toBe(true);
  });

  test('RUNNER_TRACKING_ID: one github_<uuid> per job, in every process (node actions and run steps)', async () => {
    const [r, other] = await Promise.all([
      job({
        steps: [
          { uses: probe, name: 'P' },
          { run: 'echo "tracking=$RUNNER_TRACKING_ID" >> "$GITHUB_OUTPUT"', id: 's' },
        ],
      }),
      job({ steps: [{ run: 'true' }] }),
    ]);
    expect(r.trackingId).toMatch(/^github_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(other.trackingId).not.toBe(r.trackingId);
    expect(r.phases.map((p) => `${p.phase}:${p.processEnv?.RUNNER_TRACKING_ID}`)).toEqual(
      ['pre', 'main', 'run', 'post'].map((ph) => `${ph}:${r.trackingId}`),
    );
    // What the process really saw, not only what the emulator meant to give it.
    expect(r.outputs.s).toEqual({ tracking: r.trackingId });
    expect(r.orphans).toEqual([]);
  });

  onLinux(
    'Complete job kills every process still carrying the tracking id (detached, setsid), reports and logs it',
    async () => {
      const r = await job({
        steps: [
          {
            name: 'leave orphans',
            run: [
              // Its own session and process group, stdio on /dev/null: the group cleanup cannot see it.
              'setsid sleep 300 </dev/null >/dev/null 2>&1 &',
              // A detached node child, as an action would start a background reporter.
              `"${process.execPath}" -e "require('child_process').spawn('sleep', ['301'], { detached: true, stdio: 'ignore' }).unref()"`,
              // Another job's id: not this job's orphan (the match is exact).
              'RUNNER_TRACKING_ID=github_someone-else setsid sleep 302 </dev/null >/dev/null 2>&1 &',
              'echo "other=$!" >> "$GITHUB_OUTPUT"',
            ].join('\n'),
            id: 'o',
          },
          {
            run: 'for c in "sleep 300" "sleep 301"; do pgrep -f "^$c$" >/dev/null || { echo "$c is not running" >&2; exit 1; }; done',
            name: 'still alive between steps',
          },
        ],
      });
      const other = Number(r.outputs.o?.other);
      try {
        expect(r.status).toBe('success');
        expect(r.phases.every((p) => !p.outputHeldByChild)).toBe(true);
        const orphans = [...r.orphans].sort((a, b) => a.command.localeCompare(b.command));
        expect(orphans.map((o) => `${o.name}|${o.command}`)).toEqual(['sleep|sleep 300', 'sleep|sleep 301']);
        for (const o of orphans) {
          expect(await dead(o.pid)).toBe(true);
          expect(r.log).toContain(`Terminate orphan process: pid (${o.pid}) (sleep)`);
        }
        // Logged inside Complete job, after "Cleaning up orphan processes", as the runner does.
        const complete = r.log.slice(r.log.lastIndexOf('##[group]Complete job'));
        expect(complete.split('\n').slice(1, 4)).toEqual([
          'Cleaning up orphan processes',
          expect.stringMatching(/^Terminate orphan process: pid \(\d+\) \(sleep\)$/),
          expect.stringMatching(/^Terminate orphan process: pid \(\d+\) \(sleep\)$/),
        ]);
        expect(await findTrackedProcesses(r.trackingId)).toEqual([]);
        expect(await dead(other)).toBe(false);
      } finally {
        if (other > 0) process.kill(other, 'SIGKILL');
      }
    },
  );

  onLinux('killBeforePost: the orphans are killed and reported all the same', async () => {
    const r = await job({
      killBeforePost: true,
      steps: [
        { uses: probe, name: 'P' },
        {
          // Wait until setsid has become sleep (same pid): a scan in between would see "setsid sleep 303".
          run: [
            'setsid sleep 303 </dev/null >/dev/null 2>&1 &',
            'for i in $(seq 200); do [ "$(tr -d \'\\0\' < /proc/$!/cmdline 2>/dev/null)" = sleep303 ] && break; sleep 0.05; done',
          ].join('\n'),
        },
      ],
    });
    expect(r.orphans.map((o) => o.command)).toEqual(['sleep 303']);
    expect(await dead(r.orphans[0]?.pid ?? 0)).toBe(true);
    expect(r.log).toMatch(/shutdown signal[^]*\nTerminate orphan process: pid \(\d+\) \(sleep\)\n/);
  });

  test('a child holding the step stdout: the step ends outputGraceMs after its process exits; later output is lost', async () => {
    expect(DEFAULT_OUTPUT_GRACE_MS).toBe(5000);
    const r = await job({
      outputGraceMs: 1000,
      steps: [
        {
          name: 'held',
          run: ['(sleep 0.2; echo early-child) &', '(sleep 4; echo late-child) &', 'echo main-done'].join(
            '\n',
          ),
        },
        // Redirected stdio: nothing holds the pipes, the step ends with its process.
        { name: 'redirected', run: 'sleep 30 </dev/null >/dev/null 2>&1 &\necho quick' },
        { name: 'after', run: 'echo after' },
      ],
    });
    const [held, redirected, after] = r.phases;
    expect(r.status).toBe('success');
    expect(held).toMatchObject({
      exitCode: 0,
      conclusion: 'success',
      outputHeldByChild: true,
      timedOut: false,
    });
    expect(held?.heldOutputMs).toBeGreaterThanOrEqual(950);
    expect(held?.heldOutputMs).toBeLessThan(3000);
    expect(held?.durationMs).toBeLessThan(3500);
    expect(held?.stdout).toBe('main-done\nearly-child\n');
    // (the script itself is echoed in the step header: look at output lines only)
    expect(r.log.split('\n')).toContain('early-child');
    expect(r.log.split('\n')).not.toContain('late-child');
    expect(r.log).toMatch(/'held' exited but a process it started still holds its stdout\/stderr/);
    expect(redirected).toMatchObject({ stdout: 'quick\n', outputHeldByChild: false, heldOutputMs: 0 });
    expect(redirected?.durationMs).toBeLessThan(900);
    expect(after?.stdout).toBe('after\n');
    // The children still alive at the end carry the tracking id: killed at Complete job.
    if (process.platform === 'linux') {
      // (the late subshell is a bash carrying it too)
      expect(r.orphans.map((o) => o.command)).toEqual(expect.arrayContaining(['sleep 30', 'sleep 4']));
    }
  });

  test('realTime: the API view has the wall-clock times of each step, durationSeconds ignored', async () => {
    const seen: Array<{
      at: number;
      view: StepView[];
      job: { started_at: string; completed_at: string | null };
    }> = [];
    const t0 = Date.now();
    const r = await job({
      realTime: true,
      startTime: new Date('2020-01-01T00:00:00Z'),
      steps: [
        { name: 'two', run: 'sleep 2', durationSeconds: 600 },
        { name: 'one', run: 'sleep 1' },
        { name: 'never', run: 'true', if: 'failure' },
      ],
      onStepsChange: (view, j) => seen.push({ at: Date.now(), view, job: j }),
    });
    const t1 = Date.now();
    expect(r.status).toBe('success');
    const ms = (t: string | null): number => Date.parse(t ?? '');
    // When the view changed, the timestamp it carried is that moment, at 1 s resolution.
    const near = (t: string | null, at: number): void => {
      expect(at - ms(t)).toBeGreaterThanOrEqual(0);
      expect(at - ms(t)).toBeLessThan(1500);
    };
    for (const name of ['two', 'one']) {
      const start = seen.find((s) => s.view.find((v) => v.name === name)?.status === 'in_progress');
      const end = seen.find((s) => s.view.find((v) => v.name === name)?.status === 'completed');
      near(start?.view.find((v) => v.name === name)?.started_at ?? null, start?.at ?? 0);
      near(end?.view.find((v) => v.name === name)?.completed_at ?? null, end?.at ?? 0);
    }
    const step = (name: string): StepView => r.steps.find((s) => s.name === name) as StepView;
    const took = (name: string): number => ms(step(name).completed_at) - ms(step(name).started_at);
    expect(took('two')).toBeGreaterThanOrEqual(1000);
    expect(took('two')).toBeLessThanOrEqual(4000);
    expect(took('one')).toBeLessThanOrEqual(3000);
    expect(ms(step('one').started_at)).toBeGreaterThanOrEqual(ms(step('two').completed_at));
    expect(step('never')).toMatchObject({ conclusion: 'skipped' });
    near(step('never').started_at, t1);
    expect(ms(r.job.started_at)).toBeGreaterThanOrEqual(t0 - (t0 % 1000));
    expect(ms(r.job.started_at)).toBeLessThanOrEqual(t0 + 1000);
    expect(ms(r.job.started_at)).toBeLessThanOrEqual(ms(r.steps[0]?.started_at ?? null));
    near(r.job.completed_at, t1);
  });

  test('parseKeyValueFile follows the runner parser', () => {
    expect(parseKeyValueFile('a=1\n\nb<<X\n1\n2\nX\nc=\nd<<Y\nY\n')).toEqual([
      ['a', '1'],
      ['b', '1\n2'],
      ['c', ''],
      ['d', ''],
    ]);
    expect(() => parseKeyValueFile('novalue\n')).toThrow(/Invalid format 'novalue'/);
    expect(() => parseKeyValueFile('x<<EOF\nabc')).toThrow(/Matching delimiter not found 'EOF'/);
  });
});
