/** Prometheus (Debian `prometheus`, 2.42) with a generated configuration. */
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startService, type Service } from './service.js';

/** A scrape job. */
export interface ScrapeTarget {
  job: string;
  /** Target URL; its path is the metrics path (`/metrics` when empty). */
  url: string;
  /** `honor_labels: true` — required when scraping a Pushgateway, so pushed `job`/`instance` labels survive. */
  honorLabels?: boolean;
}

/** Options for {@link startPrometheus}. */
export interface PrometheusOptions {
  scrapeTargets?: ScrapeTarget[];
  /** Rule files (alerting/recording), by path. */
  ruleFiles?: string[];
  /** Global scrape interval (default 1 s, so tests see samples quickly). */
  scrapeIntervalSeconds?: number;
  /** Global rule evaluation interval (default 1 s). */
  evaluationIntervalSeconds?: number;
  /** Accept remote write on `/api/v1/write` (`--web.enable-remote-write-receiver`). */
  remoteWriteReceiver?: boolean;
  /** Alertmanager base URLs to send alerts to. */
  alertmanagerUrls?: string[];
  /** Extra command-line flags. */
  extraArgs?: string[];
}

/** The prometheus.yml written for `opts` (exported for inspection in tests). */
export function prometheusConfig(opts: PrometheusOptions): Record<string, unknown> {
  const scrape = opts.scrapeIntervalSeconds ?? 1;
  const config: Record<string, unknown> = {
    global: {
      scrape_interval: `${scrape}s`,
      // The 10 s default timeout is invalid with a shorter interval.
      scrape_timeout: `${Math.min(scrape, 10)}s`,
      evaluation_interval: `${opts.evaluationIntervalSeconds ?? 1}s`,
    },
    rule_files: (opts.ruleFiles ?? []).map((f) => path.resolve(f)),
    scrape_configs: (opts.scrapeTargets ?? []).map((t) => {
      const u = new URL(t.url);
      return {
        job_name: t.job,
        honor_labels: t.honorLabels ?? false,
        scheme: u.protocol.replace(':', ''),
        metrics_path: u.pathname === '' || u.pathname === '/' ? '/metrics' : u.pathname,
        static_configs: [{ targets: [u.host] }],
      };
    }),
  };
  if (opts.alertmanagerUrls && opts.alertmanagerUrls.length > 0) {
    config.alerting = {
      alertmanagers: opts.alertmanagerUrls.map((a) => {
        const u = new URL(a);
        return { scheme: u.protocol.replace(':', ''), static_configs: [{ targets: [u.host] }] };
      }),
    };
  }
  return config;
}

/**
 * Starts Prometheus on a free 127.0.0.1 port with its config and TSDB in a
 * temp directory, and waits until it is ready. Rule files are checked by
 * Prometheus at startup: a bad rule fails the start with the log tail.
 */
export async function startPrometheus(opts: PrometheusOptions = {}): Promise<Service> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'svc-prometheus-'));
  const configFile = path.join(dataDir, 'prometheus.yml');
  await writeFile(configFile, stringify(prometheusConfig(opts)));
  return startService(
    {
      name: 'Prometheus',
      binaries: ['prometheus'],
      debianPackage: 'prometheus',
      args: (port) => [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dataDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        ...(opts.remoteWriteReceiver ? ['--web.enable-remote-write-receiver'] : []),
        ...(opts.extraArgs ?? []),
      ],
    },
    { dataDir, ownsDataDir: true },
  );
}
