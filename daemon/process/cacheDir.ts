// The --cache-dir folder (optimised graphs, recent modes), made usable before anything needs it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from '../api/constants';

/** The cache folder, or a private temporary one when it cannot be written (said in the log). */
export function usableCacheDir(wanted: string, log: Logger): string {
  try {
    fs.mkdirSync(wanted, { recursive: true, mode: 0o700 });
    fs.accessSync(wanted, fs.constants.W_OK);
    return wanted;
  } catch (e) {
    const fallback = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-cache-'));
    log('warn', `cache folder ${wanted} is not writable (${(e as Error).message}); using ${fallback} for this run`);
    return fallback;
  }
}
