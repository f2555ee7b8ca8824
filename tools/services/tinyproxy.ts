/** A real forward proxy (Debian `tinyproxy`) on a free loopback port, its access log readable. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './util.js';

export interface ProxyOptions {
  /** Basic proxy authentication (`Proxy-Authorization`), when set. */
  readonly user?: string;
  readonly password?: string;
}

export interface Proxy {
  readonly port: number;
  /** `http://127.0.0.1:<port>`, or with `user:password@` when the proxy requires them. */
  readonly url: string;
  /** Its log so far (one line per connection, with the requested host). */
  log(): string;
  stop(): Promise<void>;
}

export async function startTinyproxy(options: ProxyOptions = {}): Promise<Proxy> {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-obs-proxy-'));
  const logFile = join(dir, 'tinyproxy.log');
  const port = await freePort();
  const auth = options.user !== undefined && options.password !== undefined;
  writeFileSync(
    join(dir, 'tinyproxy.conf'),
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Allow 127.0.0.1',
      'Timeout 30',
      `LogFile "${logFile}"`,
      'LogLevel Info',
      'MaxClients 20',
      ...(auth ? [`BasicAuth ${options.user} ${options.password}`] : []),
      '',
    ].join('\n'),
  );
  const child = spawn('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')], { stdio: 'ignore' });
  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(() => /listening on|Accepting connections/i.test(log()), { timeoutMs: 10_000 });
  const credentials = auth
    ? `${encodeURIComponent(options.user ?? '')}:${encodeURIComponent(options.password ?? '')}@`
    : '';
  return {
    port,
    url: `http://${credentials}127.0.0.1:${port}`,
    log,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
