// Where height, width and channels sit in a model's declared tensor shapes (by layout).
import { TensorInfo } from '../onnxInfo';

/** Channels, height and width of a rank-4 shape by layout. */
export function spatial(shape: TensorInfo['shape'], layout: 'NCHW' | 'NHWC'): { c: number | string | null; h: number | string | null; w: number | string | null } | undefined {
  if (!shape || shape.length !== 4) return undefined;
  return layout === 'NCHW' ? { c: shape[1], h: shape[2], w: shape[3] } : { c: shape[3], h: shape[1], w: shape[2] };
}

/**
 * The channel count of an output (classes, or 1 for a matte) when the file fixes it: rank 4 by
 * layout (the axis equal to `expect` when exactly one is), rank 3 [C,H,W], rank 2 one channel.
 */
export function outputChannels(info: TensorInfo, layout: 'NCHW' | 'NHWC', expect?: number): { channels?: number; axis?: number } {
  const s = info.shape;
  if (!s) return {};
  if (s.length === 4) {
    let axis = layout === 'NCHW' ? 1 : 3;
    if (expect !== undefined) {
      const a1 = s[1] === expect;
      const a3 = s[3] === expect;
      if (a1 && !a3) axis = 1;
      else if (a3 && !a1) axis = 3;
    }
    const c = s[axis];
    return typeof c === 'number' ? { channels: c, axis } : { axis };
  }
  if (s.length === 3) return typeof s[0] === 'number' ? { channels: s[0], axis: 0 } : { axis: 0 };
  if (s.length === 2) return { channels: 1 };
  return {};
}

export function guessLayout(info: TensorInfo | undefined): 'NCHW' | 'NHWC' | undefined {
  const s = info?.shape;
  if (!s || s.length !== 4) return undefined;
  if (s[1] === 3 && s[3] !== 3) return 'NCHW';
  if (s[3] === 3 && s[1] !== 3) return 'NHWC';
  return undefined;
}
