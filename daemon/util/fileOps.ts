// File helpers every layer shares: checksums and atomic writes (a unique temporary file in the
// same folder, renamed over the target, so a reader sees the old file or the new one, never a
// part). Temporary names end in `.tmp`, which the optimised-graph cache sweeps when stale.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';

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

/** A temporary name beside `file`, unique across processes and calls. */
export function tempPathFor(file: string): string {
  return `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
}

/**
 * Writes `data` to `file` atomically; the temporary file is removed if anything fails. While
 * the write is under way its temporary file is in `pending`, when given (a CLI removes those on
 * an interrupt).
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string, pending?: Set<string>): Promise<void> {
  const tmp = tempPathFor(file);
  pending?.add(tmp);
  try {
    await fs.promises.writeFile(tmp, data);
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await removeQuietly(tmp);
    throw e;
  } finally {
    pending?.delete(tmp);
  }
}

/** The same, synchronously: for writes that must be done before the process goes on (or exits). */
export function writeFileAtomicSync(file: string, data: Uint8Array | string): void {
  const tmp = tempPathFor(file);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Removes a file if it is there; never throws (cleaning up after a failure must not fail). */
export async function removeQuietly(file: string): Promise<void> {
  await fs.promises.rm(file, { force: true }).catch(() => undefined);
}
