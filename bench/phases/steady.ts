// The steady loop: P3 (warm accurate request vs bare session.run), P4's numerator, P6.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type * as P from '../../daemon/api/protocol';
import { decodeResized, decodeRgb, probeImage } from '../../daemon/engine/pipeline/imageIO';
import { referenceResize } from '../../daemon/engine/pipeline/resample';
import { baseSessionOptions, engineThreads } from '../../daemon/engine/sessionOptions';
import { runsOnCpu } from '../../daemon/engine/provider';
import { CpuPrecision, DEFAULT_CPU_PRECISION } from '../../daemon/api/constants';
import { fillInputTensor, inputDims, normalisationTables } from '../../daemon/engine/pipeline/tensor';
import { builtinModes } from '../../daemon/models/catalogue';
import type { ModeDef } from '../../daemon/models/modeDef';
import type { DaemonClient } from '../../daemon/api/client';
import type { RunningDaemon } from '../daemon';
import { type Figure, P3_GOAL } from '../report';
import { MAX_PIXELS, MODELS_DIR, MODES, progress, ROOT, Settings } from '../settings';
import { median, now, r1, r3, summary, timed } from '../stats';

// ---- P3, P4 numerator, P6: the steady loop

/** The engine's own session options and thread count (daemon/engine/sessionOptions.ts), on
 *  `provider` (the CPU unless the daemon's session runs elsewhere) as the engine's fallback loop passes it. */
export function engineSessionOptions(provider = 'cpu'): { options: ort.InferenceSession.SessionOptions; source: string } {
  return {
    options: { ...baseSessionOptions(engineThreads()), executionProviders: [provider], ...(provider === 'cpu' ? {} : { logSeverityLevel: 4 }) },
    source: 'daemon/engine/sessionOptions.ts (baseSessionOptions(engineThreads()), as the engine worker builds them)',
  };
}

/** Where the daemon runs a model: its provider (status.gpu.sessions), and the file it loads there (the float32 ISNet on an adapter without f16). */
export function daemonPlacement(def: ModeDef, gpu: P.GpuStatus | undefined): { provider: string; file: string } {
  const provider = gpu?.sessions.find((s) => s.model === def.model.key)?.provider ?? 'cpu';
  const fp32 = provider === 'webgpu' && gpu?.adapter?.f16 === false && def.model.fp32File;
  return { provider, file: fp32 || def.model.file };
}

export async function preprocess(mode: ModeDef, photo: string): Promise<ort.Tensor> {
  // Exactly the engine's path (workers/engineProcess.ts segment): read, header, decode (+ resize in the
  // same libvips pipeline for 'smooth' modes; full-size decode + the reference pipeline's
  // resize for 'reference' modes), then fill the tensor.
  const bytes = await fs.promises.readFile(photo);
  const header = await probeImage(bytes, MAX_PIXELS, photo);
  const [h, w] = mode.inputSize;
  let rgb: Uint8Array;
  if (mode.resample === 'reference') {
    const full = await decodeRgb(bytes, MAX_PIXELS, photo);
    rgb = referenceResize(full.data, full.width, full.height, 3, w, h, new Uint8Array(w * h * 3));
  } else {
    rgb = (await decodeResized(bytes, header, w, h, MAX_PIXELS, photo)).data;
  }
  const dims = inputDims(mode);
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  fillInputTensor(rgb, w, h, mode, data, false, normalisationTables(mode));
  return new ort.Tensor('float32', data, dims);
}

export interface SteadyResult {
  p3: Figure;
  p6: Figure;
  /** Client round trips of warm `accurate` requests, per photo. */
  seglensAccurateMs: number[];
  seglensAccurateByPhoto: Record<string, number[]>;
  /** The last accurate mask per photo (base64 PNG). */
  masks: Record<string, string>;
  /** ensureReady + segment of accurate on the first photo, on the fresh daemon. */
  firstAccurateMs: number;
}

type Timed = { rtt: number; t: P.SegmentTimings };

/** A bare session of the mode's model, with the engine's options, on tensors preprocessed as
 *  the engine does; `run(photo)` times one session.run. Warmed by two runs. */
export async function bareSession(def: ModeDef, list: string[], on: { provider: string; file: string } = { provider: 'cpu', file: def.model.file }) {
  const opt = engineSessionOptions(on.provider);
  progress(`bare session on ${path.relative(ROOT, on.file)} with ${JSON.stringify(opt.options)} (from ${opt.source})`);
  sharp.cache(false); // as the engine worker does
  const tensors = new Map<string, ort.Tensor>();
  for (const p of list) tensors.set(p, await preprocess(def, p));
  const [session, sessionMs] = await timed(() => ort.InferenceSession.create(on.file, opt.options));
  /** One session.run: its time and the output's values. */
  const infer = async (p: string) => {
    const t = now();
    const out = await session.run({ [def.inputName]: tensors.get(p)! }, [def.outputName]);
    const ms = now() - t;
    if (!out[def.outputName]) throw new Error('bare run gave no output');
    return { ms, output: out[def.outputName].data as Float32Array };
  };
  const run = async (p: string) => (await infer(p)).ms;
  const firstRunMs = await run(list[0]); // the first run of the shape
  await run(list[list.length > 1 ? 1 : 0]);
  return { opt, session, sessionMs, firstRunMs, run, infer };
}

/** The built-in mode as the bench's daemon runs it: `precision` as its default (the int8 ISNet
 *  for fast and balanced when the CPU runs them, issue #26), or the one asked for. */
export function modeDef(id: string, precision: CpuPrecision = DEFAULT_CPU_PRECISION): ModeDef {
  const def = builtinModes(MODELS_DIR, { int8: precision === 'int8' && runsOnCpu('auto') }).find((m) => m.id === id);
  if (!def) throw new Error(`no built-in mode ${id}`);
  return def;
}

interface Loop {
  acc: Timed[];
  fst: Timed[];
  bareMs: number[];
  byPhoto: Record<string, number[]>;
  masks: Record<string, string>;
}

/** Warm accurate requests and bare runs alternating (which goes first alternates too), plus a
 *  warm fast request per photo, for s.runs runs. */
async function steadyLoop(c: DaemonClient, s: Settings, list: string[], bare: (p: string) => Promise<number>): Promise<Loop> {
  const l: Loop = { acc: [], fst: [], bareMs: [], byPhoto: {}, masks: {} };
  for (let r = 0; r < s.runs; r++) {
    for (const p of list) {
      const seg = async (mode: string) => {
        const [res, rtt] = await timed(() => c.segment({ mode, image: { path: p } }));
        if (!res.wasWarm) progress(`warning: ${mode} was not warm`);
        return { res, rtt };
      };
      for (const side of r % 2 === 0 ? ['daemon', 'bare'] : ['bare', 'daemon']) {
        if (side === 'bare') l.bareMs.push(await bare(p));
        else {
          const a = await seg(MODES.steady);
          l.acc.push({ rtt: a.rtt, t: a.res.timings });
          (l.byPhoto[path.basename(p)] ??= []).push(a.rtt);
          l.masks[p] = a.res.maskPng;
        }
      }
      const f = await seg(MODES.quick);
      l.fst.push({ rtt: f.rtt, t: f.res.timings });
    }
    progress(`steady loop run ${r + 1}/${s.runs}: accurate ${median(l.acc.map((x) => x.rtt)).toFixed(0)} ms, bare ${median(l.bareMs).toFixed(0)} ms, fast ${median(l.fst.map((x) => x.rtt)).toFixed(0)} ms (medians so far)`);
  }
  return l;
}

const pick = (xs: { t: P.SegmentTimings }[], k: keyof P.SegmentTimings) => xs.map((x) => x.t[k]);
const breakdown = (xs: Timed[]) => ({
  clientRoundTripMs: summary(xs.map((x) => x.rtt)),
  totalMs: summary(pick(xs, 'totalMs')),
  queueMs: r1(median(pick(xs, 'queueMs'))),
  decodeMs: r1(median(pick(xs, 'decodeMs'))),
  preprocessMs: r1(median(pick(xs, 'preprocessMs'))),
  inferenceMs: summary(pick(xs, 'inferenceMs')),
  postprocessMs: r1(median(pick(xs, 'postprocessMs'))),
  transportMs: r1(median(xs.map((x) => x.rtt - x.t.totalMs))),
});

export async function measureSteady(d: RunningDaemon, s: Settings, list: string[]): Promise<SteadyResult> {
  const c = await d.connect('bench-steady');
  // Warm-up: ensureReady, then one real request per mode. The first accurate preview of this
  // fresh daemon (ensureReady + segment) is kept for P4's detail (the reference's first call).
  const [, firstAccurateMs] = await timed(async () => {
    await c.ensureReady(MODES.steady);
    await c.segment({ mode: MODES.steady, image: { path: list[0] } });
  });
  await c.ensureReady(MODES.quick);
  await c.segment({ mode: MODES.quick, image: { path: list[0] } });
  const def = modeDef(MODES.steady);
  // The bare session runs where the daemon's does (--provider: after its CPU check), on the same file.
  const placement = daemonPlacement(def, (await c.status()).gpu);
  const bare = await bareSession(def, list, placement);
  const l = await steadyLoop(c, s, list, bare.run);
  await bare.session.release();
  c.dispose();
  const accRtt = l.acc.map((x) => x.rtt);
  const bareMed = median(l.bareMs);
  const p3: Figure = {
    value: r3(median(accRtt) / bareMed),
    goal: P3_GOAL,
    detail: {
      mode: MODES.steady,
      inputSize: def.inputSize,
      photos: list.map((p) => path.basename(p)),
      measured:
        'numerator: client-side round trip of a warm seglens/segment (path in, base64 PNG mask out; decode, preprocess, inference, postprocess, PNG, JSON-RPC); denominator: session.run alone in the bench process on the same photo preprocessed by the engine\'s own functions (imageIO decode, the mode\'s resize: resample.referenceResize or libvips, tensor.fillInputTensor), same model file, same session options, fetching only the output the engine fetches. The two alternate, never at the same time, in one loop.',
      provider: placement.provider,
      modelFile: path.relative(ROOT, placement.file),
      bareSessionRunMs: summary(l.bareMs),
      bareSessionCreateMs: r1(bare.sessionMs),
      bareSessionOptions: bare.opt.options,
      bareSessionOptionsFrom: bare.opt.source,
      seglens: breakdown(l.acc),
      ratioUsingDaemonTotalMs: r3(median(pick(l.acc, 'totalMs')) / bareMed),
      ratioEngineInferenceToBare: r3(median(pick(l.acc, 'inferenceMs')) / bareMed),
    },
  };
  const p6: Figure = {
    value: r3(median(pick(l.fst, 'inferenceMs')) / median(pick(l.acc, 'inferenceMs'))),
    goal: '<= 0.3',
    detail: {
      measured: 'timings.inferenceMs reported by the daemon for warm requests, fast and accurate interleaved on the same photos',
      fast: { inputSize: modeDef(MODES.quick).inputSize, ...breakdown(l.fst) },
      accurate: { inputSize: def.inputSize, inferenceMs: summary(pick(l.acc, 'inferenceMs')) },
      ratioOfClientRoundTrips: r3(median(l.fst.map((x) => x.rtt)) / median(accRtt)),
    },
  };
  return { p3, p6, seglensAccurateMs: accRtt, seglensAccurateByPhoto: l.byPhoto, masks: l.masks, firstAccurateMs };
}
