// One engine job at a time, in arrival order, interactive jobs before batch ones (a gallery's
// folder run must not make the preview wait). Segment requests count against a bound
// (code 1005 past it) and can be cancelled while they wait (code -32800); warm-ups pass
// through the same line so they never overlap an inference.
import { ErrorCodes } from '../api/protocol';
import { SegLensError } from '../api/errors';

export interface CancelSignal {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

/**
 * A place in the line taken before the request does anything else (decode its image, wait for a
 * cold mode to load): it counts against the bound until the job enters the line or the request
 * ends, so no number of requests can wait outside the queue's count (issue #13).
 */
export interface Ticket {
  /** Gives the place back (idempotent; run() does it when the job enters the line). */
  release(): void;
}

interface Waiting {
  start: () => void;
  cancel: (e: Error) => void;
  limited: boolean;
  batch: boolean;
  /** Raised by an interactive request that waits on its result (Promotion). */
  promoted?: boolean;
}

/** 'batch' jobs start only when no interactive job waits. */
export type JobPriority = 'interactive' | 'batch';

/**
 * Raises a batch job to interactive while it waits: a click that joins the embedding a gallery
 * queued must not wait behind the rest of the gallery (issue 25). Made by the caller, passed to
 * run(); promote() before the job waits, while it waits, or after it started (then nothing to do).
 */
export class Promotion {
  private raise: (() => void) | undefined;
  private raised = false;

  promote(): void {
    this.raised = true;
    this.raise?.();
  }

  /** JobQueue: how to raise the job, once it waits. */
  attach(raise: () => void): void {
    this.raise = raise;
    if (this.raised) raise();
  }
}

export class JobQueue {
  private readonly waiting: Waiting[] = [];
  private running = false;
  private idleWaiters: (() => void)[] = [];
  /** Tickets given and not yet turned into a waiting job or released. */
  private admitted = 0;

  /** `onRejected` is called for every request refused with 1005 (seglens_queue_rejected_total). */
  constructor(
    private readonly maxWaiting: number,
    private readonly onRejected: () => void = () => undefined,
  ) {}

  /** Requests that count against the bound and have not started yet. */
  get waitingCount(): number {
    return this.waiting.filter((w) => w.limited).length + this.admitted;
  }

  /** Takes a place in the line now (1005 when there is none); pass it to run() later. */
  admit(): Ticket {
    // With nothing running, one more: the first request runs rather than waits (as in run()).
    if (this.waitingCount >= this.maxWaiting + (this.running ? 0 : 1)) throw this.overloaded();
    this.admitted++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.admitted--;
      },
    };
  }

  /** Jobs waiting now (not running), by priority (seglens_queue_waiting). */
  waitingByPriority(): Record<JobPriority, number> {
    const batch = this.waiting.filter((w) => w.batch).length;
    return { interactive: this.waiting.length - batch, batch };
  }

  /** Nothing runs and nothing waits: no other job needs the engine now. */
  get idle(): boolean {
    return !this.running && this.waiting.length === 0;
  }

  /** Throws 1005 when a limited job would not fit; lets callers refuse before doing any work. */
  checkCapacity(): void {
    if (this.waitingCount >= this.maxWaiting) throw this.overloaded();
  }

  private overloaded(): SegLensError {
    this.onRejected();
    return new SegLensError(ErrorCodes.Overloaded, `SegLens is busy: ${this.maxWaiting} requests are already waiting; try again shortly`);
  }

  /**
   * Runs `job` when its turn comes; resolves with its result and the time it waited. A job may
   * call `release` once it no longer needs the line (a segment after its inference: the next
   * job's inference then overlaps its postprocessing); otherwise the line frees when it ends.
   */
  run<T>(
    job: (release: () => void) => Promise<T>,
    opts: { limited?: boolean; token?: CancelSignal; priority?: JobPriority; ticket?: Ticket; promotion?: Promotion } = {},
  ): Promise<{ value: T; queueMs: number }> {
    const limited = opts.limited ?? false;
    // The ticket's place becomes the waiting entry's: released in the same tick it is pushed.
    opts.ticket?.release();
    if (opts.token?.isCancellationRequested) return Promise.reject(cancelled());
    try {
      if (limited && !opts.ticket) this.checkCapacity();
    } catch (e) {
      return Promise.reject(e);
    }
    const enqueued = performance.now();
    return new Promise((resolve, reject) => {
      let sub: { dispose(): void } | undefined;
      const entry: Waiting = {
        limited,
        batch: opts.priority === 'batch',
        cancel: reject,
        start: () => {
          sub?.dispose();
          const queueMs = performance.now() - enqueued;
          let freed = false;
          const release = () => {
            if (freed) return;
            freed = true;
            // A raised job's waiter has a job to follow (a click's decoder after the encoder run
            // it joined) that enters the line within this turn: let it come in before choosing.
            if (entry.promoted) setImmediate(() => this.next());
            else this.next();
          };
          job(release).then(
            (value) => resolve({ value, queueMs }),
            reject,
          ).finally(release);
        },
      };
      sub = opts.token?.onCancellationRequested(() => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) {
          this.waiting.splice(i, 1);
          sub?.dispose(); // a client's token outlives the request: do not keep the listener
          reject(cancelled());
        }
      });
      // Raised, it keeps its place in arrival order among the interactive jobs.
      opts.promotion?.attach(() => {
        entry.batch = false;
        entry.promoted = true;
      });
      this.waiting.push(entry);
      if (!this.running) this.next();
    });
  }

  /** Calls `cb` once nothing runs and nothing waits (at once if that is now). */
  whenIdle(cb: () => void): void {
    if (!this.running && this.waiting.length === 0) setImmediate(cb);
    else this.idleWaiters.push(cb);
  }

  /** Rejects every job that has not started (used at shutdown). */
  rejectAll(error: Error): void {
    for (const w of this.waiting.splice(0)) w.cancel(error);
  }

  private next(): void {
    const first = this.waiting.findIndex((w) => !w.batch);
    const entry = this.waiting.splice(first >= 0 ? first : 0, 1)[0];
    this.running = entry !== undefined;
    if (entry) entry.start();
    else for (const cb of this.idleWaiters.splice(0)) cb();
  }
}

function cancelled(): SegLensError {
  return new SegLensError(ErrorCodes.RequestCancelled, 'the request was cancelled');
}
