// The daemon's command line (PROTOCOL.md "Starting the daemon").
import { invalidOption } from './cliError';
import { ProviderChoice } from '../engine/provider';

export interface DaemonArgs {
  transport: { kind: 'stdio' } | { kind: 'listen'; path: string };
  idleExitSeconds: number;
  cacheDir?: string;
  modelsDir?: string;
  provider: ProviderChoice;
  preload: string[];
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  maxPixels: number;
  maxQueue: number;
  maxImageBytes: number;
  warmupIterations?: number;
  /** JSON file of user mode definitions (README "Use your own model"). */
  modelsFile?: string;
  /** Minutes an unselected mode stays loaded after its last use (0 = forever). */
  keepAliveMinutes: number;
  maxLoadedModels: number;
  maxRssMb: number;
  /** The optimised-graph cache's size budget in MiB (0: none) and age limit in days (0: none). */
  cacheMaxMb: number;
  cacheMaxDays: number;
  /** How many recently used modes to load and warm at start (default: 2 with --listen, 0 with --stdio). */
  preloadRecent?: number;
}

const PROVIDERS = ['auto', 'cpu', 'cuda', 'dml', 'coreml'];
const LEVELS = ['error', 'warn', 'info', 'debug'];

export const USAGE = `usage: node dist/daemon.js (--stdio | --listen <path>)
  [--idle-exit-seconds N] [--cache-dir DIR] [--models-dir DIR]
  [--provider auto|cpu|cuda|dml|coreml] [--preload MODE,MODE]
  [--log-level error|warn|info|debug] [--max-pixels N] [--max-queue N]
  [--max-image-bytes N] [--warmup-iterations N] [--models FILE]
  [--keep-alive-minutes N | --keep-alive-seconds N] [--max-loaded-models N] [--max-rss-mb N] [--preload-recent N]
  [--cache-max-mb N] [--cache-max-days N]`;

export function parseArgs(argv: string[]): DaemonArgs {
  const a: Partial<DaemonArgs> & { preload: string[] } = { preload: [] };
  let stdio = false;
  let listenPath: string | undefined;
  const int = (flag: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw invalidOption(`${flag} needs a whole number >= ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw invalidOption(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--stdio':
        stdio = true;
        break;
      case '--listen':
        listenPath = value();
        break;
      case '--idle-exit-seconds':
        a.idleExitSeconds = int(flag, argv[++i], 0);
        break;
      case '--cache-dir':
        a.cacheDir = value();
        break;
      case '--models-dir':
        a.modelsDir = value();
        break;
      case '--provider': {
        const v = value();
        if (!PROVIDERS.includes(v)) throw invalidOption(`--provider must be one of ${PROVIDERS.join(', ')}`);
        a.provider = v as ProviderChoice;
        break;
      }
      case '--preload':
        a.preload.push(...value().split(',').map((s) => s.trim()).filter(Boolean));
        break;
      case '--log-level': {
        const v = value();
        if (!LEVELS.includes(v)) throw invalidOption(`--log-level must be one of ${LEVELS.join(', ')}`);
        a.logLevel = v as DaemonArgs['logLevel'];
        break;
      }
      case '--max-pixels':
        a.maxPixels = int(flag, argv[++i], 1);
        break;
      case '--max-queue':
        a.maxQueue = int(flag, argv[++i], 0);
        break;
      case '--max-image-bytes':
        a.maxImageBytes = int(flag, argv[++i], 1);
        break;
      case '--warmup-iterations':
        a.warmupIterations = int(flag, argv[++i], 1);
        break;
      case '--keep-alive-minutes':
        a.keepAliveMinutes = int(flag, argv[++i], 0);
        break;
      case '--keep-alive-seconds':
        a.keepAliveMinutes = int(flag, argv[++i], 0) / 60;
        break;
      case '--max-loaded-models':
        a.maxLoadedModels = int(flag, argv[++i], 0);
        break;
      case '--max-rss-mb':
        a.maxRssMb = int(flag, argv[++i], 0);
        break;
      case '--preload-recent':
        a.preloadRecent = int(flag, argv[++i], 0);
        break;
      case '--cache-max-mb':
        a.cacheMaxMb = int(flag, argv[++i], 0);
        break;
      case '--cache-max-days':
        a.cacheMaxDays = int(flag, argv[++i], 0);
        break;
      case '--models':
        a.modelsFile = value();
        break;
      case '--help':
      case '-h':
        throw invalidOption(USAGE, 0);
      default:
        throw invalidOption(`unknown option ${flag}`);
    }
  }
  if (stdio === (listenPath !== undefined)) throw invalidOption('give exactly one of --stdio or --listen <path>');
  return {
    transport: listenPath !== undefined ? { kind: 'listen', path: listenPath } : { kind: 'stdio' },
    idleExitSeconds: a.idleExitSeconds ?? 600,
    cacheDir: a.cacheDir,
    modelsDir: a.modelsDir,
    provider: a.provider ?? 'auto',
    preload: a.preload,
    logLevel: a.logLevel ?? 'info',
    maxPixels: a.maxPixels ?? 64_000_000,
    maxQueue: a.maxQueue ?? 32,
    maxImageBytes: a.maxImageBytes ?? 100 * 1024 * 1024,
    warmupIterations: a.warmupIterations,
    modelsFile: a.modelsFile,
    keepAliveMinutes: a.keepAliveMinutes ?? 30,
    maxLoadedModels: a.maxLoadedModels ?? 0,
    maxRssMb: a.maxRssMb ?? 0,
    preloadRecent: a.preloadRecent,
    cacheMaxMb: a.cacheMaxMb ?? 1024,
    cacheMaxDays: a.cacheMaxDays ?? 30,
  };
}
