// The checks that make the shared daemon's socket trustworthy on both sides (issue #13): the
// daemon before it listens, every client before it connects. A folder that is a symbolic link,
// belongs to someone else or is open to others could be another user's trap; a socket that is
// not ours could be another user's fake daemon. Unix only: Windows uses per-window daemons.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A refusal: `code` is 'EUNSAFE' so callers can tell it from "nobody listens" (ENOENT...). */
export class UnsafePathError extends Error {
  readonly code = 'EUNSAFE';
}

const uid = () => process.getuid?.();

function describeOwner(st: fs.Stats): string | undefined {
  const me = uid();
  return me !== undefined && st.uid !== me ? `belongs to user ${st.uid}, not to you (user ${me})` : undefined;
}

/**
 * What is wrong with `dir` as a private folder (lstat: not a symbolic link, a folder, owned by
 * this user, mode 0700), or undefined when nothing is. Throws ENOENT when it does not exist.
 */
export function privateDirProblem(dir: string, st = fs.lstatSync(dir)): string | undefined {
  if (st.isSymbolicLink()) {
    let target = '?';
    try {
      target = fs.readlinkSync(dir);
    } catch {
      /* gone meanwhile */
    }
    return `is a symbolic link (to ${target}), not a real folder`;
  }
  if (!st.isDirectory()) return 'is not a folder';
  const owner = describeOwner(st);
  if (owner) return owner;
  if ((st.mode & 0o7777) !== 0o700) return `has mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, not 0700`;
  return undefined;
}

/** What is wrong with `socketPath` as our daemon's socket (lstat: a socket, owned by this user). */
export function socketProblem(socketPath: string, st = fs.lstatSync(socketPath)): string | undefined {
  if (st.isSymbolicLink()) return 'is a symbolic link, not a socket';
  if (!st.isSocket()) return 'is not a socket';
  return describeOwner(st);
}

/** Before connecting: the socket's folder and the socket pass the checks, or an UnsafePathError says why. */
export function checkSocketBeforeConnect(socketPath: string): void {
  if (process.platform === 'win32') return;
  const dir = path.dirname(socketPath);
  const dirIssue = privateDirProblem(dir); // ENOENT passes through: nobody listens there
  if (dirIssue) throw new UnsafePathError(`refusing to connect to ${socketPath}: its folder ${dir} ${dirIssue}`);
  const sockIssue = socketProblem(socketPath);
  if (sockIssue) throw new UnsafePathError(`refusing to connect to ${socketPath}: it ${sockIssue}`);
}
