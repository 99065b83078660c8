// The CLI's daemon: the per-user shared one when it runs (its models may already be warm),
// else a `--stdio` daemon of its own that exits with the CLI.
import * as path from 'node:path';
import { connectSocket, DaemonClient, spawnStdio } from '../../api/client';
import { defaultSocketPath } from '../../api/paths';
import { version } from '../../../package.json';
import { shown } from './terminal';

export const CLIENT_NAME = 'seglens-cli';

/** The shared daemon's socket (SEGLENS_SOCKET overrides, for tests and unusual setups). */
export const sharedSocketPath = () => process.env.SEGLENS_SOCKET || defaultSocketPath(version);

/** The shared daemon, initialized, or undefined when none answers. */
export async function connectShared(): Promise<DaemonClient | undefined> {
  let client: DaemonClient | undefined;
  try {
    client = await connectSocket(sharedSocketPath(), 1500);
    await client.initialize({ clientName: CLIENT_NAME, clientVersion: version, initializeTimeoutMs: 5000 });
    return client;
  } catch (e) {
    client?.dispose();
    // A socket folder that is not private is refused (issue #13): say so rather than fall back silently.
    if ((e as NodeJS.ErrnoException).code === 'EUNSAFE') process.stderr.write(`seglens: not using the shared daemon: ${shown((e as Error).message)}\n`);
    return undefined;
  }
}

export async function connectOrSpawn(): Promise<{ client: DaemonClient; shared: boolean }> {
  const shared = await connectShared();
  if (shared) return { client: shared, shared: true };
  // Its own process group (detached), so a Ctrl-C reaches the CLI only: the CLI cancels the
  // request and closes stdin, and the daemon exits by itself.
  const client = spawnStdio(path.join(__dirname, 'daemon.js'), ['--log-level', 'warn'], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  await client.initialize({ clientName: CLIENT_NAME, clientVersion: version, initializeTimeoutMs: 30_000 });
  return { client, shared: false };
}
