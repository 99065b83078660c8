// `npm run calibrate:isnet`: measures the activation ranges of the int8 ISNet on the fixed
// calibration set (isnetInt8/images.ts) and writes them to daemon/models/quantize/isnetRanges.json,
// which `npm run models` builds the int8 model from. Run it again only when the quantisation
// plan or the calibration set changes: ONNX Runtime is not needed to build the model.
//
// Two passes over the images at CALIBRATION_SIZE with the quantised tensors exposed as graph
// outputs: the first finds each tensor's min and max, the second fills its histogram; every
// method of rangeChoice.ts then picks its range from the same histograms.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { baseSessionOptions, engineThreads } from '../../daemon/engine/sessionOptions';
import { ISNET_MODEL_FILE } from '../../daemon/models/modelSources';
import { ISNET_INPUT, isnetFloatOnlyOutput } from '../../daemon/models/quantize/isnetInt8';
import { ISNET_INT8_FLOAT_PREFIXES } from '../../daemon/models/quantize/isnetInt8File';
import { planQdq } from '../../daemon/models/quantize/qdqPlan';
import { IsnetRanges } from '../../daemon/models/quantize/isnetRanges';
import { Histogram, RANGE_METHODS } from './isnetInt8/rangeChoice';
import { modelsDir, repoRoot, samplePhotos } from '../helpers/repo';
import { isnetTensor, variants } from './isnetInt8/images';

const ISNET_RANGES_FILE = 'daemon/models/quantize/isnetRanges.json';
/** Calibration runs at the `fast` size: moderate memory (all the tensors are fetched at once). */
const CALIBRATION_SIZE = 512;

/** The float32 ISNet with the tensors to calibrate as extra outputs. */
function calibrationModel(): { bytes: Uint8Array; tensors: string[] } {
  const model = isnetFloatOnlyOutput(fs.readFileSync(path.join(modelsDir, ISNET_MODEL_FILE)));
  const graph = model.graph as onnx.GraphProto;
  const plan = planQdq(graph, ISNET_INPUT, ISNET_INT8_FLOAT_PREFIXES);
  const tensors = [...plan.tensors].filter(([, s]) => s.kind === 'calibrated').map(([t]) => t);
  for (const t of tensors) graph.output.push(onnx.ValueInfoProto.create({ name: t, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }));
  return { bytes: onnx.ModelProto.encode(model).finish(), tensors };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const { bytes, tensors } = calibrationModel();
  const session = await ort.InferenceSession.create(bytes, { ...baseSessionOptions(engineThreads()), executionProviders: ['cpu'] });
  const images = (await Promise.all(samplePhotos().map(variants))).flat();
  const inputs = images.map((img) => new ort.Tensor('float32', isnetTensor(img, CALIBRATION_SIZE), [1, 3, CALIBRATION_SIZE, CALIBRATION_SIZE]));
  const run = async (each: (t: string, v: Float32Array) => void) => {
    for (const x of inputs) {
      const out = await session.run({ [ISNET_INPUT]: x }, tensors);
      for (const t of tensors) each(t, out[t].data as Float32Array);
    }
  };
  const lo = new Map<string, number>(tensors.map((t) => [t, Infinity]));
  const hi = new Map<string, number>(tensors.map((t) => [t, -Infinity]));
  await run((t, v) => {
    let [a, b] = [lo.get(t) as number, hi.get(t) as number];
    for (let i = 0; i < v.length; i++) (a = v[i] < a ? v[i] : a), (b = v[i] > b ? v[i] : b);
    lo.set(t, a);
    hi.set(t, b);
  });
  const hist = new Map(tensors.map((t) => [t, new Histogram(lo.get(t) as number, hi.get(t) as number)]));
  await run((t, v) => (hist.get(t) as Histogram).add(v));
  const ranges: IsnetRanges = {
    size: CALIBRATION_SIZE,
    images: images.map((i) => i.name),
    methods: Object.fromEntries(RANGE_METHODS.map((m) => [m, Object.fromEntries(tensors.map((t) => [t, (hist.get(t) as Histogram).choose(m)]))])) as IsnetRanges['methods'],
  };
  const file = path.join(repoRoot, ISNET_RANGES_FILE);
  fs.writeFileSync(file, JSON.stringify(ranges, (_k, v: unknown) => (typeof v === 'number' ? Math.fround(v) : v)) + '\n');
  console.log(`${tensors.length} tensors, ${images.length} images at ${CALIBRATION_SIZE}: wrote ${file} in ${Date.now() - t0} ms`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
