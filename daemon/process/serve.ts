// Where connections come from: the process's stdin/stdout (--stdio, one client) or a per-user
// socket (--listen, any number). Each connection is handed to Daemon.attach.
import * as net from 'node:net';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Daemon } from '../server/daemon';
import { FrameGuard, frameLimitFor } from '../api/frameGuard';
import { listen } from '../transport/socketServer';
import type { Logger } from '../api/constants';

/** Serves the one client on stdin/stdout; `onEnd` runs when it goes. */
export function serveStdio(daemon: Daemon, onEnd: () => void): void {
  const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
  connection.onClose(onEnd);
  process.stdin.on('end', onEnd);
  daemon.attach(connection);
}

export interface SocketLimits {
  maxImageBytes: number;
  /** Connections at once (`--max-clients`); one more is closed at once, with a log line. */
  maxClients: number;
  /** A frame begun must be complete within this time (`--frame-timeout-seconds`). */
  frameTimeoutMs: number;
}

/** Listens on `socketPath` (throws ListenError when it cannot) and serves each client that connects. */
export function serveSocket(daemon: Daemon, socketPath: string, limits: SocketLimits, log: Logger): Promise<net.Server> {
  const open = new Set<net.Socket>();
  return listen(socketPath, (socket) => {
    socket.on('error', () => undefined); // a client vanishing mid-message is its own business
    if (open.size >= limits.maxClients) {
      log('warn', `refusing a connection: ${open.size} clients are connected (--max-clients ${limits.maxClients})`);
      socket.destroy();
      return;
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    // Frames over 128 MiB (or over the base64 of --max-image-bytes), headers that never end,
    // duplicate headers, or a frame left incomplete past the timeout drop that client (frameGuard.ts).
    const guard = new FrameGuard(
      (why) => {
        log('warn', `dropping a client that sent ${why}`);
        socket.destroy();
        guard.end();
      },
      frameLimitFor(limits.maxImageBytes),
      undefined,
      limits.frameTimeoutMs,
    );
    socket.pipe(guard);
    socket.once('close', () => guard.end());
    daemon.attach(createMessageConnection(new StreamMessageReader(guard), new StreamMessageWriter(socket)), () => socket.destroy());
  });
}
