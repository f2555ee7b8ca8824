/**
 * Redirects are never followed: a receiver (or a proxy in front of it) that answers 307 to another
 * host would otherwise get the request's body and every header but Authorization — a tenant id, an
 * API key in a custom header — re-sent there; the GitHub client also sends its token to no other
 * origin than the API's (neither after a redirect nor by a pagination `link`). Real HTTP servers on
 * loopback: the first answers 307 to the second, which must receive nothing; the error names the
 * second's origin, never its path or query.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { GitHubApiError, GitHubClient } from '../../src/github/client.js';
import { PushgatewayClient } from '../../src/delivery/pushgateway.js';
import { RemoteWriteClient } from '../../src/delivery/remote-write/writer.js';
import { systemClock } from '../../src/util/clock.js';
import { HttpError, request } from '../../src/util/http.js';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: number;
}

interface TestServer {
  url: string;
  origin: string;
  requests: Recorded[];
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let body = 0;
    req.on('data', (chunk: Buffer) => (body += chunk.length));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    origin,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let elsewhere: TestServer;
let redirecting: TestServer;
/** Where the redirect points: another host (port), with a path and a query that must never be shown. */
let target: string;
beforeAll(async () => {
  elsewhere = await listen((_req, res) => {
    res.writeHead(204).end();
  });
  target = `${elsewhere.origin}/collect/tenant-secret-path?api_key=leaked-key-123`;
  redirecting = await listen((_req, res) => {
    res.writeHead(307, { location: target }).end('moved');
  });
});
afterAll(async () => {
  await Promise.all([elsewhere?.close(), redirecting?.close()]);
});

function expectRefused(message: string): void {
  expect(message).toContain(`redirect to ${elsewhere.origin}`);
  expect(message).toContain('not followed');
  expect(message).not.toContain('tenant-secret-path');
  expect(message).not.toContain('leaked-key-123');
}

describe('a 307 to another origin', () => {
  test('request(): an error naming the target origin, not retried; the other host gets nothing', async () => {
    const before = redirecting.requests.length;
    const error = await request(
      {
        url: `${redirecting.url}/api/v1/write`,
        method: 'POST',
        headers: { 'x-api-key': 'k-123456', 'x-scope-orgid': 'tenant-1' },
        body: 'payload',
        attempts: 3,
        what: 'Remote write',
      },
      systemClock,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(307);
    expectRefused((error as Error).message);
    expect(redirecting.requests.length - before).toBe(1);
    expect(elsewhere.requests).toEqual([]);
  });

  test('remote write with x-api-key and X-Scope-OrgID: body and headers are not re-sent elsewhere', async () => {
    const client = new RemoteWriteClient(
      {
        url: `${redirecting.url}/api/v1/push`,
        authorization: 'Bearer rw-token-123456',
        headers: { 'x-api-key': 'k-123456', 'x-scope-orgid': 'tenant-1' },
        queryUrl: undefined,
      },
      systemClock,
    );
    const error = await client
      .write(
        [['job', 'deployment']],
        [
          {
            name: 'deployment_runs_total',
            type: 'counter',
            help: 'Deployments.',
            samples: [{ name: 'deployment_runs_total', labels: { status: 'success' }, value: 1 }],
          },
        ],
        Date.now() + 10_000,
        { method: 'POST', at: Date.now() },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expectRefused((error as Error).message);
    const sent = redirecting.requests.at(-1);
    expect(sent?.headers['x-scope-orgid']).toBe('tenant-1'); // it did reach the configured receiver
    expect(sent?.body).toBeGreaterThan(0);
    expect(elsewhere.requests).toEqual([]);
  });

  test('a Pushgateway push with auth: not re-sent elsewhere', async () => {
    const client = new PushgatewayClient(
      { url: redirecting.url, authorization: 'Basic ZGVwbG95ZXI6cw==', job: 'deployment' },
      systemClock,
    );
    const error = await client
      .push([['job', 'deployment']], 'deployment_in_progress 1\n', Date.now() + 10_000, 'PUT')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expectRefused((error as Error).message);
    expect(elsewhere.requests).toEqual([]);
  });

  test('the GitHub client (Octokit): the token is not re-sent elsewhere, the 307 not retried', async () => {
    const before = redirecting.requests.length;
    const client = new GitHubClient({
      apiUrl: redirecting.url,
      token: 'ghs_redirectT0ken123',
      repository: 'octo-org/octo-repo',
      clock: systemClock,
    });
    const error = await client.getJob(42, Date.now() + 10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubApiError);
    expect((error as GitHubApiError).status).toBe(307);
    expectRefused((error as Error).message);
    expect((error as Error).message).not.toContain('ghs_redirectT0ken123');
    expect(redirecting.requests.length - before).toBe(1);
    expect(redirecting.requests.at(-1)?.headers.authorization).toBe('token ghs_redirectT0ken123');
    expect(elsewhere.requests).toEqual([]);
  });

  test('the GitHub client: a `link` header pointing at another host is not followed', async () => {
    const api = await listen((_req, res) => {
      res
        .writeHead(200, {
          'content-type': 'application/json',
          link: `<${target}&page=2>; rel="next"`,
        })
        .end(JSON.stringify({ total_count: 200, jobs: [{ id: 1, name: 'deploy', status: 'in_progress' }] }));
    });
    try {
      const client = new GitHubClient({
        apiUrl: api.url,
        token: 'ghs_linkT0ken123',
        repository: 'octo-org/octo-repo',
        clock: systemClock,
      });
      const pages: number[] = [];
      const error = await (async () => {
        for await (const page of client.attemptJobPages('7', 1, Date.now() + 10_000, 10))
          pages.push(page.jobs.length);
      })().catch((e: unknown) => e);
      expect(pages).toEqual([1]);
      expect((error as Error).message).toBe(
        `GET jobs of run 7 attempt 1 page 2 failed: not sent to ${elsewhere.origin}, which is not the API's origin`,
      );
      expect(api.requests).toHaveLength(1);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await api.close();
    }
  });

  test('a relative Location names the same origin; 304 Not Modified is still an answer', async () => {
    const relative = await listen((req, res) => {
      if (req.url === '/etag') res.writeHead(304).end();
      else res.writeHead(302, { location: '/elsewhere?token=abc' }).end();
    });
    try {
      const error = await request({ url: `${relative.url}/x`, what: 'GET x' }, systemClock).catch(
        (e: unknown) => e,
      );
      expect((error as Error).message).toBe(
        `GET x failed: HTTP 302 redirect to ${relative.origin}, not followed (a redirect would carry the request's credentials and body there); configure the final URL`,
      );
      const notModified = await request({ url: `${relative.url}/etag`, what: 'GET etag' }, systemClock);
      expect(notModified.status).toBe(304);
    } finally {
      await relative.close();
    }
  });
});
