// File helpers every layer shares: checksums and atomic writes. Writes go through
// safeWrite.ts: a temporary file with a random name in the same folder, created exclusively,
// then renamed over the target, so a reader sees the old file or the new one, never a part, and
// a link planted at the temporary name is never written through. Temporary names end in `.tmp`,
// which the optimised-graph cache sweeps when stale.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { writeFileReplacingSync, writeFileSafe } from './safeWrite';

export { OutputExistsError, UnsafePathError, somethingAt, tempPathFor, writeFileSafe } from './safeWrite';

export function sha256(data: Uint8Array | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** sha256 (hex) of a file, streamed: a model file need not fit in memory twice. */
export async function sha256File(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve())
      .on('error', reject);
  });
  return h.digest('hex');
}

/**
 * Writes `data` to `file` atomically, replacing it; the temporary file is removed if anything
 * fails. While the write is under way its temporary file is in `pending`, when given (a CLI
 * removes those on an interrupt). `writeFileSafe` takes the other options (no replacing, an
 * output root, permissions).
 */
export function writeFileAtomic(file: string, data: Uint8Array | string, pending?: Set<string>): Promise<void> {
  return writeFileSafe(file, data, { overwrite: true, pending });
}

/** The same, synchronously: for writes that must be done before the process goes on (or exits). */
export function writeFileAtomicSync(file: string, data: Uint8Array | string): void {
  writeFileReplacingSync(file, data);
}

/** Removes a file if it is there; never throws (cleaning up after a failure must not fail). */
export async function removeQuietly(file: string): Promise<void> {
  await fs.promises.rm(file, { force: true }).catch(() => undefined);
}
