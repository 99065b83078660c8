// The SegLens daemon protocol, version 1: the one typed copy of shared/PROTOCOL.md.
// Both the daemon and every client (extension, preview CLI, tests, bench) import it.
// Names and fields are a contract with tests outside the project: add, never rename.
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';

export const PROTOCOL_VERSION = 1 as const;

export type Task = 'binary' | 'semantic';
export type ModeState = 'cold' | 'loading' | 'warming' | 'warm' | 'failed';
export type Rgb = [number, number, number];

export interface ModeInfo {
  id: string;
  label: string;
  description: string;
  task: Task;
  /** [height, width] of the model input. */
  inputSize: [number, number];
  labels: string[];
  /** Extension: the mode comes from a user definition rather than the built-in catalogue. */
  custom?: boolean;
  /** Extension: typical steady inference time measured on the reference machine, for pickers. */
  typicalMs?: number;
}

export interface ModeStatus {
  mode: string;
  state: ModeState;
  loaded: boolean;
  warm: boolean;
  warmups: number;
  loadMs?: number;
  warmupMs?: number;
  lastInferenceMs?: number;
  error?: string;
}

/** Sent by the client, first request on every connection. */
export interface InitializeParams {
  clientName: string;
  clientVersion?: string;
  protocolVersion: 1;
  processId?: number;
}
export interface InitializeResult {
  protocolVersion: 1;
  daemonVersion: string;
  pid: number;
  providers: string[];
  modes: ModeInfo[];
  /** Extension: the execution provider sessions run on ('cpu' when a GPU provider fell back). */
  provider?: string;
}
export const Initialize = new RequestType<InitializeParams, InitializeResult, void>('initialize');

export interface StatusResult {
  pid: number;
  uptimeMs: number;
  clients: number;
  rssBytes: number;
  provider: string;
  modes: ModeStatus[];
}
/** Client → daemon. */
export const Status = new RequestType<Record<string, never>, StatusResult, void>('seglens/status');

export interface EnsureReadyParams {
  mode: string;
  /** Default true. */
  warmup?: boolean;
}
export type LoadOutcome = 'ran' | 'cached' | 'joined';
export type WarmupOutcome = 'ran' | 'skipped' | 'joined' | 'disabled';
export interface EnsureReadyResult {
  mode: string;
  state: ModeState;
  load: LoadOutcome;
  warmup: WarmupOutcome;
  loadMs: number;
  warmupMs: number;
  elapsedMs: number;
}
/** Client → daemon. */
export const EnsureReady = new RequestType<EnsureReadyParams, EnsureReadyResult, void>('seglens/ensureReady');

export interface WarmupParams {
  mode: string;
  /** Default false: run only when the mode is not warm. */
  force?: boolean;
  iterations?: number;
}
export interface WarmupResult {
  mode: string;
  ran: boolean;
  iterations: number;
  durationMs: number;
}
/** Client → daemon. */
export const Warmup = new RequestType<WarmupParams, WarmupResult, void>('seglens/warmup');

export type ImageSource = { path: string } | { base64: string };
export interface SegmentParams {
  mode: string;
  image: ImageSource;
}
export interface ClassInfo {
  id: number;
  label: string;
  color: Rgb;
  /** Fraction of pixels; the fractions of one result sum to 1. */
  fraction: number;
}
export interface SegmentTimings {
  queueMs: number;
  decodeMs: number;
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
  totalMs: number;
}
export interface SegmentResult {
  mode: string;
  /** Of the input image, after EXIF orientation. */
  width: number;
  height: number;
  /** Base64 PNG, 8-bit grey, width x height: binary task alpha 0..255, semantic task class index. */
  maskPng: string;
  classes: ClassInfo[];
  /** The mode was warm when this request started. */
  wasWarm: boolean;
  timings: SegmentTimings;
}
/** Client → daemon. */
export const Segment = new RequestType<SegmentParams, SegmentResult, void>('seglens/segment');

export interface UnloadParams {
  /** All modes when absent. */
  mode?: string;
}
export interface UnloadResult {
  unloaded: string[];
}
/** Client → daemon. */
export const Unload = new RequestType<UnloadParams, UnloadResult, void>('seglens/unload');

export interface MetricsResult {
  /** Prometheus text format 0.0.4. */
  text: string;
}
/** Client → daemon. */
export const Metrics = new RequestType<Record<string, never>, MetricsResult, void>('seglens/metrics');

/** Client → daemon; the daemon stops after answering. */
export const Shutdown = new RequestType0<null, void>('shutdown');

/** Daemon → every client, on each state change. */
export const ModelState = new NotificationType<ModeStatus>('seglens/modelState');

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export interface LogParams {
  level: LogLevel;
  message: string;
}
/** Daemon → client. */
export const Log = new NotificationType<LogParams>('seglens/log');

/** JSON-RPC error codes the daemon answers with (PROTOCOL.md "Errors"). */
export const ErrorCodes = {
  MethodNotFound: -32601,
  InvalidParams: -32602,
  RequestCancelled: -32800,
  ImageNotFound: 1001,
  ImageUndecodable: 1002,
  ImageTooLarge: 1003,
  ModelLoadFailed: 1004,
  Overloaded: 1005,
  ShuttingDown: 1006,
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
