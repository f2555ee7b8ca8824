/**
 * A local stand-in for the Actions cache service (v2), close enough that the real `@actions/cache`
 * saves and restores through it: the Twirp JSON calls (`CreateCacheEntry`,
 * `FinalizeCacheEntryUpload`, `GetCacheEntryDownloadURL`) and the blob store behind the signed URLs
 * (a single-shot Azure "Put Blob" upload, a plain GET download).
 *
 * Its semantics are the service's: an entry is the pair (key, version) — the version hashes the
 * paths the client named — keys are immutable once reserved, a lookup tries the exact key and then
 * each restore key as a prefix, newest entry first, always within the same version.
 *
 * Point a job at it with `cacheEnv()`: `ACTIONS_RESULTS_URL`, `ACTIONS_RUNTIME_TOKEN` and
 * `ACTIONS_CACHE_SERVICE_V2`, as a GitHub-hosted runner sets them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const SERVICE = '/twirp/github.actions.results.api.v1.CacheService/';

export interface CacheEntry {
  readonly id: number;
  readonly key: string;
  readonly version: string;
  readonly createdAt: Date;
  /** Undefined until the upload arrived. */
  bytes?: Buffer;
  finalized: boolean;
}

export interface FakeCacheOptions {
  /** The runtime token requests must carry (`Authorization: Bearer <token>`); default `fake-runtime-token`. */
  readonly token?: string;
}

export class FakeCacheService {
  readonly entries: CacheEntry[] = [];
  /** Every request, `<METHOD> <path>` (the Twirp method or `blob`), in order. */
  readonly requests: string[] = [];
  readonly token: string;
  private server: Server | undefined;
  private base = '';

  constructor(options: FakeCacheOptions = {}) {
    this.token = options.token ?? 'fake-runtime-token';
  }

  get url(): string {
    return this.base;
  }

  /** What a GitHub-hosted runner exports for the cache service, pointing at this server. */
  cacheEnv(): Record<string, string> {
    return {
      ACTIONS_RESULTS_URL: `${this.base}/`,
      ACTIONS_RUNTIME_TOKEN: this.token,
      ACTIONS_CACHE_SERVICE_V2: 'True',
    };
  }

  /** Committed entries, newest first, as the REST API lists them. */
  committed(): CacheEntry[] {
    return this.entries.filter((e) => e.finalized).sort((a, b) => b.id - a.id);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.base = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.base);
    const method = (req.method ?? 'GET').toUpperCase();
    const blob = /^\/devstoreaccount1\/cache\/(\d+)$/.exec(url.pathname);
    if (blob) {
      this.requests.push(`${method} blob`);
      const entry = this.entries.find((e) => e.id === Number(blob[1]));
      if (!entry || url.searchParams.get('sig') !== 'fake') return this.send(res, 403, '');
      if (method === 'PUT') {
        entry.bytes = body;
        res.writeHead(201, {
          etag: `"0x${entry.id.toString(16)}"`,
          'last-modified': new Date().toUTCString(),
          'x-ms-request-id': `fake-${entry.id}`,
          'x-ms-version': '2024-05-04',
          'x-ms-request-server-encrypted': 'true',
          'content-length': '0',
        });
        res.end();
        return;
      }
      if (method === 'GET' && entry.bytes) {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(entry.bytes.length),
        });
        res.end(entry.bytes);
        return;
      }
      return this.send(res, 404, '');
    }
    if (method !== 'POST' || !url.pathname.startsWith(SERVICE)) return this.send(res, 404, '');
    const rpc = url.pathname.slice(SERVICE.length);
    this.requests.push(`POST ${rpc}`);
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return this.json(res, 401, { code: 'unauthenticated', msg: 'invalid token' });
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return this.json(res, 400, { code: 'malformed', msg: 'body is not JSON' });
    }
    const key = String(request.key ?? '');
    const version = String(request.version ?? '');
    switch (rpc) {
      case 'CreateCacheEntry': {
        if (this.entries.some((e) => e.key === key && e.version === version))
          return this.json(res, 200, { ok: false, message: `cache entry ${key} already exists` });
        const entry: CacheEntry = {
          id: this.entries.length + 1,
          key,
          version,
          createdAt: new Date(),
          finalized: false,
        };
        this.entries.push(entry);
        return this.json(res, 200, {
          ok: true,
          signed_upload_url: `${this.base}/devstoreaccount1/cache/${entry.id}?sig=fake`,
        });
      }
      case 'FinalizeCacheEntryUpload': {
        const entry = this.entries.find((e) => e.key === key && e.version === version && !e.finalized);
        if (!entry?.bytes) return this.json(res, 200, { ok: false, message: 'no upload for this entry' });
        entry.finalized = true;
        return this.json(res, 200, { ok: true, entry_id: String(entry.id) });
      }
      case 'GetCacheEntryDownloadURL': {
        const restoreKeys = Array.isArray(request.restore_keys) ? request.restore_keys.map(String) : [];
        const sameVersion = this.committed().filter((e) => e.version === version);
        const hit =
          sameVersion.find((e) => e.key === key) ??
          restoreKeys.map((prefix) => sameVersion.find((e) => e.key.startsWith(prefix))).find(Boolean);
        if (!hit) return this.json(res, 200, { ok: false });
        return this.json(res, 200, {
          ok: true,
          signed_download_url: `${this.base}/devstoreaccount1/cache/${hit.id}?sig=fake`,
          matched_key: hit.key,
        });
      }
      default:
        return this.json(res, 404, { code: 'bad_route', msg: `no method ${rpc}` });
    }
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    this.send(res, status, JSON.stringify(body), 'application/json');
  }

  private send(res: ServerResponse, status: number, text: string, type = 'text/plain'): void {
    res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }
}
