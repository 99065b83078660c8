// Which socket file is ours. Another daemon may remove a socket file it took for stale and
// listen on the same path; the file we created is then gone and the path names the newcomer's.
// A socket file is identified by its device and inode, recorded right after listening.
import * as fs from 'node:fs';

export interface SocketFileId {
  path: string;
  dev: number;
  ino: number;
}

/** The identity of the socket file at `path` now (undefined when there is none, e.g. on Windows). */
function socketFileId(path: string): SocketFileId | undefined {
  try {
    const st = fs.statSync(path);
    return st.isSocket() ? { path, dev: st.dev, ino: st.ino } : undefined;
  } catch {
    return undefined;
  }
}

/** Is the file at the recorded path still the socket file recorded? */
export function stillOurs(id: SocketFileId): boolean {
  const now = socketFileId(id.path);
  return now !== undefined && now.dev === id.dev && now.ino === id.ino;
}

/** Removes the socket file only if it is still the one recorded; returns whether it did. */
export function removeIfOurs(id: SocketFileId | undefined): boolean {
  if (!id || !stillOurs(id)) return false;
  try {
    fs.rmSync(id.path, { force: true });
    return true;
  } catch {
    return false; // already gone
  }
}
