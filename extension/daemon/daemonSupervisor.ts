// Owns the connection to the daemon: attach to a running shared daemon, start one on demand,
// restart after crashes with a growing delay (RestartPolicy), give up into a `failed` state,
// and stop cleanly on deactivate. Everything else asks it for a client.
import * as vscode from 'vscode';
import type { DaemonClient } from '../../daemon/api/client';
import type { InitializeResult, LogParams, ModeInfo, ModesChangedParams, ModeStatus, StatusResult } from '../../daemon/api/protocol';
import { readConfig } from '../config';
import { connectOrSpawnShared, Launched, spawnPerWindow, tryConnectShared } from './daemonLauncher';
import { RestartPolicy } from './restartPolicy';
import type { DaemonState } from '../status/statusText';
import { LOG_LEVELS } from '../../daemon/api/constants';

/** A daemon stderr line: `<ISO time> [<level>] <message>`. */
const STDERR_LINE = new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\[(${LOG_LEVELS.join('|')})\\] (.*)$`);

export interface SupervisorOptions {
  daemonJs: string;
  socketPath: string;
  cacheDir: string;
  clientVersion: string;
  log: vscode.LogOutputChannel;
  policy?: RestartPolicy;
  initializeTimeoutMs?: number;
}

export interface Connected {
  client: DaemonClient;
  init: InitializeResult;
  /** Every mode's state when the connection was made (so a warm mode never shows cold first). */
  status: StatusResult;
  shared: boolean;
  /** This window spawned the daemon. */
  spawned: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class DaemonSupervisor implements vscode.Disposable {
  private _state: DaemonState = 'idle';
  private current: (Connected & { launched: Launched }) | undefined;
  private pending: Promise<Connected | undefined> | undefined;
  private pendingSpawns = false;
  /** The user needed the daemon (preview, warm-up): after a crash, spawn it again. */
  private wanted = false;
  private expectingClose = false;
  private disposed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly policy: RestartPolicy;
  lastError: string | undefined;

  private readonly stateEmitter = new vscode.EventEmitter<DaemonState>();
  private readonly modelStateEmitter = new vscode.EventEmitter<ModeStatus>();
  private readonly connectedEmitter = new vscode.EventEmitter<Connected>();
  private readonly gaveUpEmitter = new vscode.EventEmitter<string>();
  private readonly modesChangedEmitter = new vscode.EventEmitter<ModesChangedParams>();
  readonly onDidChangeState = this.stateEmitter.event;
  /** `seglens/modelState` from whichever daemon is connected (also changes made by other windows). */
  readonly onModelState = this.modelStateEmitter.event;
  readonly onDidConnect = this.connectedEmitter.event;
  /** Too many crashes: the supervisor stopped trying. */
  readonly onDidGiveUp = this.gaveUpEmitter.event;
  /** `seglens/modesChanged`: user modes added, replaced or removed (by this or another window). */
  readonly onModesChanged = this.modesChangedEmitter.event;
  /**
   * Runs after every `initialize` (first connect, reconnect, restart) and before the connection
   * is handed out, so nothing uses a fresh daemon before it knows the user's modes. Its
   * failure is logged, never fatal: the built-in modes still work.
   */
  afterInitialize: ((client: DaemonClient) => Promise<void>) | undefined;

  constructor(private readonly opts: SupervisorOptions) {
    this.policy = opts.policy ?? new RestartPolicy();
  }

  get state(): DaemonState {
    return this._state;
  }
  get connection(): Connected | undefined {
    return this.current;
  }
  get client(): DaemonClient | undefined {
    return this.current?.client;
  }

  /** Connects to an already running shared daemon, if any; never spawns one. */
  async attach(): Promise<boolean> {
    if (this.current) return true;
    if (!readConfig().shared || this._state === 'failed') return false;
    return (await this.connect(false)) !== undefined;
  }

  /** The connected client, starting the daemon if needed. */
  async ensureClient(): Promise<DaemonClient> {
    this.wanted = true;
    if (this.current) return this.current.client;
    if (this._state === 'failed') throw new Error(`the SegLens daemon failed (${this.lastError ?? 'unknown error'}); run "SegLens: Restart Daemon"`);
    const c = await this.connect(true);
    if (!c) throw new Error(this.lastError ?? 'the SegLens daemon is not running');
    return c.client;
  }

  /** Stops the daemon (a shared one for every window) and starts a fresh one. */
  async restart(): Promise<DaemonClient> {
    this.policy.reset();
    this.clearRestartTimer();
    this.lastError = undefined;
    this.setState('restarting');
    await this.stopCurrent(true);
    if (readConfig().shared) await this.waitUntilSocketFree();
    this.setState('idle');
    return this.ensureClient();
  }

  /** Deactivate: leave a shared daemon running for other windows, stop a per-window one. */
  async stop(): Promise<void> {
    this.disposed = true;
    this.clearRestartTimer();
    await this.stopCurrent(!(this.current?.shared ?? true));
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
    this.modelStateEmitter.dispose();
    this.connectedEmitter.dispose();
    this.gaveUpEmitter.dispose();
    this.modesChangedEmitter.dispose();
  }

  // Single flight: attach and start share one attempt; a spawning call that finds only an
  // attach attempt in flight waits for it and, if it found nothing, makes its own.
  private async connect(spawn: boolean): Promise<Connected | undefined> {
    while (!this.current && this.pending) {
      const wasSpawning = this.pendingSpawns;
      try {
        const c = await this.pending;
        if (c) return c;
      } catch (err) {
        if (spawn) throw err;
      }
      if (!spawn) return undefined;
      if (wasSpawning) throw new Error(this.lastError ?? 'the SegLens daemon could not be started');
    }
    if (this.current) return this.current;
    this.pendingSpawns = spawn;
    const attempt = this.launch(spawn).finally(() => {
      if (this.pending === attempt) this.pending = undefined;
    });
    this.pending = attempt;
    return attempt;
  }

  private async launch(spawn: boolean): Promise<Connected | undefined> {
    const cfg = readConfig();
    const log = this.opts.log;
    const onStderr = (line: string) => this.logStderr(line);
    if (spawn && this._state !== 'restarting') this.setState('starting');
    let launched: Launched | undefined;
    try {
      if (cfg.shared) {
        if (spawn) {
          launched = await connectOrSpawnShared({
            daemonJs: this.opts.daemonJs,
            socketPath: this.opts.socketPath,
            cacheDir: this.opts.cacheDir,
            provider: cfg.executionProvider,
            idleExitSeconds: cfg.idleExitSeconds,
            preload: cfg.mode,
            warmupIterations: cfg.warmupIterations,
            onStderr,
          });
        } else {
          const client = await tryConnectShared(this.opts.socketPath);
          if (!client) return undefined;
          launched = { client, release: () => undefined };
        }
      } else {
        if (!spawn) return undefined;
        launched = spawnPerWindow({
          daemonJs: this.opts.daemonJs,
          cacheDir: this.opts.cacheDir,
          provider: cfg.executionProvider,
          warmupIterations: cfg.warmupIterations,
          onStderr,
        });
      }
      const client = launched.client;
      client.onLog((l) => this.logFromDaemon(l));
      client.onModelState((s) => this.modelStateEmitter.fire(s));
      // The mode list changes after initialize (defineModes from afterInitialize or from
      // another window): keep the newest, so listeners of onDidConnect get today's list.
      let modes: ModeInfo[] | undefined;
      client.onModesChanged((p) => {
        modes = p.modes;
        this.modesChangedEmitter.fire(p);
      });
      const initialized = await client.initialize({
        clientName: 'seglens-vscode',
        clientVersion: this.opts.clientVersion,
        initializeTimeoutMs: this.opts.initializeTimeoutMs ?? 10_000,
      });
      if (this.afterInitialize) {
        const timeout = sleep(15_000).then(() => {
          throw new Error('no answer within 15 s');
        });
        await Promise.race([this.afterInitialize(client), timeout]).catch((err) =>
          log.warn(`setting up the user modes on the daemon failed: ${err instanceof Error ? err.message : err}`),
        );
      }
      const init: InitializeResult = modes ? { ...initialized, modes } : initialized;
      // After afterInitialize, so the modes it added have their (cold) state too.
      const status = await client.status();
      if (this.disposed) {
        client.dispose();
        return undefined;
      }
      const spawned = launched.childPid !== undefined && launched.childPid === init.pid;
      // Our spawn lost the race to another window's daemon: that window shows its stderr.
      if (!spawned) launched.release();
      const connected = { client, init, status, shared: cfg.shared, spawned, launched };
      this.current = connected;
      client.connection.onClose(() => this.closed(connected));
      client.child?.on('exit', (code, signal) => log.info(`per-window daemon exited (${signal ?? `code ${code}`})`));
      log.info(
        `${spawned ? 'started' : 'connected to'} ${cfg.shared ? `shared daemon on ${this.opts.socketPath}` : 'per-window daemon'}: ` +
          `pid ${init.pid}, daemon ${init.daemonVersion}, providers ${init.providers.join(', ')}`,
      );
      this.lastError = undefined;
      // Listeners learn the modes' states first, then the state flips to ready.
      this.connectedEmitter.fire(connected);
      this.setState('ready');
      if (client.isClosed) this.closed(connected); // it closed before onClose was listened to
      return connected;
    } catch (err) {
      launched?.release();
      launched?.client.dispose();
      const message = err instanceof Error ? err.message : String(err);
      if (!spawn) {
        log.debug(`no running shared daemon to attach to: ${message}`);
        return undefined;
      }
      this.lastError = message;
      log.error(`daemon start failed: ${message}`);
      // A daemon that cannot start counts as a crash, so a broken install ends in `failed`.
      const d = this.policy.crashed();
      if (d.action === 'giveUp') this.giveUp(message);
      else this.setState('idle');
      throw err;
    }
  }

  /** The daemon's stderr lines carry their own time and level; the channel adds both again. */
  private logStderr(line: string): void {
    const m = STDERR_LINE.exec(line);
    if (m) this.logFromDaemon({ level: m[1] as LogParams['level'], message: m[2] });
    else this.opts.log.info(`[daemon] ${line}`);
  }

  private logFromDaemon(l: LogParams): void {
    const log = this.opts.log;
    const m = `[daemon] ${l.message}`;
    if (l.level === 'error') log.error(m);
    else if (l.level === 'warn') log.warn(m);
    else if (l.level === 'debug') log.debug(m);
    else log.info(m);
  }

  private closed(c: Connected & { launched: Launched }): void {
    if (this.current !== c) return;
    this.current = undefined;
    c.launched.release();
    if (this.expectingClose || this.disposed) return;
    const log = this.opts.log;
    if (!this.wanted) {
      // Only attached (the user has not used SegLens in this window): do not spawn, just look
      // again in a moment in case another window restarted it.
      log.info('the shared daemon went away');
      this.setState('idle');
      this.restartTimer = setTimeout(() => void this.attach(), 1_000);
      return;
    }
    const d = this.policy.crashed();
    if (d.action === 'giveUp') {
      this.giveUp(`the daemon stopped unexpectedly ${d.crashes} times in 3 minutes`);
      return;
    }
    log.warn(`connection to the daemon closed unexpectedly (crash ${d.crashes}); reconnecting in ${d.delayMs} ms`);
    this.setState('restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.disposed) return;
      this.connect(true).catch((err) => log.error(`restart failed: ${err instanceof Error ? err.message : err}`));
    }, d.delayMs);
  }

  private giveUp(message: string): void {
    this.lastError = message;
    this.opts.log.error(`giving up on the daemon: ${message}`);
    this.setState('failed');
    this.gaveUpEmitter.fire(message);
  }

  /** Closes the connection; with `stopDaemon`, asks the daemon to shut down, then kills it if it lingers. */
  private async stopCurrent(stopDaemon: boolean): Promise<void> {
    const c = this.current;
    if (!c) return;
    this.expectingClose = true;
    try {
      if (stopDaemon) {
        await Promise.race([c.client.shutdown().catch(() => undefined), sleep(2_000)]);
        // The daemon disconnects its clients as it stops; give it a moment to do so.
        await Promise.race([new Promise<void>((r) => c.client.connection.onClose(() => r())), sleep(1_000)]);
      }
      c.client.dispose();
      const child = c.client.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        if (!(await Promise.race([exited.then(() => true), sleep(1_500).then(() => false)]))) {
          this.opts.log.warn(`per-window daemon ${child.pid} did not exit; killing it`);
          child.kill('SIGKILL');
        }
      }
    } finally {
      if (this.current === c) this.current = undefined;
      c.launched.release();
      this.expectingClose = false;
    }
  }

  /** After a shutdown, wait until the old daemon no longer accepts connections. */
  private async waitUntilSocketFree(): Promise<void> {
    for (let i = 0; i < 30; i++) {
      const probe = await tryConnectShared(this.opts.socketPath, 300).catch(() => undefined); // a refusal surfaces in ensureClient
      if (!probe) return;
      probe.dispose();
      await sleep(100);
    }
  }

  private clearRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private setState(s: DaemonState): void {
    if (this._state === s) return;
    this._state = s;
    this.stateEmitter.fire(s);
  }
}
