// Daemon handling for the bench: spawn `dist/daemon.js --listen` (one at a time), connect,
// stop; /proc RSS; Prometheus metric samples.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectSocket, DaemonClient } from '../daemon/api/client';
import { waitForSocket } from '../daemon/api/waitForSocket';
import { toArgv } from '../daemon/api/daemonArgs';
import { DAEMON_JS, daemonProvider } from './settings';
import { now } from './stats';

// ------------------------------------------------------------------------------- daemon

export interface RunningDaemon {
  child: ChildProcess;
  pid: number;
  cacheDir: string;
  socketPath: string;
  /** From spawn to the socket accepting connections. */
  startMs: number;
  stderr(): string;
  connect(name: string): Promise<DaemonClient>;
  stop(): Promise<void>;
}

export const tempDirs: string[] = [];
export function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}
export let liveDaemon: RunningDaemon | undefined;

export async function startDaemon(cacheDir: string, extraArgs: string[] = []): Promise<RunningDaemon> {
  if (liveDaemon) throw new Error('bench: a daemon is already running (one at a time)');
  const base = tempDir('seglens-bench-run-');
  const socketPath = path.join(base, 'run', 'daemon.sock');
  const t0 = now();
  // --provider: a software GPU runs far past the inference watchdog's floor, so it is off then.
  const gpu = daemonProvider && daemonProvider !== 'cpu' ? { provider: daemonProvider, watchdogSeconds: 0 } : {};
  const child = spawn(process.execPath, [DAEMON_JS, ...toArgv({ listen: socketPath, cacheDir, logLevel: 'warn', idleExitSeconds: 3600, ...gpu }), ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const check = () => {
    if (child.exitCode !== null) throw new Error(`daemon exited with code ${child.exitCode}: ${err}`);
  };
  const first = await waitForSocket(socketPath, { timeoutMs: 30_000, check });
  if (!first) {
    child.kill('SIGKILL');
    throw new Error(`daemon did not listen on ${socketPath} within 30 s: ${err}`);
  }
  first.dispose();
  const startMs = now() - t0;
  const d: RunningDaemon = {
    child,
    pid: child.pid!,
    cacheDir,
    socketPath,
    startMs,
    stderr: () => err,
    async connect(name: string) {
      const c = await connectSocket(socketPath, 5000);
      await c.initialize({ clientName: name, clientVersion: 'bench' });
      return c;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          const c = await this.connect('bench-stop');
          await Promise.race([c.shutdown(), new Promise((r) => setTimeout(r, 5000))]).catch(() => undefined);
          c.dispose();
        } catch {
          child.kill('SIGTERM');
        }
        const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(t);
      }
      liveDaemon = undefined;
    },
  };
  liveDaemon = d;
  return d;
}

/** RSS of a process from /proc (current and peak), in bytes. */
export function procRss(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** VmRSS in bytes of a process and its descendants (an engine in a child process counts too). */
export function procTreeRss(pid: number): number | undefined {
  const own = procRss(pid);
  if (!own) return undefined;
  let total = own.rss;
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return total;
  }
  for (const t of tasks) {
    let kids: string[] = [];
    try {
      kids = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(/\s+/).filter(Boolean);
    } catch {
      continue;
    }
    for (const k of kids) total += procTreeRss(Number(k)) ?? 0;
  }
  return total;
}

/** One sample of a Prometheus metric (summed over matching label sets; 0 when absent). */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[3] ?? '').match(/[a-zA-Z_]\w*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const i = kv.indexOf('=');
      got[kv.slice(0, i)] = kv.slice(i + 2, -1);
    }
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total += Number(m[4]);
  }
  return total;
}

export async function counters(c: DaemonClient, mode: string) {
  const { text } = await c.metrics();
  return {
    loads: metric(text, 'seglens_model_loads_total', { mode }),
    warmups: metric(text, 'seglens_warmup_runs_total', { mode }),
    skipped: metric(text, 'seglens_warmup_skipped_total', { mode }),
  };
}


/** Kills a daemon left running (on error or Ctrl-C) and removes the temporary folders. */
export function cleanupDaemons(): void {
  if (liveDaemon && liveDaemon.child.exitCode === null) liveDaemon.child.kill('SIGKILL');
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
}
