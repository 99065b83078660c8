// At which input shape a warm-up runs (issue #14). On the CPU provider, the first run of a
// session pays a one-off cost (about 10% of an ISNet inference, measured) that a run at any
// shape removes: a small-shape run (256x256: ~5% of a 1024 inference) leaves the first
// full-size run at steady speed. Providers with shape-specific kernels or autotuning (CUDA,
// TensorRT, ...) must see the real shape, so they warm up at full size. A mode definition may
// override the provider's default (`warmupShape`), and a model with fixed height and width
// can only run at its own shape.
import type { ModeDef } from '../models/modeDef';

export type WarmupShape = 'small' | 'full';

/** Side of a small warm-up: a multiple of 32 (ISNet's stride) and of the common 8/16/64. */
export const SMALL_WARMUP_SIDE = 256;

/** The provider's default: small on the CPU, full size wherever kernels depend on the shape. */
export function defaultWarmupShape(provider: string): WarmupShape {
  return provider === 'cpu' ? 'small' : 'full';
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
  const want = mode.warmupShape ?? defaultWarmupShape(provider);
  if (want === 'full' || !dynamicHeightWidth(mode, inputShape)) return [h, w];
  return [Math.min(h, SMALL_WARMUP_SIDE), Math.min(w, SMALL_WARMUP_SIDE)];
}
