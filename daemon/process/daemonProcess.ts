// The daemon process: builds the parts from the command line (log, cache folder, engine, modes,
// Daemon), serves them on stdio or a socket, preloads, and stops them in order. main.ts only
// parses the command line and hands it here.
import * as net from 'node:net';
import * as path from 'node:path';
import { version } from '../../package.json';
import { ExitCodes } from '../api/constants';
import { EngineCrashedError } from '../engine/engine';
import type { EarlyHost } from '../engine/host/engineHosts';
import { EngineProxy } from '../engine/engineProxy';
import { runsOnCpu } from '../engine/provider';
import { builtinModes } from '../models/catalogue';
import { ModeDef } from '../models/modeDef';
import { defaultModelsDir } from '../models/modelFiles';
import { loadDefinitionsFile } from '../models/userModes';
import { RecentModes } from '../registry/recentModes';
import { DaemonArgs } from '../api/daemonCli';
import { CliError } from '../api/cliError';
import { Daemon } from '../server/daemon';
import { type EngineSetup, engineSetup } from './engineSetup';
import { ResultCache } from '../results/resultCache';
import type { Logger } from '../api/constants';
import type { JobProcess } from '../engine/host/jobProcess';
import { decodingProcess } from '../server/decoding';
import { makeLogger } from './logger';
import { preload } from './preload';
import { type PreparingEngine, preparingEngine } from './preparingEngine';
import { serveSocket, serveStdio } from './serve';
import { SocketFileId, removeIfOurs, stillOurs } from './socketFile';

/** How long answers already on their way (1006 refusals among them) get before connections close. */
const DRAIN_MS = 100;
/** The engine gets this long to free its sessions before it is killed. */
const CLOSE_GRACE_MS = 3000;
/**
 * Past the grace, this long for the killed children to be gone before the daemon exits anyway
 * (a worker-thread engine stuck in native code ends only with the process).
 */
const KILL_WAIT_MS = 2000;

/** The int8 ISNet serves `fast` and `balanced` only when asked for and on the CPU (issue 26). */
const usesInt8 = (args: DaemonArgs) => args.cpuPrecision === 'int8' && runsOnCpu(args.provider);

export class DaemonProcess {
  readonly daemon: Daemon;
  private readonly engine: EngineProxy;
  /** Where score and displayCrop decode: a process of their own (server/decoding.ts). */
  private readonly decoding: JobProcess;
  private readonly prepared: PreparingEngine;
  private readonly recent: RecentModes;
  private server: net.Server | undefined;
  private socketId: SocketFileId | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly cacheDir: string;

  /**
   * Reads what must be read before the daemon exists (the --models file), then builds it.
   * `started`: the engine setup and an engine process main.ts made before loading this module.
   */
  static async create(args: DaemonArgs, log: Logger = makeLogger(args.logLevel), started?: { setup: EngineSetup; early?: EarlyHost }): Promise<DaemonProcess> {
    const modelsDir = path.resolve(args.modelsDir ?? defaultModelsDir());
    const modes = builtinModes(modelsDir, { int8: usesInt8(args) });
    try {
      if (args.modelsFile) modes.push(...(await userModesFile(args.modelsFile, modes, log)));
    } catch (e) {
      await started?.early?.kill();
      throw e;
    }
    return new DaemonProcess(args, log, modelsDir, modes, started?.setup ?? engineSetup(args, log), started?.early);
  }

  private constructor(
    private readonly args: DaemonArgs,
    private readonly log: Logger,
    modelsDir: string,
    modes: ModeDef[],
    setup: EngineSetup,
    early: EarlyHost | undefined,
  ) {
    const cacheDir = (this.cacheDir = setup.cacheDir);
    const { init } = setup;
    this.engine = new EngineProxy({
      provider: init.provider,
      log,
      cacheDir,
      cachePolicy: init.cachePolicy,
      onCrash: (e) => this.engineCrashed(e),
      onCacheRemoved: (n) => this.daemon.metrics.optimizedCacheRemoved.inc({}, n),
      testHooks: init.testHooks,
      maxInputBytes: args.maxImageBytes,
      early,
    });
    this.decoding = decodingProcess({ watchdogMs: args.watchdogSeconds * 1000, testHooks: init.testHooks === true, log });
    this.recent = new RecentModes(cacheDir, log);
    this.prepared = preparingEngine(this.engine, modelsDir, log, usesInt8(args));
    this.daemon = new Daemon(modes, this.prepared, {
      version,
      maxPixels: args.maxPixels,
      maxQueue: args.maxQueue,
      maxImageBytes: args.maxImageBytes,
      maxInflightBytes: args.maxInflightMb * 1024 * 1024,
      embeddingCacheBytes: args.embeddingCacheMb * 1024 * 1024,
      warmupIterations: args.warmupIterations,
      keepAliveMs: args.keepAliveMinutes * 60_000,
      maxLoadedModels: args.maxLoadedModels,
      maxRssBytes: args.maxRssMb * 1024 * 1024,
      recent: this.recent,
      results: new ResultCache(cacheDir, { maxBytes: args.cacheMaxMb * 1024 * 1024, maxAgeDays: args.cacheMaxDays }, log, args.maxImageBytes),
      log,
      rss: () => process.memoryUsage.rss() + this.engine.engineRssBytes + this.decoding.rssBytes,
      decoding: this.decoding,
      watchdogMs: args.watchdogSeconds * 1000,
      onShutdown: () => void this.stop(0, 'shutdown request'),
      onClientsChanged: (n) => this.clientsChanged(n),
    });
  }

  /** Serves the transport (throws ListenError when the socket is taken), then preloads in the background. */
  async start(): Promise<void> {
    const t = this.args.transport;
    // A shared daemon is started ahead of its first request (by VS Code's activation or the
    // CLI): start the engine (its process, ONNX Runtime) and check the model files now, beside
    // the listening and the client's connect, rather than on the first preview's path (issue
    // #14, P11). No mode is loaded or called warm by this. A --stdio daemon (one client, often
    // one request) stays lazy.
    if (t.kind === 'listen') void this.prepared.prepare();
    if (t.kind === 'stdio') {
      serveStdio(this.daemon, () => void this.stop(0, 'stdin closed'));
    } else {
      const { maxImageBytes, maxClients, frameTimeoutSeconds } = this.args;
      const served = await serveSocket(this.daemon, t.path, { maxImageBytes, maxClients, frameTimeoutMs: frameTimeoutSeconds * 1000 }, this.log).catch(async (e: unknown) => {
        // Not listening (exit 3 or 4 follows): the engine started above goes first.
        await this.closeChildren();
        throw e;
      });
      const { server, file } = served;
      this.server = server;
      // Identified as listen() made it: the path may name another daemon's socket by now.
      this.socketId = file && { path: t.path, ...file };
      if (!file) this.log('warn', `${t.path} was removed as this daemon started listening: it serves those already connected, nobody can connect by path`);
      this.clientsChanged(this.daemon.connectionCount);
      this.log('info', `listening on ${t.path} (pid ${process.pid}, cache ${this.cacheDir})`);
    }
    const recentCount = this.args.preloadRecent ?? (t.kind === 'listen' ? 2 : 0);
    void preload(this.daemon, { asked: this.args.preload, recent: this.recent.list().slice(0, recentCount) }, this.log, () => this.stopping);
  }

  /** Refuses new work, lets answers drain, closes connections, the socket and the engine, and exits. */
  async stop(code: number, why: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log('info', `stopping: ${why}`);
    clearTimeout(this.idleTimer);
    this.daemon.beginShutdown();
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    this.daemon.closeConnections();
    this.closeSocket();
    await this.closeChildren();
    process.exit(code);
  }

  /**
   * Closes the engine and decoding processes and resolves once they are gone: the daemon exits
   * after them, never before (an engine left behind would go on writing in the cache folder, the
   * optimised graph it saves on close). An engine that does not close in time is killed.
   */
  private async closeChildren(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((r) => (timer = setTimeout(r, CLOSE_GRACE_MS + KILL_WAIT_MS)));
    const closed = Promise.all([this.decoding.close().catch(() => undefined), this.engine.close(CLOSE_GRACE_MS).catch(() => undefined)]);
    await Promise.race([closed, bound]);
    clearTimeout(timer);
  }

  /**
   * Closes the listening socket and removes its file, only if the file at the path is still the
   * one we created: a newer daemon may have replaced it with its own. libuv unlinks the path when
   * a listening socket closes, so a socket that is no longer ours is left open (nobody can reach
   * it by path any more) and goes with the process.
   */
  private closeSocket(): void {
    if (!this.server) return;
    const id = this.socketId;
    // (Windows: a named pipe, no file to tell by.)
    if (process.platform !== 'win32' && (!id || !stillOurs(id))) {
      this.log('info', `${id?.path ?? 'the socket path'} is no longer ours; left in place`);
      return;
    }
    this.server.close();
    removeIfOurs(id);
  }

  /** A lost engine takes its sessions along: the registry then reports those modes cold; a new engine starts on demand. */
  private engineCrashed(e: EngineCrashedError): void {
    this.log('error', `the inference engine (${this.engine.hostKind}) was lost: ${e.message}`);
    this.daemon.metrics.engineRestarts.inc({ reason: e.reason });
    this.daemon.registry.engineLost(e.message);
    this.daemon.prompter.engineLost();
  }

  /** With --listen, the daemon exits after --idle-exit-seconds without a client. */
  private clientsChanged(connections: number): void {
    if (this.args.transport.kind !== 'listen') return;
    clearTimeout(this.idleTimer);
    const s = this.args.idleExitSeconds;
    if (connections === 0) this.idleTimer = setTimeout(() => void this.stop(0, `no client for ${s} s`), s * 1000);
  }
}

/**
 * User modes from --models: a definition with a mistake is skipped (said in the log, field
 * named); a file that cannot be read or parsed stops the start (exit 2), as any bad option does.
 */
async function userModesFile(file: string, builtins: ModeDef[], log: Logger): Promise<ModeDef[]> {
  let loaded;
  try {
    loaded = await loadDefinitionsFile(file, new Set(builtins.map((m) => m.id)));
  } catch (e) {
    throw new CliError((e as Error).message, ExitCodes.BadUsage);
  }
  const { defs, errors } = loaded;
  for (const e of errors) log('warn', `--models ${file}: mode ${e.id ? `'${e.id}'` : `#${e.index + 1}`} skipped: ${e.message}`);
  log('info', `--models ${file}: ${defs.length} user mode(s): ${defs.map((d) => d.id).join(', ') || 'none'}`);
  return defs;
}
