// Waiting for a daemon that was just spawned until it accepts connections on its socket: the one
// loop the extension's launcher, the tests and the bench use.
import * as fs from 'node:fs';
import { connectSocket, DaemonClient } from './client';

export interface WaitForSocketOptions {
  /** Past this long without a connection, the wait resolves undefined. */
  timeoutMs: number;
  /** Each connection attempt's own limit (default 1 s). */
  attemptMs?: number;
  /** Pause between attempts (default 20 ms); with `maxPauseMs`, it grows by itself each attempt up to that. */
  pauseMs?: number;
  maxPauseMs?: number;
  /** Runs before each attempt: it throws to end the wait (the spawned process exited: say why). */
  check?: () => void;
}

/**
 * A client of the daemon on `socketPath` once it accepts a connection, or undefined past the
 * timeout. A socket that fails the ownership checks (EUNSAFE, privateDir.ts) rejects at once:
 * waiting would not help.
 */
export async function waitForSocket(socketPath: string, o: WaitForSocketOptions): Promise<DaemonClient | undefined> {
  const deadline = Date.now() + o.timeoutMs;
  const pause = o.pauseMs ?? 20;
  for (let attempt = 1; ; attempt++) {
    o.check?.();
    // A named pipe is not a file: only a Unix socket can be looked for before connecting.
    if (process.platform === 'win32' || fs.existsSync(socketPath)) {
      try {
        return await connectSocket(socketPath, o.attemptMs ?? 1_000);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EUNSAFE') throw e;
      }
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, o.maxPauseMs ? Math.min(pause * attempt, o.maxPauseMs) : pause));
  }
}
