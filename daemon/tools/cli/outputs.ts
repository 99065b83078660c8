// Writing outputs: never over an existing file without --overwrite, and never half-written
// (a temporary file in the same folder, renamed into place once complete).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../util/fileOps';

const pending = new Set<string>();

/** Writes `data` to `file` atomically (util/fileOps.ts), creating its folder; removePending() cleans up after an interrupt. */
export async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, data, pending);
}

/** Removes temporary files of writes still under way (on an interrupt). */
export function removePending(): void {
  for (const t of pending) fs.rmSync(t, { force: true });
}

export const exists = (file: string) => fs.existsSync(file);
