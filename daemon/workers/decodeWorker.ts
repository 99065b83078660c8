// Entry of dist/decodeWorker.js, the decoding process (server/decoding.ts, engine/host/jobProcess.ts):
// jobs arrive as messages; each kind (score, crop) has its own line, one job at a time in
// arrival order, so a crop never waits behind a folder's scores. Each job says when it starts
// (the daemon's watchdog counts from there) and answers with its result or its error; the port
// adds this process's RSS to each answer (the daemon's memory budget counts it).
import { serializeError } from '../api/errors';
import { enginePort } from '../engine/host/enginePort';
import type { JobReply, JobRequest } from '../engine/host/jobProcess';
import { DecodeOp, decodeJob } from '../server/decodeJob';

const { port, init } = enginePort<{ testHooks?: boolean }>();
const lines = new Map<string, Promise<void>>();

async function serve(m: JobRequest): Promise<void> {
  port.postMessage({ type: 'start', id: m.id } satisfies JobReply);
  let reply: JobReply;
  try {
    reply = { type: 'result', id: m.id, ok: true, result: await decodeJob(m.op as DecodeOp, m.job, init.testHooks === true) };
  } catch (e) {
    reply = { type: 'result', id: m.id, ok: false, error: serializeError(e) };
  }
  port.postMessage(reply);
}

port.on('message', (m: JobRequest) => {
  const next = (lines.get(m.op) ?? Promise.resolve()).then(() => serve(m));
  lines.set(m.op, next);
});
