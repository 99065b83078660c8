// Where the per-user shared daemon listens and keeps its files. The extension and the
// daemon both derive them here so two windows (and the CLI) find the same daemon.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { privateDirProblem } from './privateDir';

function userTag(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  return uid !== undefined ? String(uid) : os.userInfo().username.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Longest socket path used: under every platform's sun_path limit (Linux 107, macOS 103 bytes). */
const MAX_SOCKET_PATH = 100;
/** Room kept for the socket's file name (`daemon-<version>.sock`). */
const SOCKET_NAME_ROOM = 32;

/** The file in the user's cache that records the fallback runtime folder (0600). */
export function runtimeRecordFile(): string {
  return path.join(defaultCacheDir(), 'runtime-dir');
}

/**
 * The per-user runtime folder (0700) holding daemon sockets, never one a shared temporary
 * folder could give another user first (issue #13): `$XDG_RUNTIME_DIR/seglens`, else
 * `~/.cache/seglens/run`, else (that path too long for a socket, or not creatable) a `mkdtemp`
 * folder recorded in `runtimeRecordFile()` so every window finds the same one.
 */
export function runtimeDir(): string {
  if (process.platform === 'win32') return '';
  const fits = (dir: string) => Buffer.byteLength(dir) + 1 + SOCKET_NAME_ROOM <= MAX_SOCKET_PATH;
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg && path.isAbsolute(xdg) && fits(path.join(xdg, 'seglens'))) return path.join(xdg, 'seglens');
  const inCache = path.join(defaultCacheDir(), 'run');
  if (fits(inCache)) {
    try {
      fs.mkdirSync(inCache, { recursive: true, mode: 0o700 });
      return inCache;
    } catch {
      /* a read-only home: the recorded temporary folder below */
    }
  }
  return recordedTempRuntimeDir();
}

/** A private `mkdtemp` folder (0700, unguessable name), recorded in a 0600 file in the user's cache. */
function recordedTempRuntimeDir(): string {
  const record = runtimeRecordFile();
  const fresh = () => fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-run-'));
  for (let attempt = 0; attempt < 3; attempt++) {
    const known = readRecord(record);
    if (known) return known;
    const dir = fresh();
    try {
      fs.mkdirSync(path.dirname(record), { recursive: true, mode: 0o700 });
      // Exclusive create: of two windows racing, the first record wins and both use it.
      fs.writeFileSync(record, dir, { flag: 'wx', mode: 0o600 });
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return dir; // no usable cache: private to this process
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return fresh();
}

/** The recorded folder if the record is ours (0600, not a link) and the folder still passes the checks; else removes the record. */
function readRecord(record: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(record);
  } catch {
    return undefined;
  }
  const mine = st.isFile() && st.uid === process.getuid?.() && (st.mode & 0o777) === 0o600;
  const dir = mine ? fs.readFileSync(record, 'utf8').trim() : '';
  try {
    if (dir && path.isAbsolute(dir) && privateDirProblem(dir) === undefined) return dir;
  } catch {
    /* the folder is gone (a cleaned temporary folder) */
  }
  fs.rmSync(record, { force: true });
  return undefined;
}

/** Socket (or named pipe) of the shared daemon for one daemon version. */
export function defaultSocketPath(daemonVersion: string): string {
  const v = daemonVersion.replace(/[^0-9A-Za-z.-]/g, '_').slice(0, SOCKET_NAME_ROOM - 12);
  if (process.platform === 'win32') return `\\\\.\\pipe\\seglens-${userTag()}-${v}`;
  return path.join(runtimeDir(), `daemon-${v}.sock`);
}

/** Default `--cache-dir`: a per-user cache folder. */
export function defaultCacheDir(): string {
  if (process.platform === 'win32') return path.join(process.env.LOCALAPPDATA || os.homedir(), 'SegLens', 'Cache');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'SegLens');
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'seglens');
}
