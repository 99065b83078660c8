// P16 (issue #26): the int8 ISNet's inference time ÷ the fp32 one's, in mode `balanced`, on the
// same photos preprocessed by the engine's own functions, bare session.run with the engine's
// session options, the two alternating (which goes first alternates too); and how far its
// masks are from fp32's (IoU at 0.5, mean alpha difference), photo by photo.
import * as path from 'node:path';
import { maskAgreement } from '../../daemon/eval/maskAgreement';
import { type Figure, P16_GOAL } from '../report';
import { MODES, progress, ROOT, Settings } from '../settings';
import { median, r3, summary } from '../stats';
import { bareSession, modeDef } from './steady';

export async function measurePrecision(s: Settings, list: string[]): Promise<Figure> {
  const fp32 = modeDef(MODES.preview, 'fp32');
  const int8 = modeDef(MODES.preview, 'int8');
  if (fp32.model.file === int8.model.file) throw new Error('P16: the CPU provider is not in use here, so there is no int8 model to compare');
  const a = await bareSession(fp32, list);
  const b = await bareSession(int8, list);
  const ms = { fp32: [] as number[], int8: [] as number[] };
  const byPhoto: Record<string, { iou: number; meanAlphaDiff: number }> = {};
  for (let r = 0; r < s.runs; r++) {
    for (const p of list) {
      const order = r % 2 === 0 ? (['fp32', 'int8'] as const) : (['int8', 'fp32'] as const);
      const out: Record<string, Float32Array> = {};
      for (const k of order) {
        const res = await (k === 'fp32' ? a : b).infer(p);
        ms[k].push(res.ms);
        out[k] = res.output;
      }
      const agree = maskAgreement(out.fp32, out.int8);
      byPhoto[path.basename(p)] = { iou: r3(agree.iou), meanAlphaDiff: r3(agree.meanAlphaDiff) };
    }
    progress(`P16 run ${r + 1}/${s.runs}: fp32 ${median(ms.fp32).toFixed(0)} ms, int8 ${median(ms.int8).toFixed(0)} ms (medians so far)`);
  }
  await a.session.release();
  await b.session.release();
  const agreements = Object.values(byPhoto);
  return {
    value: r3(median(ms.int8) / median(ms.fp32)),
    goal: P16_GOAL,
    detail: {
      mode: MODES.preview,
      inputSize: fp32.inputSize,
      models: { fp32: path.relative(ROOT, fp32.model.file), int8: path.relative(ROOT, int8.model.file) },
      measured: "bare session.run of each model on the same tensors (the engine's preprocessing and session options), alternating; IoU of the masks at 0.5 and mean |alpha difference| (0-255) at the model's resolution, int8 against fp32",
      iouMin: Math.min(...agreements.map((x) => x.iou)),
      meanAlphaDiffMax: Math.max(...agreements.map((x) => x.meanAlphaDiff)),
      byPhoto,
      fp32Ms: summary(ms.fp32),
      int8Ms: summary(ms.int8),
    },
  };
}
