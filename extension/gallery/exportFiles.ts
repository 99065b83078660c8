// The files the gallery's exports write, and how (no vscode import: unit-tested). Names are
// predictable: a report picked as `<name>.csv`, `<name>.json` or any `<name>` is written as
// `<name>.csv` and `<name>.json` (so `r.txt` gives `r.txt.csv` and `r.txt.json`). Every file
// that exists is asked about before anything is written, and each is written with the CLI's
// safe writer (daemon/util/safeWrite.ts): replacing only the files the user agreed to replace, a
// file that appeared since then refused, and nothing through a symbolic link under the folder
// written to.
import * as path from 'node:path';
import { OutputExistsError, UnsafePathError, somethingAt, writeFileSafe } from '../../daemon/util/safeWrite';

/** The report's two files for the name picked in the save dialog. */
export function reportFiles(picked: string): { csv: string; json: string } {
  const base = picked.replace(/\.(csv|json)$/i, '');
  return { csv: `${base}.csv`, json: `${base}.json` };
}

/**
 * The files among `files` that exist and must be asked about: all of them but the one the save
 * dialog asked about already (`asked`, when the user picked an existing file's name).
 */
export function toAsk(files: readonly string[], asked?: string): string[] {
  return files.filter((f) => f !== asked && somethingAt(f));
}

/** The file the save dialog asked about: the name picked, when something is there (a new name asked nothing). */
export function askedByDialog(picked: string): string | undefined {
  return somethingAt(picked) ? picked : undefined;
}

/** The question for replacing `files` (every one named, up to 10, then a count). */
export function replaceQuestion(files: readonly string[]): string {
  const names = files.slice(0, 10).map((f) => path.basename(f)).join(', ') + (files.length > 10 ? `, and ${files.length - 10} more` : '');
  return `SegLens: ${files.length} file(s) exist already: ${names}. Overwrite them?`;
}

export interface ExportWriter {
  /** Writes one file under `root`; false (with the reason in `refused`) when it was not written. */
  write(file: string, data: string | Uint8Array): Promise<boolean>;
  /** Why files were not written: one line each. */
  readonly refused: string[];
}

/** A writer under `root` that replaces exactly the files in `agreed` (those the user was asked about). */
export function exportWriter(root: string, agreed: Iterable<string>): ExportWriter {
  const replace = new Set(agreed);
  const refused: string[] = [];
  return {
    refused,
    async write(file, data) {
      try {
        await writeFileSafe(file, data, { root, overwrite: replace.has(file) });
        return true;
      } catch (e) {
        if (!(e instanceof OutputExistsError || e instanceof UnsafePathError)) throw e;
        refused.push(e instanceof OutputExistsError ? `${e.message} (it appeared after the question)` : e.message);
        return false;
      }
    },
  };
}
