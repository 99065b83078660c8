// How a handler becomes an answer on a connection: params as vscode-jsonrpc delivers them, the
// request's token joined with its client's, and any throw turned into the protocol's error
// code (docs/protocol.md "Errors"), counted by outcome.
import { CancellationToken, MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import { SegLensError } from '../api/errors';
import { ErrorCodes } from '../api/protocol';
import { EngineCrashedError } from '../engine/engine';

export type Handler = (params: unknown, token: CancellationToken) => unknown;

export interface RpcOptions {
  /** Cancelled when the client leaves: its requests still waiting are dropped. */
  gone: CancellationToken;
  /** Throws to refuse a request before its handler runs (e.g. 1006 while shutting down). */
  admit(method: string): void;
  /** Called once per request with its outcome ('ok' or outcomeOf(code)). */
  answered(method: string, outcome: string, error?: ResponseError<void>): void;
}

/** Answers `method` on `connection` with `fn`. */
export function serveMethod(connection: MessageConnection, method: string, fn: Handler, opts: RpcOptions): void {
  // vscode-jsonrpc spreads positional params before the token: `[a, b]` arrives as (a, b, token).
  // Only an object (or one-element array) is valid params; anything else is -32602 in fn.
  connection.onRequest(method, async (...args: unknown[]) => {
    const token = args[args.length - 1] as CancellationToken;
    const p = args.length === 1 ? undefined : args.length === 2 ? args[0] : args.slice(0, -1);
    try {
      opts.admit(method);
      const r = await fn(p, eitherToken(token, opts.gone));
      opts.answered(method, 'ok');
      return r;
    } catch (e) {
      const err = toResponseError(e);
      opts.answered(method, outcomeOf(err.code), err);
      return err;
    }
  });
}

export function toResponseError(e: unknown): ResponseError<void> {
  if (e instanceof ResponseError) return e;
  if (e instanceof SegLensError) return new ResponseError(e.code, e.message);
  if (e instanceof EngineCrashedError) {
    const what = e.reason === 'watchdog' ? 'the inference ran far past its usual time and was stopped' : 'the inference engine crashed';
    return new ResponseError(ErrorCodes.InternalError, `${what} during this request (${e.message}); the daemon starts a new engine on the next request`);
  }
  return new ResponseError(ErrorCodes.InternalError, e instanceof Error ? e.message : String(e));
}

/** The `outcome` label of seglens_requests_total for an error code. */
export function outcomeOf(code: number): string {
  switch (code) {
    case ErrorCodes.InvalidParams:
      return 'invalid_params';
    case ErrorCodes.RequestCancelled:
      return 'cancelled';
    case ErrorCodes.Overloaded:
      return 'overloaded';
    case ErrorCodes.ShuttingDown:
      return 'shutting_down';
    case ErrorCodes.InputQuarantined:
      return 'quarantined';
    default:
      return code >= ErrorCodes.ImageNotFound && code <= ErrorCodes.ModelLoadFailed ? `error_${code}` : 'error';
  }
}

/** Cancelled when either is (a request's own token, its client leaving); listeners are removable. */
export function eitherToken(a: CancellationToken, b: CancellationToken): CancellationToken {
  if (a.isCancellationRequested || b.isCancellationRequested) return CancellationToken.Cancelled;
  return {
    get isCancellationRequested() {
      return a.isCancellationRequested || b.isCancellationRequested;
    },
    onCancellationRequested: ((listener: (e: unknown) => unknown) => {
      const subs = [a.onCancellationRequested(listener), b.onCancellationRequested(listener)];
      return { dispose: () => subs.forEach((d) => d.dispose()) };
    }) as CancellationToken['onCancellationRequested'],
  };
}
