// At which input shape a warm-up runs (issue #14). The hope was that on the CPU a
// small-shape run (256x256, ~10% of the price) removes the first-run cost of a session. Measured
// on a 2-core AMD EPYC (AVX-512), ONNX Runtime 1.30, ISNet at 768 (bench P11 and a bare
// session side by side): the first full-size run is 1.14x steady with no warm-up, 1.03-1.11x
// after a 256 run, 1.05-1.09x after a 384 run, and 0.98-0.99x after a full-size run. A small run
// pays the one-off part; the rest (ONNX Runtime's arena growing to the full shape) only a
// full-size run pays. "Warm" must mean the first request runs at steady speed, so every
// provider warms up at full size by default. A mode definition may still ask for `small`
// (`warmupShape`) where its own measurements allow; a model with fixed height and width can
// only run at its own shape. The preview does not pay for a dummy at all: its own first
// request is the warm-up (request-as-warm-up, registry).
import type { ModeDef } from '../models/modeDef';

export type WarmupShape = 'small' | 'full';

/** Side of a small warm-up: a multiple of 32 (ISNet's stride) and of the common 8/16/64. */
export const SMALL_WARMUP_SIDE = 256;

/**
 * Per provider, from measurements: the CPU would be `small` if a small run left the first
 * full-size run within 10% of steady, which it does not reliably (see above). GPU providers
 * with shape-specific kernels or autotuning need the real shape anyway.
 */
const PROVIDER_DEFAULTS: Readonly<Record<string, WarmupShape>> = { cpu: 'full' };

/** The provider's default warm-up shape (full size unless a measurement says otherwise). */
export function defaultWarmupShape(provider: string): WarmupShape {
  return PROVIDER_DEFAULTS[provider] ?? 'full';
}

/** True when the model's input leaves height and width free (symbolic or -1). */
export function dynamicHeightWidth(mode: Pick<ModeDef, 'layout'>, shape: readonly (number | string)[] | undefined): boolean {
  if (!shape || shape.length !== 4) return false;
  const [h, w] = mode.layout === 'NCHW' ? [shape[2], shape[3]] : [shape[1], shape[2]];
  const free = (d: number | string) => typeof d !== 'number' || d <= 0;
  return free(h) && free(w);
}

/** The [height, width] a warm-up of `mode` runs at on `provider`, given the model's input shape. */
export function warmupInputSize(
  mode: Pick<ModeDef, 'inputSize' | 'layout' | 'warmupShape'>,
  provider: string,
  inputShape: readonly (number | string)[] | undefined,
): [number, number] {
  const [h, w] = mode.inputSize;
  // A GPU compiles its shaders per input shape (issue 27): there, only the full shape warms.
  const want = provider === 'cpu' ? (mode.warmupShape ?? defaultWarmupShape(provider)) : 'full';
  if (want === 'full' || !dynamicHeightWidth(mode, inputShape)) return [h, w];
  return [Math.min(h, SMALL_WARMUP_SIDE), Math.min(w, SMALL_WARMUP_SIDE)];
}
