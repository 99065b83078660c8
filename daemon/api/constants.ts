// The small contracts several parts of SegLens share, each defined once here: log levels,
// execution providers, the mode-id pattern and the daemon's exit codes. The daemon, the
// extension, the tests and package.json's settings (checked by test/unit/packageSchema.test.ts)
// take them from this file.

/** Logger levels, from the most to the least important (a threshold keeps those before it). */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Where the daemon's modules write their log lines (process/logger.ts makes the daemon's; not the protocol's Log notification). */
export type Logger = (level: LogLevel, message: string) => void;

/** `--provider` / `seglens.executionProvider`: 'auto', or one ONNX Runtime execution provider. */
export const PROVIDER_CHOICES = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];

/**
 * `--cpu-precision` / `seglens.cpuPrecision`: the arithmetic of `fast` and `balanced` on the CPU
 * provider: the statically quantised ISNet ('int8') or the fp32 one ('fp32'). `accurate` and
 * `sota` are always fp32 (the reference pipeline).
 */
export const CPU_PRECISIONS = ['int8', 'fp32'] as const;
export type CpuPrecision = (typeof CPU_PRECISIONS)[number];
/**
 * What `fast` and `balanced` run at on the CPU unless told: fp32, because the int8 ISNet, though
 * 2-2.7x faster, missed the accuracy bar of issue #26 (IoU >= 0.98 against fp32 on every sample
 * photo) at 768 and 1024 (docs/models.md, "int8 ISNet").
 */
export const DEFAULT_CPU_PRECISION: CpuPrecision = 'fp32';

/** A mode id (built-in or user): 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit. */
export const MODE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
export const MODE_ID_RE = new RegExp(MODE_ID_PATTERN);

/** How `node dist/daemon.js` exits (docs/protocol.md "Starting the daemon"). */
export const ExitCodes = {
  /** A clean stop (idle exit, `shutdown`, stdin closed, `--help`). */
  Ok: 0,
  /** An unexpected failure while starting. */
  Failed: 1,
  /** A bad option, an unreadable --models file, or a socket folder that is not the user's. */
  BadUsage: 2,
  /** Another daemon already listens on the `--listen` path. */
  AlreadyRunning: 3,
} as const;
