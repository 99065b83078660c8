// Runs in the engine on every segment's bytes, before anything decodes them: their content hash
// goes to the daemon first, so that an input that then crashes the engine is known and can be
// quarantined (quarantine.ts).
//
// TEST-ONLY crash hooks: when, and only when, the daemon was started with
// SEGLENS_TEST_CRASH_HOOKS=1 in its environment, bytes that start with a marker make the engine
// abort natively (SIGABRT, as a crash in ONNX Runtime or libvips would) or hang
// (a blocking wait, as a stuck native call would). Without the variable, marker bytes are just an
// undecodable image (1002). Never set it outside the tests.
import { createHash } from 'node:crypto';
import { isMainThread } from 'node:worker_threads';

export const TEST_HOOKS_ENV = 'SEGLENS_TEST_CRASH_HOOKS';
/** TEST ONLY, read only with TEST_HOOKS_ENV=1: an execution provider whose outputs the engine corrupts (1 - v), to see the CPU check refuse it (issue 27). */
export const TEST_CORRUPT_PROVIDER_ENV = 'SEGLENS_TEST_CORRUPT_PROVIDER';
export const TEST_ABORT_MARKER = 'SEGLENS-TEST-ABORT';
export const TEST_HANG_MARKER = 'SEGLENS-TEST-HANG';

/** The daemon's environment turns the test hooks on (read once, at start). */
export const testHooksRequested = (env: NodeJS.ProcessEnv = process.env) => env[TEST_HOOKS_ENV] === '1';

/** The content hash quarantine keys on (hex sha256 of the encoded image bytes). */
export function inputHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function startsWith(bytes: Uint8Array, marker: string): boolean {
  if (bytes.byteLength < marker.length) return false;
  for (let i = 0; i < marker.length; i++) if (bytes[i] !== marker.charCodeAt(i)) return false;
  return true;
}

/** The guard workers/engineProcess.ts awaits with each segment's bytes; `report` tells the daemon their hash, which it also resolves to. */
export function makeInputGuard(testHooks: boolean, report: (hash: string) => void): (bytes: Uint8Array) => Promise<string> {
  return async (bytes) => {
    const hash = inputHash(bytes);
    report(hash);
    if (testHooks) await testHook(bytes);
    return hash;
  };
}

/** TEST ONLY: marker bytes abort the process natively or hang this thread (see the top of this file). */
export async function testHook(bytes: Uint8Array): Promise<void> {
  const abort = startsWith(bytes, TEST_ABORT_MARKER);
  const hang = startsWith(bytes, TEST_HANG_MARKER);
  if (!abort && !hang) return;
  // Let the hash report leave first (a real crash comes later, in decoding or inference).
  await new Promise((r) => setTimeout(r, 50));
  // process.abort() where Node allows it (a process's main thread); a worker thread may not
  // call it, so there SIGABRT is raised on the process, as abort() in native code does.
  if (abort) return isMainThread ? process.abort() : void process.kill(process.pid, 'SIGABRT');
  // Blocks this thread for good, as a stuck native call would: only the watchdog ends it.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
