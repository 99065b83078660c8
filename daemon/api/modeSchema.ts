// The custom-model definition (README "Use your own model"), written once as a TypeBox schema:
//   - the daemon checks every definition against it (daemon/models/definition/), then adds
//     what no schema can say (the model file's declarations, built-in ids, label counts);
//   - the protocol type UserModeDefinition is its static type;
//   - package.json's `seglens.customModels` setting is generated from it (npm run gen:schema,
//     test/tools/genSchema.ts), and test/unit/packageSchema.test.ts fails when the two drift.
// Descriptions are VS Code's settings editor text; keys VS Code understands beyond JSON
// Schema (markdownDescription, enumDescriptions, patternErrorMessage, defaultSnippets) pass through.
import { Kind, SchemaOptions, Static, TSchema, TUnsafe, Type, TypeRegistry } from '@sinclair/typebox';
import { MODE_ID_PATTERN } from './constants';

// ---------------------------------------------------------------- enums, as data

export const TASKS = ['semantic', 'binary', 'instance', 'prompt'] as const;
/** How a model's outputs are read: the instance formats (task 'instance'), and 'sam', the
 * Segment Anything encoder + prompt decoder pair (task 'prompt', issue 25; docs/models.md). */
export const OUTPUT_FORMATS = ['yolo-seg', 'boxes-masks', 'sam'] as const;
/** The instance formats (task 'instance'). */
export const INSTANCE_FORMATS = ['yolo-seg', 'boxes-masks'] as const;
export const INPUT_LAYOUTS = ['NCHW', 'NHWC'] as const;
export const COLOR_ORDERS = ['RGB', 'BGR'] as const;
export const NORMALIZATION_PRESETS = ['imagenet', 'zero-one', 'minus-one-one', 'raw'] as const;
export const OUTPUT_KINDS = ['logits', 'probabilities', 'sigmoid', 'logit'] as const;
export const LABEL_PRESETS = ['voc', 'cityscapes', 'ade20k'] as const;
export const TTA_CHOICES = ['none', 'hflip'] as const;
export const RESAMPLE_CHOICES = ['smooth', 'reference'] as const;
export const WARMUP_SHAPE_CHOICES = ['small', 'full'] as const;

/** Largest height or width a mode may run at; most classes a mode may have. */
export const MAX_SIDE = 8192;
export const MAX_LABELS = 256;
export const MAX_MULTIPLE_OF = 1024;
export const MAX_WARMUP_ITERATIONS = 50;
/** The instance-id map is 8-bit. */
export const MAX_INSTANCES = 255;
/** The encoder's input side (the longer side of the resized image) of a 'sam' mode. */
export const SAM_ENCODER_SIZE = 1024;
export const MAX_ENCODER_SIZE = 4096;
/** segment-anything's pixel_mean and pixel_std, on 0..255 (RGB). */
export const SAM_MEAN = [123.675, 116.28, 103.53] as const;
export const SAM_STD = [58.395, 57.12, 57.375] as const;
/**
 * The tensor names of the 'sam' contract (segment-anything's export_onnx_model.py), each of
 * which `samNames` may override. `encoderInput` has no fixed name: the encoder's only input.
 */
export const SAM_NAMES = {
  imageEmbeddings: 'image_embeddings',
  pointCoords: 'point_coords',
  pointLabels: 'point_labels',
  maskInput: 'mask_input',
  hasMaskInput: 'has_mask_input',
  origImSize: 'orig_im_size',
  masks: 'masks',
  iouPredictions: 'iou_predictions',
  lowResMasks: 'low_res_masks',
} as const;
export type SamNameKey = keyof typeof SAM_NAMES | 'encoderInput';

/** Instance modes' defaults: Ultralytics' own predict settings (conf 0.25, iou 0.7, max_det 100). */
export const INSTANCE_DEFAULTS = { scoreThreshold: 0.25, iouThreshold: 0.7, maxInstances: 100 } as const;

// ---------------------------------------------------------------- building blocks

// A string enum written as JSON Schema's `enum` (what VS Code pairs with enumDescriptions),
// checked by TypeBox through this registered kind.
const STRING_ENUM = 'SegLensStringEnum';
if (!TypeRegistry.Has(STRING_ENUM)) {
  TypeRegistry.Set<{ enum: string[] }>(STRING_ENUM, (schema, value) => typeof value === 'string' && schema.enum.includes(value));
}
function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, [Kind]: STRING_ENUM, type: 'string', enum: [...values] });
}

// A number other than 0, written as VS Code reads it best ({"not": {"const": 0}}).
const NON_ZERO = 'SegLensNonZero';
if (!TypeRegistry.Has(NON_ZERO)) TypeRegistry.Set(NON_ZERO, (_schema, value) => typeof value === 'number' && Number.isFinite(value) && value !== 0);
const NonZero = (options: SchemaOptions = {}) => Type.Unsafe<number>({ ...options, [Kind]: NON_ZERO, type: 'number', not: { const: 0 } });

/** An array of exactly `n` items (`minItems`/`maxItems`, as VS Code shows them), typed as a tuple. */
function Fixed<T extends TSchema>(item: T, n: 2): TUnsafe<[Static<T>, Static<T>]>;
function Fixed<T extends TSchema>(item: T, n: 3): TUnsafe<[Static<T>, Static<T>, Static<T>]>;
function Fixed<T extends TSchema>(item: T, n: number): TSchema {
  return Type.Array(item, { minItems: n, maxItems: n });
}

const NonEmpty = (options: SchemaOptions) => Type.String({ pattern: '\\S', patternErrorMessage: 'Must not be empty.', ...options });
const Side = () => Type.Integer({ minimum: 1, maximum: MAX_SIDE });
const SizePair = () => Type.Union([Side(), Fixed(Side(), 2)]);

const LABEL_PRESET_DESCRIPTIONS = [
  'PASCAL VOC: 21 classes, index 0 background.',
  'Cityscapes: the 19 training classes (trainId order).',
  "ADE20K: 150 classes, index 0 'wall' (mmsegmentation / Hugging Face numbering).",
];

/** `{"multipleOf": 32, "target": 512}`: a model with free height and width, and the size to run it at. */
export const DynamicSizeSchema = Type.Object(
  {
    multipleOf: Type.Integer({ minimum: 1, maximum: MAX_MULTIPLE_OF }),
    target: SizePair(),
  },
  { additionalProperties: false },
);
export const InputSizeSchema = Type.Union([Side(), Fixed(Side(), 2), DynamicSizeSchema], {
  markdownDescription:
    '`[height, width]`, one number for a square, or for a model with free height and width `{"multipleOf": 32, "target": 512}` (the size to run at). Default: from the model when fixed.',
});
export const ColorSchema = Type.Union([Fixed(Type.Integer({ minimum: 0, maximum: 255 }), 3), Type.String({ pattern: '^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$' })]);

// ---------------------------------------------------------------- the definition

export const UserModeSchema = Type.Object(
  {
    id: Type.String({
      pattern: MODE_ID_PATTERN,
      patternErrorMessage: "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit; not a built-in mode id.",
      markdownDescription: 'Mode id, what `#seglens.mode#` and the status bar show (e.g. `segformer-ade`). Built-in ids cannot be redefined.',
    }),
    label: Type.Optional(NonEmpty({ description: 'Name shown in the mode pickers (default: the id).' })),
    description: Type.Optional(NonEmpty({ description: 'One line shown under the label in the mode quick pick.' })),
    model: NonEmpty({ markdownDescription: 'Path of the ONNX file: absolute or `~/...`.' }),
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'Expected SHA-256 of the file (hex); a mismatch fails the load.' })),
    encoder: Type.Optional(
      NonEmpty({ markdownDescription: "Prompt modes (`outputFormat` `sam`): path of the image encoder's ONNX file, absolute or `~/...` (`model` is then the prompt decoder)." }),
    ),
    encoderSize: Type.Optional(
      Type.Integer({
        minimum: 16,
        maximum: MAX_ENCODER_SIZE,
        default: SAM_ENCODER_SIZE,
        description: "Prompt modes: the encoder's square input side; the image is resized so that its longer side is this, then zero-padded at the bottom and right. Default 1024.",
      }),
    ),
    samNames: Type.Optional(
      Type.Object(
        {
          encoderInput: Type.Optional(NonEmpty({ description: "The encoder's image input (default: its only input)." })),
          imageEmbeddings: Type.Optional(NonEmpty({ description: "The encoder's output and the decoder's input (default 'image_embeddings')." })),
          pointCoords: Type.Optional(NonEmpty({ description: "Default 'point_coords'." })),
          pointLabels: Type.Optional(NonEmpty({ description: "Default 'point_labels'." })),
          maskInput: Type.Optional(NonEmpty({ description: "Default 'mask_input'." })),
          hasMaskInput: Type.Optional(NonEmpty({ description: "Default 'has_mask_input'." })),
          origImSize: Type.Optional(NonEmpty({ description: "Default 'orig_im_size'." })),
          masks: Type.Optional(NonEmpty({ description: "Default 'masks'." })),
          iouPredictions: Type.Optional(NonEmpty({ description: "Default 'iou_predictions'." })),
          lowResMasks: Type.Optional(NonEmpty({ description: "Default 'low_res_masks'." })),
        },
        { additionalProperties: false, markdownDescription: "Prompt modes: tensor names that differ from segment-anything's ONNX export (`image_embeddings`, `point_coords`, `point_labels`, `mask_input`, `has_mask_input`, `orig_im_size`, `masks`, `iou_predictions`, `low_res_masks`)." },
      ),
    ),
    task: Type.Optional(
      StringEnum(TASKS, {
        enumDescriptions: [
          'A class per pixel (per-class output channels).',
          'A foreground matte (one channel, or two: background/foreground).',
          'Objects, each with a class, a score, a box and a mask (see outputFormat).',
          "Promptable: an image encoder ('encoder') and a prompt decoder ('model'), clicks and boxes give a mask (outputFormat 'sam').",
        ],
        description: "Default: from outputFormat or outputKind, else from the model's output channel count.",
      }),
    ),
    inputName: Type.Optional(NonEmpty({ description: "Name of the image input (default: the model's only input)." })),
    inputLayout: Type.Optional(StringEnum(INPUT_LAYOUTS, { description: 'Default: guessed from the input shape, else NCHW.' })),
    inputSize: Type.Optional(InputSizeSchema),
    colorOrder: Type.Optional(StringEnum(COLOR_ORDERS, { description: 'Default RGB.' })),
    normalization: Type.Optional(
      StringEnum(NORMALIZATION_PRESETS, {
        enumDescriptions: [
          '(x/255 − ImageNet mean) / std: torchvision, timm, Hugging Face, mmsegmentation.',
          'x/255.',
          '(x/255 − 0.5) / 0.5.',
          '0..255 as is.',
        ],
        markdownDescription: "Pixel normalisation, value' = (value × scale − mean) / std. Default `imagenet`; `scale`, `mean`, `std` override it.",
      }),
    ),
    scale: Type.Optional(NonZero({ description: 'Multiplies pixel values 0..255 first (1/255 = 0.00392156862745098).' })),
    mean: Type.Optional(
      Type.Union([Type.Number(), Fixed(Type.Number(), 3)], { description: 'Subtracted after scaling: one number or one per channel (model colour order). Prompt modes: on 0..255, default (123.675, 116.28, 103.53).' }),
    ),
    std: Type.Optional(Type.Union([NonZero(), Fixed(NonZero(), 3)], { description: 'Divides after the mean: one number or one per channel, none 0. Prompt modes: default (58.395, 57.12, 57.375).' })),
    outputName: Type.Optional(NonEmpty({ description: "Name of the output to read (default: the model's first output)." })),
    outputKind: Type.Optional(
      StringEnum(OUTPUT_KINDS, {
        enumDescriptions: [
          'Per-class raw scores: argmax per pixel (semantic), or 2 channels background/foreground (binary).',
          'Per-class probabilities (ends with a Softmax).',
          'One channel already 0..1: a foreground matte.',
          'One channel of raw scores: SegLens applies the sigmoid.',
        ],
        description: "How the output is read. Default: from the model's output.",
      }),
    ),
    outputFormat: Type.Optional(
      StringEnum(OUTPUT_FORMATS, {
        enumDescriptions: [
          "Ultralytics YOLOv8/YOLO11-seg export: input 'images' letterboxed (grey 114), outputs 'output0' [1,4+classes+32,A] and 'output1' [1,32,mh,mw] prototypes.",
          "torchvision Mask R-CNN export (and any model with these outputs): 'boxes' [N,4] x1,y1,x2,y2, 'labels' [N], 'scores' [N], 'masks' [N,1,H,W] probabilities.",
          "Segment Anything (SAM, MobileSAM, SAM-HQ, EfficientViT-SAM) ONNX pair: 'encoder' [1,3,1024,1024] → 'image_embeddings' [1,256,64,64]; 'model' the prompt decoder of segment-anything's export_onnx_model.py (task 'prompt').",
        ],
        markdownDescription: "How the model's outputs are read: an instance format (task `instance`, implied by this field), or `sam` (task `prompt`, implied).",
      }),
    ),
    scoreThreshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1, default: INSTANCE_DEFAULTS.scoreThreshold, description: 'Instance modes: instances scoring below this are dropped. Default 0.25.' })),
    iouThreshold: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, default: INSTANCE_DEFAULTS.iouThreshold, description: 'Instance modes: non-maximum suppression, per class: a box overlapping a better one of its class by more than this IoU is dropped. Default 0.7.' }),
    ),
    maxInstances: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_INSTANCES, default: INSTANCE_DEFAULTS.maxInstances, description: 'Instance modes: at most this many instances, the best scoring. Default 100.' })),
    labels: Type.Optional(
      Type.Union([Type.Array(NonEmpty({}), { minItems: 1, maxItems: MAX_LABELS }), StringEnum(LABEL_PRESETS, { enumDescriptions: LABEL_PRESET_DESCRIPTIONS })], {
        markdownDescription: 'Class names in output-channel order, or a preset: `voc`, `cityscapes`, `ade20k`. Default: `class 0`, `class 1`… (binary: background, foreground).',
      }),
    ),
    colors: Type.Optional(
      Type.Union([Type.Array(ColorSchema), StringEnum(LABEL_PRESETS, { enumDescriptions: LABEL_PRESET_DESCRIPTIONS })], {
        markdownDescription: 'One colour per label, `[r, g, b]` or `"#rrggbb"`, or a preset name. Default: the preset\'s, else distinct generated colours.',
      }),
    ),
    warmupIterations: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_WARMUP_ITERATIONS, default: 3, description: 'Dummy inferences of a warm-up.' })),
    warmupShape: Type.Optional(
      StringEnum(WARMUP_SHAPE_CHOICES, {
        enumDescriptions: ['256x256 (or the mode size when smaller): a tenth of the price, but the first request may stay up to 11% slower than steady.', "The mode's input size: the first request runs at steady speed."],
        description: 'Input shape of the warm-up. Default: full (measured: a small run does not pay the whole first-run cost, even on the CPU); a model with fixed height and width always warms up at full size.',
      }),
    ),
    tta: Type.Optional(
      StringEnum(TTA_CHOICES, {
        enumDescriptions: ['One pass.', 'Average with a horizontally flipped pass (slower, smoother edges).'],
        description: 'Test-time augmentation. Default none.',
      }),
    ),
    resample: Type.Optional(
      StringEnum(RESAMPLE_CHOICES, {
        enumDescriptions: [
          "libvips' linear kernel (area-aware when reducing).",
          "The reference ISNet pipeline's point-sampled bilinear, as the built-in ISNet modes use.",
        ],
        description: "How the image is resized to the model's input and the mask back to the image. Default smooth.",
      }),
    ),
    comment: Type.Optional(Type.String({ description: 'Free text, ignored.' })),
  },
  {
    additionalProperties: false,
    defaultSnippets: [
      {
        label: 'New mode (semantic)',
        body: {
          id: '$1',
          label: '$2',
          model: '${3:/absolute/path/model.onnx}',
          normalization: `\${4|${NORMALIZATION_PRESETS.join(',')}|}`,
          labels: `\${5|${LABEL_PRESETS.join(',')}|}`,
        },
      },
      {
        label: 'New prompt mode (Segment Anything encoder + decoder)',
        body: {
          id: '$1',
          label: '$2',
          task: 'prompt',
          outputFormat: 'sam',
          encoder: '${3:/absolute/path/encoder.onnx}',
          model: '${4:/absolute/path/decoder.onnx}',
        },
      },
    ],
  },
);

/** One entry of `seglens.customModels`, the `modes` of seglens/defineModes, a `--models` file entry. */
export type UserModeDefinition = Static<typeof UserModeSchema>;
export type UserInputSize = Static<typeof InputSizeSchema>;
export type Task = (typeof TASKS)[number];
export type NormalizationPreset = (typeof NORMALIZATION_PRESETS)[number];
export type OutputKindName = (typeof OUTPUT_KINDS)[number];
export type OutputFormatName = (typeof OUTPUT_FORMATS)[number];
export type InstanceFormatName = (typeof INSTANCE_FORMATS)[number];
export type SamNames = NonNullable<UserModeDefinition['samNames']>;
export type LabelPresetName = (typeof LABEL_PRESETS)[number];

/** The field names a definition may have. */
export const DEFINITION_FIELDS = Object.keys(UserModeSchema.properties) as (keyof UserModeDefinition)[];

// Keys in the order people write them (type and shape first, then the words), so that the
// generated package.json reads like a hand-written one.
const FIRST = ['type', 'items', 'required', 'additionalProperties'];
const LAST = ['enumDescriptions', 'patternErrorMessage', 'default', 'description', 'markdownDescription', 'defaultSnippets', 'properties'];
const rank = (k: string) => (FIRST.includes(k) ? FIRST.indexOf(k) - FIRST.length : LAST.includes(k) ? 1 + LAST.indexOf(k) : 0);

/** A schema with its keys in that order; `properties` keeps the fields' order, snippets stay as written. */
function ordered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(ordered);
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort((a, b) => rank(a) - rank(b)); // stable: other keys keep their order
  const value = (k: string) =>
    k === 'properties' ? Object.fromEntries(Object.entries(o[k] as object).map(([f, s]) => [f, ordered(s)])) : k === 'defaultSnippets' ? o[k] : ordered(o[k]);
  return Object.fromEntries(keys.map((k) => [k, value(k)]));
}

/** The schema as plain JSON (no TypeBox symbols): what package.json carries. */
export function plainJsonSchema(schema: TSchema): unknown {
  return ordered(JSON.parse(JSON.stringify(schema)));
}
