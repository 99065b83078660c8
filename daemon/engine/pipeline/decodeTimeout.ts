// A time limit on decoding an image (issue #13; `--decode-timeout-ms`). A crafted image can make
// libvips work for minutes while its request, and the engine's line behind it, wait. The daemon
// sets the limit in its environment before the engine starts, so it reaches the engine whether
// that runs in a thread or a forked process, without a change to the engine's messages.
// Two parts: a timer answers the request after exactly the limit (1002), and sharp's own
// timeout (whole seconds) stops libvips's work on it within the next second.
import type { Sharp } from 'sharp';
import { SegLensError } from '../../api/errors';
import { ErrorCodes } from '../../api/protocol';

const ENV = 'SEGLENS_DECODE_TIMEOUT_MS';

/** Called by the daemon before it starts the engine (0: no limit). */
export function setDecodeTimeoutMs(ms: number): void {
  process.env[ENV] = String(ms);
}

function limitMs(): number {
  const v = Number(process.env[ENV]);
  return Number.isFinite(v) && v > 0 ? v : 0;
}

export function decodeTimedOut(what: string, ms = limitMs()): SegLensError {
  return new SegLensError(ErrorCodes.ImageUndecodable, `Image decoding timed out: ${what} took longer than ${ms} ms (--decode-timeout-ms)`);
}

/** True for the error sharp gives when its timeout stops a pipeline. */
const isSharpTimeout = (e: unknown): boolean => /timeout/i.test(String((e as Error)?.message));

/** `work` under the decode limit: 1002 when it takes longer (the work itself goes on, bounded, and is ignored). */
export async function withTimeLimit<T>(work: Promise<T>, what: string, ms = limitMs()): Promise<T> {
  if (ms === 0) return work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(decodeTimedOut(what, ms)), ms)));
  work.catch(() => undefined); // its failure after the deadline is nobody's to report
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** For decoding done in JavaScript: a check to call as it goes, which throws 1002 once the limit has passed. */
export function decodeDeadline(what: string, ms = limitMs()): () => void {
  const end = ms === 0 ? Infinity : performance.now() + ms;
  return () => {
    if (performance.now() > end) throw decodeTimedOut(what, ms);
  };
}

/** Runs `run` on `pipeline` under the decode limit: 1002 when it takes longer (by our timer or by sharp's own timeout). */
export async function withDecodeTimeout<T>(pipeline: Sharp, what: string, run: (p: Sharp) => Promise<T>): Promise<T> {
  const ms = limitMs();
  if (ms === 0) return run(pipeline);
  try {
    return await withTimeLimit(run(pipeline.timeout({ seconds: Math.ceil(ms / 1000) })), what, ms);
  } catch (e) {
    throw isSharpTimeout(e) ? decodeTimedOut(what, ms) : e;
  }
}
