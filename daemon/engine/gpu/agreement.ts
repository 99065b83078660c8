// The CPU check's bar (issue 27): a GPU provider's output for the check input against the CPU's.
// Binary modes (ISNet's matte, the text detector's probability map): IoU of the masks at 0.5
// >= 0.99 and mean alpha difference <= 2/255. Semantic modes: the same on class maps (pixel
// agreement >= 0.99, top-class confidence differing by <= 2/255 on average). Anything else
// (instance outputs): mean absolute difference relative to the CPU output's range <= 2/255.
import type { ProviderCheckFigures } from '../../api/protocol';
import type { ModeDef } from '../../models/modeDef';
import { argmax, outputGeometry, probabilityMap, topConfidence } from '../pipeline/outputMaps';
import { maskAgreement } from '../../eval/maskAgreement';

export const MIN_IOU = 0.99;
export const MAX_MEAN_ALPHA_DIFF = 2;
export const MIN_CLASS_AGREEMENT = 0.99;

export interface Output {
  data: Float32Array;
  dims: readonly number[];
}

/** Whether the figures meet the bar. */
export function passes(f: ProviderCheckFigures): boolean {
  if (f.output === 'mask') return (f.iou ?? 0) >= MIN_IOU && (f.meanAlphaDiff ?? Infinity) <= MAX_MEAN_ALPHA_DIFF;
  if (f.output === 'classes') return (f.classAgreement ?? 0) >= MIN_CLASS_AGREEMENT && (f.meanDiff ?? Infinity) <= MAX_MEAN_ALPHA_DIFF;
  return (f.meanDiff ?? Infinity) <= MAX_MEAN_ALPHA_DIFF;
}

/** The figures in a sentence (the log and errors). */
export function figuresLine(f: ProviderCheckFigures): string {
  const n = (v: number | undefined, d: number) => (v === undefined ? '?' : v.toFixed(d));
  if (f.output === 'mask') return `IoU at 0.5 ${n(f.iou, 4)} (bar >= ${MIN_IOU}), mean alpha difference ${n(f.meanAlphaDiff, 2)}/255 (bar <= ${MAX_MEAN_ALPHA_DIFF}/255)`;
  if (f.output === 'classes') return `class agreement ${n(f.classAgreement, 4)} (bar >= ${MIN_CLASS_AGREEMENT}), mean confidence difference ${n(f.meanDiff, 2)}/255 (bar <= ${MAX_MEAN_ALPHA_DIFF}/255)`;
  return `mean difference ${n(f.meanDiff, 2)}/255 of the CPU output's range (bar <= ${MAX_MEAN_ALPHA_DIFF}/255)`;
}

/** IoU at 0.5 of two probability maps (1 when both masks are empty) and their mean difference in 0..255 units (NaN fails the bar). */
export function maskFigures(cpu: Float32Array, gpu: Float32Array): ProviderCheckFigures {
  if (cpu.length !== gpu.length) throw new Error(`the outputs differ in size (${cpu.length} and ${gpu.length} values)`);
  return { output: 'mask', ...maskAgreement(cpu, gpu) };
}

function classFigures(mode: ModeDef, cpu: Output, gpu: Output): ProviderCheckFigures {
  const g = outputGeometry(cpu.dims, mode.labels.length, mode.layout);
  const n = g.width * g.height;
  const [ca, ga] = [argmax(cpu.data, g, new Uint8Array(n)), argmax(gpu.data, g, new Uint8Array(n))];
  const [cc, gc] = [topConfidence(cpu.data, g, mode.output, new Uint8Array(n)), topConfidence(gpu.data, g, mode.output, new Uint8Array(n))];
  let same = 0;
  let diff = 0;
  for (let i = 0; i < n; i++) {
    if (ca[i] === ga[i]) same++;
    diff += Math.abs(cc[i] - gc[i]);
  }
  return { output: 'classes', classAgreement: same / Math.max(1, n), meanDiff: diff / Math.max(1, n) };
}

function tensorFigures(cpu: Float32Array, gpu: Float32Array): ProviderCheckFigures {
  if (cpu.length !== gpu.length) throw new Error(`the outputs differ in size (${cpu.length} and ${gpu.length} values)`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of cpu) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi > lo ? hi - lo : 1;
  let diff = 0;
  for (let i = 0; i < cpu.length; i++) {
    const d = Math.abs(cpu[i] - gpu[i]) / range;
    diff += Number.isNaN(d) ? 1 : Math.min(1, d);
  }
  return { output: 'tensor', meanDiff: (255 * diff) / Math.max(1, cpu.length) };
}

/** The figures for `mode`'s output kind. */
export function compareOutputs(mode: ModeDef, cpu: Output, gpu: Output): ProviderCheckFigures {
  if (cpu.dims.join('x') !== gpu.dims.join('x')) throw new Error(`the outputs differ in shape ([${cpu.dims.join(',')}] and [${gpu.dims.join(',')}])`);
  if (mode.instanceSpec) return tensorFigures(cpu.data, gpu.data);
  if (mode.task === 'binary') {
    const expectC = mode.output === 'logits' || mode.output === 'probabilities' ? 2 : 1;
    const g = outputGeometry(cpu.dims, expectC, mode.layout);
    const n = g.width * g.height;
    return maskFigures(probabilityMap(cpu.data, g, mode.output, new Float32Array(n)), probabilityMap(gpu.data, g, mode.output, new Float32Array(n)));
  }
  return classFigures(mode, cpu, gpu);
}
