// The int8 ISNet: the rewritten (dynamic height and width) fp16 ISNet in float32, only its
// `output` kept, in QDQ form with the committed calibrated ranges (isnetRanges.json, made by
// `npm run calibrate:isnet` from the sample photos). Deterministic: the same inputs give the
// same bytes.
import { onnx } from 'onnx-proto';
import { isnetFloat32 } from './floatGraph';
import { insertQdq, Range } from './qdqInsert';
import { planQdq } from './qdqPlan';

export const ISNET_OUTPUT = 'output';
export const ISNET_INPUT = 'input';

export interface Int8Result {
  bytes: Uint8Array;
  tensors: number;
  convs: number;
}

/** The float32 ISNet with only `output`: the graph the int8 model is made from (and calibrated on). */
export function isnetFloatOnlyOutput(dynamicBytes: Uint8Array): onnx.ModelProto {
  return isnetFloat32(dynamicBytes, [ISNET_OUTPUT]);
}

export function buildIsnetInt8(dynamicBytes: Uint8Array, ranges: Record<string, Range>, version: number, floatPrefixes: readonly string[] = []): Int8Result {
  const model = isnetFloatOnlyOutput(dynamicBytes);
  const graph = model.graph as onnx.GraphProto;
  const counts = insertQdq(graph, planQdq(graph, ISNET_INPUT, floatPrefixes), ranges);
  model.producerName = `${model.producerName ?? ''}+seglens-int8-qdq-v${version}`;
  return { bytes: onnx.ModelProto.encode(model).finish(), ...counts };
}
