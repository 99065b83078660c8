// Saving an optimised graph in a short-lived thread of its own (issue #14). ONNX Runtime's
// session creation blocks the JavaScript thread that calls it, so a save run by the engine
// worker itself would hold up the next request (or an unload) for a whole session creation;
// in its own thread it runs beside them, after the first preview has been answered.
import { Worker } from 'node:worker_threads';
import type * as ortTypes from 'onnxruntime-node';

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ort);
ort.InferenceSession.create(workerData.file, workerData.options)
  .then((s) => s.release())
  .then(
    () => parentPort.postMessage({ ok: true }),
    (e) => parentPort.postMessage({ ok: false, message: String((e && e.message) || e) }),
  );
`;

/** Creates (and releases) a session of `file` with `options` (optimizedModelFilePath set) in a new thread. */
export function saveGraphInThread(file: string, options: ortTypes.InferenceSession.SessionOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(SOURCE, { eval: true, workerData: { ort: require.resolve('onnxruntime-node'), file, options } });
    w.once('message', (m: { ok: boolean; message?: string }) => (m.ok ? resolve() : reject(new Error(m.message))));
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`the graph writer thread exited (code ${code})`)));
  });
}
