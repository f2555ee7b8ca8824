/**
 * The fake GitHub API, exercised over real HTTP with `fetch`: it must keep GitHub's response shapes
 * (from GitHub's own examples) and reproduce the quirks listed in docs/platform.md ("The REST API").
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  etagOf,
  rateLimit403,
  rateLimit429,
  serverError,
  startFakeGitHub,
  type FakeGitHub,
  type FakeStepInput,
} from '../../tools/fake-github/server.js';

type Json = Record<string, unknown>;

const fixture = <T = Json>(name: string): T =>
  JSON.parse(
    readFileSync(new URL(`../../tools/fake-github/fixtures/${name}.json`, import.meta.url), 'utf8'),
  ) as T;

const REPO = '/repos/octo-org/octo-repo';

/** Polls `condition` every few ms until it holds or `timeoutMs` passes (bounded, no fixed sleep). */
async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Parses a GitHub `link` header into rel → URL. */
function parseLink(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(', ')) {
    const m = /^<([^>]+)>; rel="([a-z]+)"$/.exec(part);
    if (m?.[1] && m[2]) out[m[2]] = m[1];
  }
  return out;
}

const step = (
  name: string,
  status: FakeStepInput['status'],
  conclusion: string | null,
  started_at: string | null,
  completed_at: string | null,
): FakeStepInput => ({ name, status, conclusion, started_at, completed_at });

describe('fake GitHub API', () => {
  let gh: FakeGitHub;
  const get = async (path: string, init?: RequestInit): Promise<Response> => fetch(`${gh.url}${path}`, init);
  const getJson = async <T = Json>(path: string): Promise<T> => {
    const res = await get(path);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  beforeEach(async () => {
    gh = await startFakeGitHub();
  });
  afterEach(async () => {
    await gh.close();
  });

  describe('fixtures and shapes', () => {
    it('patches the known gaps of GitHub job examples (created_at, run_attempt)', () => {
      const job = fixture('job');
      expect(job).toHaveProperty('created_at');
      expect(job).toHaveProperty('run_attempt', 1);
      const page = fixture<{ jobs: Json[] }>('job-paginated');
      expect(page.jobs[0]).toHaveProperty('created_at');
      const webhook = fixture<{ workflow_job: { steps: Array<{ status: string }> } }>(
        'webhook-workflow_job-in_progress',
      );
      expect(new Set(webhook.workflow_job.steps.map((s) => s.status))).toEqual(
        new Set(['completed', 'in_progress', 'queued']),
      );
      expect(fixture<{ workflow_run: Json }>('webhook-workflow_run-completed').workflow_run).toHaveProperty(
        'status',
        'completed',
      );
    });

    it('serves a job with every field of the example, in the same order, URLs pointing at itself', async () => {
      const runId = gh.addRun({ head_sha: 'a'.repeat(40), name: 'Deploy' });
      const jobId = gh.addJob({ run_id: runId });
      const res = await get(`${REPO}/actions/jobs/${jobId}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('x-github-api-version-selected')).toBe('2022-11-28');
      expect(res.headers.get('x-ratelimit-limit')).toBe('1000');
      expect(Number(res.headers.get('x-ratelimit-remaining'))).toBe(999);
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
      expect(res.headers.get('x-ratelimit-used')).toBe('1');
      expect(res.headers.get('x-ratelimit-resource')).toBe('core');
      const job = (await res.json()) as Json & { steps: Json[] };
      const example = fixture<Json & { steps: Json[] }>('job');
      expect(Object.keys(job)).toEqual(Object.keys(example));
      expect(Object.keys(job.steps[0] ?? {})).toEqual(Object.keys(example.steps[0] ?? {}));
      expect(job.steps.map((s) => s.number)).toEqual(example.steps.map((s) => s.number));
      expect(job).toMatchObject({
        id: jobId,
        run_id: runId,
        run_attempt: 1,
        head_sha: 'a'.repeat(40),
        workflow_name: 'Deploy',
        url: `${gh.url}${REPO}/actions/jobs/${jobId}`,
        run_url: `${gh.url}${REPO}/actions/runs/${runId}`,
        check_run_url: `${gh.url}${REPO}/check-runs/${jobId}`,
        html_url: `https://github.com/octo-org/octo-repo/actions/runs/${runId}/job/${jobId}`,
      });
    });

    it('head_commit: the run’s head sha, and the timestamp given (else the example’s)', async () => {
      const given = gh.addRun({
        head_sha: 'b'.repeat(40),
        head_commit_timestamp: '2026-11-27T09:15:00.250Z',
      });
      const fallback = gh.addRun({ head_sha: 'c'.repeat(40) });
      const commitOf = async (id: number): Promise<Json> =>
        ((await (await get(`${REPO}/actions/runs/${id}`)).json()) as { head_commit: Json }).head_commit;
      expect(await commitOf(given)).toMatchObject({ id: 'b'.repeat(40), timestamp: '2026-11-27T09:15:00Z' });
      const example = fixture<{ head_commit: Json }>('workflow-run').head_commit;
      expect(await commitOf(fallback)).toMatchObject({ id: 'c'.repeat(40), timestamp: example.timestamp });
    });

    it('serves runs, attempts and lists in the examples’ shapes', async () => {
      const runId = gh.addRun({ run_attempt: 1, created_at: '2024-03-01T10:00:00Z' });
      const run = await getJson(`${REPO}/actions/runs/${runId}`);
      expect(Object.keys(run)).toEqual(Object.keys(fixture('workflow-run')));
      expect(run).toMatchObject({
        id: runId,
        previous_attempt_url: null,
        url: `${gh.url}${REPO}/actions/runs/${runId}`,
      });
      expect((run.repository as Json).full_name).toBe('octo-org/octo-repo');
      expect(JSON.stringify(run)).not.toContain('api.github.com');

      // Re-run: run_id stays, run_started_at resets; attempt 1 stays readable.
      gh.updateRun(runId, { run_attempt: 2, run_started_at: '2024-03-01T11:00:00Z', status: 'in_progress' });
      const second = await getJson(`${REPO}/actions/runs/${runId}/attempts/2`);
      const first = await getJson(`${REPO}/actions/runs/${runId}/attempts/1`);
      expect(second).toMatchObject({ run_attempt: 2, run_started_at: '2024-03-01T11:00:00Z' });
      expect(second.previous_attempt_url).toBe(`${gh.url}${REPO}/actions/runs/${runId}/attempts/1`);
      expect(first).toMatchObject({ run_attempt: 1, run_started_at: '2024-03-01T10:00:00Z' });
      expect((await get(`${REPO}/actions/runs/${runId}/attempts/3`)).status).toBe(404);

      const list = await getJson(`${REPO}/actions/runs`);
      expect(Object.keys(list)).toEqual(Object.keys(fixture('workflow-run-paginated')));
      expect(list.total_count).toBe(1);
    });

    it('separates attempts in job lists (filter=latest|all, /attempts/{n}/jobs)', async () => {
      const runId = gh.addRun({});
      gh.addJob({ run_id: runId, run_attempt: 1, name: 'deploy' });
      gh.updateRun(runId, { run_attempt: 2 });
      const retry = gh.addJob({ run_id: runId, run_attempt: 2, name: 'deploy' });
      const latest = await getJson<{ total_count: number; jobs: Json[] }>(
        `${REPO}/actions/runs/${runId}/jobs`,
      );
      expect(latest.jobs.map((j) => j.id)).toEqual([retry]);
      const all = await getJson<{ total_count: number }>(`${REPO}/actions/runs/${runId}/jobs?filter=all`);
      expect(all.total_count).toBe(2);
      const attempt1 = await getJson<{ jobs: Json[] }>(`${REPO}/actions/runs/${runId}/attempts/1/jobs`);
      expect(attempt1.jobs.map((j) => j.run_attempt)).toEqual([1]);
      expect(Object.keys(attempt1)).toEqual(Object.keys(fixture('job-paginated')));
    });

    it('filters workflow runs by workflow, status and created, newest first', async () => {
      gh.addRun({
        id: 1,
        workflow_id: 7,
        path: '.github/workflows/deploy.yml',
        created_at: '2024-01-01T00:00:00Z',
        status: 'completed',
        conclusion: 'success',
      });
      gh.addRun({
        id: 2,
        workflow_id: 7,
        path: '.github/workflows/deploy.yml',
        created_at: '2024-02-01T00:00:00Z',
        status: 'completed',
        conclusion: 'failure',
      });
      gh.addRun({
        id: 3,
        workflow_id: 8,
        path: '.github/workflows/ci.yml',
        created_at: '2024-02-02T00:00:00Z',
        status: 'in_progress',
      });
      const ids = async (path: string): Promise<number[]> =>
        (await getJson<{ workflow_runs: Json[] }>(path)).workflow_runs.map((r) => Number(r.id));
      expect(await ids(`${REPO}/actions/runs`)).toEqual([3, 2, 1]);
      expect(await ids(`${REPO}/actions/workflows/deploy.yml/runs`)).toEqual([2, 1]);
      expect(await ids(`${REPO}/actions/workflows/7/runs?status=failure`)).toEqual([2]);
      expect(
        await ids(`${REPO}/actions/workflows/7/runs?created=${encodeURIComponent('>=2024-01-15')}`),
      ).toEqual([2]);
      expect(await ids(`${REPO}/actions/runs?created=2024-01-01..2024-02-01`)).toEqual([2, 1]);
      expect(await ids(`${REPO}/actions/runs?status=completed`)).toEqual([2, 1]);
      expect((await get(`${REPO}/actions/workflows/nope.yml/runs`)).status).toBe(404);
      expect(await getJson(`${REPO}/actions/workflows/deploy.yml`)).toMatchObject({
        id: 7,
        path: '.github/workflows/deploy.yml',
      });
    });

    it('answers unknown routes and other repositories with GitHub’s 404 body', async () => {
      for (const path of ['/nope', `${REPO}/actions/jobs/1`, '/repos/someone/else/actions/jobs/1']) {
        const res = await get(path);
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({
          message: 'Not Found',
          documentation_url: 'https://docs.github.com/rest',
          status: '404',
        });
      }
    });

    it('lists pull requests for a commit (empty until one exists)', async () => {
      expect(await getJson<unknown[]>(`${REPO}/commits/${'b'.repeat(40)}/pulls`)).toEqual([]);
      gh.addPullRequest({ number: 42, head_sha: 'b'.repeat(40), head_ref: 'feat' });
      const pulls = await getJson<Json[]>(`${REPO}/commits/${'b'.repeat(40)}/pulls`);
      expect(pulls).toHaveLength(1);
      expect(Object.keys(pulls[0] ?? {})).toEqual(
        Object.keys(fixture<Json[]>('pull-request-simple-items')[0] ?? {}),
      );
      expect(pulls[0]).toMatchObject({
        number: 42,
        url: `${gh.url}${REPO}/pulls/42`,
        head: { sha: 'b'.repeat(40), ref: 'feat' },
      });
    });

    it('records every request in order, with query, headers and body', async () => {
      await get(`${REPO}/actions/runs?per_page=5`, { headers: { 'x-custom': 'yes' } });
      await get(`${REPO}/check-runs`, {
        method: 'POST',
        body: JSON.stringify({ name: 'n', head_sha: 'c'.repeat(40) }),
        headers: { 'content-type': 'application/json' },
      });
      expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET ${REPO}/actions/runs?per_page=5`,
        `POST ${REPO}/check-runs`,
      ]);
      expect(gh.requests[0]?.headers['x-custom']).toBe('yes');
      expect(gh.requests[1]?.body).toEqual({ name: 'n', head_sha: 'c'.repeat(40) });
      expect(gh.requests[1]?.at).toBeGreaterThanOrEqual(gh.requests[0]?.at ?? Infinity);
    });
  });

  describe('pagination', () => {
    let runId: number;
    beforeEach(() => {
      runId = gh.addRun({});
      for (let i = 0; i < 250; i++) {
        const started = new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString();
        gh.addJob({
          run_id: runId,
          name: `job ${i}`,
          status: 'completed',
          conclusion: 'success',
          started_at: started,
          completed_at: started,
          steps: [],
        });
      }
    });

    it('pages 250 jobs by 100 with GitHub’s link header (page 3 exists, last is correct)', async () => {
      const path = `${REPO}/actions/runs/${runId}/attempts/1/jobs?per_page=100`;
      const first = await get(path);
      const firstBody = (await first.json()) as { total_count: number; jobs: Json[] };
      expect(firstBody.total_count).toBe(250);
      expect(firstBody.jobs).toHaveLength(100);
      const link = first.headers.get('link');
      expect(link).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/[^>]+>; rel="next", <[^>]+>; rel="last"$/);
      const rels = parseLink(link);
      expect(Object.keys(rels)).toEqual(['next', 'last']);
      expect(rels.next?.startsWith(gh.url)).toBe(true);
      expect(new URL(rels.next ?? '').searchParams.get('page')).toBe('2');
      expect(new URL(rels.last ?? '').searchParams.get('page')).toBe('3');
      expect(new URL(rels.last ?? '').searchParams.get('per_page')).toBe('100');

      // Follow `next` like octokit's paginate does (the URLs use /repositories/{id}/…, as GitHub's do).
      const ids = new Set(firstBody.jobs.map((j) => j.id));
      let next = rels.next;
      let pages = 1;
      let lastRels: Record<string, string> = {};
      let lastCount = 0;
      while (next) {
        const res = await fetch(next);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { total_count: number; jobs: Json[] };
        expect(body.total_count).toBe(250);
        for (const j of body.jobs) ids.add(j.id);
        lastRels = parseLink(res.headers.get('link'));
        lastCount = body.jobs.length;
        next = lastRels.next;
        pages += 1;
      }
      expect(pages).toBe(3);
      expect(lastCount).toBe(50);
      expect(Object.keys(lastRels)).toEqual(['prev', 'first']);
      expect(new URL(lastRels.prev ?? '').searchParams.get('page')).toBe('2');
      expect(ids.size).toBe(250);

      const page3 = await getJson<{ jobs: Json[] }>(`${path}&page=3`);
      expect(page3.jobs).toHaveLength(50);
      const middle = parseLink((await get(`${path}&page=2`)).headers.get('link'));
      expect(Object.keys(middle)).toEqual(['prev', 'next', 'last', 'first']);
      expect((await getJson<{ jobs: Json[] }>(`${path}&page=4`)).jobs).toEqual([]);
    });

    it('defaults per_page to 30 and caps it at 100', async () => {
      const base = `${REPO}/actions/runs/${runId}/jobs`;
      expect((await getJson<{ jobs: Json[] }>(base)).jobs).toHaveLength(30);
      expect((await getJson<{ jobs: Json[] }>(`${base}?per_page=500`)).jobs).toHaveLength(100);
      const last = parseLink((await get(base)).headers.get('link')).last;
      expect(new URL(last ?? '').searchParams.get('page')).toBe('9');
    });

    it('does not list jobs in start order', async () => {
      const body = await getJson<{ jobs: Json[] }>(`${REPO}/actions/runs/${runId}/jobs?per_page=100`);
      const starts = body.jobs.map((j) => Date.parse(String(j.started_at)));
      expect(starts).not.toEqual([...starts].sort((a, b) => a - b));
      // Even two jobs come back out of start order.
      const small = gh.addRun({});
      gh.addJob({ run_id: small, started_at: '2024-01-01T00:00:00Z', status: 'in_progress' });
      gh.addJob({ run_id: small, started_at: '2024-01-01T00:00:05Z', status: 'in_progress' });
      const two = await getJson<{ jobs: Json[] }>(`${REPO}/actions/runs/${small}/jobs`);
      expect(two.jobs.map((j) => j.started_at)).toEqual(['2024-01-01T00:00:05Z', '2024-01-01T00:00:00Z']);
    });
  });

  describe('steps', () => {
    it('renders job times with Z and step times with -08:00, for the same instants', async () => {
      const jobId = gh.addJob({
        run_id: 1,
        status: 'in_progress',
        started_at: '2024-06-01T12:00:00.456Z',
        steps: [
          step('Set up job', 'completed', 'success', '2024-06-01T12:00:00Z', '2024-06-01T14:00:03+02:00'),
        ],
      });
      const job = await getJson<Json & { steps: Json[] }>(`${REPO}/actions/jobs/${jobId}`);
      expect(job.started_at).toBe('2024-06-01T12:00:00Z'); // 1 s resolution
      const s = job.steps[0] ?? {};
      expect(s.started_at).toBe('2024-06-01T04:00:00.000-08:00');
      expect(s.completed_at).toBe('2024-06-01T04:00:03.000-08:00');
      expect(Date.parse(String(s.started_at))).toBe(Date.parse(String(job.started_at)));
      expect(Date.parse(String(s.completed_at))).toBe(Date.parse('2024-06-01T12:00:03Z'));
    });

    it('gaps step numbers before post steps and dates skipped steps backwards', async () => {
      const t = (sec: number): string => new Date(Date.UTC(2024, 5, 1, 12, 0, sec)).toISOString();
      const jobId = gh.addJob({
        run_id: 1,
        status: 'in_progress',
        steps: [
          step('Set up job', 'completed', 'success', t(0), t(1)),
          step('Run lint', 'completed', 'skipped', t(1), t(1)),
          step('Run deploy', 'in_progress', null, t(1), null),
          step('Post Run deploy', 'queued', null, null, null),
          step('Complete job', 'queued', null, null, null),
        ],
      });
      const { steps } = await getJson<{ steps: Json[] }>(`${REPO}/actions/jobs/${jobId}`);
      expect(steps.map((s) => s.number)).toEqual([1, 2, 3, 5, 6]);
      const skipped = steps[1] ?? {};
      expect(Date.parse(String(skipped.started_at)) - Date.parse(String(skipped.completed_at))).toBe(1000);
      expect(steps[2]).toMatchObject({ status: 'in_progress', completed_at: null });
      expect(steps[3]).toMatchObject({ status: 'queued', started_at: null });
    });

    it('lags: a just-completed step reads in_progress for the next lagPolls GETs', async () => {
      gh.lagPolls = 2;
      const t = (sec: number): string => new Date(Date.UTC(2024, 5, 1, 12, 0, sec)).toISOString();
      const jobId = gh.addJob({
        run_id: 9,
        status: 'in_progress',
        steps: [
          step('Set up job', 'completed', 'success', t(0), t(1)),
          step('Run deploy', 'in_progress', null, t(1), null),
        ],
      });
      gh.setJobSteps(jobId, [
        step('Set up job', 'completed', 'success', t(0), t(1)),
        step('Run deploy', 'completed', 'success', t(1), t(5)),
        step('Post Run deploy', 'in_progress', null, t(5), null),
      ]);
      const poll = async (path: string): Promise<Json[]> => {
        const body = await getJson<{ steps?: Json[]; jobs?: Array<{ steps: Json[] }> }>(path);
        return body.steps ?? body.jobs?.[0]?.steps ?? [];
      };
      const lagged1 = await poll(`${REPO}/actions/jobs/${jobId}`);
      expect(lagged1[0]).toMatchObject({ status: 'completed' }); // already settled before: no lag
      expect(lagged1[1]).toMatchObject({ status: 'in_progress', conclusion: null, completed_at: null });
      expect(lagged1[2]).toMatchObject({ status: 'queued', started_at: null });
      // A list response that contains the job counts as a poll too.
      const lagged2 = await poll(`${REPO}/actions/runs/9/attempts/1/jobs`);
      expect(lagged2[1]).toMatchObject({ status: 'in_progress', completed_at: null });
      const settled = await poll(`${REPO}/actions/jobs/${jobId}`);
      expect(settled[1]).toMatchObject({ status: 'completed', conclusion: 'success' });
      expect(Date.parse(String(settled[1]?.completed_at))).toBe(Date.parse(t(5)));
      expect(settled[2]).toMatchObject({ status: 'in_progress', number: 4 });

      // The job itself does not read completed while its last step lags.
      gh.setJobSteps(
        jobId,
        [
          step('Set up job', 'completed', 'success', t(0), t(1)),
          step('Run deploy', 'completed', 'success', t(1), t(5)),
          step('Post Run deploy', 'completed', 'success', t(5), t(6)),
        ],
        { status: 'completed', conclusion: 'success', completed_at: t(6) },
      );
      expect(await getJson(`${REPO}/actions/jobs/${jobId}`)).toMatchObject({
        status: 'in_progress',
        completed_at: null,
      });
      expect(await getJson(`${REPO}/actions/jobs/${jobId}`)).toMatchObject({ status: 'in_progress' });
      expect(await getJson(`${REPO}/actions/jobs/${jobId}`)).toMatchObject({
        status: 'completed',
        conclusion: 'success',
        completed_at: '2024-06-01T12:00:06Z',
      });
    });
  });

  describe('conditional requests (ETag)', () => {
    const t = (sec: number): string => new Date(Date.UTC(2024, 5, 1, 12, 0, sec)).toISOString();
    const running = [
      step('Set up job', 'completed', 'success', t(0), t(1)),
      step('Run deploy', 'in_progress', null, t(1), null),
      step('Complete job', 'queued', null, null, null),
    ];
    const deployed = [
      step('Set up job', 'completed', 'success', t(0), t(1)),
      step('Run deploy', 'completed', 'success', t(1), t(4)),
      step('Complete job', 'in_progress', null, t(4), null),
    ];
    const conditional = (path: string, etag: string): Promise<Response> =>
      get(path, { headers: { 'if-none-match': etag } });

    it('a job read carries a weak ETag of its body and GitHub’s cache headers', async () => {
      const jobId = gh.addJob({ run_id: 1, status: 'in_progress', steps: running });
      const res = await get(`${REPO}/actions/jobs/${jobId}`);
      expect(res.status).toBe(200);
      const etag = res.headers.get('etag') ?? '';
      expect(etag).toMatch(/^W\/"[0-9a-f]{64}"$/);
      expect(res.headers.get('cache-control')).toBe('private, max-age=60, s-maxage=60');
      expect(res.headers.get('vary')).toBe('Accept, Authorization, Cookie, X-GitHub-OTP');
      expect(etag).toBe(etagOf(await res.text()));
      // Unchanged job, same ETag; other GETs have theirs too.
      expect((await get(`${REPO}/actions/jobs/${jobId}`)).headers.get('etag')).toBe(etag);
      const run = await get(`${REPO}/actions/runs/${gh.addRun({})}`);
      expect(run.headers.get('etag')).toMatch(/^W\/"[0-9a-f]{64}"$/);
      expect(run.headers.get('etag')).not.toBe(etag);
      // Errors do not.
      expect((await get(`${REPO}/actions/jobs/1`)).headers.get('etag')).toBeNull();
    });

    it('If-None-Match with the current ETag: 304, no body, not counted against the rate limit', async () => {
      const jobId = gh.addJob({ run_id: 1, status: 'in_progress', steps: running });
      const path = `${REPO}/actions/jobs/${jobId}`;
      const first = await get(path);
      const etag = first.headers.get('etag') ?? '';
      expect(first.headers.get('x-ratelimit-remaining')).toBe('999');
      for (const tag of [etag, etag.replace(/^W\//, ''), `W/"nope", ${etag}`]) {
        const res = await conditional(path, tag);
        expect(res.status).toBe(304);
        expect(await res.text()).toBe('');
        expect(res.headers.get('etag')).toBe(etag);
        expect(res.headers.get('x-ratelimit-remaining')).toBe('999');
        expect(res.headers.get('x-ratelimit-used')).toBe('1');
      }
      expect(gh.rateLimitUsed).toBe(1);
      // A stale ETag gets the body, counted.
      const stale = await conditional(path, 'W/"0000"');
      expect(stale.status).toBe(200);
      expect(stale.headers.get('x-ratelimit-remaining')).toBe('998');
      expect(gh.requests.map((r) => `${r.status}${r.notModified ? ' 304' : ''}`)).toEqual([
        '200',
        '304 304',
        '304 304',
        '304 304',
        '200',
      ]);
      expect(gh.requestCounts('/actions/jobs/')).toEqual({
        [`GET ${path}`]: { requests: 5, notModified: 3, rateLimited: 2 },
      });
    });

    it('after setJobSteps changes a step: 200 with a new ETag', async () => {
      const jobId = gh.addJob({ run_id: 1, status: 'in_progress', steps: running });
      const path = `${REPO}/actions/jobs/${jobId}`;
      const etag = (await get(path)).headers.get('etag') ?? '';
      gh.setJobSteps(jobId, deployed);
      const changed = await conditional(path, etag);
      expect(changed.status).toBe(200);
      const next = changed.headers.get('etag') ?? '';
      expect(next).not.toBe(etag);
      const body = (await changed.json()) as { steps: Json[] };
      expect(body.steps[1]).toMatchObject({ status: 'completed', conclusion: 'success' });
      expect((await conditional(path, next)).status).toBe(304);
      expect(gh.requests.at(-1)).toMatchObject({ method: 'GET', status: 304, notModified: true });
    });

    it('a lagging step: the 304 is decided on the stale body that poll gets, and the poll still counts', async () => {
      gh.lagPolls = 1;
      const jobId = gh.addJob({ run_id: 1, status: 'in_progress', steps: running });
      const path = `${REPO}/actions/jobs/${jobId}`;
      const etag = (await get(path)).headers.get('etag') ?? '';
      // The deploy step finished, but the API still shows it running for one more poll.
      gh.setJobSteps(jobId, [
        step('Set up job', 'completed', 'success', t(0), t(1)),
        step('Run deploy', 'completed', 'success', t(1), t(4)),
        step('Complete job', 'queued', null, null, null),
      ]);
      expect((await conditional(path, etag)).status).toBe(304);
      const settled = await conditional(path, etag);
      expect(settled.status).toBe(200);
      expect(((await settled.json()) as { steps: Json[] }).steps[1]).toMatchObject({ status: 'completed' });
    });
  });

  describe('faults', () => {
    let jobPath: string;
    beforeEach(() => {
      jobPath = `${REPO}/actions/jobs/${gh.addJob({ run_id: 1 })}`;
    });

    it('403 rate limit with x-ratelimit-remaining 0 and reset, once, then normal', async () => {
      const reset = Math.floor(Date.now() / 1000) + 60;
      gh.inject(rateLimit403(reset));
      const limited = await get(jobPath);
      expect(limited.status).toBe(403);
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(limited.headers.get('x-ratelimit-reset')).toBe(String(reset));
      expect(await limited.json()).toMatchObject({
        message: expect.stringMatching(/^API rate limit exceeded for /),
        documentation_url: expect.stringContaining('docs.github.com'),
      });
      expect((await get(jobPath)).status).toBe(200);
      expect(gh.requests.map((r) => r.fault)).toEqual(['status', undefined]);
    });

    it('429 with retry-after; 5xx; matches route and method; times', async () => {
      gh.inject(rateLimit429(7, { route: '/check-runs' }));
      gh.inject(serverError(502, { route: /\/actions\/jobs\/\d+$/, method: 'get', times: 2 }));
      const checks = await get(`${REPO}/check-runs`, {
        method: 'POST',
        body: JSON.stringify({ name: 'x', head_sha: 'y' }),
      });
      expect(checks.status).toBe(429);
      expect(checks.headers.get('retry-after')).toBe('7');
      expect(await checks.json()).toMatchObject({ message: expect.stringContaining('secondary rate limit') });
      expect((await get(jobPath)).status).toBe(502);
      expect((await get(jobPath)).status).toBe(502);
      expect((await get(jobPath)).status).toBe(200);
    });

    it('custom status faults and clearFaults', async () => {
      gh.inject({ kind: 'status', status: 500, body: { message: 'boom' }, times: Infinity });
      const res = await get(jobPath);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ message: 'boom' });
      gh.clearFaults();
      expect((await get(jobPath)).status).toBe(200);
    });

    it('hang: the client times out with an AbortSignal, and close() is still prompt', async () => {
      gh.inject({ kind: 'hang', times: 2 });
      const err = await get(jobPath, { signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
      expect((err as Error).name).toBe('TimeoutError');
      // A second hanging request that nobody aborts: close() must end it.
      const pending = get(jobPath).then(
        () => 'answered',
        () => 'failed',
      );
      await waitFor(() => gh.requests.length === 2);
      const started = Date.now();
      await gh.close();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await pending).toBe('failed');
    });

    it('reset: the socket is destroyed', async () => {
      gh.inject({ kind: 'reset' });
      // undici's TypeError comes from another realm under Jest's VM modules: match the message.
      await expect(get(jobPath)).rejects.toThrow('fetch failed');
      expect((await get(jobPath)).status).toBe(200);
    });

    it('malformed: 200 with a truncated JSON body', async () => {
      gh.inject({ kind: 'malformed' });
      const res = await get(jobPath);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.startsWith('{"id":')).toBe(true);
      expect(() => JSON.parse(text)).toThrow(SyntaxError);
    });

    it('delay: answers normally after ms', async () => {
      gh.inject({ kind: 'delay', ms: 150 });
      const started = Date.now();
      const res = await get(jobPath);
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(await res.json()).toHaveProperty('steps');
    });
  });

  describe('auth', () => {
    it('401 Bad credentials without the right token; Bearer and token schemes accepted', async () => {
      await gh.close();
      gh = await startFakeGitHub({ token: 's3cret' });
      const path = `${REPO}/actions/runs`;
      for (const authorization of [undefined, 'Bearer wrong', 'token nope']) {
        const res = await get(path, authorization ? { headers: { authorization } } : {});
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({
          message: 'Bad credentials',
          documentation_url: 'https://docs.github.com/rest',
          status: '401',
        });
      }
      expect((await get(path, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
      expect((await get(path, { headers: { authorization: 'token s3cret' } })).status).toBe(200);
    });
  });

  describe('check runs', () => {
    const annotation = (line: number): Json => ({
      path: 'deploy.yml',
      start_line: line,
      end_line: line,
      annotation_level: 'warning',
      message: `slow stage ${line}`,
    });
    const send = async (method: string, path: string, body: unknown): Promise<Response> =>
      get(path, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

    it('records POST and PATCH, merges fields, appends annotations', async () => {
      const created = await send('POST', `${REPO}/check-runs`, {
        name: 'deploy metrics',
        head_sha: 'd'.repeat(40),
        status: 'in_progress',
        output: { title: 'Deploy', summary: 'running', annotations: [annotation(1), annotation(2)] },
      });
      expect(created.status).toBe(201);
      const body = (await created.json()) as Json & { id: number; output: Json };
      expect(Object.keys(body)).toEqual(Object.keys(fixture('check-run')));
      expect(body).toMatchObject({ name: 'deploy metrics', status: 'in_progress', conclusion: null });
      expect(body.output).toMatchObject({
        annotations_count: 2,
        annotations_url: `${gh.url}${REPO}/check-runs/${body.id}/annotations`,
      });

      const patched = await send('PATCH', `${REPO}/check-runs/${body.id}`, {
        conclusion: 'success',
        output: {
          title: 'Deploy',
          summary: 'done',
          annotations: [annotation(3), annotation(4), annotation(5)],
        },
      });
      expect(patched.status).toBe(200);
      expect(await patched.json()).toMatchObject({
        status: 'completed',
        conclusion: 'success',
        output: { summary: 'done', annotations_count: 5 },
      });

      expect(gh.checkRuns).toHaveLength(1);
      const run = gh.checkRuns[0];
      expect(run?.annotations.map((a) => a.start_line)).toEqual([1, 2, 3, 4, 5]);
      expect(run?.requests.map((r) => r.method)).toEqual(['POST', 'PATCH']);
      expect(run?.completed_at).toEqual(expect.stringMatching(/Z$/));
      const listed = await getJson<Json[]>(`${REPO}/check-runs/${body.id}/annotations`);
      expect(listed.map((a) => a.message)).toEqual([1, 2, 3, 4, 5].map((n) => `slow stage ${n}`));
      const forRef = await getJson<{ total_count: number }>(`${REPO}/commits/${'d'.repeat(40)}/check-runs`);
      expect(forRef.total_count).toBe(1);
    });

    it('rejects more than 50 annotations per request, missing fields and oversized summaries with 422', async () => {
      const many = Array.from({ length: 51 }, (_, i) => annotation(i + 1));
      const cases: unknown[] = [
        { name: 'x', head_sha: 'e', output: { title: 't', summary: 's', annotations: many } },
        { head_sha: 'e' },
        { name: 'x', head_sha: 'e', output: { title: 't', summary: 'x'.repeat(65536) } },
      ];
      for (const body of cases) {
        const res = await send('POST', `${REPO}/check-runs`, body);
        expect(res.status).toBe(422);
        expect(await res.json()).toMatchObject({
          message: expect.stringMatching(/^Invalid request\./),
          status: '422',
        });
      }
      expect(gh.checkRuns).toEqual([]);
      expect((await send('PATCH', `${REPO}/check-runs/123`, { status: 'completed' })).status).toBe(404);
    });

    it('a job is a check run: its annotations (the runner\u2019s and the steps\u2019) in the check-annotation shape, paginated', async () => {
      const id = gh.addJob({ run_id: 30433642, status: 'in_progress', steps: [] });
      expect(await getJson<Json[]>(`${REPO}/check-runs/${id}/annotations`)).toEqual([]);
      gh.setJobAnnotations(id, [
        {
          path: '.github',
          start_line: 1,
          end_line: 1,
          annotation_level: 'failure',
          title: '',
          message: 'The action has timed out.',
          raw_details: '',
        },
        { path: 'deploy.sh', start_line: 3, end_line: 3, annotation_level: 'warning', message: 'slow' },
      ]);
      const listed = await getJson<Json[]>(`${REPO}/check-runs/${id}/annotations`);
      expect(listed.map((a) => Object.keys(a).sort())).toEqual(
        Array(2).fill(
          [
            'annotation_level',
            'blob_href',
            'end_column',
            'end_line',
            'message',
            'path',
            'raw_details',
            'start_column',
            'start_line',
            'title',
          ].sort(),
        ),
      );
      expect(listed[0]).toMatchObject({
        path: '.github',
        annotation_level: 'failure',
        message: 'The action has timed out.',
        title: '',
        start_column: null,
      });
      expect(listed[1]).toMatchObject({ title: null, raw_details: null });
      const page = await get(`${REPO}/check-runs/${id}/annotations?per_page=1`);
      expect(((await page.json()) as Json[]).map((a) => a.message)).toEqual(['The action has timed out.']);
      expect(parseLink(page.headers.get('link')).next).toMatch(/page=2/);
      expect((await get(`${REPO}/check-runs/999999999999/annotations`)).status).toBe(404);
    });
  });
});
