// A Daemon (the real protocol handlers, registry and lifecycle) on a fake engine, reached
// through an in-memory JSON-RPC pipe: for daemon logic that must be driven deterministically.
import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { DaemonClient } from '../../daemon/api/client';
import { Daemon, DaemonConfig } from '../../daemon/server/daemon';
import { ModeDef } from '../../daemon/models/modeDef';
import { FakeEngine } from './fakeEngine';

export function inMemoryDaemon(modes: ModeDef[], engine: FakeEngine, opts: Partial<DaemonConfig> = {}) {
  const logs: string[] = [];
  const daemon = new Daemon(modes, engine, {
    version: 'test',
    maxPixels: 1e6,
    maxQueue: 8,
    maxImageBytes: 1e6,
    log: (level, message) => logs.push(`[${level}] ${message}`),
    onShutdown: () => undefined,
    ...opts,
  });
  const connect = async (name = 'test'): Promise<DaemonClient> => {
    const toDaemon = new PassThrough();
    const toClient = new PassThrough();
    daemon.attach(createMessageConnection(new StreamMessageReader(toDaemon), new StreamMessageWriter(toClient)), () => {
      toDaemon.end();
      toClient.end();
    });
    const client = new DaemonClient(createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toDaemon)));
    await client.initialize({ clientName: name });
    return client;
  };
  return { daemon, connect, logs };
}
