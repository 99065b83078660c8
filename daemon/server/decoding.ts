// Where seglens/score and seglens/displayCrop decode (issue #20): in a process of their own,
// dist/decodeWorker.js, run by engine/host/jobProcess.ts. Not in the daemon's process (a libvips
// crash on a crafted file would end the shared daemon) and not in the engine's (a crash there
// would take every warm model along, and a score would wait behind long inferences). Bounded
// lines (1005 past them), the watchdog (--watchdog-seconds, from the moment a job starts), its
// memory counted in the daemon's (--max-rss-mb, status rssBytes).
import * as path from 'node:path';
import type { LogLevel } from '../api/constants';
import { JobProcess } from '../engine/host/jobProcess';
import type { DecodeOp } from './decodeJob';

/** Scores waiting or running at once (a CLI keeps a few images in flight). */
const MAX_SCORES = 16;
/** Crops waiting or running at once: a client asks for the visible region, debounced. */
const MAX_CROPS = 8;

/** What the segmenter needs of it. */
export interface Decoding {
  run<R>(op: DecodeOp, job: unknown): Promise<R>;
}

const inline = async (op: string, job: unknown) => (await import('./decodeJob')).decodeJob(op as DecodeOp, job, false);

export function decodingProcess(opts: { watchdogMs: number; testHooks: boolean; log: (level: LogLevel, message: string) => void }): JobProcess {
  return new JobProcess({
    file: path.join(__dirname, 'decodeWorker.js'),
    init: { testHooks: opts.testHooks },
    inline,
    maxWaiting: { score: MAX_SCORES, crop: MAX_CROPS },
    watchdogMs: opts.watchdogMs,
    log: opts.log,
  });
}

/** In the daemon's own process (no decoding process given: tests of the server alone). */
export const inlineDecoding: Decoding = { run: async <R>(op: DecodeOp, job: unknown) => (await inline(op, job)) as R };
