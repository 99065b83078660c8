// The content hash of an image the result cache looks up (seglens/cachedResults, issue #20): the
// file is opened without blocking and checked on its open descriptor (imageFile.ts: a regular
// file within --max-image-bytes), then hashed off the daemon's main thread, in dist/hashWorker.js
// (util/threadJobs.ts; inline without that file, e.g. in a test). The thread reads the
// descriptor the daemon opened and checked: it hashes exactly that file.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { SegLensError, SerializedError, deserializeError } from '../api/errors';
import { ErrorCodes } from '../api/protocol';
import { withImageFile } from '../engine/pipeline/imageFile';
import { ThreadJobs } from '../util/threadJobs';

export interface HashJob {
  /** An open descriptor of a regular file (the daemon's: descriptors are the process's, shared by its threads). */
  fd: number;
  /** Bytes to hash: the size fstat gave when it was checked. */
  size: number;
}

const read = promisify(fs.read);
const CHUNK = 1 << 20;

/** sha256 (hex) of the first `size` bytes of `fd`. */
export async function hashDescriptor(job: HashJob): Promise<string> {
  const h = createHash('sha256');
  const buf = Buffer.alloc(Math.min(CHUNK, Math.max(1, job.size)));
  for (let at = 0; at < job.size; ) {
    const { bytesRead } = await read(job.fd, buf, 0, Math.min(buf.length, job.size - at), at);
    if (bytesRead === 0) break; // shrank meanwhile: the stamp will differ next time
    h.update(buf.subarray(0, bytesRead));
    at += bytesRead;
  }
  return h.digest('hex');
}

const hashThread = new ThreadJobs<HashJob, string, SerializedError>({
  file: path.join(__dirname, 'hashWorker.js'),
  inline: hashDescriptor,
  toError: (e) => deserializeError(e, ErrorCodes.InternalError),
  stopped: (e) => new SegLensError(ErrorCodes.InternalError, `the hashing thread stopped (${e.message}); try again`),
});

/** What identifies a file's content without reading it: a write moves mtime and ctime, a replacement the inode. */
export type Stamp = string;

/**
 * The content hash of `file`, a regular file of at most `maxBytes` (1001 / 1003 otherwise, at
 * once: never a blocking open or read); `known` answers from a memo by stamp when it can.
 */
export function fileContentHash(file: string, maxBytes: number, known: (stamp: Stamp) => string | undefined): Promise<{ stamp: Stamp; sha256: string }> {
  return withImageFile(file, maxBytes, async (fh, st) => {
    const stamp = `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
    const sha256 = known(stamp) ?? (await hashThread.run({ fd: fh.fd, size: st.size }));
    return { stamp, sha256 };
  });
}
