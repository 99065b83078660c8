// A Node client for the daemon, shared by the extension, the preview CLI, tests and bench:
// connect to a `--listen` socket or spawn a `--stdio` daemon, then typed calls.
import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import * as net from 'node:net';
import { Readable, Writable } from 'node:stream';
import {
  CancellationToken,
  CancellationTokenSource,
  createMessageConnection,
  MessageConnection,
  RequestType,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import { FrameGuard, MAX_FRAME_BYTES } from './frameGuard';
import { checkSocketBeforeConnect } from './privateDir';
import * as P from './protocol';

export interface ClientOptions {
  clientName: string;
  clientVersion?: string;
  /** Handshake timeout (ms). */
  initializeTimeoutMs?: number;
}

export class DaemonClient {
  initializeResult: P.InitializeResult | undefined;
  /**
   * When set, a request not answered within this time is cancelled (`$/cancelRequest`) and
   * rejected with a message naming the method, so a stuck daemon shows as an error rather than
   * a spinner that never ends (issue #13). Unset: no limit (the connection closing still ends it).
   */
  requestTimeoutMs: number | undefined;
  private closedError: Error | undefined;
  private readonly closed: Promise<never>;

  constructor(
    readonly connection: MessageConnection,
    /** The spawned process when this client owns a `--stdio` daemon. */
    readonly child?: ChildProcess,
    /** Closes the underlying socket (disposing a connection leaves it open). */
    private readonly closeTransport?: () => void,
  ) {
    this.closed = new Promise<never>((_, reject) => {
      const fail = () => {
        this.closedError ??= new Error('connection to the SegLens daemon closed');
        reject(this.closedError);
      };
      connection.onClose(fail);
      connection.onError(([err]) => {
        this.closedError ??= err;
      });
    });
    this.closed.catch(() => undefined);
    connection.listen();
  }

  /** Makes a transport violation (guardedConnection) the error every pending and later request gets. */
  failWith(v: { error?: Error; onError?: (e: Error) => void }): this {
    v.onError = (e) => (this.closedError ??= e);
    if (v.error) this.closedError ??= v.error;
    return this;
  }

  get isClosed(): boolean {
    return this.closedError !== undefined;
  }

  /** Every request is raced against the connection closing, so a dead daemon never hangs a caller. */
  request<Pa, R>(type: RequestType<Pa, R, void>, params: Pa, token?: CancellationToken): Promise<R> {
    if (this.closedError) return Promise.reject(this.closedError);
    const limit = this.requestTimeoutMs;
    if (!limit) return this.raced(this.connection.sendRequest(type, params, token));
    const cts = new CancellationTokenSource();
    const sub = token?.onCancellationRequested(() => cts.cancel());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        cts.cancel(); // the daemon drops the job if it has not started
        reject(new Error(`the SegLens daemon did not answer ${type.method} within ${Math.round(limit / 1000)} s`));
      }, limit);
    });
    return Promise.race([this.raced(this.connection.sendRequest(type, params, cts.token)), timeout]).finally(() => {
      clearTimeout(timer);
      sub?.dispose();
      cts.dispose();
    });
  }

  private raced<R>(sent: Promise<R>): Promise<R> {
    sent.catch(() => undefined); // when the close wins the race, a late write error (EPIPE) is no one's to handle
    return Promise.race([sent, this.closed]);
  }

  async initialize(opts: ClientOptions): Promise<P.InitializeResult> {
    const timeoutMs = opts.initializeTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`SegLens daemon did not answer initialize within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      this.initializeResult = await Promise.race([
        this.request(P.Initialize, {
          clientName: opts.clientName,
          clientVersion: opts.clientVersion,
          protocolVersion: P.PROTOCOL_VERSION,
          processId: process.pid,
        }),
        timeout,
      ]);
      return this.initializeResult;
    } finally {
      clearTimeout(timer);
    }
  }

  status() {
    return this.request(P.Status, {});
  }
  ensureReady(mode: string, warmup?: boolean) {
    return this.request(P.EnsureReady, warmup === undefined ? { mode } : { mode, warmup });
  }
  warmup(params: P.WarmupParams) {
    return this.request(P.Warmup, params);
  }
  segment(params: P.SegmentParams, token?: CancellationToken) {
    return this.request(P.Segment, params, token);
  }
  /** Full-resolution pixels of a region of the oriented image (no inference). */
  displayCrop(params: P.DisplayCropParams, token?: CancellationToken) {
    return this.request(P.DisplayCrop, params, token);
  }
  unload(mode?: string) {
    return this.request(P.Unload, mode === undefined ? {} : { mode });
  }
  metrics() {
    return this.request(P.Metrics, {});
  }
  /** Adds or updates user modes (README "Use your own model"); `replace` makes the list the whole set. */
  defineModes(params: P.DefineModesParams) {
    return this.request(P.DefineModes, params);
  }
  /** What an ONNX file declares, and a suggested definition (no session is created); with
   *  `pair.encoder`, `path` is a Segment Anything decoder and the pair is checked (issue 25). */
  inspectModel(path: string, pair: Omit<P.InspectModelParams, 'path'> = {}) {
    return this.request(P.InspectModel, { path, ...pair });
  }
  /** Prompt modes (issue 25): computes and keeps an image's embedding. */
  embed(params: P.EmbedParams, token?: CancellationToken) {
    return this.request(P.Embed, params, token);
  }
  /** Prompt modes: a mask from points and/or a box on the image's kept embedding. */
  prompt(params: P.PromptParams, token?: CancellationToken) {
    return this.request(P.Prompt, params, token);
  }
  async shutdown(): Promise<void> {
    if (this.closedError) return;
    await Promise.race([this.connection.sendRequest(P.Shutdown), this.closed]);
  }
  onModelState(handler: (s: P.ModeStatus) => void) {
    return this.connection.onNotification(P.ModelState, handler);
  }
  onLog(handler: (l: P.LogParams) => void) {
    return this.connection.onNotification(P.Log, handler);
  }
  onModesChanged(handler: (p: P.ModesChangedParams) => void) {
    return this.connection.onNotification(P.ModesChanged, handler);
  }

  /** Closes the connection (a `--stdio` daemon then exits because its stdin closes). */
  dispose(): void {
    this.closedError ??= new Error('client disposed');
    this.connection.dispose();
    this.closeTransport?.();
    this.child?.stdin?.end();
  }
}

/**
 * Connects to a daemon listening on a Unix socket or named pipe. On Unix the socket's folder
 * must be a real folder of ours with mode 0700 and the socket ours (privateDir.ts): otherwise
 * it rejects with an UnsafePathError (code 'EUNSAFE') naming the path and what is wrong.
 */
export function connectSocket(socketPath: string, timeoutMs = 2_000, maxFrameBytes = MAX_FRAME_BYTES): Promise<DaemonClient> {
  return new Promise((resolve, reject) => {
    try {
      checkSocketBeforeConnect(socketPath);
    } catch (e) {
      return reject(e);
    }
    const socket = net.connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out connecting to ${socketPath}`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.on('error', () => undefined); // surfaced through the connection's close
      const connection = guardedConnection(socket, socket, maxFrameBytes, () => socket.destroy());
      resolve(new DaemonClient(connection.connection, undefined, () => socket.destroy()).failWith(connection.violation));
    });
  });
}

/**
 * A connection whose incoming frames pass a FrameGuard (frameGuard.ts): a daemon sending a frame
 * over `maxFrameBytes`, or headers the reader could misread, is cut off (`drop`) instead of
 * being buffered; `violation` then says why.
 */
function guardedConnection(input: Readable, output: Writable, maxFrameBytes: number, drop: () => void) {
  const violation: { error?: Error; onError?: (e: Error) => void } = {};
  const guard = new FrameGuard((why) => {
    violation.error = new Error(`the SegLens daemon sent ${why}; disconnected from it`);
    violation.onError?.(violation.error);
    input.unpipe(guard);
    drop();
    guard.end();
  }, maxFrameBytes);
  input.pipe(guard);
  input.once('close', () => guard.end());
  return { connection: createMessageConnection(new StreamMessageReader(guard), new StreamMessageWriter(output)), violation };
}

/** Spawns `node <daemonJs> --stdio ...args` and connects to it over its stdin/stdout. */
export function spawnStdio(daemonJs: string, args: string[] = [], opts: SpawnOptions & { nodePath?: string; maxFrameBytes?: number } = {}): DaemonClient {
  const { nodePath, maxFrameBytes, ...spawnOpts } = opts;
  const child = spawn(nodePath ?? process.execPath, [daemonJs, '--stdio', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...spawnOpts,
  });
  const c = guardedConnection(child.stdout!, child.stdin!, maxFrameBytes ?? MAX_FRAME_BYTES, () => child.kill('SIGKILL'));
  return new DaemonClient(c.connection, child).failWith(c.violation);
}
