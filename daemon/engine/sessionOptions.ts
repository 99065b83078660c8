// The engine's ONNX Runtime session options, in one place: the engine worker builds its
// sessions from them, and the bench (bench/phases/steady.ts) builds its bare session from
// the same function, so the two measure the same thing (issue #14).
import type * as ort from 'onnxruntime-node';
import { defaultIntraOpThreads } from './cpuCores';

/** Intra-op threads the engine uses: the daemon's `--threads` when given, else physical cores. */
export function engineThreads(requested?: number): number {
  return requested && requested > 0 ? requested : defaultIntraOpThreads();
}

/** Session options for every provider (the provider list is added per attempt). */
export function baseSessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    enableMemPattern: false,
    enableCpuMemArena: true,
    logSeverityLevel: 3,
  };
}
