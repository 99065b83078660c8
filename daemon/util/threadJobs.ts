// A small worker thread for one kind of job, off the daemon's main thread (the result cache's
// content hashes, results/fileHash.ts): started on first use, stopped when idle, never what keeps
// the daemon alive. Without its bundled file (code bundled elsewhere, e.g. a test) jobs run inline.
import * as fs from 'node:fs';
import { Worker, parentPort } from 'node:worker_threads';
import type { Transferable } from 'node:worker_threads';

interface Reply<R, E> {
  id: number;
  result?: R;
  error?: E;
}

export interface ThreadJobsOptions<J, R, E> {
  /** The worker's file (its entry calls serveThreadJobs). */
  file: string;
  /** Runs a job here when `file` does not exist. */
  inline: (job: J) => Promise<R>;
  /** An error the worker sent back, as the caller's error. */
  toError: (e: E) => Error;
  /** Every waiting job fails with this when the thread stops or fails. */
  stopped: (why: Error) => Error;
  idleMs?: number;
}

export class ThreadJobs<J, R, E> {
  private worker: Worker | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: R) => void; reject: (e: Error) => void }>();

  constructor(private readonly opts: ThreadJobsOptions<J, R, E>) {}

  run(job: J, transfer: Transferable[] = []): Promise<R> {
    if (!fs.existsSync(this.opts.file)) return this.opts.inline(job);
    clearTimeout(this.idleTimer);
    const w = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, job }, transfer);
    });
  }

  private start(): Worker {
    const w = new Worker(this.opts.file);
    w.unref();
    w.on('message', (m: Reply<R, E>) => {
      const p = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error !== undefined) p?.reject(this.opts.toError(m.error));
      else p?.resolve(m.result as R);
      if (this.waiting.size === 0) {
        this.idleTimer = setTimeout(() => {
          if (this.worker === w) this.worker = undefined;
          void w.terminate();
        }, this.opts.idleMs ?? 30_000).unref();
      }
    });
    const gone = (e: Error) => {
      if (this.worker === w) this.worker = undefined;
      const err = this.opts.stopped(e);
      for (const p of this.waiting.values()) p.reject(err);
      this.waiting.clear();
    };
    w.on('error', gone);
    w.on('exit', (code) => gone(new Error(`exit code ${code}`)));
    return w;
  }
}

/** The worker's side: one job at a time, in arrival order (bounded memory); a failure goes back through `serialize`. */
export function serveThreadJobs<J, R>(run: (job: J) => Promise<R>, serialize: (e: unknown) => unknown): void {
  let line: Promise<void> = Promise.resolve();
  parentPort!.on('message', (m: { id: number; job: J }) => {
    line = line.then(() =>
      run(m.job).then(
        (result) => parentPort!.postMessage({ id: m.id, result }),
        (e) => parentPort!.postMessage({ id: m.id, error: serialize(e) }),
      ),
    );
  });
}
