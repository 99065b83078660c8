// The built-in model files are prepared (checked, and the ISNet graph rewritten) on the first
// load that needs them, so that starting the daemon stays instant. The work itself runs in the
// engine's worker thread: hashing and rewriting 88 MB would stall the main thread, which only
// speaks the protocol.
import * as path from 'node:path';
import { Engine } from '../engine/engine';
import type { Logger } from '../api/constants';

/** An engine that can prepare the models folder off the main thread (EngineProxy does). */
export interface PreparableEngine extends Engine {
  prepareModels(modelsDir: string, int8: boolean): Promise<unknown>;
}

/** The engine, plus `prepare`: starts the engine and prepares the models now, ahead of the first load. */
export type PreparingEngine = Engine & { prepare(): Promise<unknown> };

/** `int8`: also build the int8 ISNet (10 s of CPU), only when the daemon's modes use it. */
export function preparingEngine(engine: PreparableEngine, modelsDir: string, log: Logger, int8: boolean): PreparingEngine {
  let prepared: Promise<unknown> | undefined;
  const prepare = () =>
    (prepared ??= engine.prepareModels(modelsDir, int8).catch((e) => {
      prepared = undefined;
      log('error', `could not prepare the models in ${modelsDir}: ${(e as Error).message}`);
    }));
  return {
    prepare,
    providers: () => engine.providers(),
    get provider() {
      return engine.provider;
    },
    get gpu() {
      return engine.gpu;
    },
    // A failed preparation shows as the load's own 1004 (missing file); the log has the cause.
    load: async (model) => {
      if (model.file.startsWith(modelsDir + path.sep)) await prepare();
      return engine.load(model);
    },
    unload: (key) => engine.unload(key),
    warmup: (mode, iterations) => engine.warmup(mode, iterations),
    admit: async (image) => engine.admit?.(image),
    segment: (mode, image, opts) => engine.segment(mode, image, opts),
    embed: (mode, image, key, opts) => engine.embed!(mode, image, key, opts),
    prompt: (mode, request, watchdogMs) => engine.prompt!(mode, request, watchdogMs),
    dropEmbeddings: (keys) => engine.dropEmbeddings?.(keys) ?? Promise.resolve(),
    close: () => engine.close(),
  };
}
