// `npm run measure:int8`: the int8 ISNet against the fp32 one it is made from, on this
// machine, before deciding whether modes use it (issue #26). For each size (512, 768, 1024):
//  - accuracy of each calibration method's model: the mask's IoU at 0.5 and the mean alpha
//    difference (0-255) against fp32 at the model's resolution, on every sample photo and on
//    images it was not calibrated on (a 1920x1080 composite of the photos, a 12 MP photo);
//  - inference time of fp32, of fp32 with only `output` kept (a control: the int8 graph
//    computes nothing else) and of the int8 model of the chosen method, interleaved in rounds
//    on the same tensors; medians.
// SIZES=512,768 and ROUNDS=3 choose the sizes and rounds. Prints the figures with the machine
// line and the load, and writes out/int8-measure.json.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import sharp, { Sharp } from 'sharp';
import { baseSessionOptions, engineThreads } from '../../daemon/engine/sessionOptions';
import { ISNET_MODEL_FILE } from '../../daemon/models/modelSources';
import { buildIsnetInt8, ISNET_INPUT, ISNET_OUTPUT, isnetFloatOnlyOutput } from '../../daemon/models/quantize/isnetInt8';
import { isnetRanges } from '../../daemon/models/quantize/isnetRanges';
import { RangeMethod } from '../../daemon/models/quantize/isnetRanges';
import { RANGE_METHODS } from './isnetInt8/rangeChoice';
import { maskAgreement } from '../../daemon/eval/maskAgreement';
import { ISNET_INT8_FLOAT_PREFIXES, ISNET_INT8_METHOD } from '../../daemon/models/quantize/isnetInt8File';
import { modelsDir, repoRoot, samplePhotos } from '../helpers/repo';
import { isnetTensor, Rgb, variants } from './isnetInt8/images';
import { machineLine } from './isnetInt8/machine';

const SIZES = (process.env.SIZES ?? '512,768,1024').split(',').map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
/** SPEED_ONLY=1: skip the accuracy of each method (the timing alone, e.g. to repeat it). */
const METHODS = process.env.SPEED_ONLY ? [] : RANGE_METHODS;
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const r3 = (v: number) => Math.round(v * 1000) / 1000;

async function heldOut(photos: Rgb[]): Promise<Rgb[]> {
  const tiles = await Promise.all(photos.slice(0, 4).map((p) => sharp(p.data, { raw: { width: p.width, height: p.height, channels: 3 } }).resize(960, 540, { fit: 'cover' }).png().toBuffer()));
  const composite = sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#808080' } }).composite(tiles.map((t, i) => ({ input: t, left: (i % 2) * 960, top: Math.floor(i / 2) * 540 })));
  const big = photos[photos.length - 2];
  const upscaled = sharp(big.data, { raw: { width: big.width, height: big.height, channels: 3 } }).resize(4032, 3024, { kernel: 'lanczos3' });
  const rgb = async (name: string, s: Sharp): Promise<Rgb> => {
    const { data, info } = await sharp(await s.png().toBuffer()).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { name, data: new Uint8Array(data), width: info.width, height: info.height };
  };
  return [await rgb('composite-1920x1080', composite), await rgb(`${big.name}-4032x3024`, upscaled)];
}

async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { ...baseSessionOptions(engineThreads()), executionProviders: ['cpu'] });
}

async function infer(s: ort.InferenceSession, x: ort.Tensor): Promise<{ ms: number; p: Float32Array }> {
  const t = performance.now();
  const out = await s.run({ [ISNET_INPUT]: x }, [ISNET_OUTPUT]);
  return { ms: performance.now() - t, p: out[ISNET_OUTPUT].data as Float32Array };
}

async function main(): Promise<void> {
  const fp32Bytes = fs.readFileSync(path.join(modelsDir, ISNET_MODEL_FILE));
  const prunedBytes = onnx.ModelProto.encode(isnetFloatOnlyOutput(fp32Bytes)).finish();
  const ranges = isnetRanges();
  const int8 = Object.fromEntries(RANGE_METHODS.map((m) => [m, buildIsnetInt8(fp32Bytes, ranges.methods[m], 0, ISNET_INT8_FLOAT_PREFIXES).bytes])) as Record<RangeMethod, Uint8Array>;
  const photos = (await Promise.all(samplePhotos().map(variants))).map((v) => v[0]);
  const images = [...photos, ...(await heldOut(photos))];
  const report: Record<string, unknown>[] = [];
  for (const size of SIZES) {
    const xs = images.map((img) => ({ name: img.name, x: new ort.Tensor('float32', isnetTensor(img, size), [1, 3, size, size]) }));
    const fp32 = await session(fp32Bytes);
    await infer(fp32, xs[0].x);
    const ref = new Map<string, Float32Array>();
    for (const { name, x } of xs) ref.set(name, (await infer(fp32, x)).p);
    // Accuracy of every method.
    const accuracy: Record<string, unknown> = {};
    for (const m of METHODS) {
      const s = await session(int8[m]);
      const per = [];
      for (const { name, x } of xs) per.push({ name, ...maskAgreement(ref.get(name) as Float32Array, (await infer(s, x)).p) });
      await s.release();
      accuracy[m] = per;
      const photosOnly = per.slice(0, photos.length);
      console.log(`${size} ${m}: IoU min photos ${r3(Math.min(...photosOnly.map((a) => a.iou)))}, all ${r3(Math.min(...per.map((a) => a.iou)))}; alpha diff max ${r3(Math.max(...per.map((a) => a.meanAlphaDiff)))}`);
      console.log('   ' + per.map((a) => `${a.name} ${r3(a.iou)}/${r3(a.meanAlphaDiff)}`).join(', '));
    }
    // Speed, interleaved: fp32, fp32 pruned, int8 (chosen method), order rotating per round.
    const sessions = { fp32, pruned: await session(prunedBytes), int8: await session(int8[ISNET_INT8_METHOD]) };
    const times: Record<string, number[]> = { fp32: [], pruned: [], int8: [] };
    for (const k of ['pruned', 'int8'] as const) await infer(sessions[k], xs[0].x);
    const load: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order = (['fp32', 'pruned', 'int8'] as const).map((_, i, a) => a[(i + r) % 3]);
      for (const { x } of xs.slice(0, photos.length)) for (const k of order) times[k].push((await infer(sessions[k], x)).ms);
      load.push(os.loadavg()[0]);
    }
    for (const s of Object.values(sessions)) await s.release();
    const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(median(v))]));
    console.log(`${size}: median ms fp32 ${med.fp32}, fp32 output-only ${med.pruned}, int8 ${med.int8}: int8/fp32 ${r3(med.int8 / med.fp32)}; load ${load.map((l) => l.toFixed(1)).join(' ')}`);
    report.push({ size, medianMs: med, times, accuracy, load });
  }
  const file = path.join(repoRoot, 'out', 'int8-measure.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ machine: machineLine(), rounds: ROUNDS, method: ISNET_INT8_METHOD, report }, null, 1));
  console.log(`${machineLine()}\nwrote ${file}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
