// What the engine starts with, from the command line: one place for the daemon process and for
// main.ts, which may fork the engine before the rest of the daemon has loaded (earlyEngine.ts).
import { defaultCacheDir } from '../api/paths';
import { setDecodeTimeoutMs } from '../engine/pipeline/decodeTimeout';
import { TEST_HOOKS_ENV, testHooksRequested } from '../engine/host/inputGuard';
import type { WorkerInit } from '../engine/engineProxy';
import type { DaemonArgs } from '../api/daemonCli';
import { usableCacheDir } from './cacheDir';
import type { Logger } from '../api/constants';

export interface EngineSetup {
  cacheDir: string;
  init: WorkerInit;
}

/** Makes the cache folder usable and sets what the engine reads from its environment; call once. */
export function engineSetup(args: DaemonArgs, log: Logger): EngineSetup {
  const cacheDir = usableCacheDir(args.cacheDir ?? defaultCacheDir(), log);
  // TEST ONLY: the tests start the daemon with SEGLENS_TEST_CRASH_HOOKS=1 to make the engine abort or hang on marker images.
  const testHooks = testHooksRequested();
  if (testHooks) log('warn', `${TEST_HOOKS_ENV}=1: test crash hooks are on (marker images abort or hang the engine); never set this outside the tests`);
  // Before the engine starts: its thread or process reads the limit from its environment.
  setDecodeTimeoutMs(args.decodeTimeoutMs);
  const cachePolicy = { maxBytes: args.cacheMaxMb * 1024 * 1024, maxAgeDays: args.cacheMaxDays };
  return { cacheDir, init: { provider: args.provider, cacheDir, cachePolicy, testHooks } };
}
