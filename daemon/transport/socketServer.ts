// The `--listen` transport: a Unix socket (0600) in a per-user folder (0700), with a lock so
// that two daemons starting at once end with one listening and the other exiting (code 3).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ExitCodes } from '../api/constants';
import { privateDirProblem, socketProblem } from '../api/privateDir';

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

/**
 * Creates the socket's folder, or tightens it to 0700 if it is ours; refuses (lstat, so a link
 * is never followed) a symbolic link, a folder owned by someone else, or a shared folder such as
 * /tmp (sticky or writable by all), naming the path and what is wrong.
 */
export function secureDir(dir: string): void {
  const refuse = (what: string) => new ListenError(`refusing to listen in ${dir}: it ${what}`, EXIT_BAD_SOCKET_DIR);
  let made: unknown;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    made = e; // EEXIST for a dangling link or a file: the lstat below says which
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    throw refuse(`cannot be created (${(made as Error | undefined)?.message ?? 'unknown error'})`);
  }
  if ((st.mode & 0o1002) !== 0 && st.isDirectory()) throw refuse('is a shared folder (sticky or writable by all); give a socket path in a private folder');
  const problem = privateDirProblem(dir, st);
  if (problem && !/^has mode/.test(problem)) throw refuse(problem);
  if (problem) {
    fs.chmodSync(dir, 0o700);
    const again = privateDirProblem(dir);
    if (again) throw refuse(again);
  }
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

/**
 * Could `pid` be a daemon of ours holding the lock? EPERM means the pid now belongs to another
 * user's process (the lock's daemon died and its pid was reused): not ours, so the lock is
 * stale and taken over rather than waited on until the start fails (issue #13).
 */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: gone; EPERM: someone else's process
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

/** The socket file we listen on, identified at once (another daemon may put its own at the path later). */
export interface Listening {
  server: net.Server;
  /** Device and inode of the file our listen() made; absent when it was already gone (removed by someone). */
  file?: { dev: number; ino: number };
}

/**
 * The socket file at `socketPath` right after listen(), before anything else runs: ours, unless
 * someone swapped it (refused). A client may connect as soon as the kernel listens, before
 * this runs, and remove the file (as a takeover does): then there is no file of ours, which is
 * not a failure to start (issue #20: the daemon exited 1 on a busy machine).
 */
function ownSocketFile(socketPath: string): Listening['file'] {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const problem = socketProblem(socketPath, st);
  if (problem) throw new ListenError(`refusing to serve on ${socketPath}: it ${problem}`, EXIT_BAD_SOCKET_DIR);
  // Born 0600 (umask); tightened if a platform ignores the umask for sockets.
  if ((st.mode & 0o777) !== 0o600) fs.chmodSync(socketPath, 0o600);
  return { dev: st.dev, ino: st.ino };
}

/**
 * A listen error as the daemon exits with it: the path taken between the probe and the listen
 * is the loser of a race, "already running" (3), like the probe's answer. On Windows, where a
 * named pipe needs no lock file (a pipe name cannot be stale), this is how a race ends.
 */
export function listenFailure(e: Error, socketPath: string): Error {
  if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') return e;
  return new ListenError(`a SegLens daemon is already listening on ${socketPath} (it started at the same time)`, EXIT_ALREADY_RUNNING);
}

/** Listens on `socketPath`; throws ListenError(exit code 3) if a live daemon already does. */
export async function listen(socketPath: string, onConnection: (socket: net.Socket) => void): Promise<Listening> {
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
    let file: Listening['file'];
    try {
      await new Promise<void>((resolve, reject) => {
        const failed = (e: Error) => reject(listenFailure(e, socketPath));
        server.once('error', failed);
        server.listen(socketPath, () => {
          server.off('error', failed);
          try {
            if (process.platform !== 'win32') file = ownSocketFile(socketPath);
            resolve();
          } catch (e) {
            server.close();
            reject(e);
          }
        });
      });
    } finally {
      process.umask(oldMask);
    }
    return { server, file };
  } finally {
    release();
  }
}
