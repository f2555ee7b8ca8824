/** Probe classification (the design: over 1000 ms is degraded). Pure. */
import { DEGRADED_LATENCY_MS } from './schedule.js';
import type { ProbeStatus } from './timeline.js';

/**
 * `healthy`: a 2xx answer within 1000 ms; `degraded`: a 2xx answer slower than
 * that; `unhealthy`: any other answer, or none (refused, timed out, TLS).
 */
export function classifyProbe(httpStatus: number | undefined, latencyMs: number): ProbeStatus {
  if (httpStatus === undefined || httpStatus < 200 || httpStatus >= 300) return 'unhealthy';
  return latencyMs > DEGRADED_LATENCY_MS ? 'degraded' : 'healthy';
}

const RANK: Record<ProbeStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/** The worse of two statuses. */
export function worseStatus(a: ProbeStatus, b: ProbeStatus): ProbeStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

const CERTIFICATE_CODES =
  /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/;
const HANDSHAKE_CODES = /^(ERR_SSL_|ERR_TLS_|EPROTO$)/;

/** A network error code as a sentence a user can act on. */
export function describeNetworkError(code: string): string {
  if (CERTIFICATE_CODES.test(code))
    return `TLS error: ${code} (the server\u2019s certificate is not trusted)`;
  if (HANDSHAKE_CODES.test(code))
    return `TLS error: ${code} (the TLS handshake failed: is it an https endpoint?)`;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED): nothing listens there';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${code})`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `connection reset (${code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable (${code})`;
    default:
      return code;
  }
}
