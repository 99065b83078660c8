// Entry of dist/scoreWorker.js: scores (score.ts) off the daemon's main thread, one job at a
// time in arrival order; errors go back as plain objects with their protocol code.
import { parentPort } from 'node:worker_threads';
import { serializeError } from '../api/errors';
import { ScoreJob, scoreBytes } from './score';

export interface ScoreRequest {
  id: number;
  job: ScoreJob;
}

parentPort!.on('message', (m: ScoreRequest) => {
  scoreBytes(m.job).then(
    (result) => parentPort!.postMessage({ id: m.id, result }),
    (e) => parentPort!.postMessage({ id: m.id, error: serializeError(e) }),
  );
});
