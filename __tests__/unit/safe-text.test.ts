/**
 * Text the runner prints or records (log lines, annotations, outputs, the failure message) is one
 * line that cannot be a workflow command, and names URLs redacted: `singleLine` / `safeLogText`,
 * applied at the edge (`safeIO`, which the run wrapper puts around every hook's ActionIO) and to
 * the deployment's outputs.
 */
import { describe, expect, test } from '@jest/globals';
import { safeIO, type ActionIO } from '../../src/hooks/io.js';
import type { DeploymentResult } from '../../src/model/deployment.js';
import { setDeploymentOutputs } from '../../src/report/outputs.js';
import { parseWorkflowCommand } from '../../tools/runner-emulator/index.js';
import { quoteInput, safeLogText, singleLine } from '../../src/util/safe-text.js';
import { stage, T0 } from './builders.js';

const HOSTILE = [
  'api_unreachable\n::add-mask::deploy_railway\n::notice title=FORGED::Approve the release here',
  '::add-mask::deploy_railway',
  '   ::notice::indented',
  '\t::warning::tab',
  'a\r::error::carriage return',
  'x\u2028::debug::line separator',
  '##[add-mask]legacy',
  'text ##[warning]legacy mid-line',
  '::stop-commands::token',
  '\u001b[31mred\u001b[0m',
];

/** The lines the runner would read from the text, and which of them it would take for commands. */
function commandsIn(text: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .filter((line) => parseWorkflowCommand(line) !== null || line.includes('##['));
}

describe('singleLine and safeLogText', () => {
  test.each(HOSTILE.map((t) => [JSON.stringify(t), t]))('%s: one line, no workflow command', (_t, text) => {
    for (const out of [singleLine(text), safeLogText(text)]) {
      // eslint-disable-next-line no-control-regex -- no control character may be left
      expect(out).not.toMatch(/[\r\n\u2028\u2029\u0085\u001b]/);
      expect(commandsIn(out)).toEqual([]);
      expect(commandsIn(`${out}\n`)).toEqual([]);
    }
  });

  test('idempotent; ordinary text is kept', () => {
    for (const text of [...HOSTILE, 'Deployment 42: failure in 30s, failed at health_check (timeout).']) {
      expect(singleLine(singleLine(text))).toBe(singleLine(text));
      expect(safeLogText(safeLogText(text))).toBe(safeLogText(text));
    }
    expect(safeLogText('Pushed to the Pushgateway http://127.0.0.1:9091 group {job="d"}')).toBe(
      'Pushed to the Pushgateway http://127.0.0.1:9091 group {job="d"}',
    );
  });

  test('safeLogText redacts URLs; quoteInput also bounds', () => {
    expect(safeLogText('to https://u:p4ss@rw.example/api/v1/push?api_key=K3Y\nnext')).toBe(
      'to https://…@rw.example/api/v1/push?… next',
    );
    expect(quoteInput(`${'x'.repeat(200)}\n::add-mask::y`)).toHaveLength(82);
  });
});

describe('safeIO: the edge every hook writes through', () => {
  function recording(): ActionIO & { out: string[] } {
    const out: string[] = [];
    const rec =
      (kind: string) =>
      (m: string, p?: { title?: string }): void => {
        out.push(`${kind}|${m}|${p?.title ?? ''}`);
      };
    return {
      out,
      getInput: () => '',
      getState: () => '',
      saveState: () => undefined,
      setOutput: (n, v) => out.push(`output|${n}|${v}`),
      exportVariable: () => undefined,
      setSecret: () => undefined,
      setFailed: rec('failed'),
      info: rec('info'),
      debug: rec('debug'),
      warning: rec('warning'),
      error: rec('error'),
      notice: rec('notice'),
      appendSummary: async () => undefined,
    };
  }

  test('log lines, annotation messages and titles, the failure message and outputs', () => {
    const raw = recording();
    const io = safeIO(raw);
    const evil = HOSTILE[0] as string;
    io.info(evil);
    io.debug(evil);
    io.warning(evil, { title: evil });
    io.error(evil, { title: evil });
    io.notice(evil, { title: evil });
    io.setFailed(evil);
    io.setOutput('error-type', evil);
    expect(raw.out).toHaveLength(7);
    for (const line of raw.out) {
      expect(line).not.toMatch(/[\r\n]/);
      for (const part of line.split('|')) expect(part.trimStart().startsWith('::')).toBe(false);
    }
  });
});

describe('the deployment outputs', () => {
  const deployment = (errorType: string, stageName: string): DeploymentResult => {
    const failed = stage({ stage: stageName, status: 'failure' });
    return {
      status: 'failure',
      stages: [failed],
      failedStage: failed,
      errorType,
      failureMessage: 'failed',
      startedAt: T0,
      completedAt: T0 + 10_000,
      durationSeconds: 10,
      totalThresholdSeconds: 900,
      slow: false,
      rollback: undefined,
      mainSteps: [],
    };
  };

  test('error-type is an error type; every value is one line that is not a command', () => {
    const outputs = new Map<string, string>();
    setDeploymentOutputs(
      { setOutput: (n, v) => outputs.set(n, v) },
      deployment(HOSTILE[0] as string, 'x\n::add-mask::deploy_railway'),
      '42',
      '/tmp/m.prom\n::notice::x',
    );
    expect(outputs.get('error-type')).toBe('unknown');
    for (const value of outputs.values()) {
      expect(value).not.toMatch(/[\r\n]/);
      expect(value.trimStart().startsWith('::')).toBe(false);
    }
  });

  test('a known error type is kept', () => {
    const outputs = new Map<string, string>();
    setDeploymentOutputs(
      { setOutput: (n, v) => outputs.set(n, v) },
      deployment('api_unreachable', 'health_check'),
      '42',
      '/tmp/m.prom',
    );
    expect(outputs.get('error-type')).toBe('api_unreachable');
    expect(outputs.get('failed-stage')).toBe('health_check');
  });
});
