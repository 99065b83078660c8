// Starts the real daemon (`node dist/daemon.js`) for integration tests, and reads its metrics.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectSocket, DaemonClient, spawnStdio } from '../../daemon/api/client';
import { waitForSocket } from '../../daemon/api/waitForSocket';
import { DaemonOptions, toArgv } from '../../daemon/api/daemonArgs';
import { ModeStatus } from '../../daemon/api/protocol';
import { daemonJs } from './repo';

export function tempDir(prefix = 'seglens-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface ListeningDaemon {
  child: ChildProcess;
  socketPath: string;
  cacheDir: string;
  stderr: () => string;
  exited: Promise<number | null>;
  connect(name?: string): Promise<DaemonClient>;
  stop(): Promise<void>;
}

/** Extra flags: typed options, or a raw command line (to hand the daemon a bad one on purpose). */
export type ExtraArgs = DaemonOptions | string[];
const argvOf = (extra: ExtraArgs) => (Array.isArray(extra) ? extra : toArgv(extra));

/** `node dist/daemon.js --listen <tmp>/s/daemon.sock`, resolved once it accepts connections. */
export async function startListening(extraArgs: ExtraArgs = [], opts: { socketPath?: string; cacheDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ListeningDaemon> {
  const base = tempDir();
  const socketPath = opts.socketPath ?? path.join(base, 'run', 'daemon.sock');
  const cacheDir = opts.cacheDir ?? path.join(base, 'cache');
  const child = spawn(process.execPath, [daemonJs, ...toArgv({ listen: socketPath, cacheDir, logLevel: 'debug' }), ...argvOf(extraArgs)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const check = () => {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${err}`);
  };
  // Started once it says so (after it identified its socket file), not merely when the kernel accepts a connection.
  const ready = () => /listening on/.test(err);
  const first = await waitForSocket(socketPath, { timeoutMs: 15_000, attemptMs: 500, pauseMs: 50, check, ready });
  if (!first) {
    child.kill('SIGKILL'); // never leave a daemon behind, on failure too
    throw new Error(`daemon did not listen on ${socketPath}: ${err}`);
  }
  first.dispose();
  return {
    child,
    socketPath,
    cacheDir,
    stderr: () => err,
    exited,
    async connect(name = 'test') {
      const c = await connectSocket(socketPath);
      await c.initialize({ clientName: name });
      return c;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      // The daemon exits after its engine (test: crashIsolation's "exits only after"); before that
      // fix an engine still saving its optimised graph made this fail with ENOTEMPTY once. The
      // retries stay for a daemon killed with SIGKILL above, whose engine ends on its own.
      fs.rmSync(base, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
    },
  };
}

/** A `--stdio` daemon owned by one client. */
export async function startStdio(extraArgs: ExtraArgs = []): Promise<{ client: DaemonClient; stderr: () => string; cacheDir: string }> {
  const cacheDir = tempDir('seglens-cache-');
  const client = spawnStdio(daemonJs, [...toArgv({ cacheDir, logLevel: 'debug' }), ...argvOf(extraArgs)]);
  let err = '';
  client.child!.stderr!.on('data', (d) => (err += d));
  // The optimised-graph cache puts ~170 MB in the cache folder: gone with the daemon.
  client.child!.once('exit', () => fs.rmSync(cacheDir, { recursive: true, force: true }));
  await client.initialize({ clientName: 'test-stdio' });
  return { client, stderr: () => err, cacheDir };
}

/** The value of one sample of a metric (0 when absent): `metric(text, 'seglens_warmup_runs_total', {mode: 'fast'})`. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[3] ?? '').split(',').filter(Boolean)) {
      const [k, v] = kv.split('=');
      got[k] = v.replace(/^"|"$/g, '');
    }
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) {
      total += Number(m[4]);
      found = true;
    }
  }
  return found ? total : 0;
}

/** Fetches the daemon's metrics and reads several counters at once. */
export async function counters(client: DaemonClient, mode: string): Promise<{ loads: number; warmups: number; skipped: number }> {
  const { text } = await client.metrics();
  return {
    loads: metric(text, 'seglens_model_loads_total', { mode }),
    warmups: metric(text, 'seglens_warmup_runs_total', { mode }),
    skipped: metric(text, 'seglens_warmup_skipped_total', { mode }),
  };
}

/**
 * The mode is still loaded and warm. A background re-warm (the daemon re-warms a mode whose
 * inference got slower than 1.5x its baseline, which a busy machine can cause) shows as
 * `warming` of a mode that stays loaded: that is still "warm" for these checks.
 */
export function assertStillWarm(s: ModeStatus | undefined, what: string): void {
  assert.ok(s, `${what}: mode missing from status`);
  assert.equal(s.loaded, true, `${what}: ${s.mode} is still loaded`);
  assert.ok(s.warmups >= 1, `${what}: ${s.mode} has been warmed up`);
  assert.ok(s.state === 'warm' || s.state === 'warming', `${what}: ${s.mode} is ${s.state}`);
}
