// Where the per-user shared daemon listens and keeps its files. The extension and the
// daemon both derive them here so two windows (and the CLI) find the same daemon.
import * as os from 'node:os';
import * as path from 'node:path';

function userTag(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  return uid !== undefined ? String(uid) : os.userInfo().username.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The per-user runtime folder (0700) holding daemon sockets. */
export function runtimeDir(): string {
  if (process.platform === 'win32') return '';
  const base = process.env.XDG_RUNTIME_DIR || os.tmpdir();
  return path.join(base, `seglens-${userTag()}`);
}

/** Socket (or named pipe) of the shared daemon for one daemon version. */
export function defaultSocketPath(daemonVersion: string): string {
  const v = daemonVersion.replace(/[^0-9A-Za-z.-]/g, '_');
  if (process.platform === 'win32') return `\\\\.\\pipe\\seglens-${userTag()}-${v}`;
  return path.join(runtimeDir(), `daemon-${v}.sock`);
}

/** Default `--cache-dir`: a per-user cache folder. */
export function defaultCacheDir(): string {
  if (process.platform === 'win32') return path.join(process.env.LOCALAPPDATA || os.homedir(), 'SegLens', 'Cache');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'SegLens');
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'seglens');
}
