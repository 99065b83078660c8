// Bringing a daemon up: connect to the per-user shared daemon, or spawn it detached and
// connect once it listens; or spawn a per-window `--stdio` daemon. No state here: the
// supervisor decides when to call these.
import { DaemonLimits, limitsArgs } from './daemonLimits';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connectSocket, DaemonClient, spawnStdio } from '../../daemon/api/client';
import { waitForSocket } from '../../daemon/api/waitForSocket';
import { ExitCodes, ProviderChoice } from '../../daemon/api/constants';
import { toArgv } from '../../daemon/api/daemonArgs';
import { LogTail } from './logTail';

export interface LaunchOptions {
  daemonJs: string;
  socketPath: string;
  cacheDir: string;
  provider: ProviderChoice;
  idleExitSeconds: number;
  /** A mode the daemon starts loading and warming at once (the window's current mode). */
  preload?: string;
  /** Dummy inferences per warm-up (seglens.warmup.iterations). */
  warmupIterations?: number;
  /** Keep-alive and memory budget (seglens.daemon.keepAliveMinutes, maxLoadedModels, maxRssMb). */
  limits?: DaemonLimits;
  /** Receives the daemon's stderr, line by line. */
  onStderr: (line: string) => void;
  /** How long a spawned shared daemon may take before it accepts connections. */
  startTimeoutMs?: number;
}

export interface Launched {
  client: DaemonClient;
  /** pid of the process this call spawned (whether or not it is the daemon connected to). */
  childPid?: number;
  /** Stops forwarding the spawned daemon's stderr. */
  release(): void;
}

// Electron's binary behaves as plain Node with this set; harmless when execPath is Node already.
const nodeEnv = () => ({ ...process.env, ELECTRON_RUN_AS_NODE: '1' });

/**
 * Connects to a shared daemon if one listens; never spawns. A socket that fails the ownership
 * checks (privateDir.ts) is an error, not "nobody listens": spawning would not help.
 */
export async function tryConnectShared(socketPath: string, timeoutMs = 1_000): Promise<DaemonClient | undefined> {
  try {
    return await connectSocket(socketPath, timeoutMs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EUNSAFE') throw e;
    return undefined;
  }
}

/** The flags of a shared daemon started with these options. */
export function sharedDaemonArgv(opts: Omit<LaunchOptions, 'daemonJs' | 'onStderr'>): string[] {
  return toArgv({
    listen: opts.socketPath,
    idleExitSeconds: opts.idleExitSeconds,
    cacheDir: opts.cacheDir,
    provider: opts.provider,
    preload: opts.preload ? [opts.preload] : undefined,
    warmupIterations: opts.warmupIterations || undefined,
    ...(opts.limits ? limitsArgs(opts.limits) : {}),
  });
}

/**
 * Connects to the shared daemon, spawning it first when nobody listens. Two windows racing
 * both spawn; the loser exits with code 3 and its window connects to the winner.
 */
export async function connectOrSpawnShared(opts: LaunchOptions): Promise<Launched> {
  const existing = await tryConnectShared(opts.socketPath);
  if (existing) return { client: existing, release: () => undefined };

  fs.mkdirSync(opts.cacheDir, { recursive: true });
  // stderr goes to a file, not a pipe: the daemon outlives this window, and a pipe whose
  // reader went away would fail its writes. The window tails the file while it lives.
  const logFile = path.join(opts.cacheDir, 'daemon-stderr.log');
  rotateIfLarge(logFile);
  const fd = fs.openSync(logFile, 'a');
  const recent: string[] = [];
  const tail = new LogTail(logFile, fs.fstatSync(fd).size, (line) => {
    recent.push(line);
    if (recent.length > 3) recent.shift();
    opts.onStderr(line);
  });
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [opts.daemonJs, ...sharedDaemonArgv(opts)],
      { detached: true, stdio: ['ignore', 'ignore', fd], env: nodeEnv(), cwd: path.dirname(opts.daemonJs), windowsHide: true },
    );
  } finally {
    fs.closeSync(fd);
  }
  child.unref();
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  child.on('exit', (code, signal) => (exit = { code, signal }));
  child.on('error', (err) => (spawnError = err));

  // The loser of a race between two windows exits with AlreadyRunning: keep trying the winner.
  const check = () => {
    if (spawnError) throw new Error(`could not start the SegLens daemon: ${spawnError.message}`);
    if (exit && exit.code !== ExitCodes.AlreadyRunning) {
      tail.flush();
      const why = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const said = recent.join(' | ');
      throw new Error(`the SegLens daemon ${why} while starting${said ? `: ${said.length > 400 ? `…${said.slice(-400)}` : said}` : ''}`);
    }
  };
  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  const client = await waitForSocket(opts.socketPath, { timeoutMs, pauseMs: 100, maxPauseMs: 500, check }).catch((e: unknown) => {
    tail.dispose();
    throw e;
  });
  if (!client) {
    tail.dispose();
    throw new Error(`the SegLens daemon did not accept connections on ${opts.socketPath} within ${Math.round(timeoutMs / 1000)} s`);
  }
  // Whether our child won the race shows after initialize (its pid); the caller releases the
  // tail if the daemon is another window's.
  return { client, childPid: child.pid, release: () => tail.dispose() };
}

/** A per-window daemon on stdin/stdout; it exits when this window closes its stdin. */
export function spawnPerWindow(opts: Omit<LaunchOptions, 'socketPath' | 'idleExitSeconds'>): Launched {
  fs.mkdirSync(opts.cacheDir, { recursive: true });
  const args = toArgv({ cacheDir: opts.cacheDir, provider: opts.provider, warmupIterations: opts.warmupIterations || undefined, ...(opts.limits ? limitsArgs(opts.limits) : {}) });
  const client = spawnStdio(opts.daemonJs, args, {
    env: nodeEnv(),
    cwd: path.dirname(opts.daemonJs),
    windowsHide: true,
  });
  let buffered = '';
  client.child?.stderr?.setEncoding('utf8');
  client.child?.stderr?.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split(/\r?\n/);
    buffered = lines.pop() ?? '';
    for (const l of lines) if (l) opts.onStderr(l);
  });
  return { client, childPid: client.child?.pid, release: () => undefined };
}

function rotateIfLarge(file: string): void {
  try {
    if (fs.statSync(file).size > 5 * 1024 * 1024) fs.renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
}
