// P9, folder throughput (issue 15): a folder of photos through the batch path (what the gallery
// and `seglens segment` send: segment with priority 'batch' and a thumbnail, a few requests in
// flight) in `balanced`, in images per second, ÷ a bare session.run loop over the same tensors
// at the same size, with the same session options, in this process. Daemon passes and bare
// passes alternate (ABBA...), never at the same time.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type * as P from '../../daemon/api/protocol';
import type { DaemonClient } from '../../daemon/api/client';
import { startDaemon, tempDir } from '../daemon';
import type { Figure } from '../report';
import { MODES, progress, SAMPLES_DIR, Settings } from '../settings';
import { median, now, r1, r3, summary } from '../stats';
import { bareSession, modeDef } from './steady';

export const P9_GOAL = '>= 0.95';
/** Longest sides the samples are resized to: 4 photos x 6 sizes = 24 images. */
const SIDES = [640, 960, 1280, 1600, 2048, 2560];
const IN_FLIGHT = 4;
const THUMBNAIL = 256;

/** The sample photos copied and resized (aspect kept) into `dir`. */
async function makeFolder(dir: string): Promise<string[]> {
  const photos = fs.readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.jpg')).sort();
  const files: string[] = [];
  for (const side of SIDES)
    for (const p of photos) {
      const f = path.join(dir, `${path.parse(p).name}-${side}.jpg`);
      await sharp(path.join(SAMPLES_DIR, p)).rotate().resize(side, side, { fit: 'inside' }).jpeg({ quality: 90 }).toFile(f);
      files.push(f);
    }
  return files;
}

/** One pass of the folder through the daemon's batch path; wall time and the daemon's timings. */
async function daemonPass(c: DaemonClient, files: string[]) {
  const timings: P.SegmentTimings[] = [];
  let next = 0;
  const t0 = now();
  const lane = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const r = await c.segment({ mode: MODES.preview, image: { path: files[i] }, priority: 'batch', thumbnail: { size: THUMBNAIL } });
      timings.push(r.timings);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return { wallMs: now() - t0, timings };
}

export async function measureFolderThroughput(s: Settings): Promise<Figure> {
  const base = tempDir('seglens-bench-throughput-');
  const folder = path.join(base, 'images');
  fs.mkdirSync(folder);
  const files = await makeFolder(folder);
  const def = modeDef(MODES.preview);
  const d = await startDaemon(path.join(base, 'cache'));
  const passes = s.quick ? 2 : 4;
  const daemonWall: number[] = [];
  const bareWall: number[] = [];
  const bareRunMs: number[] = [];
  const timings: P.SegmentTimings[] = [];
  try {
    const c = await d.connect('bench-throughput');
    await c.ensureReady(MODES.preview);
    await c.segment({ mode: MODES.preview, image: { path: files[0] } });
    const bare = await bareSession(def, files);
    for (let k = 0; k < passes; k++) {
      // ABBA: daemon first on even passes, bare first on odd ones.
      for (const side of k % 2 === 0 ? ['daemon', 'bare'] : ['bare', 'daemon']) {
        if (side === 'daemon') {
          const r = await daemonPass(c, files);
          daemonWall.push(r.wallMs);
          timings.push(...r.timings);
        } else {
          const t0 = now();
          for (const f of files) bareRunMs.push(await bare.run(f));
          bareWall.push(now() - t0);
        }
      }
      progress(`P9 pass ${k + 1}/${passes}: daemon ${((files.length / daemonWall[k]) * 1000).toFixed(2)} images/s, bare ${((files.length / bareWall[k]) * 1000).toFixed(2)} images/s`);
    }
    await bare.session.release();
    c.dispose();
  } finally {
    await d.stop();
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const daemonRate = (files.length * daemonWall.length * 1000) / sum(daemonWall);
  const bareRate = (files.length * bareWall.length * 1000) / sum(bareWall);
  const pick = (k: keyof P.SegmentTimings) => timings.map((t) => t[k]);
  const perImage = (ms: number) => r1(ms / (files.length * daemonWall.length));
  return {
    value: r3(daemonRate / bareRate),
    goal: P9_GOAL,
    detail: {
      mode: MODES.preview,
      inputSize: def.inputSize,
      images: files.length,
      longestSides: SIDES,
      passes: { daemon: daemonWall.length, bare: bareWall.length, order: 'ABBA (daemon, bare, bare, daemon, ...)' },
      measured: `numerator: images/s of one pass of ${files.length} photos (the samples resized to ${SIDES.join(', ')} px) through seglens/segment with priority 'batch' and thumbnail ${THUMBNAIL}, ${IN_FLIGHT} requests in flight from one client, wall time from the first request to the last answer (cache off, so every pass runs every image); denominator: images/s of a loop of bare session.run in the bench process over the same images preprocessed by the engine's functions, same model, same session options (daemon/engine/sessionOptions.ts)`,
      daemonImagesPerS: r3(daemonRate),
      bareImagesPerS: r3(bareRate),
      daemonPassMs: daemonWall.map(r1),
      barePassMs: bareWall.map(r1),
      bareSessionRunMs: summary(bareRunMs),
      perImageDaemonWallMs: perImage(sum(daemonWall)),
      perImageEngineMs: {
        decode: r1(median(pick('decodeMs'))),
        preprocess: r1(median(pick('preprocessMs'))),
        inference: summary(pick('inferenceMs')),
        postprocess: r1(median(pick('postprocessMs'))),
      },
      engineInferenceOverBare: r3(median(pick('inferenceMs')) / median(bareRunMs)),
      notInferencePerImageMs: perImage(sum(daemonWall) - sum(pick('inferenceMs'))),
    },
  };
}
