// Where the engine script (dist/engineWorker.js) runs, seen from the daemon. The default is a
// child process the daemon forks and supervises: a segfault or abort in ONNX Runtime or libvips
// ends that process only, and the daemon starts another on demand. A worker thread shares the
// daemon's process (such a crash takes the daemon and every window's work along: see
// test/integration/crashIsolation.test.ts); it stays for tests and diagnosis
// (SEGLENS_ENGINE_HOST=thread).
import { ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { ENGINE_INIT_ENV } from './enginePort';

export type EngineHostKind = 'process' | 'thread';

export interface HostEvents {
  message(value: unknown): void;
  /** The engine ended without being asked to (crash, signal, uncaught error): `why` says how. */
  died(why: string): void;
  /** A line the engine wrote on its stdout (never the daemon's: under --stdio that is the protocol). */
  stdoutLine(line: string): void;
}

export interface EngineHost {
  readonly kind: EngineHostKind;
  /** The engine's own process id (a thread shares the daemon's). */
  readonly pid: number | undefined;
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[]): void;
  /** Ends it at once (SIGKILL / terminate), without a `died` event. */
  kill(): Promise<void>;
}

/** The host the daemon uses: a process, unless SEGLENS_ENGINE_HOST=thread (tests, diagnosis). */
export function defaultHostKind(env: NodeJS.ProcessEnv = process.env): EngineHostKind {
  return env.SEGLENS_ENGINE_HOST === 'thread' ? 'thread' : 'process';
}

export function startHost(kind: EngineHostKind, file: string, init: object, events: HostEvents): EngineHost {
  return kind === 'thread' ? startThread(file, init, events) : startProcess(file, init, events);
}

/** The engine script beside the daemon's bundle (dist/). */
export function defaultEngineScript(): string {
  return path.join(__dirname, 'engineWorker.js');
}

/** An engine process forked before its owner exists; its events wait for `adopt`. */
export interface EarlyHost {
  readonly init: object;
  /** Hands the process and what it said so far to `events`; undefined if it died meanwhile. */
  adopt(events: HostEvents): EngineHost | undefined;
  kill(): Promise<void>;
}

/**
 * Forks the engine process at once. The daemon does this first thing (main.ts, issue #14): the
 * engine's start (Node, ONNX Runtime, libvips) then runs beside the daemon's own, not after it.
 */
export function forkEarly(file: string, init: object): EarlyHost {
  let target: HostEvents | undefined;
  let died = false;
  const queued: (() => void)[] = [];
  const relay = (f: (t: HostEvents) => void) => (target ? f(target) : queued.push(() => f(target!)));
  const host = startProcess(file, init, {
    message: (m) => relay((t) => t.message(m)),
    died: (why) => (target ? target.died(why) : (died = true)),
    stdoutLine: (line) => relay((t) => t.stdoutLine(line)),
  });
  return {
    init,
    adopt(events) {
      if (died) return undefined;
      target = events;
      for (const f of queued.splice(0)) f();
      return host;
    },
    kill: () => host.kill(),
  };
}

function forwardLines(stream: Readable, events: HostEvents): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) events.stdoutLine(line);
  });
}

/** `died` is reported once, and never after `end()` (a kill the daemon asked for). */
function once(events: HostEvents): { died: (why: string) => void; end: () => void } {
  let ended = false;
  return {
    died: (why) => {
      if (ended) return;
      ended = true;
      events.died(why);
    },
    end: () => (ended = true),
  };
}

function startThread(file: string, init: object, events: HostEvents): EngineHost {
  const w = new Worker(file, { workerData: init, stdout: true });
  forwardLines(w.stdout, events);
  const { died, end } = once(events);
  w.on('message', (m: unknown) => events.message(m));
  w.on('error', (e: Error) => died(`inference worker crashed: ${e.message}`));
  w.on('messageerror', (e: Error) => died(`inference worker sent an unreadable message: ${e.message}`));
  w.on('exit', (code: number) => died(`inference worker exited unexpectedly (exit code ${code})`));
  return {
    kind: 'thread',
    pid: undefined,
    postMessage: (value, transfer) => w.postMessage(value, transfer as ArrayBuffer[] | undefined),
    async kill() {
      end();
      w.removeAllListeners();
      w.on('error', () => undefined);
      await w.terminate().catch(() => undefined);
    },
  };
}

/**
 * A forked Node process. `serialization: 'advanced'` lets Buffers and typed arrays cross the
 * IPC channel. The environment passes through (plus MALLOC_ARENA_MAX, below): inside VS Code the
 * daemon runs as Electron with ELECTRON_RUN_AS_NODE=1, and the child (same execPath) must be Node too.
 */
function startProcess(file: string, init: object, events: HostEvents): EngineHost {
  // Two malloc arenas (unless the user chose): with one per thread (libvips', ONNX Runtime's),
  // glibc's fragmentation grew the engine by 25 MB over 1,000 folder images; with two, 12 MB
  // (bench P10's memory bound; sharp's documentation advises the same for long-running processes).
  const env = { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2', [ENGINE_INIT_ENV]: JSON.stringify(init) };
  // No inherited --inspect & co.: two processes cannot share a debugger port.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--inspect') && !a.startsWith('--debug'));
  const child: ChildProcess = fork(file, [], { serialization: 'advanced', stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env, execArgv });
  forwardLines(child.stdout!, events);
  const { died, end } = once(events);
  child.on('message', (m: unknown) => events.message(m));
  child.on('error', (e: Error) => died(`the engine process failed: ${e.message}`));
  child.on('exit', (code, signal) => died(`the engine process (pid ${child.pid}) crashed: ${signal ? `killed by ${signal}` : `exit code ${code}`}`));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    kind: 'process',
    pid: child.pid,
    postMessage(value, transfer) {
      if (!child.connected) throw new Error('the engine process is gone');
      // A send that fails (channel closing) is followed by 'exit', which rejects the call.
      child.send(value as object, (e) => e && undefined);
      // The message is serialized by now: let go of the daemon's copy of what would have moved
      // to a thread (the image bytes), as a transfer does (their views become empty).
      for (const b of transfer ?? []) structuredClone(b, { transfer: [b] });
    },
    async kill() {
      end();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      child.removeAllListeners('message');
    },
  };
}
