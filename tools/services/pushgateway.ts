/** The Prometheus Pushgateway (Debian `prometheus-pushgateway`, 1.5.x). */
import { startService, type Service } from './service.js';

/** Options for {@link startPushgateway}. */
export interface PushgatewayOptions {
  /**
   * Persist groups to this file (written on shutdown and every second), so a
   * restart keeps them. Default: no persistence — a restart loses every group,
   * like a Pushgateway without `--persistence.file`.
   */
  persistenceFile?: string;
  /** Extra command-line flags. */
  extraArgs?: string[];
}

/**
 * Starts a Pushgateway on a free 127.0.0.1 port and waits until it is ready.
 * The admin API is enabled (`PUT /api/v1/admin/wipe` clears every group).
 */
export function startPushgateway(opts: PushgatewayOptions = {}): Promise<Service> {
  return startService({
    name: 'Pushgateway',
    binaries: ['prometheus-pushgateway', 'pushgateway'],
    debianPackage: 'prometheus-pushgateway',
    args: (port) => [
      `--web.listen-address=127.0.0.1:${port}`,
      // Debian's build defaults to /var/lib/prometheus/pushgateway.data: always say what we want.
      `--persistence.file=${opts.persistenceFile ?? ''}`,
      '--persistence.interval=1s',
      '--web.enable-admin-api',
      ...(opts.extraArgs ?? []),
    ],
  });
}
