// Opening an image path without ever blocking (issue #13): a FIFO given as an image would block
// a plain open or read forever (and with it one of libuv's four threads, which every file
// operation of the daemon shares); a device such as /dev/zero never ends. The path is opened
// with O_NONBLOCK (a FIFO opens at once, without a writer) and the open file is checked with
// fstat: only a regular file under the size cap is read. Missing, unreadable and non-regular
// paths are 1001; a file over the cap is 1003.
import { constants as C, promises as fsp, Stats } from 'node:fs';
import { SegLensError } from '../../api/errors';
import { ErrorCodes } from '../../api/protocol';

// O_NONBLOCK / O_NOCTTY are absent on Windows, where a FIFO cannot be named by a path anyway.
const OPEN_FLAGS = C.O_RDONLY | (C.O_NONBLOCK ?? 0) | (C.O_NOCTTY ?? 0);

function kind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function unreadable(p: string, e: unknown): SegLensError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'it is a directory, not an image file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ENOTDIR'
            ? 'a parent of the path is not a directory'
            : (e as Error).message;
  return new SegLensError(ErrorCodes.ImageNotFound, `Image not found or not readable: ${p} (${why})`);
}

/**
 * Opens `p` and runs `use` on it if it is a regular file of at most `maxBytes` (`st`: the open
 * file's fstat); 1001 for a missing or unreadable path or one that is not a regular file, 1003
 * for one over the cap.
 */
export async function withImageFile<T>(p: string, maxBytes: number, use: (fh: fsp.FileHandle, st: Stats) => Promise<T>): Promise<T> {
  if (typeof p !== 'string' || p.length === 0) throw new SegLensError(ErrorCodes.InvalidParams, 'image path is empty');
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(p, OPEN_FLAGS);
  } catch (e) {
    throw unreadable(p, e);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new SegLensError(ErrorCodes.ImageNotFound, `Image not found or not readable: ${p} (it is ${kind(st)}, not an image file)`);
    if (st.size > maxBytes) {
      throw new SegLensError(ErrorCodes.ImageTooLarge, `Image too large: ${p} is ${st.size} bytes, the limit is ${maxBytes} bytes (--max-image-bytes)`);
    }
    return await use(fh, st);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Checks, at once and without reading it, that `p` is a regular file of at most `maxBytes`; its size. */
export function checkImageFile(p: string, maxBytes: number): Promise<number> {
  return withImageFile(p, maxBytes, async (_fh, st) => st.size);
}

/** The bytes of `p`, a regular file of at most `maxBytes` (read through the checked handle). */
export function readImageFile(p: string, maxBytes = Number.MAX_SAFE_INTEGER): Promise<Uint8Array> {
  return withImageFile(p, maxBytes, async (fh) => {
    const bytes = await fh.readFile().catch((e: unknown) => {
      throw unreadable(p, e);
    });
    if (bytes.length > maxBytes) throw new SegLensError(ErrorCodes.ImageTooLarge, `Image too large: ${p} grew past ${maxBytes} bytes while read`);
    return bytes;
  });
}
