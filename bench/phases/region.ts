// P12 (issue 22): a warm `segment` with a `region` of a quarter of the image (half its width and
// half its height, centred) ÷ a warm `segment` of the whole image, same mode and photo, timed by
// the client, interleaved (the order flips every run, so a drift in the machine's load hits both).
// Both are one inference at the mode's size; what the region adds is cropping the decoded pixels.
import * as path from 'node:path';
import type { DisplayRegion } from '../../daemon/api/protocol';
import type { RunningDaemon } from '../daemon';
import { type Figure, P12_GOAL } from '../report';
import { MODES, Settings } from '../settings';
import { median, r1, r3, summary, timed } from '../stats';

/** Half the width and half the height, centred: a quarter of the pixels. */
function quarter(width: number, height: number): DisplayRegion {
  const w = Math.floor(width / 2);
  const h = Math.floor(height / 2);
  return { left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h };
}

export async function measureRegion(d: RunningDaemon, s: Settings, list: string[]): Promise<Figure> {
  const mode = MODES.preview;
  const c = await d.connect('bench-p12');
  try {
    await c.ensureReady(mode);
    const byPhoto: Record<string, unknown>[] = [];
    const ratios: number[] = [];
    for (const photo of list) {
      const whole = () => c.segment({ mode, image: { path: photo } });
      const first = await whole(); // also the photo's size; not timed
      const region = quarter(first.width, first.height);
      const cropped = () => c.segment({ mode, image: { path: photo }, region });
      const ms = { whole: [] as number[], region: [] as number[] };
      // The daemon's own time outside the inference (read, decode, crop, preprocess, postprocess):
      // where the region's cost would show, apart from the inference's noise on a busy machine.
      const besides = { whole: [] as number[], region: [] as number[] };
      for (let i = 0; i < s.runs; i++) {
        const order = i % 2 === 0 ? (['whole', 'region'] as const) : (['region', 'whole'] as const);
        for (const k of order) {
          const [r, t] = await timed(k === 'whole' ? whole : cropped);
          ms[k].push(t);
          besides[k].push(r.timings.totalMs - r.timings.queueMs - r.timings.inferenceMs);
        }
      }
      const ratio = median(ms.region) / median(ms.whole);
      ratios.push(ratio);
      byPhoto.push({
        photo: path.basename(photo),
        size: [first.width, first.height],
        region,
        ratio: r3(ratio),
        wholeMs: summary(ms.whole),
        regionMs: summary(ms.region),
        outsideInferenceMedianMs: { whole: r1(median(besides.whole)), region: r1(median(besides.region)) },
      });
    }
    return {
      value: r3(median(ratios)),
      goal: P12_GOAL,
      detail: {
        mode,
        runsPerPhoto: s.runs,
        medianOfPhotos: true,
        perPhotoRatios: ratios.map(r3),
        outsideInferenceMs: byPhoto.map((b) => b.outsideInferenceMedianMs),
        byPhoto,
        wholeMedianMs: r1(median(byPhoto.map((b) => (b.wholeMs as { median: number }).median))),
      },
    };
  } finally {
    c.dispose();
  }
}
