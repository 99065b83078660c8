// Jobs run in a child process of their own (issue #20): decoding that is not inference
// (seglens/score, seglens/displayCrop) uses libvips on files the daemon did not make, and a crash
// there must cost that request an error, never the shared daemon. Not the engine's process: a
// crash there would take every warm model and every segment in flight along, and a score would
// wait behind long inferences. The process is forked like the engine's (engineHosts.ts), on first
// use; each kind of job has a bounded line (1005 past it) and runs under a watchdog from the
// moment the process starts it; the process's memory (reported with each answer) counts in the
// daemon's budget, and it stops when idle (freeing, for instance, the crop's decoded image).
// Without its bundled file (code bundled elsewhere, e.g. a test) jobs run inline.
import * as fs from 'node:fs';
import { SegLensError, SerializedError, deserializeError } from '../../api/errors';
import { ErrorCodes } from '../../api/protocol';
import { EngineHost, startHost } from './engineHosts';

/** Daemon → process. */
export interface JobRequest {
  id: number;
  op: string;
  job: unknown;
}

/** Process → daemon. `engineRss` is added by the process's port (enginePort.ts). */
export type JobReply =
  | { type: 'start'; id: number }
  | { type: 'result'; id: number; ok: true; result: unknown; engineRss?: number }
  | { type: 'result'; id: number; ok: false; error: SerializedError; engineRss?: number };

export interface JobProcessOptions {
  /** The process's script (dist/decodeWorker.js). */
  file: string;
  /** What the script starts with (enginePort.ts init). */
  init: object;
  /** Runs a job here when `file` does not exist. */
  inline: (op: string, job: unknown) => Promise<unknown>;
  /** Jobs of each op waiting or running at once; more are refused (1005). */
  maxWaiting: Record<string, number>;
  /** A job still running this long after it started ends the process (0: no watchdog). */
  watchdogMs: number;
  idleMs?: number;
  log?: (level: 'warn' | 'error', message: string) => void;
}

interface Pending {
  op: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

export class JobProcess {
  private host: EngineHost | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private idleTimer: NodeJS.Timeout | undefined;
  private rss = 0;
  private inlineRunning = new Map<string, number>();

  constructor(private readonly opts: JobProcessOptions) {}

  /** The process's resident memory as of its last answer (0 when none runs). */
  get rssBytes(): number {
    return this.host ? this.rss : 0;
  }

  /** The process's id while one runs. */
  get pid(): number | undefined {
    return this.host?.pid;
  }

  run<R>(op: string, job: unknown): Promise<R> {
    const max = this.opts.maxWaiting[op] ?? Infinity;
    const waiting = [...this.pending.values()].filter((p) => p.op === op).length + (this.inlineRunning.get(op) ?? 0);
    if (waiting >= max) return Promise.reject(new SegLensError(ErrorCodes.Overloaded, `${op}: ${max} are already waiting; try again`));
    if (!fs.existsSync(this.opts.file)) return this.runInline(op, job) as Promise<R>;
    clearTimeout(this.idleTimer);
    let host: EngineHost;
    try {
      host = this.host ??= this.start();
    } catch (e) {
      return Promise.reject(e);
    }
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { op, resolve: resolve as (v: unknown) => void, reject });
      try {
        host.postMessage({ id, op, job } satisfies JobRequest);
      } catch (e) {
        this.pending.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** Ends the process (the daemon stops); what is pending fails with 1006. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const host = this.host;
    this.host = undefined;
    this.failAll(new SegLensError(ErrorCodes.ShuttingDown, 'the daemon is stopping'));
    await host?.kill();
  }

  private async runInline(op: string, job: unknown): Promise<unknown> {
    this.inlineRunning.set(op, (this.inlineRunning.get(op) ?? 0) + 1);
    try {
      return await this.opts.inline(op, job);
    } finally {
      this.inlineRunning.set(op, this.inlineRunning.get(op)! - 1);
    }
  }

  private start(): EngineHost {
    this.rss = 0;
    const host: EngineHost = startHost('process', this.opts.file, this.opts.init, {
      message: (m) => this.onMessage(host, m as JobReply),
      died: (why) => this.lost(host, `${why.replace('the engine process', 'the decoding process')}`),
      stdoutLine: () => undefined,
    });
    return host;
  }

  private onMessage(host: EngineHost, m: JobReply): void {
    const p = this.pending.get(m.id);
    if (!p || host !== this.host) return;
    if (m.type === 'start') {
      const ms = this.opts.watchdogMs;
      if (ms > 0) p.timer = setTimeout(() => this.lost(host, `the watchdog ended the decoding process: a ${p.op} ran for more than ${(ms / 1000).toFixed(1)} s`), ms);
      return;
    }
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.engineRss !== undefined) this.rss = m.engineRss;
    if (m.ok) p.resolve(m.result);
    else p.reject(deserializeError(m.error, ErrorCodes.InternalError));
    if (this.pending.size === 0) {
      this.idleTimer = setTimeout(() => {
        if (this.host !== host || this.pending.size > 0) return;
        this.host = undefined;
        void host.kill();
      }, this.opts.idleMs ?? 30_000).unref();
    }
  }

  /** The process died or the watchdog ended it: what it had fails; the next job starts another. */
  private lost(host: EngineHost, why: string): void {
    if (host !== this.host) return;
    this.host = undefined;
    const ops = [...new Set([...this.pending.values()].map((p) => p.op))];
    this.opts.log?.('error', `${why}${ops.length ? `; failed: ${ops.join(', ')}` : ''}`);
    this.failAll(new SegLensError(ErrorCodes.InternalError, `${why}; try again`));
    void host.kill();
  }

  private failAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(e);
    }
  }
}
