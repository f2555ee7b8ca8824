/** Alertmanager (Debian `prometheus-alertmanager`, 0.25), clustering off. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startService, type Service } from './service.js';

/** Options for {@link startAlertmanager}. */
export interface AlertmanagerOptions {
  /** Full alertmanager.yml; default: one receiver (a webhook when `webhookUrl` is set). */
  configYaml?: string;
  /** Send every alert to this webhook (fast group timings for tests). */
  webhookUrl?: string;
  extraArgs?: string[];
}

/** Starts Alertmanager on a free 127.0.0.1 port and waits until it is ready. */
export async function startAlertmanager(opts: AlertmanagerOptions = {}): Promise<Service> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'svc-alertmanager-'));
  const configFile = path.join(dataDir, 'alertmanager.yml');
  const receiver: Record<string, unknown> = { name: 'default' };
  if (opts.webhookUrl) receiver.webhook_configs = [{ url: opts.webhookUrl, send_resolved: true }];
  const config =
    opts.configYaml ??
    stringify({
      route: { receiver: 'default', group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [receiver],
    });
  await writeFile(configFile, config);
  return startService(
    {
      name: 'Alertmanager',
      binaries: ['prometheus-alertmanager', 'alertmanager'],
      debianPackage: 'prometheus-alertmanager',
      args: (port) => [
        `--config.file=${configFile}`,
        `--storage.path=${path.join(dataDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Clustering would bind 0.0.0.0:9094 and clash between concurrent tests.
        '--cluster.listen-address=',
        ...(opts.extraArgs ?? []),
      ],
    },
    { dataDir, ownsDataDir: true },
  );
}
