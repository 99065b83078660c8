// Where connections come from: the process's stdin/stdout (--stdio, one client) or a per-user
// socket (--listen, any number). Each connection is handed to Daemon.attach.
import * as net from 'node:net';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Daemon } from '../server/daemon';
import { FrameGuard, frameLimitFor } from '../transport/frameGuard';
import { listen } from '../transport/socketServer';
import { Log } from './logger';

/** Serves the one client on stdin/stdout; `onEnd` runs when it goes. */
export function serveStdio(daemon: Daemon, onEnd: () => void): void {
  const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
  connection.onClose(onEnd);
  process.stdin.on('end', onEnd);
  daemon.attach(connection);
}

/** Listens on `socketPath` (throws ListenError when it cannot) and serves each client that connects. */
export function serveSocket(daemon: Daemon, socketPath: string, maxImageBytes: number, log: Log): Promise<net.Server> {
  return listen(socketPath, (socket) => {
    socket.on('error', () => undefined); // a client vanishing mid-message is its own business
    // Frames over 128 MiB (or over the base64 of --max-image-bytes), or headers that never end, drop that client (frameGuard.ts).
    const guard = new FrameGuard((why) => {
      log('warn', `dropping a client that sent ${why}`);
      socket.destroy();
      guard.end();
    }, frameLimitFor(maxImageBytes));
    socket.pipe(guard);
    socket.once('close', () => guard.end());
    daemon.attach(createMessageConnection(new StreamMessageReader(guard), new StreamMessageWriter(socket)), () => socket.destroy());
  });
}
