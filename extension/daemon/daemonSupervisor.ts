// Owns the connection to the daemon: attach to a running shared daemon, start one on demand,
// restart after crashes with a growing delay (RestartPolicy), give up into a `failed` state,
// and stop cleanly on deactivate. Everything else asks it for a client. The daemon's log goes
// through daemonLog.ts, closing a connection through daemonStop.ts.
import * as vscode from 'vscode';
import type { DaemonClient } from '../../daemon/api/client';
import type { InitializeResult, ModeInfo, ModesChangedParams, ModeStatus, StatusResult } from '../../daemon/api/protocol';
import { Config, readConfig } from '../config';
import type { DaemonState } from '../status/statusText';
import { Disposable } from '../util/dispose';
import { connectOrSpawnShared, Launched, spawnPerWindow, tryConnectShared } from './daemonLauncher';
import { limitsDiffer } from './daemonLimits';
import { logFromDaemon, logStderrLine } from './daemonLog';
import { closeClient, sleep, waitUntilSocketFree } from './daemonStop';
import { RestartPolicy } from './restartPolicy';

export interface SupervisorOptions {
  daemonJs: string;
  socketPath: string;
  cacheDir: string;
  clientVersion: string;
  log: vscode.LogOutputChannel;
  policy?: RestartPolicy;
  initializeTimeoutMs?: number;
  /** Every request's limit (default 5 minutes): a stuck daemon shows an error, not "Segmenting…" forever. */
  requestTimeoutMs?: number;
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

type Current = Connected & { launched: Launched };

export class DaemonSupervisor extends Disposable {
  private _state: DaemonState = 'idle';
  private current: Current | undefined;
  private pending: Promise<Connected | undefined> | undefined;
  private pendingSpawns = false;
  /** The user needed the daemon (preview, warm-up): after a crash, spawn it again. */
  private wanted = false;
  /** The "other settings" message was shown in this window. */
  private limitsTold = false;
  private expectingClose = false;
  /** stop() was called (deactivate): no reconnecting, no new connections. */
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly policy: RestartPolicy;
  lastError: string | undefined;

  private readonly stateEmitter = this._register(new vscode.EventEmitter<DaemonState>());
  private readonly modelStateEmitter = this._register(new vscode.EventEmitter<ModeStatus>());
  private readonly connectedEmitter = this._register(new vscode.EventEmitter<Connected>());
  private readonly gaveUpEmitter = this._register(new vscode.EventEmitter<string>());
  private readonly modesChangedEmitter = this._register(new vscode.EventEmitter<ModesChangedParams>());
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
    super();
    this.policy = opts.policy ?? new RestartPolicy();
    // Registered after the emitters, so disposed before them.
    this._register({ dispose: () => void this.stop() });
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
    if (readConfig().shared) await waitUntilSocketFree(this.opts.socketPath);
    this.setState('idle');
    return this.ensureClient();
  }

  /** Deactivate: leave a shared daemon running for other windows, stop a per-window one. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearRestartTimer();
    await this.stopCurrent(!(this.current?.shared ?? true));
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
    if (spawn && this._state !== 'restarting') this.setState('starting');
    let launched: Launched | undefined;
    try {
      launched = await this.open(spawn, cfg);
      if (!launched) return undefined;
      const { init, status } = await this.handshake(launched.client);
      if (this.stopped) {
        launched.client.dispose();
        return undefined;
      }
      return this.adopt({ client: launched.client, init, status, shared: cfg.shared, launched });
    } catch (err) {
      launched?.release();
      launched?.client.dispose();
      return this.launchFailed(err, spawn);
    }
  }

  /** The daemon to talk to: the shared one (started when `spawn` and none runs), or this window's own. */
  private async open(spawn: boolean, cfg: Config): Promise<Launched | undefined> {
    const onStderr = (line: string) => logStderrLine(this.opts.log, line);
    const { daemonJs, cacheDir, socketPath } = this.opts;
    const { idleExitSeconds, ...flags } = cfg.daemonSettings(cfg.shared);
    const settings = { daemonJs, cacheDir, ...flags, onStderr };
    if (cfg.shared) {
      if (spawn) return connectOrSpawnShared({ ...settings, socketPath, idleExitSeconds, preload: cfg.mode });
      const client = await tryConnectShared(socketPath);
      return client && { client, release: () => undefined };
    }
    return spawn ? spawnPerWindow(settings) : undefined;
  }

  /** Listens to the daemon, then initialize, the user's modes (afterInitialize) and every mode's state. */
  private async handshake(client: DaemonClient): Promise<{ init: InitializeResult; status: StatusResult }> {
    client.requestTimeoutMs = this.opts.requestTimeoutMs ?? 300_000;
    client.onLog((l) => logFromDaemon(this.opts.log, l));
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
        this.opts.log.warn(`setting up the user modes on the daemon failed: ${err instanceof Error ? err.message : err}`),
      );
    }
    const init: InitializeResult = modes ? { ...initialized, modes } : initialized;
    // After afterInitialize, so the modes it added have their (cold) state too.
    return { init, status: await client.status() };
  }

  /** The connection is ready: keep it, follow its close, and tell the listeners. */
  private adopt(c: Omit<Current, 'spawned'>): Connected {
    const { client, init, launched } = c;
    const log = this.opts.log;
    const spawned = launched.childPid !== undefined && launched.childPid === init.pid;
    // Our spawn lost the race to another window's daemon: that window shows its stderr.
    if (!spawned) launched.release();
    const connected: Current = { ...c, spawned };
    this.current = connected;
    client.connection.onClose(() => this.closed(connected));
    client.child?.on('exit', (code, signal) => log.info(`per-window daemon exited (${signal ?? `code ${code}`})`));
    log.info(
      `${spawned ? 'started' : 'connected to'} ${c.shared ? `shared daemon on ${this.opts.socketPath}` : 'per-window daemon'}: ` +
        `pid ${init.pid}, daemon ${init.daemonVersion}, providers ${init.providers.join(', ')}`,
    );
    this.lastError = undefined;
    if (c.shared && !spawned) this.checkLimits(c.status);
    // Listeners learn the modes' states first, then the state flips to ready.
    this.connectedEmitter.fire(connected);
    this.setState('ready');
    if (client.isClosed) this.closed(connected); // it closed before onClose was listened to
    return connected;
  }

  /** A shared daemon started with other keep-alive or memory settings: say so, once per window. */
  private checkLimits(status: StatusResult): void {
    const differ = limitsDiffer(readConfig().limits, status);
    if (differ.length === 0 || this.limitsTold) return;
    this.limitsTold = true;
    this.opts.log.info(`the running shared daemon has other settings: ${differ.join('; ')}`);
    void vscode.window
      .showInformationMessage(`SegLens: the running shared daemon was started with other settings (${differ.join('; ')}). Restart it to apply this window's.`, 'Restart Daemon')
      .then((choice) => choice === 'Restart Daemon' && vscode.commands.executeCommand('seglens.restartDaemon'));
  }

  /** Attaching found nothing (undefined); a failed start counts as a crash and is rethrown. */
  private launchFailed(err: unknown, spawn: boolean): undefined {
    const message = err instanceof Error ? err.message : String(err);
    if (!spawn) {
      this.opts.log.debug(`no running shared daemon to attach to: ${message}`);
      return undefined;
    }
    this.lastError = message;
    this.opts.log.error(`daemon start failed: ${message}`);
    // A daemon that cannot start counts as a crash, so a broken install ends in `failed`.
    const d = this.policy.crashed();
    if (d.action === 'giveUp') this.giveUp(message);
    else this.setState('idle');
    throw err;
  }

  private closed(c: Current): void {
    if (this.current !== c) return;
    this.current = undefined;
    c.launched.release();
    if (this.expectingClose || this.stopped) return;
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
      if (this.stopped) return;
      this.connect(true).catch((err) => log.error(`restart failed: ${err instanceof Error ? err.message : err}`));
    }, d.delayMs);
  }

  private giveUp(message: string): void {
    this.lastError = message;
    this.opts.log.error(`giving up on the daemon: ${message}`);
    this.setState('failed');
    this.gaveUpEmitter.fire(message);
  }

  /** Closes the connection; with `stopDaemon`, the daemon too (see closeClient). */
  private async stopCurrent(stopDaemon: boolean): Promise<void> {
    const c = this.current;
    if (!c) return;
    this.expectingClose = true;
    try {
      await closeClient(c.client, stopDaemon, this.opts.log);
    } finally {
      if (this.current === c) this.current = undefined;
      c.launched.release();
      this.expectingClose = false;
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
