// How closely one matte follows another: the IoU of their masks at 0.5 and the mean absolute
// difference of their alpha (0-255). The int8 model's accuracy bar (issue #26) and the GPU
// providers' CPU check (issue #27, engine/gpu/agreement.ts) are written in these terms; the
// bench, the tests and the measurement share them. A leaf (it imports nothing), so the engine
// may use it although eval/ sits above engine/ (test/tools/importLayers.mjs).
export interface Agreement {
  iou: number;
  meanAlphaDiff: number;
}

export function maskAgreement(ref: Float32Array, other: Float32Array): Agreement {
  if (ref.length !== other.length) throw new RangeError(`maskAgreement: ${ref.length} vs ${other.length} values`);
  let inter = 0;
  let union = 0;
  let diff = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = ref[i] >= 0.5;
    const b = other[i] >= 0.5;
    if (a && b) inter++;
    if (a || b) union++;
    diff += Math.abs(ref[i] - other[i]);
  }
  return { iou: union === 0 ? 1 : inter / union, meanAlphaDiff: (diff * 255) / ref.length };
}
