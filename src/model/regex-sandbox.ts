/**
 * Runs a user's regular expression with a hard time bound. JavaScript cannot
 * interrupt a regex match on its own thread, so the match runs in a worker
 * thread while the caller waits on a shared-memory flag (`Atomics.wait`) with
 * a timeout; a match that runs past it is abandoned and its worker terminated
 * (V8 interrupts the match). The answer stays synchronous, so the pure model
 * (`buildDeployment`, `stageProgress`) calls rules as before.
 *
 * The one deviation from `model/` being free of side effects: a worker thread,
 * started lazily on the first match that needs it (never for a map without
 * such patterns), unref'd so it never keeps a process alive. It does no I/O.
 *
 * Budgets (all in ms): a match may take {@link MatchBudget.matchTimeoutMs};
 * a pattern that runs past it is dropped for good. Time spent waiting for the
 * worker to start and on matches that ran out adds up, and once it passes
 * {@link MatchBudget.totalMs} no pattern is sent to a worker any more: post's
 * budget (~25 s) cannot be spent on the stage map.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

export interface MatchBudget {
  /** The longest one match may take. */
  readonly matchTimeoutMs: number;
  /** The longest the worker may take to start. */
  readonly startupTimeoutMs: number;
  /** Time spent on starts and abandoned matches, in all, before every sandboxed pattern is given up. */
  readonly totalMs: number;
}

export const DEFAULT_MATCH_BUDGET: MatchBudget = Object.freeze({
  matchTimeoutMs: 500,
  startupTimeoutMs: 2000,
  totalMs: 3000,
});

/** The answer of a bounded match: true/false, or why there is none. */
export type BoundedAnswer =
  | { readonly ok: true; readonly matched: readonly boolean[] }
  | { readonly ok: false; readonly reason: 'timeout' | 'budget' | 'unavailable'; readonly detail: string };

// Shared ints: [0] the number of the last request answered, [1] the worker is ready.
const ANSWERED = 0;
const READY = 1;

/**
 * The worker: compiles each pattern once and answers `test()` requests. Plain
 * CommonJS run with `eval`, so the bundles need no extra file.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const shared = new Int32Array(workerData.buffer);
const port = workerData.port;
const compiled = new Map();
workerData.requests.on('message', (m) => {
  const answers = [];
  let re = compiled.get(m.id);
  try {
    if (!re) { re = new RegExp(m.source, m.flags); compiled.set(m.id, re); }
    for (const text of m.texts) { re.lastIndex = 0; answers.push(re.test(text)); }
  } catch { while (answers.length < m.texts.length) answers.push(false); }
  port.postMessage({ seq: m.seq, answers });
  Atomics.store(shared, ${ANSWERED}, m.seq);
  Atomics.notify(shared, ${ANSWERED});
});
Atomics.store(shared, ${READY}, 1);
Atomics.notify(shared, ${READY});
`;

/** Milliseconds from a monotonic clock (never the wall clock: the model does not read it). */
function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

interface Thread {
  readonly worker: Worker;
  readonly shared: Int32Array;
  /** Where requests go. */
  readonly requests: MessagePort;
  /** Where answers come back, read synchronously. */
  readonly answers: MessagePort;
}

export class RegexSandbox {
  private thread: Thread | undefined;
  private seq = 0;
  private spentMs = 0;
  private unavailable: string | undefined;
  private nextId = 1;

  constructor(readonly budget: MatchBudget = DEFAULT_MATCH_BUDGET) {}

  /** An id for a pattern, under which the worker keeps it compiled. */
  register(): number {
    return this.nextId++;
  }

  /** True once the budget is spent or no worker could start: nothing more is sandboxed. */
  get exhausted(): boolean {
    return this.unavailable !== undefined;
  }

  /** Milliseconds spent waiting on starts and abandoned matches so far. */
  get spent(): number {
    return this.spentMs;
  }

  /**
   * `new RegExp(source, flags).test(text)` for each text, within one match
   * timeout for all of them. Never throws.
   */
  test(id: number, source: string, flags: string, texts: readonly string[]): BoundedAnswer {
    if (this.unavailable !== undefined)
      return {
        ok: false,
        reason: this.spentMs >= this.budget.totalMs ? 'budget' : 'unavailable',
        detail: this.unavailable,
      };
    const thread = this.thread ?? this.start();
    if (!thread) return { ok: false, reason: 'unavailable', detail: this.unavailable ?? 'no thread' };
    const seq = ++this.seq;
    const t0 = monotonicMs();
    try {
      thread.requests.postMessage({ seq, id, source, flags, texts });
    } catch (error) {
      return this.giveUp('unavailable', `the matching thread failed: ${(error as Error).message}`);
    }
    const deadline = t0 + this.budget.matchTimeoutMs;
    for (;;) {
      if (Atomics.load(thread.shared, ANSWERED) === seq) {
        for (;;) {
          const message = receiveMessageOnPort(thread.answers)?.message as
            { seq: number; answers: boolean[] } | undefined;
          if (!message) break;
          if (message.seq === seq) return { ok: true, matched: message.answers };
        }
        return this.giveUp('unavailable', 'the matching thread gave no answer');
      }
      const left = deadline - monotonicMs();
      if (left <= 0) break;
      Atomics.wait(thread.shared, ANSWERED, seq - 1, left);
    }
    // The match ran out: stop it (V8 interrupts a running regex); the next one starts afresh.
    this.spentMs += monotonicMs() - t0;
    this.stop();
    if (this.spentMs >= this.budget.totalMs)
      return this.giveUp('budget', `matching took more than ${this.budget.totalMs} ms in all`);
    return { ok: false, reason: 'timeout', detail: `longer than ${this.budget.matchTimeoutMs} ms` };
  }

  /** Ends the worker, if any (a later match starts another). */
  stop(): void {
    const thread = this.thread;
    this.thread = undefined;
    if (!thread) return;
    thread.requests.close();
    thread.answers.close();
    thread.worker.terminate().catch(() => undefined);
  }

  private giveUp(reason: 'budget' | 'unavailable', detail: string): BoundedAnswer {
    this.unavailable = detail;
    this.stop();
    return { ok: false, reason, detail };
  }

  private start(): Thread | undefined {
    const t0 = monotonicMs();
    try {
      const buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
      const shared = new Int32Array(buffer);
      const toWorker = new MessageChannel();
      const fromWorker = new MessageChannel();
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { buffer, requests: toWorker.port2, port: fromWorker.port2 },
        transferList: [toWorker.port2, fromWorker.port2],
        // It needs no environment.
        env: {},
      });
      worker.unref();
      worker.on('error', () => undefined);
      toWorker.port1.unref();
      fromWorker.port1.unref();
      const wait = Math.min(this.budget.startupTimeoutMs, Math.max(0, this.budget.totalMs - this.spentMs));
      Atomics.wait(shared, READY, 0, wait);
      this.spentMs += monotonicMs() - t0;
      this.thread = { worker, shared, requests: toWorker.port1, answers: fromWorker.port1 };
      if (Atomics.load(shared, READY) !== 1) {
        this.giveUp('unavailable', `the matching thread did not start within ${wait} ms`);
        return undefined;
      }
      this.seq = 0;
      return this.thread;
    } catch (error) {
      this.spentMs += monotonicMs() - t0;
      this.giveUp('unavailable', `no thread to match in: ${(error as Error).message}`);
      return undefined;
    }
  }
}
