// The daemon's command line (docs/protocol.md "Starting the daemon"), read with util.parseArgs from
// the flag table in daemon/api/daemonArgs.ts (which also builds command lines: toArgv).
import { parseArgs as parseArgv } from 'node:util';
import { invalidOption } from './cliError';
import { CPU_PRECISIONS, CpuPrecision, DEFAULT_CPU_PRECISION, ExitCodes, LOG_LEVELS, LogLevel, PROVIDER_CHOICES, ProviderChoice } from './constants';
import { DAEMON_FLAGS, DaemonOptions, FlagKind } from './daemonArgs';

export interface DaemonArgs {
  transport: { kind: 'stdio' } | { kind: 'listen'; path: string };
  idleExitSeconds: number;
  cacheDir?: string;
  modelsDir?: string;
  provider: ProviderChoice;
  cpuPrecision: CpuPrecision;
  preload: string[];
  logLevel: LogLevel;
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
  maxClients: number;
  frameTimeoutSeconds: number;
  /** A segment running longer than max(10x its mode's steady time, this) ends its engine (0: no watchdog). */
  watchdogSeconds: number;
  /** An image decode taking longer fails with 1002 (0: no limit). */
  decodeTimeoutMs: number;
  /** Image MB in flight past which segments get 1005 (0: none). */
  maxInflightMb: number;
  /** Prompt modes' embeddings kept, in MB (0: none kept past their request). */
  embeddingCacheMb: number;
}

export const USAGE = `usage: node dist/daemon.js (--stdio | --listen <path>)
  [--idle-exit-seconds N] [--cache-dir DIR] [--models-dir DIR]
  [--provider ${PROVIDER_CHOICES.join('|')}] [--cpu-precision ${CPU_PRECISIONS.join('|')}] [--preload MODE,MODE]
  [--log-level ${LOG_LEVELS.join('|')}] [--max-pixels N] [--max-queue N]
  [--max-image-bytes N] [--warmup-iterations N] [--models FILE]
  [--keep-alive-minutes N | --keep-alive-seconds N] [--max-loaded-models N] [--max-rss-mb N] [--preload-recent N]
  [--cache-max-mb N] [--cache-max-days N] [--max-clients N] [--frame-timeout-seconds N]
  [--watchdog-seconds N] [--decode-timeout-ms N] [--max-inflight-mb N]
  [--embedding-cache-mb N]`;

type Key = keyof DaemonOptions;
const ENTRIES = Object.entries(DAEMON_FLAGS) as [Key, FlagKind & { flag: string }][];
const BY_NAME = new Map(ENTRIES.map(([key, f]) => [f.flag.slice(2), { key, ...f }]));
// Not strict: unknown flags and missing values come back as tokens, so the messages stay ours.
const PARSE_OPTIONS = Object.fromEntries([
  ['help', { type: 'boolean', short: 'h' } as const],
  ...ENTRIES.map(([, f]) => [f.flag.slice(2), { type: f.kind === 'boolean' ? 'boolean' : 'string' } as const]),
]);
const CHOICES: Partial<Record<Key, readonly string[]>> = { provider: PROVIDER_CHOICES, cpuPrecision: CPU_PRECISIONS, logLevel: LOG_LEVELS };

/** The value of one flag, checked: a CliError (exit 2) names the flag at fault. */
function flagValue(key: Key, f: FlagKind & { flag: string }, value: string | undefined): unknown {
  if (f.kind === 'int') {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < f.min) throw invalidOption(`${f.flag} needs a whole number >= ${f.min}`);
    return n;
  }
  if (value === undefined) throw invalidOption(`${f.flag} needs a value`);
  const choices = CHOICES[key];
  if (choices && !choices.includes(value)) throw invalidOption(`${f.flag} must be one of ${choices.join(', ')}`);
  return f.kind === 'list' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
}

/** The options the command line gives, in the form toArgv takes (no defaults applied). */
export function readOptions(argv: string[]): DaemonOptions {
  const { tokens } = parseArgv({ args: argv, options: PARSE_OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const o: Record<string, unknown> = {};
  for (const t of tokens) {
    const f = t.kind === 'option' ? BY_NAME.get(t.name) : undefined;
    if (t.kind === 'option' && t.name === 'help') throw invalidOption(USAGE, ExitCodes.Ok);
    if (t.kind !== 'option' || !f || (f.kind === 'boolean' && t.value !== undefined)) throw invalidOption(`unknown option ${argv[t.index]}`);
    if (f.kind === 'boolean') o[f.key] = true;
    else if (f.kind === 'list') o[f.key] = [...((o[f.key] as string[] | undefined) ?? []), ...(flagValue(f.key, f, t.value) as string[])];
    else o[f.key] = flagValue(f.key, f, t.value);
    // The two keep-alive flags set one value: the last one given wins.
    if (f.key === 'keepAliveMinutes') delete o.keepAliveSeconds;
    if (f.key === 'keepAliveSeconds') delete o.keepAliveMinutes;
  }
  return o as DaemonOptions;
}

export function parseArgs(argv: string[]): DaemonArgs {
  const o = readOptions(argv);
  if ((o.stdio === true) === (o.listen !== undefined)) throw invalidOption('give exactly one of --stdio or --listen <path>');
  return {
    transport: o.listen !== undefined ? { kind: 'listen', path: o.listen } : { kind: 'stdio' },
    idleExitSeconds: o.idleExitSeconds ?? 600,
    cacheDir: o.cacheDir,
    modelsDir: o.modelsDir,
    provider: o.provider ?? 'auto',
    cpuPrecision: o.cpuPrecision ?? DEFAULT_CPU_PRECISION,
    preload: o.preload ?? [],
    logLevel: o.logLevel ?? 'info',
    maxPixels: o.maxPixels ?? 64_000_000,
    maxQueue: o.maxQueue ?? 32,
    maxImageBytes: o.maxImageBytes ?? 100 * 1024 * 1024,
    warmupIterations: o.warmupIterations,
    modelsFile: o.models,
    keepAliveMinutes: o.keepAliveSeconds !== undefined ? o.keepAliveSeconds / 60 : (o.keepAliveMinutes ?? 30),
    maxLoadedModels: o.maxLoadedModels ?? 0,
    maxRssMb: o.maxRssMb ?? 0,
    preloadRecent: o.preloadRecent,
    cacheMaxMb: o.cacheMaxMb ?? 1024,
    cacheMaxDays: o.cacheMaxDays ?? 30,
    maxClients: o.maxClients ?? 64,
    frameTimeoutSeconds: o.frameTimeoutSeconds ?? 30,
    watchdogSeconds: o.watchdogSeconds ?? 30,
    decodeTimeoutMs: o.decodeTimeoutMs ?? 30_000,
    maxInflightMb: o.maxInflightMb ?? 2048,
    embeddingCacheMb: o.embeddingCacheMb ?? 512,
  };
}
