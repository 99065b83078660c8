// The engine process (a worker thread only in some tests): owns the ONNX Runtime sessions (one
// per ModelRef.key) and does everything heavy (read, decode, preprocess, run, postprocess) so
// that the daemon's main thread only speaks the protocol. Requests arrive as messages and are handled one at a time in
// arrival order, whatever the main thread posts at once, except that a segment lets the next
// request start once its inference is done (it says so: 'inferred'): its postprocessing and
// encoding then overlap the next job's reading, decoding and inference (stages, issue 15).
//
// esbuild bundles this file to dist/engineWorker.js; EngineProxy (engine/engineProxy.ts) starts it,
// in a child process (or a worker thread: host/enginePort.ts hides which).
import { promises as fsp } from 'node:fs';
import type * as Ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { ImageInput, LoadInfo, SegmentOptions, SegmentOutput } from '../engine/engine';
import { SegLensError, serializeError } from '../api/errors';
import { decodeResized, decodeRgb, describeImageInput, encodeGreyPng, ImageHeader, probeImage, readImageBytes, resizeMask, resizeRgb, RgbImage } from '../engine/pipeline/imageIO';
import { checkInside, cropPixels } from '../engine/pipeline/region';
import type { ModeDef, ModelRef } from '../models/modeDef';
import { ensureModels } from '../models/modelFiles';
import { sha256File } from '../util/fileOps';
import { DisplayRegion, ErrorCodes, GpuAdapterProbe, GpuStatus, ProviderCheck } from '../api/protocol';
import { CacheOutcome, OptimizedModelCache } from '../engine/optimized/optimizedCache';
import { baseSessionOptions, engineThreads } from '../engine/sessionOptions';
import { saveGraphInThread } from '../engine/optimized/graphWriter';
import { ownedBuffers, postMoving } from '../engine/transfer';
import { warmupInputSize } from '../engine/warmupShape';
import { ProviderChoice, ProviderName, createWithFallback, ortBinDir, providerCandidates, providerProblem, usableProviders } from '../engine/provider';
import { AdapterProbe, adapterLine } from '../engine/gpu/adapter';
import { findWebGpuAdapter } from '../engine/gpu/adapterMemo';
import { compareOutputs, figuresLine, passes } from '../engine/gpu/agreement';
import { checkImage } from '../engine/gpu/checkInput';
import { CheckKey, readVerdict, writeVerdict } from '../engine/gpu/checkStore';
import { RunTimes } from '../engine/gpu/runTimes';
import { ortVersion, sampledSha256 } from '../engine/optimized/optimizedKey';
import { ensureIsnetFp32 } from '../models/quantize/isnetFp32File';
import * as path from 'node:path';
import { loadOrt } from '../engine/ortLoad';
import { BufferPool, fillGreyTensor, fillInputTensor, flipTensor, inputDims, normalisationTables, tensorTarget } from '../engine/pipeline/tensor';
import {
  argmax,
  binaryClasses,
  hflipAverage,
  OutputGeometry,
  outputGeometry,
  probabilityMap,
  probabilityToAlpha,
  semanticClasses,
  topConfidence,
} from '../engine/pipeline/outputMaps';
import { probabilityToAlphaTruncate, referenceResize, referenceResizeToTensor } from '../engine/pipeline/resample';
import { encodeDisplayImage } from '../engine/pipeline/display';
import { encodeThumbnail } from '../engine/pipeline/thumbnail';
import type { WorkerInit, WorkerReply, WorkerRequest } from '../engine/engineProxy';
import { Letterbox, fillLetterboxTensor, letterbox } from '../engine/pipeline/instances/letterbox';
import { OutputTensor, decodeInstances } from '../engine/pipeline/instances/instances';
import type { LogLevel } from '../api/constants';
import { enginePort } from '../engine/host/enginePort';
import { TEST_CORRUPT_PROVIDER_ENV, makeInputGuard } from '../engine/host/inputGuard';
import { PromptRunner } from '../engine/pipeline/prompt/promptRunner';

type Level = LogLevel;

const { port, init } = enginePort<WorkerInit>();
// Each segment's input hash goes to the daemon before decoding (quarantine); test hooks only with init.testHooks.
const guardInput = makeInputGuard(init.testHooks === true, (hash) => port.postMessage({ type: 'input', hash } satisfies WorkerReply));
const choice: ProviderChoice = init.provider ?? 'auto';
// Undefined when ONNX Runtime could not be loaded: every model load then fails with `ortLoad.error`.
const ortLoad = loadOrt();
const ort = ortLoad.ort as typeof Ort;
const binDir = ortBinDir();
const backends = ortLoad.ort?.listSupportedBackends() ?? [];
if (ortLoad.error) log('error', ortLoad.error.message);
const threads = engineThreads(init.threads);
// Optimised-graph cache under --cache-dir (off without one).
const optimized = new OptimizedModelCache(ort, init.cacheDir, (level, message) => log(level, message), init.cachePolicy, saveGraphInThread);

// ------------------------------------------------------------------ GPU providers (issue 27)
// The WebGPU adapter is probed once, before 'ready' (so `initialize` can name it); a provider
// that cannot start says why once; a model runs on a GPU provider only after its output for
// the check input matched the CPU's (or a remembered verdict says it did).
const candidates = ortLoad.ort ? providerCandidates(choice) : [];
let adapterProbe: AdapterProbe | undefined;
let adapterProbeInfo: GpuAdapterProbe | undefined;
const unavailable = new Map<string, string>();
const checks: ProviderCheck[] = [];
const times = new RunTimes();
const said = new Set<string>();
/** TEST ONLY: outputs of this provider are corrupted (read only with the test hooks on). */
const corruptProvider = init.testHooks ? process.env[TEST_CORRUPT_PROVIDER_ENV] || undefined : undefined;
if (corruptProvider) log('warn', `${TEST_CORRUPT_PROVIDER_ENV}=${corruptProvider}: the engine corrupts that provider's outputs (test hook); never set this outside the tests`);

const probed: Promise<void> = (async () => {
  if (!candidates.includes('webgpu') || providerProblem('webgpu', backends, binDir)) return;
  // Under `auto`, a machine found without an adapter is remembered (gpu/adapterMemo.ts).
  const found = await findWebGpuAdapter(ort, { cacheDir: init.cacheDir, ortVersion: ortVersion(ort), useMemo: choice === 'auto', warn: (m) => log('warn', m) });
  adapterProbe = found.probe;
  adapterProbeInfo = found.info;
  if (adapterProbe.adapter) log('info', adapterLine(adapterProbe.adapter));
  else unavailable.set('webgpu', adapterProbe.error);
})();

/** Logs a line once per engine (a provider that cannot start says so once, not at every load). */
function logOnce(level: Level, message: string): void {
  if (said.has(message)) return;
  said.add(message);
  log(level, message);
}

function gpuStatus(): GpuStatus {
  return {
    adapter: adapterProbe?.adapter,
    adapterProbe: adapterProbeInfo,
    unavailable: [...unavailable].map(([provider, error]) => ({ provider, error })),
    checks: [...checks],
    sessions: [...sessions.values()].map((s) => ({ model: s.ref.key, provider: s.provider })),
    times: times.list(),
  };
}

function postGpu(): void {
  port.postMessage({ type: 'gpu', gpu: gpuStatus() } satisfies WorkerReply);
}

/** The model file a provider loads: the float32 sibling on a WebGPU adapter without f16 (built when missing). */
async function fileFor(ref: ModelRef, p: ProviderName): Promise<string> {
  if (p !== 'webgpu' || !ref.fp32File || adapterProbe?.adapter?.f16 !== false) return ref.file;
  const source = { file: ref.file, sha256: ref.sha256 ?? (await sha256File(ref.file)) };
  return ensureIsnetFp32(path.dirname(ref.fp32File), source, (m) => log('info', m)).file;
}

async function createOn(ref: ModelRef, p: ProviderName, executionProviders: string[]) {
  const base = baseSessionOptions(threads);
  const file = await fileFor(ref, p);
  // A failing GPU attempt logs at error level from native code; we log the fallback ourselves.
  const created = await optimized.create(file === ref.file ? ref : { key: ref.key, file }, p, { ...base, executionProviders, logSeverityLevel: p === 'cpu' ? 3 : 4 }, true);
  sessionProvider.set(created.session, p);
  if (file !== ref.file) log('info', `${ref.key}: the ${p} adapter has no f16: running ${file}`);
  return created;
}

/** What a verdict of `ref` on `p` is keyed on. */
async function checkKey(ref: ModelRef, p: ProviderName): Promise<CheckKey> {
  const modelSha256 = ref.sha256 ?? (await sampledSha256(ref.file));
  const adapter = p === 'webgpu' ? (adapterProbe?.adapter?.id ?? 'unknown') : 'default device';
  return { modelSha256, ortVersion: ortVersion(ort), provider: p, adapter };
}

function recordCheck(c: ProviderCheck): void {
  const i = checks.findIndex((x) => x.model === c.model && x.provider === c.provider && x.adapter === c.adapter);
  if (i >= 0) checks[i] = c;
  else checks.push(c);
}

function log(level: Level, message: string): void {
  port.postMessage({ type: 'log', level, message } satisfies WorkerReply);
}

// Results may differ if libvips reuses a cached operation over a buffer at a recycled address;
// requests are independent, so no operation cache.
sharp.cache(false);

interface Loaded {
  ref: ModelRef;
  session: Ort.InferenceSession;
  provider: ProviderName;
  loadMs: number;
  /** A GPU session not yet checked against the CPU: the first use of a mode runs the check. */
  unchecked?: CheckKey;
}
/** The provider each session runs on (run times, the test hook). */
const sessionProvider = new WeakMap<Ort.InferenceSession, string>();
const sessions = new Map<string, Loaded>();
const pool = new BufferPool(16);
const tables = new Map<string, Float32Array[]>();
let currentProvider: string | undefined;

// ------------------------------------------------------------------ load

function modelError(ref: ModelRef, why: string): SegLensError {
  return new SegLensError(ErrorCodes.ModelLoadFailed, `Model could not be loaded: ${ref.file} (${why})`);
}

async function load(ref: ModelRef): Promise<LoadInfo> {
  const existing = sessions.get(ref.key);
  if (existing && existing.ref.file === ref.file) return { loadMs: 0, provider: existing.provider };
  if (existing) await unload(ref.key);
  const t0 = performance.now();
  let st;
  try {
    st = await fsp.stat(ref.file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw modelError(ref, code === 'ENOENT' ? 'file not found' : (e as Error).message);
  }
  if (!st.isFile()) throw modelError(ref, 'not a file');
  if (st.size === 0) throw modelError(ref, 'the file is empty');
  if (ref.sha256) {
    const got = await sha256File(ref.file);
    if (got.toLowerCase() !== ref.sha256.toLowerCase()) throw modelError(ref, `checksum mismatch: sha256 ${got}, expected ${ref.sha256}; the file is corrupt or a different model`);
  }
  if (ortLoad.error) throw modelError(ref, ortLoad.error.message);
  await probed;
  let result;
  try {
    result = await createWithFallback(choice, (executionProviders, p) => createOn(ref, p, executionProviders), {
      log: logOnce,
      skip: (p) => unavailable.get(p) ?? providerProblem(p, backends, binDir),
    });
  } catch (e) {
    throw modelError(ref, (e instanceof Error ? e.message : String(e)).split('\n')[0]);
  }
  for (const f of result.failures) if (!unavailable.has(f.provider)) unavailable.set(f.provider, f.error.split('\n')[0]);
  let { session, outcome, createMs, reason, collected, later } = result.value;
  let provider = result.provider;
  let unchecked: CheckKey | undefined;
  if (provider !== 'cpu') {
    const key = await checkKey(ref, provider);
    const known = await readVerdict(init.cacheDir, key);
    if (!known) unchecked = key;
    else {
      recordCheck(known);
      log(known.passed ? 'info' : 'warn', `${ref.key} on ${provider}: ${known.passed ? 'passed' : 'failed'} the CPU check on this adapter before (${known.error ?? figuresLine(known.figures)})${known.passed ? '' : '; running on the CPU'}`);
      if (!known.passed) {
        await session.release();
        ({ session, outcome, createMs, reason, collected, later } = await createOn(ref, 'cpu', ['cpu']));
        provider = 'cpu';
      }
    }
  }
  const loadMs = performance.now() - t0;
  if (later) deferred.push(later);
  sessions.set(ref.key, { ref, session, provider, loadMs, unchecked });
  currentProvider = provider;
  port.postMessage({ type: 'provider', provider } satisfies WorkerReply);
  postGpu();
  log(
    'debug',
    `loaded ${ref.key} (${ref.file}) on ${provider} in ${loadMs.toFixed(0)} ms (session ${createMs.toFixed(0)} ms, optimised-graph cache ${outcome}${reason ? `: ${reason}` : ''}), ${threads} threads`,
  );
  const optimizedCache: CacheOutcome = outcome;
  return { loadMs, provider, optimizedCache, sessionMs: createMs, optimizedCacheRemoved: collected?.entries };
}

async function unload(key: string): Promise<void> {
  const s = sessions.get(key);
  if (!s) return;
  sessions.delete(key);
  await s.session.release();
  if (sessions.size === 0) pool.clear();
}

/** The mode's session, loading it if the caller did not (the registry normally has). */
async function sessionFor(mode: ModeDef): Promise<Ort.InferenceSession> {
  const s = await loaded(mode.model, mode);
  if (s.unchecked) await checkAgainstCpu(mode, s);
  const sess = s.session;
  if (!sess.inputNames.includes(mode.inputName)) throw modelError(mode.model, `mode ${mode.id}: no input named '${mode.inputName}' (inputs: ${sess.inputNames.join(', ')})`);
  for (const name of mode.instanceSpec?.outputs ?? [mode.outputName]) {
    if (!sess.outputNames.includes(name)) throw modelError(mode.model, `mode ${mode.id}: no output named '${name}' (outputs: ${sess.outputNames.join(', ')})`);
  }
  checkInputShape(mode, sess);
  return sess;
}

/** A model file's session entry, loading the file if the registry did not. */
async function loaded(ref: ModelRef, mode: ModeDef): Promise<Loaded> {
  let s = sessions.get(ref.key);
  if (!s || s.ref.file !== ref.file) {
    log('debug', `model ${ref.key} not loaded for mode ${mode.id}: loading`);
    await load(ref);
    s = sessions.get(ref.key)!;
  }
  return s;
}

/** A prompt mode's encoder or decoder session. */
async function sessionOf(ref: ModelRef, mode: ModeDef): Promise<Ort.InferenceSession> {
  return (await loaded(ref, mode)).session;
}

// Prompt modes (issue 25): encoder and decoder runs, the embeddings the daemon keeps here.
const prompts = new PromptRunner({
  ort,
  session: sessionOf,
  counted: (shape) => {
    runs++;
    runShapes[shape] = (runShapes[shape] ?? 0) + 1;
  },
  guardInput: (bytes) => guardInput(bytes),
});

const checkedShapes = new WeakMap<Ort.InferenceSession, Set<string>>();
function checkInputShape(mode: ModeDef, sess: Ort.InferenceSession): void {
  let seen = checkedShapes.get(sess);
  if (!seen) checkedShapes.set(sess, (seen = new Set()));
  const want = inputDims(mode);
  const key = `${mode.inputName}:${want.join('x')}`;
  if (seen.has(key)) return;
  const meta = sess.inputMetadata.find((m) => m.name === mode.inputName);
  if (meta && meta.isTensor) {
    const shape = meta.shape;
    const bad = shape.length !== want.length || shape.some((d, i) => typeof d === 'number' && d > 0 && d !== want[i]);
    if (bad) throw modelError(mode.model, `mode ${mode.id} feeds [${want.join(',')}] (${mode.layout}) but input '${mode.inputName}' is [${shape.join(',')}]`);
  }
  seen.add(key);
}

// ------------------------------------------------------------------ run

function tablesFor(mode: ModeDef): Float32Array[] {
  const key = `${mode.scale}|${mode.mean.join(',')}|${mode.std.join(',')}`;
  let t = tables.get(key);
  if (!t) tables.set(key, (t = normalisationTables(mode)));
  return t;
}

function inputTensor(mode: ModeDef): { data: Float32Array; tensor: Ort.Tensor } {
  const dims = inputDims(mode);
  const data = pool.float32('input', dims.reduce((a, b) => a * b, 1));
  return { data, tensor: new ort.Tensor('float32', data, dims) };
}

/** session.run calls so far (diagnostics and tests: a warm-up of N iterations adds N), and per input "HxW". */
let runs = 0;
const runShapes: Record<string, number> = {};

async function runOnce(sess: Ort.InferenceSession, mode: ModeDef, tensor: Ort.Tensor, extra?: Ort.Tensor[]): Promise<Ort.Tensor> {
  runs++;
  const d = tensor.dims;
  const hw = mode.layout === 'NCHW' ? `${d[d.length - 2]}x${d[d.length - 1]}` : `${d[1]}x${d[2]}`;
  runShapes[hw] = (runShapes[hw] ?? 0) + 1;
  // An instance mode's other outputs come back in `extra` (the first is returned, as for every mode).
  const names = extra && mode.instanceSpec ? mode.instanceSpec.outputs : [mode.outputName];
  const out = await timedRun(sess, mode, tensor, names);
  if (extra) for (const name of names.slice(1)) extra.push(out[name] as Ort.Tensor);
  const t = out[mode.outputName] as Ort.Tensor | undefined;
  if (!t) throw new Error(`model gave no output '${mode.outputName}'`);
  if (t.type !== 'float32') throw modelError(mode.model, `output '${mode.outputName}' is ${t.type}, expected float32`);
  return t;
}

/** session.run, timed per provider and shape; the test hook corrupts its provider's outputs. */
async function timedRun(sess: Ort.InferenceSession, mode: ModeDef, tensor: Ort.Tensor, names: readonly string[]): Promise<Ort.InferenceSession.OnnxValueMapType> {
  const p = sessionProvider.get(sess) ?? 'cpu';
  const t0 = performance.now();
  const out = await sess.run({ [mode.inputName]: tensor }, names);
  const d = tensor.dims;
  const hw: [number, number] = mode.layout === 'NCHW' ? [d[d.length - 2], d[d.length - 1]] : [d[1], d[2]];
  times.record(p, mode.id, hw, performance.now() - t0);
  if (p === corruptProvider) for (const name of names) corrupt(out[name] as Ort.Tensor);
  return out;
}

/** TEST ONLY (the corrupt-provider hook): v → 1 - v, a mask turned inside out. */
function corrupt(t: Ort.Tensor | undefined): void {
  if (!t || t.type !== 'float32') return;
  const data = t.data as Float32Array;
  for (let i = 0; i < data.length; i++) data[i] = 1 - data[i];
}

/**
 * The CPU check (issue 27): the check input (gpu/checkInput.ts) at the mode's full shape, run on
 * the GPU session (its first run there: the shaders compile) and on a CPU session of the same
 * model; compared by the bar of the mode's output kind (gpu/agreement.ts). Passed: the GPU
 * session stays. Failed: the CPU session replaces it, for this model. Either way the verdict is
 * logged, shown by `status` and remembered in the cache folder.
 */
async function checkAgainstCpu(mode: ModeDef, s: Loaded): Promise<void> {
  const key = s.unchecked!;
  s.unchecked = undefined;
  const [h, w] = mode.inputSize;
  const dims = inputDims(mode);
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  fillInputTensor(checkImage(w, h), w, h, mode, data, false, tablesFor(mode));
  const tensor = new ort.Tensor('float32', data, dims);
  const names = [mode.instanceSpec ? mode.instanceSpec.outputs[0] : mode.outputName];
  const outputOf = (o: Ort.InferenceSession.OnnxValueMapType) => {
    const t = o[names[0]] as Ort.Tensor;
    return { data: t.data as Float32Array, dims: t.dims };
  };
  const t0 = performance.now();
  let figures: ProviderCheck['figures'] = { output: mode.instanceSpec ? 'tensor' : mode.task === 'binary' ? 'mask' : 'classes' };
  let error: string | undefined;
  const cpu = await createOn(s.ref, 'cpu', ['cpu']);
  try {
    const cpuOut = outputOf(await timedRun(cpu.session, mode, tensor, names));
    try {
      figures = compareOutputs(mode, cpuOut, outputOf(await timedRun(s.session, mode, tensor, names)));
    } catch (e) {
      error = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    }
  } catch (e) {
    await cpu.session.release();
    throw e;
  }
  const passed = !error && passes(figures);
  const check: ProviderCheck = { model: s.ref.key, mode: mode.id, provider: s.provider, adapter: key.adapter, ortVersion: key.ortVersion, passed, figures, remembered: false, checkedAt: new Date().toISOString(), ...(error ? { error } : {}) };
  recordCheck(check);
  const what = error ? `the ${s.provider} run failed: ${error}` : figuresLine(figures);
  log(passed ? 'info' : 'warn', `${s.ref.key} on ${s.provider} (${key.adapter}) ${passed ? 'passed' : 'failed'} the CPU check in ${(performance.now() - t0).toFixed(0)} ms: ${what}${passed ? '' : '; this model runs on the CPU'}`);
  if (passed) await cpu.session.release();
  else {
    await s.session.release();
    s.session = cpu.session;
    s.provider = 'cpu';
    currentProvider = 'cpu';
    port.postMessage({ type: 'provider', provider: 'cpu' } satisfies WorkerReply);
  }
  postGpu();
  await writeVerdict(init.cacheDir, key, check).catch((e: unknown) => log('warn', `could not remember the CPU check in ${init.cacheDir}: ${(e as Error).message}`));
}

/** `n` dummy (mid-grey) inferences at [h, w]. */
async function greyRuns(sess: Ort.InferenceSession, mode: ModeDef, [h, w]: [number, number], n: number): Promise<void> {
  const full = h === mode.inputSize[0] && w === mode.inputSize[1];
  const dims = inputDims({ inputSize: [h, w], layout: mode.layout });
  // A small warm-up gets its own buffer: the pooled input buffer keeps the mode's full size.
  const data = full ? inputTensor(mode).data : new Float32Array(dims.reduce((a, b) => a * b, 1));
  fillGreyTensor(mode, w, h, data);
  const tensor = new ort.Tensor('float32', data, dims);
  for (let i = 0; i < n; i++) await runOnce(sess, mode, tensor);
}

/** Runs the warm-up at the shape daemon/engine/warmupShape.ts picks (full size unless the mode asks for small); a model
 *  that refuses the small shape is warmed at full size instead. */
async function warmup(mode: ModeDef, iterations: number): Promise<{ durationMs: number; inputSize: [number, number] }> {
  if (mode.promptSpec) return prompts.warmup(mode, iterations);
  const sess = await sessionFor(mode);
  const provider = sessions.get(mode.model.key)?.provider ?? 'cpu';
  const meta = sess.inputMetadata.find((m) => m.name === mode.inputName);
  let size = warmupInputSize(mode, provider, meta && meta.isTensor ? meta.shape : undefined);
  const t0 = performance.now();
  const n = Math.max(0, Math.floor(iterations));
  if (n > 0) {
    try {
      await greyRuns(sess, mode, size, n);
    } catch (e) {
      if (size[0] === mode.inputSize[0] && size[1] === mode.inputSize[1]) throw e;
      log('info', `mode ${mode.id}: a warm-up at ${size.join('x')} failed (${(e as Error).message.split('\n')[0]}); warming up at full size`);
      size = [mode.inputSize[0], mode.inputSize[1]];
      await greyRuns(sess, mode, size, n);
    }
  }
  return { durationMs: performance.now() - t0, inputSize: size };
}

/** The semantic top-class confidence as a PNG at the image's size, sampled like the class map. */
async function confidencePng(scores: Float32Array, g: OutputGeometry, mode: ModeDef, width: number, height: number): Promise<Uint8Array> {
  const n = g.width * g.height;
  const conf = topConfidence(scores, g, mode.output, pool.uint8('confidence', n), pool.float32('confidence-scratch', 2 * n));
  return encodeGreyPng(await resizeMask(conf, g.width, g.height, width, height, 'nearest'), width, height);
}

/**
 * Decode and fill the pooled input tensor. 'reference' modes decode at full size and resize
 * with the reference arithmetic fused with the normalisation (straight into the tensor);
 * 'smooth' modes decode + resize in one libvips pipeline, then normalise. With a region, the
 * frame is the region: cropped from the full decode, then the same steps as for a whole image.
 */
async function prepareInput(mode: ModeDef, image: ImageInput, maxPixels: number, region: DisplayRegion | undefined) {
  const [inH, inW] = mode.inputSize;
  const what = describeImageInput(image);
  const t0 = performance.now();
  const bytes = await readImageBytes(image);
  const inputSha256 = await guardInput(bytes);
  const header = await probeImage(bytes, maxPixels, what);
  // Inside the oriented image: the header says its size before any pixel is decoded.
  if (region) checkInside('seglens/segment', region, header.width, header.height);
  const frame = region ? { width: region.width, height: region.height } : { width: header.width, height: header.height };
  // Instance modes: the frame resized with its aspect kept into the grey-padded input (letterbox.ts).
  const lb = mode.instanceSpec ? letterbox(frame.width, frame.height, inW, inH) : undefined;
  const decoded = await decodeFrame(mode, bytes, header, maxPixels, what, region, lb);
  const t1 = performance.now();
  const tbl = tablesFor(mode);
  const { data, tensor } = inputTensor(mode);
  if (lb) fillLetterboxTensor(decoded.data, lb, mode, tbl, data);
  else if (mode.resample === 'reference') referenceResizeToTensor(decoded.data, frame.width, frame.height, inW, inH, tensorTarget(mode, inW, inH, data, tbl));
  else fillInputTensor(decoded.data, inW, inH, mode, data, false, tbl);
  return { bytes, inputSha256, header, frame, data, tensor, lb, decodeMs: t1 - t0, preprocessMs: performance.now() - t1 };
}

/** The frame's pixels the tensor is made from: full size for 'reference' modes, the input (or
 * letterbox) size for the others. */
async function decodeFrame(mode: ModeDef, bytes: Uint8Array, header: ImageHeader, maxPixels: number, what: string, region: DisplayRegion | undefined, lb: Letterbox | undefined): Promise<RgbImage> {
  const [inH, inW] = mode.inputSize;
  const [w, h] = lb ? [lb.innerWidth, lb.innerHeight] : [inW, inH];
  const reference = mode.resample === 'reference' && !lb;
  if (!reference && !region) return decodeResized(bytes, header, w, h, maxPixels, what);
  const full = await decodeRgb(bytes, maxPixels, what);
  if (full.width !== header.width || full.height !== header.height) throw new Error(`decoded ${full.width}x${full.height}, header says ${header.width}x${header.height}`);
  const frame = region ? cropPixels(full, region) : full;
  return reference ? frame : resizeRgb(frame, w, h);
}

/**
 * Postprocessing takes turns (it reuses the pooled output buffers), but it overlaps the next
 * job's preparation and inference: `inferred` tells the main thread the session is free.
 */
let postLine: Promise<void> = Promise.resolve();

async function segment(mode: ModeDef, image: ImageInput, opts: SegmentOptions, inferred?: () => void): Promise<SegmentOutput> {
  const { maxPixels } = opts;
  const sess = await sessionFor(mode);
  const [inH, inW] = mode.inputSize;
  const { bytes, inputSha256, header, frame, data, tensor, lb, decodeMs, preprocessMs } = await prepareInput(mode, image, maxPixels, opts.region);

  // inference (with tta, the flipped pass; mirroring the input tensor in place between the
  // two runs is counted as preprocessing)
  const t2 = performance.now();
  const inferenceAt = performance.timeOrigin + t2;
  let preExtra = 0;
  const extra: Ort.Tensor[] | undefined = lb ? [] : undefined;
  const out1 = await runOnce(sess, mode, tensor, extra);
  let out2: Ort.Tensor | undefined;
  if (mode.tta === 'hflip' && !lb) {
    const f0 = performance.now();
    flipTensor(data, inW, inH, mode.layout);
    preExtra = performance.now() - f0;
    out2 = await runOnce(sess, mode, tensor);
  }

  // postprocess, after the previous job's
  const afterInference = performance.now();
  const previous = postLine;
  let endPost!: () => void;
  postLine = new Promise((r) => (endPost = r));
  inferred?.();
  try {
    await previous;
    const stages = { decodeMs, preprocessMs: preprocessMs + preExtra, inferenceMs: afterInference - t2 - preExtra };
    const out = lb
      ? await postprocessInstances(mode, opts, { bytes, header, frame, outputs: [out1, ...extra!], lb }, stages)
      : await postprocess(mode, opts, { bytes, header, frame, out1, out2 }, stages);
    return { ...out, inputSha256, stamps: { inferenceAt, readyAt: performance.timeOrigin + performance.now() } };
  } finally {
    endPost();
  }
}

/** `frame`: what the mask covers, the whole oriented image or the region. */
type Ran = { bytes: Uint8Array; header: ImageHeader; frame: { width: number; height: number }; out1: Ort.Tensor; out2: Ort.Tensor | undefined };
type Stages = { decodeMs: number; preprocessMs: number; inferenceMs: number };

async function postprocess(mode: ModeDef, opts: SegmentOptions, ran: Ran, stages: Stages): Promise<SegmentOutput> {
  const { maxPixels } = opts;
  const { bytes, header, out1, out2 } = ran;
  const { width, height } = ran.frame;
  const reference = mode.resample === 'reference';
  const t3 = performance.now();
  const expectC = mode.task === 'binary' ? (mode.output === 'logits' || mode.output === 'probabilities' ? 2 : 1) : mode.labels.length;
  const g = outputGeometry(out1.dims, expectC, mode.layout);
  const n = g.width * g.height;
  let map: Uint8Array;
  let full: Uint8Array;
  let classes;
  let confidence: Uint8Array | undefined;
  if (mode.task === 'binary') {
    // tta: average probabilities (after the sigmoid for logit outputs), not raw logits.
    let prob = probabilityMap(out1.data as Float32Array, g, mode.output, pool.float32('prob', n));
    if (out2) {
      const g1 = { channels: 1, height: g.height, width: g.width, layout: 'NCHW' as const };
      const flipped = probabilityMap(out2.data as Float32Array, g, mode.output, pool.float32('prob-flipped', n));
      prob = hflipAverage(prob, flipped, g1, prob);
    }
    if (reference) {
      map = probabilityToAlphaTruncate(prob, pool.uint8('alpha', n));
      full = g.width === width && g.height === height ? map : referenceResize(map, g.width, g.height, 1, width, height, pool.uint8('full', width * height));
    } else {
      map = probabilityToAlpha(prob, pool.uint8('alpha', n));
      full = await resizeMask(map, g.width, g.height, width, height, 'linear');
    }
    classes = binaryClasses(full, mode.labels, mode.colors);
  } else {
    let scores = out1.data as Float32Array;
    if (out2) scores = hflipAverage(scores, out2.data as Float32Array, g, pool.float32('tta', n * g.channels));
    map = argmax(scores, g, pool.uint8('classes', n), pool.float32('argmax', n));
    full = await resizeMask(map, g.width, g.height, width, height, 'nearest');
    classes = semanticClasses(full, mode.labels, mode.colors);
    if (opts.confidence) confidence = await confidencePng(scores, g, mode, width, height);
  }
  const maskPng = await encodeGreyPng(full, width, height);
  const t4 = performance.now();
  const display = opts.displayMaxSide ? await encodeDisplayImage(bytes, header, opts.displayMaxSide, maxPixels) : undefined;
  const thumbnail = opts.thumbnailSize ? await encodeThumbnail(bytes, header, { data: map, width: g.width, height: g.height }, mode.task === 'binary' ? 'binary' : 'semantic', opts.thumbnailSize, maxPixels) : undefined;

  return {
    width: header.width,
    height: header.height,
    maskPng,
    classes,
    timings: { ...stages, postprocessMs: t4 - t3 },
    confidencePng: confidence,
    display: display && { ...display, encodeMs: performance.now() - t4 },
    thumbnail,
  };
}

/** Instance modes: instances, the instance-id map and class shares (pipeline/instances/). */
async function postprocessInstances(mode: ModeDef, opts: SegmentOptions, ran: Omit<Ran, 'out1' | 'out2'> & { outputs: Ort.Tensor[]; lb: Letterbox }, stages: Stages): Promise<SegmentOutput> {
  const { bytes, header, outputs, lb } = ran;
  // With a region, the instances are those of the crop, as for an image file of that size.
  const { width, height } = ran.frame;
  const t3 = performance.now();
  const spec = opts.scoreThreshold === undefined ? mode.instanceSpec! : { ...mode.instanceSpec!, scoreThreshold: opts.scoreThreshold };
  const tensors = outputs.map((t) => ({ data: t.data as OutputTensor['data'], dims: t.dims }));
  const r = decodeInstances(spec, tensors, lb, { labels: mode.labels, colors: mode.colors, rle: opts.instanceRle, scratch: pool, map: pool.uint8('instances', width * height) });
  const maskPng = await encodeGreyPng(r.map, width, height);
  const t4 = performance.now();
  const display = opts.displayMaxSide ? await encodeDisplayImage(bytes, header, opts.displayMaxSide, opts.maxPixels) : undefined;
  const thumbnail = opts.thumbnailSize ? await encodeThumbnail(bytes, header, { data: r.map, width, height }, 'semantic', opts.thumbnailSize, opts.maxPixels) : undefined;
  return {
    width: header.width,
    height: header.height,
    maskPng,
    classes: r.classes,
    instances: r.instances,
    timings: { ...stages, postprocessMs: t4 - t3 },
    display: display && { ...display, encodeMs: performance.now() - t4 },
    thumbnail,
  };
}

/**
 * Cache work a load left for later (writing the optimised graph, collecting old ones: issue
 * #14). Saving a graph creates a second session, which takes both cores for about half a
 * second: started beside a request, it made that request 60-90% slower (the first preview
 * after a warm-up, the second one after request-as-warm-up). So it waits until the engine has
 * had nothing to do for DEFERRED_IDLE_MS after a warm-up or request; close and `settle` run it
 * at once. Removed entries are reported to the main thread (metrics).
 */
const DEFERRED_IDLE_MS = 2_000;
const deferred: (() => Promise<{ entries: number } | undefined>)[] = [];
let background: Promise<void> = Promise.resolve();
let idleTimer: NodeJS.Timeout | undefined;
/** Messages received and not yet answered (a segment counts until its answer is posted). */
let busy = 0;
/** What keeps the cores busy (status, settle and the like do not). */
function isWork(msg: WorkerRequest): boolean {
  return msg.op === 'segment' || msg.op === 'warmup' || msg.op === 'load' || msg.op === 'embed' || msg.op === 'prompt';
}
function runDeferredWhenIdle(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    idleTimer = undefined;
    if (busy === 0) void runDeferred();
  }, DEFERRED_IDLE_MS);
  idleTimer.unref();
}
function runDeferred(): Promise<void> {
  background = background.then(async () => {
    for (let task = deferred.shift(); task; task = deferred.shift()) {
      const collected = await task();
      if (collected?.entries) port!.postMessage({ type: 'cacheRemoved', entries: collected.entries } satisfies WorkerReply);
    }
  });
  return background;
}

async function closeAll(): Promise<void> {
  await postLine; // answers still being postprocessed go out first
  await runDeferred();
  for (const key of [...sessions.keys()]) await unload(key);
  prompts.clear();
  pool.clear();
}

// ------------------------------------------------------------------ message loop

async function handle(msg: WorkerRequest, inferred: () => void): Promise<unknown> {
  switch (msg.op) {
    case 'load':
      return load(msg.model);
    case 'unload':
      return unload(msg.key);
    case 'warmup':
      return warmup(msg.mode, msg.iterations);
    case 'segment':
      return segment(
        msg.mode,
        msg.image,
        { maxPixels: msg.maxPixels, confidence: msg.confidence, displayMaxSide: msg.displayMaxSide, thumbnailSize: msg.thumbnailSize, region: msg.region, instanceRle: msg.instanceRle, scoreThreshold: msg.scoreThreshold },
        inferred,
      );
    case 'embed':
      return prompts.embed(msg.mode, msg.image, msg.key, msg.maxPixels);
    case 'prompt':
      return prompts.prompt(msg.mode, msg.request);
    case 'dropEmbeddings':
      return prompts.drop(msg.keys);
    case 'close':
      return closeAll();
    case 'settle':
      return runDeferred();
    case 'status':
      return { provider: currentProvider, loaded: [...sessions.keys()], runs, runShapes: { ...runShapes }, embeddings: prompts.size, gpu: gpuStatus() };
    case 'prepareModels':
      return ensureModels(msg.modelsDir, (m) => log('info', m), { int8: msg.int8, fp32: false });
    default:
      throw new Error(`unknown engine request ${(msg as { op: string }).op}`);
  }
}

// Requests wait for the WebGPU probe (a fraction of a second), so that 'ready' (posted when it
// ends) is not held up behind a long first request such as preparing the models folder.
let chain: Promise<void> = probed;
port.on('message', (msg: WorkerRequest) => {
  // Engine work puts the deferred cache work off (runDeferredWhenIdle re-arms after the answer).
  if (isWork(msg)) {
    busy++;
    if (idleTimer) clearTimeout(idleTimer);
  }
  chain = chain.then(() => serve(msg));
});

/** Answers one request; the next one starts when it ends, or for a segment once its inference is done. */
async function serve(msg: WorkerRequest): Promise<void> {
  let inferred!: () => void;
  const sessionFree = new Promise<void>((r) => (inferred = r));
  const answered = answer(msg, () => {
    inferred();
    port.postMessage({ type: 'inferred', id: msg.id } satisfies WorkerReply);
  });
  await Promise.race([sessionFree, answered]);
}

async function answer(msg: WorkerRequest, inferred: () => void): Promise<void> {
  let reply: WorkerReply;
  let moving: ArrayBuffer[] = [];
  try {
    const result = await handle(msg, inferred);
    reply = { type: 'result', id: msg.id, ok: true, result };
    // The mask and other PNGs move to the main thread (a segment's result is never reused here).
    if (msg.op === 'segment') moving = ownedBuffers(result, (result as { display?: unknown }).display);
    if (msg.op === 'prompt') moving = ownedBuffers(...(result as { maskPngs: Uint8Array[] }).maskPngs);
  } catch (e) {
    if (!(e instanceof SegLensError)) log('debug', `engine ${msg.op} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    reply = { type: 'result', id: msg.id, ok: false, error: serializeError(e) };
  }
  // Run times changed: `status` sees them once the answer is in (the port keeps the order).
  if (msg.op === 'warmup' || msg.op === 'segment') postGpu();
  postMoving(port, reply, moving);
  if (!isWork(msg)) return;
  busy--;
  // After the answer, never before it, and only once the engine is idle: the cache work a load left behind.
  if (deferred.length > 0 && busy === 0) runDeferredWhenIdle();
}
// 'ready' once the WebGPU adapter is known, so that `initialize` names it.
void probed.then(() => port.postMessage({ type: 'ready', providers: ortLoad.ort ? usableProviders(backends, binDir) : [], gpu: gpuStatus() } satisfies WorkerReply));
