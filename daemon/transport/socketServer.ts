// The `--listen` transport: a Unix socket (0600) in a per-user folder (0700), with a lock so
// that two daemons starting at once end with one listening and the other exiting (code 3).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ExitCodes } from '../api/constants';

export class ListenError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const EXIT_ALREADY_RUNNING = ExitCodes.AlreadyRunning;
const EXIT_BAD_SOCKET_DIR = ExitCodes.BadUsage;

/** Creates the socket's folder, or tightens it to 0700 if it is ours; refuses one owned by someone else. */
export function secureDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.statSync(dir);
  if (!st.isDirectory()) throw new ListenError(`${dir} is not a folder`, EXIT_BAD_SOCKET_DIR);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new ListenError(`refusing to listen in ${dir}: it belongs to user ${st.uid}, not to this user (${uid})`, EXIT_BAD_SOCKET_DIR);
  }
  if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
}

/** Is a daemon answering on this socket? */
export function probe(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    const done = (live: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(live);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An exclusive lock file holding our pid; a lock whose owner died is taken over. */
async function acquireLock(lockPath: string, timeoutMs = 10_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(lockPath, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number(fs.readFileSync(lockPath, { encoding: 'utf8', flag: 'a+' }).trim());
    if (!owner || !pidAlive(owner)) {
      // Dead owner (or a lock still being written: give it a moment before taking it over).
      await new Promise((r) => setTimeout(r, owner ? 0 : 50));
      const again = Number(fs.readFileSync(lockPath, { encoding: 'utf8', flag: 'a+' }).trim());
      if (again === owner) fs.rmSync(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new ListenError(`timed out waiting for ${lockPath} (held by pid ${owner})`, EXIT_ALREADY_RUNNING);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Listens on `socketPath`; throws ListenError(exit code 3) if a live daemon already does. */
export async function listen(socketPath: string, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  if (process.platform !== 'win32') secureDir(path.dirname(socketPath));
  const release = process.platform === 'win32' ? () => undefined : await acquireLock(`${socketPath}.lock`);
  try {
    if (await probe(socketPath)) {
      throw new ListenError(`a SegLens daemon is already listening on ${socketPath}`, EXIT_ALREADY_RUNNING);
    }
    if (process.platform !== 'win32') fs.rmSync(socketPath, { force: true }); // stale socket file
    const server = net.createServer(onConnection);
    // The socket file is born 0600: no window in which another user could connect.
    const oldMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(oldMask);
    }
    if (process.platform !== 'win32') fs.chmodSync(socketPath, 0o600);
    return server;
  } finally {
    release();
  }
}
