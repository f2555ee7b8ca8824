/**
 * Services harness: the real Debian Prometheus, Pushgateway and Alertmanager
 * binaries, started by tests on free loopback ports and stopped by PID.
 */
export { startPushgateway, type PushgatewayOptions } from './pushgateway.js';
export {
  startPrometheus,
  prometheusConfig,
  type PrometheusOptions,
  type ScrapeTarget,
} from './prometheus.js';
export { startAlertmanager, type AlertmanagerOptions } from './alertmanager.js';
export { startService, findBinary, type Service, type ServiceDefinition } from './service.js';
export {
  freePort,
  waitFor,
  queryPrometheus,
  prometheusAlerts,
  activeAlert,
  pushgatewayMetrics,
  type PromAlert,
  type WaitForOptions,
  type PromSample,
  type PushgatewayGroup,
} from './util.js';
export { startTinyproxy, type Proxy, type ProxyOptions } from './tinyproxy.js';
