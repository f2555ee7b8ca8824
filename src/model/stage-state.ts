/**
 * Where each stage of a deployment stands, from the job's steps as the REST
 * API shows them while the job runs: finished steps `completed`, the current
 * one `in_progress`, later ones (post steps included) `queued`. Pure: the live
 * reporter reads it every interval and post writes its final form.
 */
import { mainStepsOf, stageOfStep, type ApiStep } from './deployment.js';
import type { StageRule } from './stage-map.js';
import { parseTimestamp } from './timing.js';

/**
 * The `state` label of `deployment_stage_state`. `cancelled`: the stage was running when a person
 * (or `cancel-in-progress`) cancelled the job; it is not a failure.
 */
export type StageState = 'waiting' | 'running' | 'success' | 'failure' | 'cancelled' | 'skipped';

export const STAGE_STATES: readonly StageState[] = Object.freeze([
  'waiting',
  'running',
  'success',
  'failure',
  'cancelled',
  'skipped',
]);

export interface StageProgress {
  readonly service: string;
  readonly stage: string;
  readonly state: StageState;
  /** The earliest start of its steps that have started (ms), if any has. */
  readonly startedAt: number | undefined;
  /** When its last step ended (ms), once the state is final (success, failure, cancelled, skipped). */
  readonly completedAt: number | undefined;
  /** When its first failed step ended (ms), for a failed stage. */
  readonly failedAt: number | undefined;
}

export interface StageStateInput {
  readonly steps: readonly ApiStep[];
  /** The job's service: stages the map does not name belong to it. */
  readonly service: string;
  /** Parsed `stages` input; empty: infer stages from step names. */
  readonly rules: readonly StageRule[];
  /** This action's own step names (never stages). */
  readonly ownStepNames?: readonly string[];
}

/**
 * Conclusions that fail a step (and its stage): the model's rule for a failed stage. A cancelled
 * step is not failed: the runner fails a step that hit its own `timeout-minutes` (conclusion
 * `failure`) and cancels the running step only when the whole job is cancelled.
 */
const FAILED = new Set(['failure', 'timed_out']);

function stepState(step: ApiStep): StageState {
  if (step.status === 'queued' || step.status === 'waiting' || step.status === 'pending') return 'waiting';
  if (step.status !== 'completed') return 'running';
  if (step.conclusion === 'skipped') return 'skipped';
  if (step.conclusion === 'cancelled') return 'cancelled';
  return FAILED.has(step.conclusion ?? '') ? 'failure' : 'success';
}

interface Acc {
  service: string;
  stage: string;
  states: StageState[];
  startedAt: number | undefined;
  completedAt: number | undefined;
  failedAt: number | undefined;
  order: number;
}

/**
 * A stage's state from its steps' states: a failed step fails it at once
 * (whatever else still runs); else a cancelled step cancels it; else a running
 * step, or finished and waiting steps together, make it running; all waiting is
 * waiting; all skipped is skipped; else it succeeded.
 */
export function combineStates(states: readonly StageState[]): StageState {
  if (states.includes('failure')) return 'failure';
  if (states.includes('cancelled')) return 'cancelled';
  if (states.includes('running')) return 'running';
  if (states.every((s) => s === 'waiting')) return 'waiting';
  if (states.includes('waiting')) return 'running';
  if (states.every((s) => s === 'skipped')) return 'skipped';
  return 'success';
}

/** Every stage the job's main steps map to, finished, running or still waiting, in step order. */
export function stageProgress(input: StageStateInput): StageProgress[] {
  const byKey = new Map<string, Acc>();
  mainStepsOf(input.steps, input.ownStepNames).forEach((step, order) => {
    const target = stageOfStep(step.name, input.rules, input.service);
    if (!target) return;
    const { service } = target;
    const key = `${service}/${target.stage}`;
    const state = stepState(step);
    const ran = state !== 'waiting' && state !== 'skipped';
    const start = ran ? parseTimestamp(step.started_at) : undefined;
    const end =
      state === 'success' || state === 'failure' || state === 'cancelled'
        ? parseTimestamp(step.completed_at)
        : undefined;
    let acc = byKey.get(key);
    if (!acc) {
      acc = {
        service,
        stage: target.stage,
        states: [],
        startedAt: undefined,
        completedAt: undefined,
        failedAt: undefined,
        order,
      };
      byKey.set(key, acc);
    }
    acc.states.push(state);
    if (start !== undefined) acc.startedAt = Math.min(acc.startedAt ?? start, start);
    if (end !== undefined) acc.completedAt = Math.max(acc.completedAt ?? end, end);
    if (state === 'failure' && end !== undefined) acc.failedAt = Math.min(acc.failedAt ?? end, end);
  });
  return [...byKey.values()]
    .sort((a, b) => a.order - b.order)
    .map((acc) => {
      const state = combineStates(acc.states);
      const final =
        state === 'success' || state === 'failure' || state === 'cancelled' || state === 'skipped';
      return Object.freeze({
        service: acc.service,
        stage: acc.stage,
        state,
        startedAt: acc.startedAt,
        completedAt: final ? acc.completedAt : undefined,
        failedAt: state === 'failure' ? acc.failedAt : undefined,
      });
    });
}

/**
 * The states post writes as its final word: once the job is over nothing
 * waits or runs any more, so a stage still shown running (the API lagging
 * past post's wait) takes its outcome, and one still waiting never ran.
 */
export function finalStates(
  progress: readonly StageProgress[],
  outcomeOf: (service: string, stage: string) => 'success' | 'failure' | 'cancelled' | undefined,
): StageProgress[] {
  return progress.map((p) => {
    if (p.state === 'waiting') return { ...p, state: 'skipped' };
    if (p.state === 'running') return { ...p, state: outcomeOf(p.service, p.stage) ?? 'success' };
    // The model's word where it differs: a stage the job's time limit cancelled failed.
    if (p.state === 'cancelled' && outcomeOf(p.service, p.stage) === 'failure')
      return { ...p, state: 'failure' };
    return p;
  });
}
