// The instance part of a user definition (task 'instance', issue 24): which outputs a format
// reads, its settings with their defaults, and the class count the file declares. Used at
// definition time (validate.ts) and at load time (modelCheck.ts).
import { INSTANCE_DEFAULTS, InstanceFormatName, UserModeDefinition } from '../../api/modeSchema';
import { InstanceSpec } from '../modeDef';
import { formatShape } from '../../api/tensorShape';
import { OnnxSummary, TensorInfo } from '../onnxInfo';
import { q } from './userModeDef';

/** The outputs each format reads, in its order. */
export const FORMAT_OUTPUTS: Record<InstanceFormatName, string[]> = {
  'yolo-seg': ['output0', 'output1'],
  'boxes-masks': ['boxes', 'labels', 'scores', 'masks'],
};

/** The format whose outputs the file has, if one fits. */
export function guessFormat(s: OnnxSummary | undefined): InstanceFormatName | undefined {
  if (!s) return undefined;
  const names = new Set(s.outputs.map((o) => o.name));
  return (Object.keys(FORMAT_OUTPUTS) as InstanceFormatName[]).find((f) => FORMAT_OUTPUTS[f].every((n) => names.has(n)));
}

export function instanceSpec(format: InstanceFormatName, d: Partial<UserModeDefinition>): InstanceSpec {
  return {
    format,
    outputs: [...FORMAT_OUTPUTS[format]],
    scoreThreshold: d.scoreThreshold ?? INSTANCE_DEFAULTS.scoreThreshold,
    iouThreshold: d.iouThreshold ?? INSTANCE_DEFAULTS.iouThreshold,
    maxInstances: d.maxInstances ?? INSTANCE_DEFAULTS.maxInstances,
  };
}

/** yolo-seg's class count from the declared shapes (4 + nc + nm rows, nm prototypes), when fixed. */
export function yoloClassCount(s: OnnxSummary): number | undefined {
  const det = s.outputs.find((o) => o.name === 'output0')?.shape;
  const protos = s.outputs.find((o) => o.name === 'output1')?.shape;
  if (!det || !protos || det.length !== 3 || protos.length !== 4) return undefined;
  const [C, nm] = [det[1], protos[1]];
  return typeof C === 'number' && typeof nm === 'number' && C - 4 - nm > 0 ? C - 4 - nm : undefined;
}

const fixed = (d: number | string | null | undefined, want: number) => typeof d !== 'number' || d === want;
const shapeOf = (t: TensorInfo) => `${q(t.name)} ${formatShape(t.shape)}`;

/** The first way the file's outputs do not fit the format (missing, type, rank, fixed sizes), naming the output and the expected shape. */
export function checkInstanceOutputs(spec: InstanceSpec, labels: number, inputSize: [number, number], s: OnnxSummary): string | undefined {
  const find = (name: string) => s.outputs.find((o) => o.name === name);
  const list = s.outputs.map(shapeOf).join(', ');
  for (const name of spec.outputs) if (!find(name)) return `the model has no output '${name}', which '${spec.format}' reads; its outputs: ${list}`;
  const [H, W] = inputSize;
  if (spec.format === 'yolo-seg') {
    const det = find('output0')!;
    const protos = find('output1')!;
    if (det.type !== 'float32' || protos.type !== 'float32') return `'yolo-seg' reads float32 outputs; ${shapeOf(det)} is ${det.type}, ${shapeOf(protos)} is ${protos.type}`;
    if (protos.shape && (protos.shape.length !== 4 || !fixed(protos.shape[0], 1))) return `output ${shapeOf(protos)}: expected [1, nm, mh, mw] (mask prototypes)`;
    const nm = protos.shape?.[1];
    const rows = typeof nm === 'number' ? 4 + labels + nm : undefined;
    const want = `[1, 4 + ${labels} classes + nm${typeof nm === 'number' ? ` = ${rows}` : ''}, anchors]`;
    if (det.shape && (det.shape.length !== 3 || !fixed(det.shape[0], 1) || (rows !== undefined && !fixed(det.shape[1], rows)))) {
      return `output ${shapeOf(det)}: expected ${want} for ${labels} labels (cx, cy, w, h, class scores, mask coefficients)`;
    }
    return undefined;
  }
  const [boxes, lab, scores, masks] = spec.outputs.map((n) => find(n)!);
  if (boxes.shape && (boxes.shape.length !== 2 || !fixed(boxes.shape[1], 4))) return `output ${shapeOf(boxes)}: expected [N, 4] (x1, y1, x2, y2 in input pixels)`;
  if (lab.shape && lab.shape.length !== 1) return `output ${shapeOf(lab)}: expected [N] class indices`;
  if (!['int64', 'int32', 'float32'].includes(lab.type)) return `output ${shapeOf(lab)} is ${lab.type}: expected int64 class indices`;
  if (scores.shape && scores.shape.length !== 1) return `output ${shapeOf(scores)}: expected [N] scores`;
  if (boxes.type !== 'float32' || scores.type !== 'float32' || masks.type !== 'float32') return `'boxes-masks' reads float32 boxes, scores and masks`;
  const m = masks.shape;
  if (m && (m.length !== 4 || !fixed(m[1], 1) || !fixed(m[2], H) || !fixed(m[3], W))) return `output ${shapeOf(masks)}: expected [N, 1, ${H}, ${W}] (probabilities at the input size)`;
  return undefined;
}
