// What the engine needs to know to run one mode: the model file, how to turn an image into
// the input tensor, and how to read the output. Built-in modes and user definitions share it.
import { ModeInfo, Rgb } from '../api/protocol';
import type { SamNameKey } from '../api/modeSchema';

export type OutputKind =
  /** one channel already in 0..1 (ISNet, PP-OCR) */
  | 'sigmoid'
  /** one channel of raw logits: sigmoid is applied */
  | 'logit'
  /** C channels of class logits: argmax */
  | 'logits'
  /** C channels of class probabilities: argmax */
  | 'probabilities';

export type Resample = 'reference' | 'smooth';

/** How an instance mode (task 'instance') reads its model (daemon/engine/pipeline/instances/). */
export interface InstanceSpec {
  format: 'yolo-seg' | 'boxes-masks';
  /** The outputs fetched, in the format's order: yolo-seg [detections, prototypes]; boxes-masks [boxes, labels, scores, masks]. */
  outputs: string[];
  scoreThreshold: number;
  /** Per-class non-maximum suppression (yolo-seg; boxes-masks models have done their own). */
  iouThreshold: number;
  maxInstances: number;
}

/** How a prompt mode (task 'prompt', format 'sam', issue 25) runs its two models. The decoder is
 * ModeDef.model; the image goes to the encoder at [encoderSize, encoderSize] (inputSize),
 * normalised by ModeDef.mean/std on 0..255 (scale 1). */
export interface PromptSpec {
  encoder: ModelRef;
  encoderSize: number;
  /** Every tensor name of the contract, defaults filled (SAM_NAMES and the encoder's input). */
  names: Record<SamNameKey, string>;
}

export interface ModelRef {
  /** Cache key: modes that name the same key share one ONNX Runtime session. */
  key: string;
  /** Absolute path of the ONNX file. */
  file: string;
  /** Expected sha256 (hex) when known; a mismatch is a load failure (1004). */
  sha256?: string;
  /** The same model in float32, for a WebGPU adapter without f16 (built from `file` when missing: the built-in ISNet). */
  fp32File?: string;
}

export interface ModeDef extends ModeInfo {
  model: ModelRef;
  inputName: string;
  outputName: string;
  layout: 'NCHW' | 'NHWC';
  colorOrder: 'RGB' | 'BGR';
  /** value' = (value * scale - mean[c]) / std[c], c in the model's channel order. */
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
  output: OutputKind;
  /** Colour per label (semantic) or of the foreground (binary: labels[1]). */
  colors: Rgb[];
  /** Extra test-time passes averaged with the plain one. */
  tta: 'none' | 'hflip';
  /**
   * How images and masks are resampled. 'smooth' (the default when absent): libvips'
   * 'linear' kernel (area-aware when reducing), alpha rounded. 'reference': the reference
   * ISNet pipeline's point-sampled bilinear (srcX = x * srcW / dstW) in JavaScript, pre and
   * post, and alpha by truncation of v * 255 (daemon/engine/pipeline/resample.ts); class maps stay 'nearest'.
   */
  resample?: Resample;
  warmupIterations: number;
  /** Task 'instance' only: the output format and its settings. The image is letterboxed
   * (aspect kept, grey 114 padding split evenly) and the letterbox undone on the results. */
  instanceSpec?: InstanceSpec;
  /** Task 'prompt' only: the encoder and the decoder's tensor names (daemon/engine/pipeline/prompt/). */
  promptSpec?: PromptSpec;
  /** The model's image input has no batch axis ([3,H,W], torchvision detection exports). */
  unbatched?: boolean;
  /**
   * The input shape of the mode's dummy warm-up: 'small' (256x256, or the mode's size when
   * smaller) or 'full' (the mode's input size). Absent: the provider's default, full on every
   * provider so far (daemon/engine/warmupShape.ts: measured). A model with fixed height and
   * width always warms up at full size.
   */
  warmupShape?: 'small' | 'full';
}

/** The public part of a mode, as `initialize` lists it. */
export function modeInfo(m: ModeDef): ModeInfo {
  const info: ModeInfo = {
    id: m.id,
    label: m.label,
    description: m.description,
    task: m.task,
    inputSize: m.inputSize,
    labels: m.labels,
  };
  if (m.custom) info.custom = true;
  if (m.typicalMs !== undefined) info.typicalMs = m.typicalMs;
  if (m.instanceSpec) {
    const { format, scoreThreshold, iouThreshold, maxInstances } = m.instanceSpec;
    info.instance = { outputFormat: format, scoreThreshold, iouThreshold, maxInstances };
  }
  if (m.promptSpec) info.prompt = { encoderSize: m.promptSpec.encoderSize };
  return info;
}
