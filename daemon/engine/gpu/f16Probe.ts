// Whether the WebGPU adapter computes in f16. onnxruntime-node 1.30 does not expose the adapter
// (no GetAdapterInfo, no `env.webgpu.adapter` as in onnxruntime-web), so the engine asks ONNX
// Runtime itself: a tiny graph that transposes an f16 tensor, run on the WebGPU provider with the
// CPU fallback turned off. A device without the `shader-f16` feature refuses it ("Program
// Transpose requires f16 but the device does not support it"), exactly as the fp16 ISNet fails.
import { onnx } from 'onnx-proto';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

/** Input x float [1,1,2,3] → Cast f16 → Transpose → Cast float → y [1,1,3,2]. */
export function f16ProbeModel(): Uint8Array {
  const info = (name: string, dims: number[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  const graph: onnx.IGraphProto = {
    name: 'seglens-f16-probe',
    input: [info('x', [1, 1, 2, 3])],
    output: [info('y', [1, 1, 3, 2])],
    node: [
      { opType: 'Cast', name: 'to_f16', input: ['x'], output: ['h'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT16 }] },
      { opType: 'Transpose', name: 'swap', input: ['h'], output: ['t'], attribute: [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 1, 3, 2] }] },
      { opType: 'Cast', name: 'to_f32', input: ['t'], output: ['y'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] },
    ],
  };
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'seglens', opsetImport: [{ domain: '', version: 17 }], graph });
  return onnx.ModelProto.encode(model).finish();
}

/** The probe's input and the output a correct run gives (small integers: exact in f16). */
export const F16_PROBE_INPUT = Float32Array.from([1, 2, 3, 4, 5, 6]);
export const F16_PROBE_OUTPUT = Float32Array.from([1, 4, 2, 5, 3, 6]);

/** True when an error says the device lacks f16 (Dawn/ORT: "requires f16 but the device does not support it"). */
export function lacksF16(message: string): boolean {
  return /requires f16|shader-f16|ShaderF16/i.test(message);
}
