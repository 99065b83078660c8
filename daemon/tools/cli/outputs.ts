// Writing outputs (util/safeWrite.ts): never half-written, never over an existing file without
// --overwrite (a file that appears during the run included: the write refuses it then), never
// through a symbolic link: each output's real path stays under its root (--out, or the
// report's folder).
import * as fs from 'node:fs';
import { OutputExistsError, UnsafePathError, somethingAt, writeFileSafe } from '../../util/fileOps';

/** Report error codes of an image whose outputs were refused (not protocol codes: the CLI refused). */
export const OUTPUT_EXISTS = 2001;
export const OUTPUT_UNSAFE = 2002;

const pending = new Set<string>();

/** Writes `data` to `file` under `root`, creating the folders between them; removePending() cleans up after an interrupt. */
export function writeOutput(file: string, data: string | Uint8Array, root: string, overwrite: boolean): Promise<void> {
  return writeFileSafe(file, data, { root, overwrite, pending });
}

/** The report code of a refused write, or undefined for any other failure. */
export function refusalCode(e: unknown): number | undefined {
  if (e instanceof OutputExistsError) return OUTPUT_EXISTS;
  if (e instanceof UnsafePathError) return OUTPUT_UNSAFE;
  return undefined;
}

/** Removes temporary files of writes still under way (on an interrupt). */
export function removePending(): void {
  for (const t of pending) fs.rmSync(t, { force: true });
}

/** Anything at the name, a dangling link included. */
export const exists = (file: string) => somethingAt(file);
