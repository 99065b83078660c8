// Entry point of `node dist/daemon.js`: parses the command line, builds the daemon and
// serves it on stdio or a per-user socket. Logs go to stderr only: stdout is a transport.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { version } from '../package.json';
import { builtinModes } from './models/catalogue';
import { CliError } from './server/cliError';
import { DaemonArgs, parseArgs } from './server/cli';
import { Daemon } from './server/daemon';
import { Engine } from './engine/engine';
import { FrameGuard, frameLimitFor } from './transport/frameGuard';
import { defaultModelsDir, ensureModels } from './models/modelFiles';
import { defaultCacheDir } from './api/paths';
import { ExitCodes, LOG_LEVELS, LogLevel } from './api/constants';
import { RecentModes } from './registry/recentModes';
import { ListenError, listen } from './transport/socketServer';
import { WorkerEngine } from './engine/workerEngine';
import { loadDefinitionsFile } from './models/userModes';

function makeLogger(threshold: LogLevel) {
  const max = LOG_LEVELS.indexOf(threshold);
  return (level: LogLevel, message: string) => {
    if (LOG_LEVELS.indexOf(level) > max) return;
    process.stderr.write(`${new Date().toISOString()} [${level}] ${message}\n`);
  };
}

/** The cache folder, or a private temporary one when it cannot be written (said in the log). */
function usableCacheDir(wanted: string, log: ReturnType<typeof makeLogger>): string {
  try {
    fs.mkdirSync(wanted, { recursive: true, mode: 0o700 });
    fs.accessSync(wanted, fs.constants.W_OK);
    return wanted;
  } catch (e) {
    const fallback = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-cache-'));
    log('warn', `cache folder ${wanted} is not writable (${(e as Error).message}); using ${fallback} for this run`);
    return fallback;
  }
}

/** Prepares the model files once, on the first load, so that starting the daemon stays instant. */
function preparingEngine(engine: Engine, modelsDir: string, log: ReturnType<typeof makeLogger>): Engine {
  let prepared: Promise<unknown> | undefined;
  const prepare = () =>
    (prepared ??= ensureModels(modelsDir, (m) => log('info', m)).catch((e) => {
      prepared = undefined;
      log('error', `could not prepare the models in ${modelsDir}: ${(e as Error).message}`);
    }));
  return {
    get providers() {
      return engine.providers;
    },
    get provider() {
      return engine.provider;
    },
    // A failed preparation shows as the load's own 1004 (missing file); the log has the cause.
    load: async (model) => {
      if (model.file.startsWith(modelsDir + path.sep)) await prepare();
      return engine.load(model);
    },
    unload: (key) => engine.unload(key),
    warmup: (mode, iterations) => engine.warmup(mode, iterations),
    segment: (mode, image, opts) => engine.segment(mode, image, opts),
    close: () => engine.close(),
  };
}

async function main(): Promise<void> {
  let args: DaemonArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(e.exitCode);
    }
    throw e;
  }
  const log = makeLogger(args.logLevel);
  // Nothing may reach stdout by accident: in --stdio it carries the protocol.
  console.log = console.info = (...a: unknown[]) => log('info', a.map(String).join(' '));

  const cacheDir = usableCacheDir(args.cacheDir ?? defaultCacheDir(), log);
  const modelsDir = path.resolve(args.modelsDir ?? defaultModelsDir());
  // A dead worker takes its sessions along: the registry then reports those modes cold.
  let onEngineCrash = (_e: Error) => undefined as void;
  const engine = new WorkerEngine({
    provider: args.provider,
    log,
    cacheDir,
    cachePolicy: { maxBytes: args.cacheMaxMb * 1024 * 1024, maxAgeDays: args.cacheMaxDays },
    onCrash: (e) => onEngineCrash(e),
  });
  const modes = builtinModes(modelsDir);
  if (args.modelsFile) {
    // User modes from --models: a definition with a mistake is skipped (said in the log, field
    // named); a file that cannot be read or parsed stops the start, as any bad option does.
    try {
      const { defs, errors } = await loadDefinitionsFile(args.modelsFile, new Set(modes.map((m) => m.id)));
      for (const e of errors) log('warn', `--models ${args.modelsFile}: mode ${e.id ? `'${e.id}'` : `#${e.index + 1}`} skipped: ${e.message}`);
      modes.push(...defs);
      log('info', `--models ${args.modelsFile}: ${defs.length} user mode(s): ${defs.map((d) => d.id).join(', ') || 'none'}`);
    } catch (e) {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(ExitCodes.BadUsage);
    }
  }

  let idleTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let server: import('node:net').Server | undefined;
  const stop = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    log('info', `stopping: ${why}`);
    daemon.beginShutdown();
    // A moment for answers already on their way (refusals with 1006 among them) to be written.
    await new Promise((r) => setTimeout(r, 100));
    daemon.closeConnections();
    server?.close();
    if (args.transport.kind === 'listen' && process.platform !== 'win32') {
      // Remove our socket file only if it is still ours (a newer daemon may have replaced it).
      try {
        const addr = server?.address();
        if (typeof addr === 'string' && fs.existsSync(addr)) fs.rmSync(addr, { force: true });
      } catch {
        /* already gone */
      }
    }
    const timer = setTimeout(() => process.exit(code), 3000);
    await engine.close().catch(() => undefined);
    clearTimeout(timer);
    process.exit(code);
  };

  const recent = new RecentModes(cacheDir, log);

  const daemon = new Daemon(modes, preparingEngine(engine, modelsDir, log), {
    version,
    maxPixels: args.maxPixels,
    maxQueue: args.maxQueue,
    maxImageBytes: args.maxImageBytes,
    warmupIterations: args.warmupIterations,
    keepAliveMs: args.keepAliveMinutes * 60_000,
    maxLoadedModels: args.maxLoadedModels,
    maxRssBytes: args.maxRssMb * 1024 * 1024,
    recent,
    log,
    onShutdown: () => void stop(0, 'shutdown request'),
    onClientsChanged: (n) => {
      if (args.transport.kind !== 'listen') return;
      clearTimeout(idleTimer);
      if (n === 0) idleTimer = setTimeout(() => void stop(0, `no client for ${args.idleExitSeconds} s`), args.idleExitSeconds * 1000);
    },
  });

  onEngineCrash = (e) => {
    log('error', `the inference worker crashed: ${e.message}`);
    daemon.registry.engineLost(e.message);
  };

  process.on('SIGTERM', () => void stop(0, 'SIGTERM'));
  process.on('SIGINT', () => void stop(0, 'SIGINT'));

  if (args.transport.kind === 'stdio') {
    const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
    connection.onClose(() => void stop(0, 'stdin closed'));
    process.stdin.on('end', () => void stop(0, 'stdin closed'));
    daemon.attach(connection);
  } else {
    try {
      server = await listen(args.transport.path, (socket) => {
        socket.on('error', () => undefined); // a client vanishing mid-message is its own business
        // Frames over 128 MiB (or over the base64 of --max-image-bytes), or headers that never end, drop that client (frameGuard.ts).
        const guard = new FrameGuard((why) => {
          log('warn', `dropping a client that sent ${why}`);
          socket.destroy();
          guard.end();
        }, frameLimitFor(args.maxImageBytes));
        socket.pipe(guard);
        socket.once('close', () => guard.end());
        daemon.attach(createMessageConnection(new StreamMessageReader(guard), new StreamMessageWriter(socket)), () => socket.destroy());
      });
    } catch (e) {
      if (e instanceof ListenError) {
        log('error', e.message);
        process.exit(e.exitCode);
      }
      throw e;
    }
    idleTimer = setTimeout(() => void stop(0, `no client for ${args.idleExitSeconds} s`), args.idleExitSeconds * 1000);
    log('info', `listening on ${args.transport.path} (pid ${process.pid}, cache ${cacheDir})`);
  }

  // Preload: the modes asked for, then the ones used most recently (a shared daemon serves
  // windows that will ask for them again). One at a time: they mostly share one session and
  // one CPU, and a client's request joins whichever flight is under way.
  const recentCount = args.preloadRecent ?? (args.transport.kind === 'listen' ? 2 : 0);
  const asked = new Set(args.preload);
  const wanted = [...new Set([...args.preload, ...recent.list().slice(0, recentCount)])];
  void (async () => {
    for (const mode of wanted) {
      if (stopping) return;
      // Modes only remembered from before wait until clients' requests are served: a window's
      // first preview after a restart must not queue behind a mode nobody has asked for yet.
      if (!asked.has(mode)) await daemon.whenIdle();
      if (stopping) return;
      if (!daemon.registry.has(mode)) {
        // A user mode is defined by its client after connecting; nothing to preload before that.
        log('info', `preload: no mode '${mode}' (yet); skipped`);
        continue;
      }
      log('info', `preloading ${mode}`);
      await daemon.registry.ensureReady(mode).catch((e) => log('warn', `preload of ${mode} failed: ${(e as Error).message}`));
    }
  })();
}

main().catch((e) => {
  process.stderr.write(`SegLens daemon failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(ExitCodes.Failed);
});
