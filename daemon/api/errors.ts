// One error type for everything the daemon refuses; `code` is a docs/protocol.md error code,
// so the server can answer with it unchanged whichever layer (engine, registry) threw.
import { ErrorCode, ErrorCodes } from './protocol';

export class SegLensError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SegLensError';
  }
}

export const invalidParams = (message: string) => new SegLensError(ErrorCodes.InvalidParams, message);

/** Errors cross the worker boundary as plain objects; this restores them. */
export interface SerializedError {
  code?: number;
  message: string;
}
export function serializeError(e: unknown): SerializedError {
  if (e instanceof SegLensError) return { code: e.code, message: e.message };
  return { message: e instanceof Error ? e.message : String(e) };
}
export function deserializeError(e: SerializedError, fallbackCode?: ErrorCode): Error {
  const code = (e.code ?? fallbackCode) as ErrorCode | undefined;
  return code !== undefined ? new SegLensError(code, e.message) : new Error(e.message);
}
