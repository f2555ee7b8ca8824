/**
 * What verify mode pushes (the latest health state, cumulative probe counts,
 * the latest error rate) and its job summary (verdict, timeline, the
 * xychart-beta of the error rate). Pure functions over timelines.
 */
import { describe, expect, test } from '@jest/globals';
import { decide } from '../../src/verify/decision.js';
import { latestHealth, verifyUpdates } from '../../src/verify/metrics.js';
import { verifySchedule } from '../../src/verify/schedule.js';
import { errorRateChart, renderVerifySummary } from '../../src/verify/job-summary.js';
import type { ProbeSample, VerifySample } from '../../src/verify/timeline.js';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const W20 = verifySchedule(20);

const probe = (s: number, source: string, status: ProbeSample['status'], latencyMs: number): ProbeSample => ({
  kind: 'probe',
  source,
  at: T0 + s * 1000,
  status,
  latencyMs,
  attempts: 1,
  ...(status === 'unhealthy' ? { problem: 'HTTP 503 after 3 attempt(s)' } : {}),
});
const rate = (s: number, value: number | undefined, problem?: string): VerifySample => ({
  kind: 'error_rate',
  source: 'error rate',
  at: T0 + s * 1000,
  value,
  ...(problem ? { problem } : {}),
});

const timeline: VerifySample[] = [
  probe(0, 'api', 'healthy', 40),
  probe(0, 'web', 'healthy', 60),
  rate(0, 0.004),
  probe(2, 'api', 'degraded', 1300),
  probe(2, 'web', 'healthy', 55),
  rate(2, undefined, 'Prometheus at http://p is unreachable: connection refused'),
  probe(4, 'api', 'unhealthy', 2000),
  probe(4, 'web', 'degraded', 1100),
  rate(4, 0.061),
];

describe('verifyUpdates', () => {
  test('latest health: the worst status among each URL’s latest probe, its highest latency', () => {
    expect(latestHealth(timeline)).toEqual({ status: 'unhealthy', latencyMs: 2000 });
    expect(latestHealth(timeline.slice(0, 6))).toEqual({ status: 'degraded', latencyMs: 1300 });
    expect(latestHealth([])).toBeUndefined();
  });

  test('one latency series, the window’s probe counts, the latest error rate', () => {
    const updates = verifyUpdates(
      { environment: 'production', deploymentId: '42', service: 'api' },
      timeline,
    );
    expect(updates.map((u) => [u.name, u.labels, u.value])).toEqual([
      [
        'api_health_check_latency_ms',
        { environment: 'production', deployment_id: '42', status: 'unhealthy' },
        2000,
      ],
      ['api_health_check_total', { environment: 'production', service: 'api' }, 6],
      ['api_health_check_failures_total', { environment: 'production', service: 'api' }, 1],
      [
        'post_deployment_error_rate',
        { environment: 'production', deployment_id: '42', service: 'api' },
        0.061,
      ],
    ]);
    expect(updates.map((u) => u.definition.merge)).toEqual(['replace', 'sum', 'sum', 'replace']);
  });

  test('no error-rate data: no post_deployment_error_rate; no probe: no health series', () => {
    const ctx = { environment: 'e', deploymentId: '1', service: 's' };
    expect(verifyUpdates(ctx, [rate(0, undefined)])).toEqual([]);
    expect(verifyUpdates(ctx, [rate(0, 0.2)]).map((u) => u.name)).toEqual(['post_deployment_error_rate']);
  });
});

describe('renderVerifySummary', () => {
  const input = {
    decision: decide(timeline, W20, { probeSources: ['api', 'web'], errorRate: true }),
    schedule: W20,
    service: 'api',
    environment: 'production',
    deploymentId: '42',
    startedAt: T0,
    endedAt: T0 + 5000,
    early: false,
    timeline,
    targets: [
      { name: 'api', display: 'https://api.example.com/health' },
      { name: 'web', display: 'https://web.example.com' },
    ],
    errorRateQuery: 'sum(rate(e[1m])) / sum(rate(r[1m]))',
    delivery: [{ ok: true, text: 'Pushed to the Pushgateway http://pg group `{job="deployment"}`' }],
    notes: ['a note | with a pipe'],
  };

  test('verdict, outputs, per-URL totals, one timeline row per tick, the chart, delivery, notes', () => {
    const md = renderVerifySummary(input);
    expect(md).toContain('## ⚠️ Degraded, no rollback gate held: api · production');
    expect(md).toContain('| `healthy` | `false` |');
    expect(md).toContain('| `rollback-recommended` | `false` |');
    expect(md).toContain('| api `https://api.example.com/health` | 3 | 1 | 1 | unhealthy | 2000 ms |');
    expect(md).toContain('| +0s | ✅ 40 ms | ✅ 60 ms | ✅ 0.40 % |');
    expect(md).toContain(
      // `http\\://`: escaped so that GitHub's autolinker leaves it text (it renders as http://p).
      '| +2s | 🐢 1300 ms | ✅ 55 ms | ⚠️ Prometheus at http\\://p is unreachable: connection refused |',
    );
    expect(md).toContain('| +4s | ❌ HTTP 503 after 3 attempt(s) | 🐢 1100 ms | ❌ 6.10 % |');
    expect(md).toContain('- a note \\| with a pipe');
    expect(md).toContain('xychart-beta');
  });

  test('the chart: valid points only, the 5 % line, a y-axis above both', () => {
    expect(errorRateChart({ timeline, startedAt: T0 })).toBe(
      [
        '```mermaid',
        'xychart-beta',
        '  title "Error rate after the deploy (%), gate at 5 %"',
        '  x-axis "seconds" [0, 4]',
        '  y-axis "error rate (%)" 0 --> 7',
        '  line [0.4, 6.1]',
        '  line [5, 5]',
        '```',
        '',
      ].join('\n'),
    );
    expect(errorRateChart({ timeline: [rate(0, 0.1)], startedAt: T0 })).toBe('');
  });

  test('healthy and unhealthy headlines; early end said', () => {
    const healthy = renderVerifySummary({
      ...input,
      timeline: [probe(0, 'api', 'healthy', 10)],
      targets: [input.targets[0] as { name: string; display: string }],
      errorRateQuery: undefined,
      decision: decide([probe(0, 'api', 'healthy', 10)], W20, { probeSources: ['api'], errorRate: false }),
    });
    expect(healthy).toContain('## ✅ Verified healthy: api · production');
    const bad = Array.from({ length: 6 }, (_, i) => probe(i * 2, 'api', 'unhealthy', 5));
    const unhealthy = renderVerifySummary({
      ...input,
      early: true,
      timeline: bad,
      decision: decide(bad, W20, { probeSources: ['api'], errorRate: false }),
    });
    expect(unhealthy).toContain('## ❌ Rollback recommended: api · production');
    expect(unhealthy).toContain('(**ended early**: a gate held)');
  });
});
