// Class label presets for common segmentation datasets, with the palettes the usual toolkits
// draw them in, and a generated palette of distinct colours for any other class count.
// Facts, not code from those toolkits: VOC's colormap comes from its published bit-interleaving
// algorithm; the Cityscapes and ADE20K names and colours are the ones OpenMMLab's
// mmsegmentation lists (mmseg/datasets/cityscapes.py and ade.py, checked against its sources).
import { LABEL_PRESETS, LabelPresetName } from './modeSchema';
import { Rgb } from './protocol';

export interface LabelPreset {
  id: PresetName;
  title: string;
  labels: string[];
  colors: Rgb[];
}

export type PresetName = LabelPresetName;
export const PRESET_NAMES: readonly PresetName[] = LABEL_PRESETS;

/**
 * The PASCAL VOC colormap (VOCdevkit's labelcolormap.m): the bits of the class index are
 * spread over the high bits of r, g and b, three at a time.
 */
export function vocColormap(n = 256): Rgb[] {
  const out: Rgb[] = [];
  for (let i = 0; i < n; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let c = i;
    for (let j = 0; j < 8; j++) {
      r |= ((c >> 0) & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
    out.push([r, g, b]);
  }
  return out;
}

const VOC_LABELS = [
  'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

/** The 19 Cityscapes training classes (trainId order) and their official colours. */
const CITYSCAPES_LABELS = [
  'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign', 'vegetation', 'terrain',
  'sky', 'person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle',
];
const CITYSCAPES_COLORS: Rgb[] = [
  [128, 64, 128], [244, 35, 232], [70, 70, 70], [102, 102, 156], [190, 153, 153], [153, 153, 153], [250, 170, 30],
  [220, 220, 0], [107, 142, 35], [152, 251, 152], [70, 130, 180], [220, 20, 60], [255, 0, 0], [0, 0, 142],
  [0, 0, 70], [0, 60, 100], [0, 80, 100], [0, 0, 230], [119, 11, 32],
];

/**
 * ADE20K (SceneParsing, 150 classes, no background: index 0 is 'wall'), as models trained
 * with mmsegmentation or Hugging Face transformers (SegFormer, UperNet...) number them. The
 * palette is mmsegmentation's; it has one colour twice ([140, 140, 140]: road and
 * skyscraper), kept as is so masks look like the toolkit's.
 */
const ADE20K_LABELS = [
  'wall', 'building', 'sky', 'floor', 'tree', 'ceiling', 'road', 'bed', 'windowpane', 'grass',
  'cabinet', 'sidewalk', 'person', 'earth', 'door', 'table', 'mountain', 'plant', 'curtain',
  'chair', 'car', 'water', 'painting', 'sofa', 'shelf', 'house', 'sea', 'mirror', 'rug', 'field',
  'armchair', 'seat', 'fence', 'desk', 'rock', 'wardrobe', 'lamp', 'bathtub', 'railing', 'cushion',
  'base', 'box', 'column', 'signboard', 'chest of drawers', 'counter', 'sand', 'sink',
  'skyscraper', 'fireplace', 'refrigerator', 'grandstand', 'path', 'stairs', 'runway', 'case',
  'pool table', 'pillow', 'screen door', 'stairway', 'river', 'bridge', 'bookcase', 'blind',
  'coffee table', 'toilet', 'flower', 'book', 'hill', 'bench', 'countertop', 'stove', 'palm',
  'kitchen island', 'computer', 'swivel chair', 'boat', 'bar', 'arcade machine', 'hovel', 'bus',
  'towel', 'light', 'truck', 'tower', 'chandelier', 'awning', 'streetlight', 'booth',
  'television receiver', 'airplane', 'dirt track', 'apparel', 'pole', 'land', 'bannister',
  'escalator', 'ottoman', 'bottle', 'buffet', 'poster', 'stage', 'van', 'ship', 'fountain',
  'conveyer belt', 'canopy', 'washer', 'plaything', 'swimming pool', 'stool', 'barrel', 'basket',
  'waterfall', 'tent', 'bag', 'minibike', 'cradle', 'oven', 'ball', 'food', 'step', 'tank',
  'trade name', 'microwave', 'pot', 'animal', 'bicycle', 'lake', 'dishwasher', 'screen', 'blanket',
  'sculpture', 'hood', 'sconce', 'vase', 'traffic light', 'tray', 'ashcan', 'fan', 'pier',
  'crt screen', 'plate', 'monitor', 'bulletin board', 'shower', 'radiator', 'glass', 'clock',
  'flag',
];
const ADE20K_COLORS: Rgb[] = [
  [120, 120, 120], [180, 120, 120], [6, 230, 230], [80, 50, 50], [4, 200, 3], [120, 120, 80], [140, 140, 140], [204, 5, 255],
  [230, 230, 230], [4, 250, 7], [224, 5, 255], [235, 255, 7], [150, 5, 61], [120, 120, 70], [8, 255, 51], [255, 6, 82],
  [143, 255, 140], [204, 255, 4], [255, 51, 7], [204, 70, 3], [0, 102, 200], [61, 230, 250], [255, 6, 51], [11, 102, 255],
  [255, 7, 71], [255, 9, 224], [9, 7, 230], [220, 220, 220], [255, 9, 92], [112, 9, 255], [8, 255, 214], [7, 255, 224],
  [255, 184, 6], [10, 255, 71], [255, 41, 10], [7, 255, 255], [224, 255, 8], [102, 8, 255], [255, 61, 6], [255, 194, 7],
  [255, 122, 8], [0, 255, 20], [255, 8, 41], [255, 5, 153], [6, 51, 255], [235, 12, 255], [160, 150, 20], [0, 163, 255],
  [140, 140, 140], [250, 10, 15], [20, 255, 0], [31, 255, 0], [255, 31, 0], [255, 224, 0], [153, 255, 0], [0, 0, 255],
  [255, 71, 0], [0, 235, 255], [0, 173, 255], [31, 0, 255], [11, 200, 200], [255, 82, 0], [0, 255, 245], [0, 61, 255],
  [0, 255, 112], [0, 255, 133], [255, 0, 0], [255, 163, 0], [255, 102, 0], [194, 255, 0], [0, 143, 255], [51, 255, 0],
  [0, 82, 255], [0, 255, 41], [0, 255, 173], [10, 0, 255], [173, 255, 0], [0, 255, 153], [255, 92, 0], [255, 0, 255],
  [255, 0, 245], [255, 0, 102], [255, 173, 0], [255, 0, 20], [255, 184, 184], [0, 31, 255], [0, 255, 61], [0, 71, 255],
  [255, 0, 204], [0, 255, 194], [0, 255, 82], [0, 10, 255], [0, 112, 255], [51, 0, 255], [0, 194, 255], [0, 122, 255],
  [0, 255, 163], [255, 153, 0], [0, 255, 10], [255, 112, 0], [143, 255, 0], [82, 0, 255], [163, 255, 0], [255, 235, 0],
  [8, 184, 170], [133, 0, 255], [0, 255, 92], [184, 0, 255], [255, 0, 31], [0, 184, 255], [0, 214, 255], [255, 0, 112],
  [92, 255, 0], [0, 224, 255], [112, 224, 255], [70, 184, 160], [163, 0, 255], [153, 0, 255], [71, 255, 0], [255, 0, 163],
  [255, 204, 0], [255, 0, 143], [0, 255, 235], [133, 255, 0], [255, 0, 235], [245, 0, 255], [255, 0, 122], [255, 245, 0],
  [10, 190, 212], [214, 255, 0], [0, 204, 255], [20, 0, 255], [255, 255, 0], [0, 153, 255], [0, 41, 255], [0, 255, 204],
  [41, 0, 255], [41, 255, 0], [173, 0, 255], [0, 245, 255], [71, 0, 255], [122, 0, 255], [0, 255, 184], [0, 92, 255],
  [184, 255, 0], [0, 133, 255], [255, 214, 0], [25, 194, 194], [102, 255, 0], [92, 0, 255],
];

export const PRESETS: Record<PresetName, LabelPreset> = {
  voc: { id: 'voc', title: 'PASCAL VOC (21 classes with background)', labels: VOC_LABELS, colors: vocColormap(21) },
  cityscapes: { id: 'cityscapes', title: 'Cityscapes (19 training classes)', labels: CITYSCAPES_LABELS, colors: CITYSCAPES_COLORS },
  ade20k: { id: 'ade20k', title: 'ADE20K (150 classes)', labels: ADE20K_LABELS, colors: ADE20K_COLORS },
};

export function isPresetName(s: unknown): s is PresetName {
  return typeof s === 'string' && (PRESET_NAMES as readonly string[]).includes(s.toLowerCase());
}

export function preset(name: string): LabelPreset | undefined {
  return isPresetName(name) ? PRESETS[name.toLowerCase() as PresetName] : undefined;
}

/** The preset whose class count is `n`, if exactly one has it (21 VOC, 19 Cityscapes, 150 ADE20K). */
export function presetForClassCount(n: number): LabelPreset | undefined {
  const hits = PRESET_NAMES.map((p) => PRESETS[p]).filter((p) => p.labels.length === n);
  return hits.length === 1 ? hits[0] : undefined;
}

/**
 * `n` clearly distinct colours for classes without a preset: hues stepped by the golden
 * angle (neighbouring ids never look alike), saturation and brightness alternating in a
 * short cycle. Index 0 is black when `blackFirst` (a background class, the usual case).
 */
export function distinctPalette(n: number, blackFirst = true): Rgb[] {
  const out: Rgb[] = [];
  const sat = [0.85, 0.55, 0.95];
  const val = [0.95, 0.75, 0.55, 0.85];
  for (let i = 0; i < n; i++) {
    if (i === 0 && blackFirst) {
      out.push([0, 0, 0]);
      continue;
    }
    const k = blackFirst ? i - 1 : i;
    const h = (k * 0.6180339887498949) % 1;
    out.push(hsvToRgb(h, sat[k % sat.length], val[Math.floor(k / sat.length) % val.length]));
  }
  return out;
}

function hsvToRgb(h: number, s: number, v: number): Rgb {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const [r, g, b] = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ][i % 6];
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

/** Default names for a class count without labels: 'class 0', 'class 1'... */
export function genericLabels(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `class ${i}`);
}
