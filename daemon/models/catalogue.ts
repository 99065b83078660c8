// The built-in modes. The fp32 ISNet modes share one model file (rewritten once for dynamic
// height and width), so they share one ONNX Runtime session; each mode is its own input
// shape and so its own warm-up. On the CPU, `fast` and `balanced` run the statically
// quantised ISNet instead with `--cpu-precision int8` (its own file and so its own session and
// warm-ups); `accurate` and `sota` stay the fp32 reference pipeline.
import * as path from 'node:path';
import { ModeDef, ModelRef } from './modeDef';
import { ISNET_MODEL_FILE, TEXT_MODEL_FILE } from './modelSources';
import { ISNET_INT8_FILE } from './quantize/isnetInt8File';
import { ISNET_FP32_FILE } from './quantize/isnetFp32File';

const ISNET_LABELS = ['background', 'foreground'];
const TEXT_LABELS = ['background', 'text'];

/** Model key of the int8 ISNet (a key of its own: int8 and fp32 modes never share a session). */
export const ISNET_INT8_KEY = 'isnet-medium-int8';

export interface CatalogueOptions {
  /** `fast` and `balanced` run the int8 ISNet (the CPU provider with `--cpu-precision int8`). */
  int8?: boolean;
}

export function builtinModes(modelsDir: string, opts: CatalogueOptions = {}): ModeDef[] {
  const isnet: ModelRef = { key: 'isnet-medium', file: path.join(modelsDir, ISNET_MODEL_FILE), fp32File: path.join(modelsDir, ISNET_FP32_FILE) };
  const int8 = opts.int8 === true;
  const quick = int8 ? { key: ISNET_INT8_KEY, file: path.join(modelsDir, ISNET_INT8_FILE) } : isnet;
  const text = { key: 'ppocrv4-det', file: path.join(modelsDir, TEXT_MODEL_FILE) };
  // Reference ISNet pipeline (docs/models.md): RGB, (v - 128) / 256, NCHW, output already sigmoid.
  const isnetMode = (id: string, label: string, description: string, size: number, tta: ModeDef['tta'], typicalMs: number, model = isnet): ModeDef => ({
    id,
    label,
    description,
    task: 'binary',
    inputSize: [size, size],
    labels: ISNET_LABELS,
    colors: [
      [0, 0, 0],
      [0, 200, 255],
    ],
    typicalMs,
    model,
    inputName: 'input',
    outputName: 'output',
    layout: 'NCHW',
    colorOrder: 'RGB',
    scale: 1,
    mean: [128, 128, 128],
    std: [256, 256, 256],
    output: 'sigmoid',
    tta,
    // All ISNet modes resample like the reference pipeline, so they are comparable.
    resample: 'reference',
    warmupIterations: 3,
  });
  return [
    isnetMode('fast', 'Fast', `ISNet at 512x512${int8 ? ' (int8)' : ''}: quickest, coarser edges`, 512, 'none', int8 ? 230 : 425, quick),
    isnetMode('balanced', 'Balanced', `ISNet at 768x768${int8 ? ' (int8)' : ''}: a good trade of speed and detail`, 768, 'none', int8 ? 520 : 960, quick),
    isnetMode('accurate', 'Accurate', 'ISNet at 1024x1024: the reference pipeline', 1024, 'none', 1700),
    isnetMode('sota', 'Best (SOTA)', 'ISNet at 1024x1024 averaged with a horizontally flipped pass', 1024, 'hflip', 3400),
    {
      id: 'text',
      label: 'Text regions',
      description: 'PP-OCRv4 text detector at 640x640: where the text is',
      task: 'binary',
      inputSize: [640, 640],
      labels: TEXT_LABELS,
      colors: [
        [0, 0, 0],
        [255, 160, 0],
      ],
      typicalMs: 150,
      model: text,
      inputName: 'x',
      outputName: 'sigmoid_0.tmp_0',
      layout: 'NCHW',
      // PaddleOCR reads images as BGR and normalises channel by channel in that order.
      colorOrder: 'BGR',
      scale: 1 / 255,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      output: 'sigmoid',
      tta: 'none',
      resample: 'smooth',
      warmupIterations: 3,
    },
  ];
}
