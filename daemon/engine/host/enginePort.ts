// The engine script's side of its link to the daemon, whichever host runs it (engineHosts.ts):
// a forked child process (the daemon's default: a native crash ends only that process) talks
// through process.send, a worker thread through parentPort. workers/engineProcess.ts sees one port.
import { parentPort, workerData } from 'node:worker_threads';

/** What the engine script posts and receives, in either host. */
export interface EnginePort {
  /** `transfer` moves buffers to a worker thread; a process copies them anyway (IPC). */
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (value: never) => void): void;
}

/** Environment variable carrying the init data to a forked engine process (JSON). */
export const ENGINE_INIT_ENV = 'SEGLENS_ENGINE_INIT';

export function enginePort<Init>(): { port: EnginePort; init: Partial<Init> } {
  if (parentPort) return { port: parentPort as unknown as EnginePort, init: (workerData ?? {}) as Partial<Init> };
  const send = process.send?.bind(process);
  if (!send) throw new Error('engineWorker.js must be started by the daemon (a forked process or a worker thread)');
  // The engine never outlives its daemon: when the IPC channel closes (the daemon exited, or
  // was killed with -9), so does the engine. Ctrl-C in a terminal reaches the whole process
  // group: the daemon stops the engine itself, in order.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGINT', () => undefined);
  const init = JSON.parse(process.env[ENGINE_INIT_ENV] ?? '{}') as Partial<Init>;
  const port: EnginePort = {
    // Each answer carries the engine process's RSS: the daemon's memory budget and status
    // count it (a thread's memory is the daemon's own already).
    postMessage: (value) => void send(isResult(value) ? { ...value, engineRss: process.memoryUsage.rss() } : value),
    on: (_event, listener) => void process.on('message', listener as (m: unknown) => void),
  };
  return { port, init };
}

const isResult = (v: unknown): v is object => typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'result';
