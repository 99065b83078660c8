// Ending a connection to the daemon: close it, optionally ask the daemon to shut down first,
// and kill a per-window daemon that lingers; and, after a shutdown, wait until the shared
// daemon's socket no longer answers so a fresh one can take it.
import type * as vscode from 'vscode';
import type { DaemonClient } from '../../daemon/api/client';
import { tryConnectShared } from './daemonLauncher';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Closes `client`; with `stopDaemon`, asks the daemon to shut down, then kills it if it lingers. */
export async function closeClient(client: DaemonClient, stopDaemon: boolean, log: vscode.LogOutputChannel): Promise<void> {
  if (stopDaemon) {
    await Promise.race([client.shutdown().catch(() => undefined), sleep(2_000)]);
    // The daemon disconnects its clients as it stops; give it a moment to do so.
    await Promise.race([new Promise<void>((r) => client.connection.onClose(() => r())), sleep(1_000)]);
  }
  client.dispose();
  const child = client.child;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    if (!(await Promise.race([exited.then(() => true), sleep(1_500).then(() => false)]))) {
      log.warn(`per-window daemon ${child.pid} did not exit; killing it`);
      child.kill('SIGKILL');
    }
  }
}

/** After a shutdown, wait until the old daemon no longer accepts connections. */
export async function waitUntilSocketFree(socketPath: string): Promise<void> {
  for (let i = 0; i < 30; i++) {
    const probe = await tryConnectShared(socketPath, 300).catch(() => undefined); // a refusal surfaces in ensureClient
    if (!probe) return;
    probe.dispose();
    await sleep(100);
  }
}
