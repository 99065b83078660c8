// P15 (issue 25): what a prompt mode adds around its decoder. Numerator: a warm
// `seglens/prompt` round trip (client side) on the cached embedding of a 1920x1080 image, minus
// a bare decoder `session.run` on the same inputs in this process (the engine's session
// options; the prompt moved into the 1024 frame and the embedding made by the engine's own
// functions). Denominator: the `fast` mode's inference (a bare session.run). Interleaved, medians.
// Also: encoder runs for 10 clicks on one new image (seglens_embeddings_total{outcome="computed"}).
//
// The models are the tests' SAM-shaped pair (test/helpers/samModels.ts): no SAM weights come from
// the npm registry. The decoder answers at the image's size as segment-anything's does (masks
// [1,K,1080,1920], each pixel computed from the prompt), with K = 1 as its export's
// --return-single-mask gives; detail.multimask measures K = 3 (2 disc candidates + the probe).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { decodeResized, probeImage } from '../../daemon/engine/pipeline/imageIO';
import { normalisationTables } from '../../daemon/engine/pipeline/tensor';
import { fillPadded, promptTensors, resizedSize } from '../../daemon/engine/pipeline/prompt/samFrame';
import { SAM_MEAN, SAM_STD } from '../../daemon/api/modeSchema';
import type { DaemonClient } from '../../daemon/api/client';
import type { PromptPoint } from '../../daemon/api/protocol';
import { writeSamPair } from '../../test/helpers/samModels';
import { metric, RunningDaemon, tempDir } from '../daemon';
import type { Figure } from '../report';
import { MAX_PIXELS, MODES, progress, Settings } from '../settings';
import { median, now, r1, r4, summary, timed } from '../stats';
import { bareSession, engineSessionOptions, modeDef } from './steady';

export const P15_GOAL = '<= 0.05, with detail.encoderRunsFor10Clicks = 1';
const W = 1920;
const H = 1080;
const S = 1024;

/** The image, the feeds of a bare decoder run for one click, from the engine's own preprocessing. */
async function bareFeeds(encoderFile: string, image: string, click: PromptPoint): Promise<Record<string, ort.Tensor>> {
  const opt = engineSessionOptions().options;
  const bytes = await fs.promises.readFile(image);
  const header = await probeImage(bytes, MAX_PIXELS, image);
  const [h, w] = resizedSize(header.height, header.width, S);
  const rgb = await decodeResized(bytes, header, w, h, MAX_PIXELS, image);
  const input = fillPadded(rgb.data, w, h, S, normalisationTables({ scale: 1, mean: [...SAM_MEAN], std: [...SAM_STD] }), new Float32Array(3 * S * S));
  const encoder = await ort.InferenceSession.create(encoderFile, opt);
  const out = await encoder.run({ image: new ort.Tensor('float32', input, [1, 3, S, S]) });
  await encoder.release();
  const p = promptTensors([click], undefined, header.height, header.width, S);
  return {
    image_embeddings: out.image_embeddings as ort.Tensor,
    point_coords: new ort.Tensor('float32', p.coords, [1, p.n, 2]),
    point_labels: new ort.Tensor('float32', p.labels, [1, p.n]),
    mask_input: new ort.Tensor('float32', new Float32Array(256 * 256), [1, 1, 256, 256]),
    has_mask_input: new ort.Tensor('float32', Float32Array.from([0]), [1]),
    orig_im_size: new ort.Tensor('float32', Float32Array.from([header.height, header.width]), [2]),
  };
}

async function encoderRuns(c: DaemonClient, mode: string): Promise<number> {
  return metric((await c.metrics()).text, 'seglens_embeddings_total', { mode, outcome: 'computed' });
}

/** Interleaved: a warm prompt round trip, a bare decoder run on the same inputs, a bare fast inference. */
async function loop(c: DaemonClient, mode: string, image: string, decoderFile: string, feeds: Record<string, ort.Tensor>, fast: { run(p: string): Promise<number> }, photo: string, runs: number) {
  const decoder = await ort.InferenceSession.create(decoderFile, engineSessionOptions().options);
  const click: PromptPoint = { x: 700, y: 500, label: 1 };
  const bare = async () => {
    const t = now();
    await decoder.run(feeds, ['masks', 'iou_predictions', 'low_res_masks']);
    return now() - t;
  };
  await bare();
  await c.prompt({ mode, image: { path: image }, points: [click] }); // warm and cached
  const rtt: number[] = [];
  const bareMs: number[] = [];
  const fastMs: number[] = [];
  const daemonDecoderMs: number[] = [];
  const daemonPostMs: number[] = [];
  const daemonTotalMs: number[] = [];
  const prompt = async () => {
    const [r, ms] = await timed(() => c.prompt({ mode, image: { path: image }, points: [click] }));
    if (r.embedding !== 'cached') progress(`warning: P15 prompt found no cached embedding (${r.embedding})`);
    rtt.push(ms);
    daemonDecoderMs.push(r.timings.decoderMs);
    daemonPostMs.push(r.timings.postprocessMs);
    daemonTotalMs.push(r.timings.totalMs);
  };
  const steps = [prompt, async () => void bareMs.push(await bare()), async () => void fastMs.push(await fast.run(photo))];
  // The order turns each round, so that each of the three follows each other equally often: what
  // a run leaves behind (another process's ONNX Runtime threads still spinning, cold caches) is
  // then not charged to one of them, as the fixed order prompt → bare → fast could.
  for (let i = 0; i < runs; i++) for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]();
  await decoder.release();
  return { rtt, bareMs, fastMs, daemonDecoderMs, daemonPostMs, daemonTotalMs };
}

export async function measurePromptRoundTrip(d: RunningDaemon, s: Settings, photo: string): Promise<Figure> {
  const dir = tempDir('seglens-bench-sam-');
  const single = writeSamPair(dir, 'bench-sam', { decoder: { radii: [120], probe: false } });
  const multi = writeSamPair(dir, 'bench-sam-multi', { prefix: 'multi-', decoder: { radii: [60, 120], probe: true } });
  const image = path.join(dir, 'photo-1920x1080.jpg');
  await sharp(photo).resize(W, H, { fit: 'fill' }).jpeg({ quality: 92 }).toFile(image);
  const c = await d.connect('bench-p15');
  try {
    const defined = await c.defineModes({ modes: [single.definition, multi.definition] });
    if (defined.errors.length) throw new Error(`P15: ${JSON.stringify(defined.errors)}`);
    await c.ensureReady('bench-sam');
    await c.ensureReady('bench-sam-multi');
    // Encoder runs for 10 clicks on one new image.
    const before = await encoderRuns(c, 'bench-sam');
    for (let i = 0; i < 10; i++) await c.prompt({ mode: 'bench-sam', image: { path: image }, points: [{ x: 200 + 100 * i, y: 300 + 40 * i, label: 1 }] });
    const encoderRunsFor10Clicks = (await encoderRuns(c, 'bench-sam')) - before;
    const fast = await bareSession(modeDef(MODES.quick), [photo]);
    const runs = 3 * Math.max(2, s.runs); // whole turns of the order
    progress(`P15: ${runs} warm prompts on a cached 1920x1080 embedding, bare decoder runs and ${MODES.quick} inferences, interleaved (K = 1, then K = 3)`);
    const click: PromptPoint = { x: 700, y: 500, label: 1 };
    const one = await loop(c, 'bench-sam', image, single.decoder, await bareFeeds(single.encoder, image, click), fast, photo, runs);
    const three = await loop(c, 'bench-sam-multi', image, multi.decoder, await bareFeeds(multi.encoder, image, click), fast, photo, runs);
    await fast.session.release();
    const figure = (l: typeof one) => (median(l.rtt) - median(l.bareMs)) / median(l.fastMs);
    return {
      value: r4(figure(one)),
      goal: P15_GOAL,
      detail: {
        encoderRunsFor10Clicks,
        promptRoundTripMs: summary(one.rtt),
        bareDecoderMs: summary(one.bareMs),
        daemonDecoderMs: summary(one.daemonDecoderMs),
        daemonPostprocessMs: summary(one.daemonPostMs),
        daemonTotalMs: summary(one.daemonTotalMs),
        fastInferenceMs: summary(one.fastMs),
        overheadMs: r1(median(one.rtt) - median(one.bareMs)),
        multimask: { value: r4(figure(three)), promptRoundTripMs: summary(three.rtt), bareDecoderMs: summary(three.bareMs), overheadMs: r1(median(three.rtt) - median(three.bareMs)), daemonPostprocessMs: summary(three.daemonPostMs) },
        note: `test-built SAM-shaped pair (test/helpers/samModels.ts); decoder masks [1,K,${H},${W}] computed per pixel at orig_im_size, K = 1 (segment-anything's --return-single-mask); multimask: K = 3; fast = a bare session.run of ${MODES.quick}; one machine, one run`,
      },
    };
  } finally {
    c.dispose();
  }
}
