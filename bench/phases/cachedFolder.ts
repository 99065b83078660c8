// P10 (reopening a cached folder) and the RSS bound of a 1,000-image run (issue 15).
//
// One fresh daemon: 1,000 small distinct images made here with sharp go once through the batch
// path (segment with priority 'batch', a thumbnail, cache on, a few requests in flight), while
// the daemon's RSS is sampled; then seglens/cachedResults returns all 1,000 results and
// thumbnails, timed by the client, against one warm `balanced` inference on the same daemon.
// The same reopen on a restarted daemon (same cache folder, nothing remembered in memory) too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import * as P from '../../daemon/api/protocol';
import type { DaemonClient } from '../../daemon/api/client';
import { procTreeRss, RunningDaemon, startDaemon, tempDir } from '../daemon';
import type { Figure } from '../report';
import { MODES, progress, SAMPLES_DIR } from '../settings';
import { mb, median, now, r1, r3, summary, timed } from '../stats';

export const P10_GOAL = '<= 1.0';
export const RSS_GOAL = '<= 1.10 (peak after the first 50 images ÷ RSS after the first 50)';
const IMAGES = 1000;
const IN_FLIGHT = 4;
const THUMBNAIL = 128;
const RSS_BASE_AT = 50;
const REOPENS = 3;

/** 1,000 distinct small JPEGs (sizes and content vary with the index). */
async function makeFolder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const w = 96 + (i % 7) * 16;
    const h = 64 + (i % 5) * 16;
    const px = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        const inside = x > (i % 40) && x < w / 2 + (i % 30) && y > h / 4 && y < (3 * h) / 4;
        px[o] = inside ? 220 - (i % 50) : (x * 255) / w;
        px[o + 1] = inside ? (i * 37) % 256 : (y * 255) / h;
        px[o + 2] = inside ? 40 : (i * 13) % 256;
      }
    const f = path.join(dir, `img${String(i).padStart(4, '0')}.jpg`);
    fs.writeFileSync(f, await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
    files.push(f);
  }
  return files;
}

/** The batch path over `files`, IN_FLIGHT at a time, sampling the daemon's RSS. */
async function batchRun(c: DaemonClient, d: RunningDaemon, mode: string, files: string[]) {
  const samples: { done: number; rssMB: number }[] = [];
  let done = 0;
  let atBase: number | undefined;
  const sample = () => {
    const r = procTreeRss(d.pid);
    if (r !== undefined) samples.push({ done, rssMB: mb(r) });
    return r;
  };
  const timer = setInterval(sample, 100);
  sample();
  const perImageMs: number[] = [];
  let next = 0;
  const t0 = now();
  const lane = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const [r, ms] = await timed(() => c.segment({ mode, image: { path: files[i] }, priority: 'batch', cache: true, thumbnail: { size: THUMBNAIL } }));
      if (r.cached) throw new Error('bench: the folder was already cached');
      perImageMs.push(ms);
      if (++done === RSS_BASE_AT) atBase = sample();
      if (done % 100 === 0) progress(`P10: ${done}/${files.length} images through the batch path (${mode})`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const wallMs = now() - t0;
  clearInterval(timer);
  sample();
  return { samples, atBase: atBase!, wallMs, perImageMs };
}

function rssFigure(run: Awaited<ReturnType<typeof batchRun>>, mode: string): Figure {
  const after = run.samples.filter((s) => s.done >= RSS_BASE_AT).map((s) => s.rssMB);
  const baseMB = mb(run.atBase);
  const peakMB = Math.max(...after);
  return {
    value: r3(peakMB / baseMB),
    goal: RSS_GOAL,
    detail: {
      mode,
      images: IMAGES,
      inFlight: IN_FLIGHT,
      measured: `daemon RSS (/proc VmRSS of the daemon and any child processes), sampled every 100 ms and when the ${RSS_BASE_AT}th answer arrives, during ${IMAGES} segment requests (priority batch, thumbnail ${THUMBNAIL}, cache on, ${IN_FLIGHT} in flight) on small generated JPEGs`,
      rssAfterFirst50MB: baseMB,
      peakAfterFirst50MB: peakMB,
      startMB: run.samples[0]?.rssMB,
      endMB: run.samples[run.samples.length - 1]?.rssMB,
      imagesPerS: r1((IMAGES / run.wallMs) * 1000),
      requestMs: summary(run.perImageMs),
      samples: run.samples.filter((_, i) => i % 10 === 0),
    },
  };
}

async function reopen(c: DaemonClient, mode: string, files: string[]) {
  const [r, ms] = await timed(() => c.request(P.CachedResults, { mode, images: files.map((p) => ({ path: p })), thumbnail: { size: THUMBNAIL } }));
  if (r.hits !== files.length) throw new Error(`bench: cachedResults found ${r.hits} of ${files.length}`);
  if (r.results.some((e) => !e.result?.thumbnail || !e.result.maskPng)) throw new Error('bench: a cached result without its mask or thumbnail');
  return { ms, bytes: JSON.stringify(r).length };
}

/** One warm balanced inference (the daemon's inferenceMs, median of the sample photos after a first request). */
async function warmBalanced(c: DaemonClient) {
  const photos = fs.readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.jpg')).map((f) => path.join(SAMPLES_DIR, f));
  await c.ensureReady(MODES.preview);
  await c.segment({ mode: MODES.preview, image: { path: photos[0] } });
  const inf: number[] = [];
  const rtt: number[] = [];
  for (const p of photos) {
    const [r, ms] = await timed(() => c.segment({ mode: MODES.preview, image: { path: p } }));
    inf.push(r.timings.inferenceMs);
    rtt.push(ms);
  }
  return { inferenceMs: median(inf), roundTripMs: median(rtt), inf, rtt };
}

/** P10, with the 1,000-image RSS figure in its detail. `mode` runs the folder (cheap; results are the same size for any mode). */
export async function measureCachedFolder(mode: string): Promise<Figure> {
  const base = tempDir('seglens-bench-folder-');
  const cacheDir = path.join(base, 'cache');
  const folder = path.join(base, 'images');
  fs.mkdirSync(folder);
  progress(`P10: making ${IMAGES} small images`);
  const files = await makeFolder(folder);
  let d = await startDaemon(cacheDir);
  let run, same, warm;
  try {
    const c = await d.connect('bench-folder');
    await c.ensureReady(mode);
    run = await batchRun(c, d, mode, files);
    warm = await warmBalanced(c);
    same = [];
    for (let i = 0; i < REOPENS; i++) same.push(await reopen(c, mode, files));
    c.dispose();
  } finally {
    await d.stop();
  }
  d = await startDaemon(cacheDir);
  let restarted;
  try {
    const c = await d.connect('bench-folder-reopen');
    restarted = await reopen(c, mode, files);
    c.dispose();
  } finally {
    await d.stop();
  }
  const sameMs = median(same.map((x) => x.ms));
  const worst = Math.max(sameMs, restarted.ms);
  progress(`P10: ${IMAGES} cached results in ${sameMs.toFixed(0)} ms (same daemon), ${restarted.ms.toFixed(0)} ms (restarted); one warm ${MODES.preview} inference ${warm.inferenceMs.toFixed(0)} ms`);
  const p10: Figure = {
    value: r3(worst / warm.inferenceMs),
    goal: P10_GOAL,
    detail: {
      mode: { folder: mode, inference: MODES.preview },
      images: IMAGES,
      measured: `numerator: client round trip of one seglens/cachedResults for all ${IMAGES} images (results with masks and ${THUMBNAIL}px thumbnails), the worse of: the same daemon that segmented them (median of ${REOPENS}; image hashes remembered) and a restarted daemon on the same cache folder (first call; hashes every image); denominator: the daemon's inferenceMs of a warm ${MODES.preview} segment request on the sample photos (median). The folder is segmented in '${mode}' to keep the bench short: a cached answer costs the same whatever mode made it.`,
      sameDaemonMs: summary(same.map((x) => x.ms)),
      restartedDaemonMs: r1(restarted.ms),
      answerMB: r1(same[0].bytes / 1048576),
      warmBalancedInferenceMs: r1(warm.inferenceMs),
      warmBalancedRoundTripMs: r1(warm.roundTripMs),
      ratioSameDaemon: r3(sameMs / warm.inferenceMs),
      ratioRestartedDaemon: r3(restarted.ms / warm.inferenceMs),
      ratioToRoundTrip: r3(worst / warm.roundTripMs),
    },
  };
  // The RSS bound of issue 15 (a 1,000-image run), measured on the run that built the cache.
  p10.detail.rssDuring1000ImageRun = rssFigure(run, mode);
  return p10;
}
