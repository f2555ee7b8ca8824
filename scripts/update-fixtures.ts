/**
 * Regenerates the fake GitHub API's fixtures (tools/fake-github/fixtures/) from GitHub's OWN example
 * responses, so the fake answers with the shapes GitHub documents rather than shapes we imagined.
 *
 *   npx tsx scripts/update-fixtures.ts [--openapi=<version>] [--webhooks=<version>]
 *
 * Sources (fetched with `npm pack` into a temporary folder, never installed):
 * - `@octokit/openapi`: `generated/api.github.com.json` → `components.examples.<name>.value`.
 *   The package is ~29 MB packed and ~400 MB unpacked, so it must never become a dependency: we
 *   extract that single file from the tarball and throw the rest away.
 * - `@octokit/webhooks-examples`: `api.github.com/index.json`, an array of
 *   `{ name: <event>, examples: [<payload>, …] }`.
 *
 * The job examples lack the required `created_at` and `run_attempt`; this script adds them and the
 * generated README says so (see PATCHES below).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, 'tools', 'fake-github', 'fixtures');

const OPENAPI_PKG = '@octokit/openapi';
const WEBHOOKS_PKG = '@octokit/webhooks-examples';
const OPENAPI_FILE = 'package/generated/api.github.com.json';
const WEBHOOKS_FILE = 'package/api.github.com/index.json';

/** `components.examples` entries we keep; `required: false` ones are skipped quietly when absent. */
const OPENAPI_EXAMPLES: ReadonlyArray<{ name: string; required: boolean; usedBy: string }> = [
  { name: 'job', required: true, usedBy: 'GET /repos/{o}/{r}/actions/jobs/{job_id}' },
  { name: 'job-paginated', required: true, usedBy: 'GET …/actions/runs/{id}/jobs, …/attempts/{n}/jobs' },
  { name: 'workflow-run', required: true, usedBy: 'GET …/actions/runs/{id}, …/attempts/{n}' },
  { name: 'workflow-run-paginated', required: false, usedBy: 'GET …/actions/runs, …/workflows/{id}/runs' },
  { name: 'workflow', required: true, usedBy: 'GET …/actions/workflows/{id}' },
  { name: 'check-run', required: true, usedBy: 'POST/PATCH/GET …/check-runs' },
  { name: 'check-run-paginated', required: false, usedBy: 'GET …/commits/{ref}/check-runs' },
  { name: 'pull-request-simple-items', required: false, usedBy: 'GET …/commits/{sha}/pulls' },
];

type Json = Record<string, unknown>;

interface Patch {
  file: string;
  what: string;
}

function parseArgs(argv: string[]): { openapi: string; webhooks: string } {
  const get = (flag: string): string | undefined =>
    argv.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3);
  return { openapi: get('openapi') ?? 'latest', webhooks: get('webhooks') ?? 'latest' };
}

/** `npm pack <spec>` into `dir`; returns the tarball path and the exact version npm resolved. */
function pack(spec: string, dir: string): { tarball: string; version: string } {
  const out = execFileSync('npm', ['pack', spec, '--json', '--pack-destination', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const info = (JSON.parse(out) as Array<{ filename: string; version: string }>)[0];
  if (!info) throw new Error(`npm pack ${spec} printed no package`);
  return { tarball: join(dir, info.filename), version: info.version };
}

/** Extracts ONE member of a tarball (the openapi package is far too big to unpack whole). */
function extractOne(tarball: string, member: string, dir: string): string {
  execFileSync('tar', ['-xzf', tarball, '-C', dir, member], { stdio: 'inherit' });
  return join(dir, member);
}

function writeJson(name: string, value: unknown): void {
  writeFileSync(join(OUT_DIR, name), `${JSON.stringify(value, null, 2)}\n`);
}

/** Seconds-resolution ISO string with `Z`, the way GitHub renders job-level timestamps. */
function isoZ(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The `job` schema requires `created_at` (and documents `run_attempt`) but GitHub's examples omit
 * both. We add `created_at` a few seconds before `started_at` (a job is queued before a runner picks
 * it up; the webhook example shows 7 s) and `run_attempt: 1`, keeping the key order of real responses.
 */
function patchJob(job: Json, file: string, patches: Patch[]): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(job)) {
    out[key] = value;
    if (key === 'run_url' && !('run_attempt' in job)) {
      out.run_attempt = 1;
      patches.push({
        file,
        what: 'added `run_attempt: 1` (documented by the schema and read by the action; absent from the example)',
      });
    }
    if (key === 'conclusion' && !('created_at' in job)) {
      const started = typeof job.started_at === 'string' ? Date.parse(job.started_at) : NaN;
      const created = Number.isNaN(started) ? '2020-01-20T17:42:34Z' : isoZ(started - 6000);
      out.created_at = created;
      patches.push({ file, what: `added \`created_at: "${created}"\` (required by the schema; absent)` });
    }
  }
  return out;
}

function pickWebhook(index: unknown[], event: string, pred: (payload: Json) => boolean): Json {
  const entry = index.find((e): e is { name: string; examples: Json[] } => (e as Json).name === event);
  const found = entry?.examples.find(pred);
  if (!found) throw new Error(`${WEBHOOKS_PKG}: no matching ${event} example`);
  return found;
}

function main(): void {
  const versions = parseArgs(process.argv.slice(2));
  const tmp = mkdtempSync(join(tmpdir(), 'fake-github-fixtures-'));
  const patches: Patch[] = [];
  const written: Array<{ file: string; source: string }> = [];
  try {
    const openapi = pack(`${OPENAPI_PKG}@${versions.openapi}`, tmp);
    const webhooks = pack(`${WEBHOOKS_PKG}@${versions.webhooks}`, tmp);
    const spec = JSON.parse(readFileSync(extractOne(openapi.tarball, OPENAPI_FILE, tmp), 'utf8')) as {
      components: { examples: Record<string, { value: unknown }> };
    };
    const hooks = JSON.parse(
      readFileSync(extractOne(webhooks.tarball, WEBHOOKS_FILE, tmp), 'utf8'),
    ) as unknown[];

    mkdirSync(OUT_DIR, { recursive: true });

    for (const { name, required, usedBy } of OPENAPI_EXAMPLES) {
      const example = spec.components.examples[name];
      if (!example) {
        if (required) throw new Error(`${OPENAPI_PKG}: components.examples.${name} is missing`);
        console.warn(`skipped ${name}: not in ${OPENAPI_PKG}@${openapi.version}`);
        continue;
      }
      let value = example.value;
      const file = `${name}.json`;
      if (name === 'job') value = patchJob(value as Json, file, patches);
      if (name === 'job-paginated') {
        const page = value as { total_count: number; jobs: Json[] };
        value = { ...page, jobs: page.jobs.map((j) => patchJob(j, file, patches)) };
      }
      writeJson(file, value);
      written.push({ file, source: `\`${OPENAPI_PKG}\` components.examples.${name} — ${usedBy}` });
    }

    // The in-progress workflow_job example whose steps are a mix of completed, in_progress and queued
    // (post steps included) is exactly what the action sees from inside its own job.
    const jobInProgress = pickWebhook(hooks, 'workflow_job', (p) => {
      const wj = p.workflow_job as { status: string; steps: Array<{ status: string }> };
      const statuses = new Set(wj.steps.map((s) => s.status));
      return (
        p.action === 'in_progress' && ['completed', 'in_progress', 'queued'].every((s) => statuses.has(s))
      );
    });
    const jobCompleted = pickWebhook(
      hooks,
      'workflow_job',
      (p) => p.action === 'completed' && (p.workflow_job as { steps: unknown[] }).steps.length > 0,
    );
    // Prefer a completed run that carries pull_requests, for mapping runs to PRs.
    const runCompleted =
      (() => {
        try {
          return pickWebhook(hooks, 'workflow_run', (p) => {
            const wr = p.workflow_run as { status: string; pull_requests: unknown[] };
            return p.action === 'completed' && wr.status === 'completed' && wr.pull_requests.length > 0;
          });
        } catch {
          return undefined;
        }
      })() ??
      pickWebhook(
        hooks,
        'workflow_run',
        (p) => p.action === 'completed' && (p.workflow_run as { status: string }).status === 'completed',
      );
    for (const [file, payload, what] of [
      [
        'webhook-workflow_job-in_progress.json',
        jobInProgress,
        'workflow_job.in_progress (mixed step statuses)',
      ],
      ['webhook-workflow_job-completed.json', jobCompleted, 'workflow_job.completed'],
      ['webhook-workflow_run-completed.json', runCompleted, 'workflow_run.completed (with pull_requests)'],
    ] as const) {
      writeJson(file, payload);
      written.push({ file, source: `\`${WEBHOOKS_PKG}\` ${what}` });
    }

    writeFileSync(join(OUT_DIR, 'README.md'), readme(openapi.version, webhooks.version, written, patches));
    console.log(`wrote ${written.length} fixtures to ${OUT_DIR}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function readme(
  openapiVersion: string,
  webhooksVersion: string,
  written: Array<{ file: string; source: string }>,
  patches: Patch[],
): string {
  return `# Fake GitHub fixtures

GENERATED by \`npx tsx scripts/update-fixtures.ts\` — do not edit by hand; rerun the script instead
(\`--openapi=<version>\` / \`--webhooks=<version>\` pin the package versions).

These are GitHub's own example responses, used by \`tools/fake-github/server.ts\` as the base of every
response it builds (ids, URLs, timestamps and steps are then patched per request).

## Sources

| package | version |
| --- | --- |
| \`${OPENAPI_PKG}\` | ${openapiVersion} |
| \`${WEBHOOKS_PKG}\` | ${webhooksVersion} |

| file | taken from |
| --- | --- |
${written.map((w) => `| \`${w.file}\` | ${w.source} |`).join('\n')}

## Known gaps, patched here

GitHub's examples do not always match GitHub's schema. These were changed on purpose:

${patches.map((p) => `- \`${p.file}\`: ${p.what}`).join('\n') || '- none'}

## Quirks kept as they are (the server relies on or emulates them)

- Job timestamps use \`Z\`, step timestamps use \`-08:00\` with milliseconds (same instants).
- Step numbers have a gap before the post steps (\`8\` → \`16\`).
- \`workflow-run.json\`: \`path\` carries an \`@main\` suffix and \`previous_attempt_url\` is set although
  \`run_attempt\` is 1 (the server renders \`null\` for a first attempt).
- \`workflow-run.json\`: \`repository\` is octocat/Hello-World while \`url\` and \`head_repository\` are
  octo-org/octo-repo; the server rewrites every fixture repository to the one it serves.
- \`webhook-workflow_job-*.json\`: \`html_url\` points at an id different from \`id\`; webhook step
  timestamps use \`Z\`, unlike the REST example.
`;
}

main();
