// The daemon's command-line flags, defined once (docs/protocol.md "Starting the daemon"): the
// daemon parses them (daemonCli.ts, with util.parseArgs) and the extension's launcher,
// the tests and the bench build them with toArgv, so a flag's name and type live here only.
import { CpuPrecision, LogLevel, ProviderChoice } from './constants';

/** The daemon's options as given on its command line (defaults applied by the daemon). */
export interface DaemonOptions {
  stdio?: boolean;
  listen?: string;
  idleExitSeconds?: number;
  cacheDir?: string;
  modelsDir?: string;
  provider?: ProviderChoice;
  /** Precision of `fast` and `balanced` on the CPU provider (`--cpu-precision`). */
  cpuPrecision?: CpuPrecision;
  /** Modes to load and warm at start (`--preload a,b`). */
  preload?: string[];
  logLevel?: LogLevel;
  maxPixels?: number;
  maxQueue?: number;
  maxImageBytes?: number;
  warmupIterations?: number;
  /** JSON file of user mode definitions (`--models FILE`). */
  models?: string;
  keepAliveMinutes?: number;
  keepAliveSeconds?: number;
  maxLoadedModels?: number;
  maxRssMb?: number;
  preloadRecent?: number;
  cacheMaxMb?: number;
  cacheMaxDays?: number;
  /** Most socket connections at once; more are closed at once (`--max-clients`, default 64). */
  maxClients?: number;
  /** A frame begun must be complete within this many seconds, or the client is dropped (default 30). */
  frameTimeoutSeconds?: number;
  /** The inference watchdog's floor in seconds (0: off; default 30). */
  watchdogSeconds?: number;
  /** An image decode taking longer fails with 1002 (`--decode-timeout-ms`, default 30000; 0: none). */
  decodeTimeoutMs?: number;
  /** Image bytes in flight (encoded + decoded estimate) past which segments, embeds and prompts get 1005 (default 2048; 0: none). */
  maxInflightMb?: number;
  /** Prompt modes' image embeddings kept, in MB (issue 25; default 512): past it the least recently used go. */
  embeddingCacheMb?: number;
}

/** How a flag's value is written: none, text, a comma-separated list, or a whole number >= min. */
export type FlagKind = { kind: 'boolean' } | { kind: 'string' } | { kind: 'list' } | { kind: 'int'; min: number };

/** Every flag, in the order toArgv writes them (a data table: its rows are alike by design). */
export const DAEMON_FLAGS: { readonly [K in keyof Required<DaemonOptions>]: FlagKind & { flag: string } } = {
  stdio: { flag: '--stdio', kind: 'boolean' },
  listen: { flag: '--listen', kind: 'string' },
  idleExitSeconds: { flag: '--idle-exit-seconds', kind: 'int', min: 0 },
  cacheDir: { flag: '--cache-dir', kind: 'string' },
  modelsDir: { flag: '--models-dir', kind: 'string' },
  provider: { flag: '--provider', kind: 'string' },
  cpuPrecision: { flag: '--cpu-precision', kind: 'string' },
  preload: { flag: '--preload', kind: 'list' },
  logLevel: { flag: '--log-level', kind: 'string' },
  maxPixels: { flag: '--max-pixels', kind: 'int', min: 1 },
  maxQueue: { flag: '--max-queue', kind: 'int', min: 0 },
  maxImageBytes: { flag: '--max-image-bytes', kind: 'int', min: 1 },
  warmupIterations: { flag: '--warmup-iterations', kind: 'int', min: 1 },
  models: { flag: '--models', kind: 'string' },
  keepAliveMinutes: { flag: '--keep-alive-minutes', kind: 'int', min: 0 },
  keepAliveSeconds: { flag: '--keep-alive-seconds', kind: 'int', min: 0 },
  maxLoadedModels: { flag: '--max-loaded-models', kind: 'int', min: 0 },
  maxRssMb: { flag: '--max-rss-mb', kind: 'int', min: 0 },
  preloadRecent: { flag: '--preload-recent', kind: 'int', min: 0 },
  cacheMaxMb: { flag: '--cache-max-mb', kind: 'int', min: 0 },
  cacheMaxDays: { flag: '--cache-max-days', kind: 'int', min: 0 },
  maxClients: { flag: '--max-clients', kind: 'int', min: 1 },
  frameTimeoutSeconds: { flag: '--frame-timeout-seconds', kind: 'int', min: 1 },
  watchdogSeconds: { flag: '--watchdog-seconds', kind: 'int', min: 0 },
  decodeTimeoutMs: { flag: '--decode-timeout-ms', kind: 'int', min: 0 },
  maxInflightMb: { flag: '--max-inflight-mb', kind: 'int', min: 0 },
  embeddingCacheMb: { flag: '--embedding-cache-mb', kind: 'int', min: 0 },
};

/** The command line (after `node dist/daemon.js`) that gives the daemon these options. */
export function toArgv(options: DaemonOptions): string[] {
  const argv: string[] = [];
  for (const key of Object.keys(DAEMON_FLAGS) as (keyof DaemonOptions)[]) {
    const v = options[key];
    if (v === undefined || v === false) continue;
    const { flag } = DAEMON_FLAGS[key];
    if (v === true) argv.push(flag);
    else if (Array.isArray(v)) {
      if (v.length) argv.push(flag, v.join(','));
    } else argv.push(flag, String(v));
  }
  return argv;
}
