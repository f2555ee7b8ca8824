/**
 * One line for the job summary on what live tracking did: how often the
 * reporter looked and pushed, and how long after its end each stage was first
 * visible. Pure.
 */
import type { StopResult } from '../live/control.js';
import type { LiveStatus } from '../live/reporter.js';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const seconds = (s: number): string => `${Math.round(s * 10) / 10}s`;

/** At most this many stages are named one by one. */
const MAX_STAGES_NAMED = 12;

export function describeLive(
  status: LiveStatus | undefined,
  how: StopResult['how'],
  intervalSeconds: number,
): string {
  if (!status) {
    return how === 'not running'
      ? 'Live tracking: the reporter was gone before post and left no status; post reported everything.'
      : 'Live tracking: the reporter left no status (it may have stopped before its first look); post reported everything.';
  }
  const parts = [
    `Live tracking: ${status.polls} look(s) at the job every ${intervalSeconds}s (${status.notModified} not modified, free of rate limit), ${status.pushes} push(es)${status.pushFailures > 0 ? `, ${status.pushFailures} failed` : ''}${status.errors > 0 ? `, ${status.errors} API error(s)` : ''}`,
  ];
  const delays = Object.entries(status.firstPushDelay);
  if (delays.length > 0) {
    const values = delays.map(([, v]) => v);
    const named = delays
      .slice(0, MAX_STAGES_NAMED)
      .map(([stage, v]) => `${stage.replace(/[|`<>[\]\\]/g, '')} ${seconds(v)}`)
      .join(', ');
    parts.push(
      `stages first visible ${seconds(median(values))} (median) and at most ${seconds(Math.max(...values))} after they ended: ${named}${delays.length > MAX_STAGES_NAMED ? ', …' : ''}`,
    );
  } else {
    parts.push('no stage finished while it looked');
  }
  const ended =
    how === 'stopped' || how === 'killed'
      ? `stopped by post${how === 'killed' ? ' (killed)' : ''}`
      : `ended by itself: ${status.stoppedBecause ?? 'unknown'}`;
  parts.push(ended);
  return `${parts.join('; ')}.`;
}
