// The daemon's side of `seglens/score`: reads the two images (path or base64), then has
// scoreWorker.ts decode and count them in its own thread, started on first use and stopped
// when idle. Without the bundled worker file (code bundled elsewhere, e.g. a test) it scores inline.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { SegLensError, SerializedError, deserializeError } from '../api/errors';
import { ErrorCodes, ImageSource, ModeInfo, ScoreParams, ScoreResult } from '../api/protocol';
import { ScoreJob, scoreBytes } from './score';

export interface ScoreLimits {
  maxPixels: number;
  /** Turns `{base64}` into bytes (strict, size-bounded: params.decodeBase64). */
  decodeBase64: (data: string) => Uint8Array;
}

type Reply = { id: number; result?: ScoreResult; error?: SerializedError };

const IDLE_MS = 30_000;
let worker: Worker | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let nextId = 1;
const waiting = new Map<number, { resolve: (r: ScoreResult) => void; reject: (e: Error) => void }>();

function failAll(e: Error): void {
  for (const w of waiting.values()) w.reject(e);
  waiting.clear();
}

function startWorker(file: string): Worker {
  const w = new Worker(file);
  w.unref(); // never what keeps the daemon alive
  w.on('message', (m: Reply) => {
    const p = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error) p?.reject(deserializeError(m.error, ErrorCodes.InternalError));
    else p?.resolve(m.result!);
    if (waiting.size === 0) {
      idleTimer = setTimeout(() => {
        if (worker === w) worker = undefined;
        void w.terminate();
      }, IDLE_MS).unref();
    }
  });
  const gone = (e: Error) => {
    if (worker === w) worker = undefined;
    failAll(new SegLensError(ErrorCodes.InternalError, `the scoring thread stopped (${e.message}); try again`));
  };
  w.on('error', gone);
  w.on('exit', (code) => gone(new Error(`exit code ${code}`)));
  return w;
}

function inWorker(job: ScoreJob): Promise<ScoreResult> {
  const file = path.join(__dirname, 'scoreWorker.js');
  if (!fs.existsSync(file)) return scoreBytes(job);
  clearTimeout(idleTimer);
  worker ??= startWorker(file);
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker!.postMessage({ id, job });
  });
}

async function readSource(src: ImageSource, what: string, limits: ScoreLimits): Promise<Uint8Array> {
  if ('base64' in src) return limits.decodeBase64(src.base64);
  try {
    return await fs.promises.readFile(src.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw new SegLensError(ErrorCodes.ImageNotFound, `${what} not found or not readable: ${src.path} (${why})`);
  }
}

const sourceName = (src: ImageSource, what: string) => ('path' in src ? `${what} ${src.path}` : `${what} (base64)`);

export async function scoreMask(mode: ModeInfo, p: ScoreParams, limits: ScoreLimits): Promise<ScoreResult> {
  const [prediction, groundTruth] = await Promise.all([readSource(p.prediction, 'prediction', limits), readSource(p.groundTruth, 'ground truth', limits)]);
  return inWorker({
    mode: { id: mode.id, label: mode.label, description: mode.description, task: mode.task, inputSize: mode.inputSize, labels: mode.labels },
    prediction,
    groundTruth,
    predictionName: sourceName(p.prediction, 'prediction'),
    groundTruthName: sourceName(p.groundTruth, 'ground truth'),
    groundTruthPath: 'path' in p.groundTruth ? p.groundTruth.path : undefined,
    maxPixels: limits.maxPixels,
    agreement: p.agreement === true,
  });
}
