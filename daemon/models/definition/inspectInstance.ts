// seglens/inspectModel for instance models (issue 24): an Ultralytics segment export says what
// it is in its metadata (`task`, `names`, `imgsz`), a torchvision detection export by its
// output names; either way the suggestion is a complete instance mode.
import { UserModeDefinition } from '../../api/protocol';
import { OnnxSummary } from '../onnxInfo';
import { guessFormat, yoloClassCount } from './instanceDef';

/** Ultralytics writes `names` as a Python dict: {0: 'person', 1: 'bicycle', ...}. */
export function parseUltralyticsNames(text: string | undefined): string[] | undefined {
  if (!text) return undefined;
  const names: string[] = [];
  for (const m of text.matchAll(/(\d+)\s*:\s*(['"])((?:\\.|(?!\2).)*)\2/g)) names[Number(m[1])] = m[3].replace(/\\(.)/g, '$1');
  if (names.length === 0 || names.some((n) => n === undefined)) return undefined;
  return names;
}

/** Ultralytics writes `imgsz` as [height, width]. */
function parseImgsz(text: string | undefined): [number, number] | undefined {
  const m = text ? /^\s*\[\s*(\d+)\s*,\s*(\d+)\s*\]\s*$/.exec(text) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** A suggestion for an instance model, or undefined when the file is not one. */
export function suggestInstance(s: OnnxSummary, generic: UserModeDefinition): { suggestion: UserModeDefinition; notes: string[] } | undefined {
  const format = guessFormat(s);
  if (!format) return undefined;
  const { id, label, model, inputName } = generic;
  const sg: UserModeDefinition = { id, label, model, inputName, task: 'instance', outputFormat: format };
  const notes: string[] = [];
  if (generic.inputSize !== undefined) sg.inputSize = generic.inputSize;
  if (format === 'yolo-seg') {
    const meta = s.metadata;
    const names = parseUltralyticsNames(meta.names);
    const size = parseImgsz(meta.imgsz);
    if (size) sg.inputSize = size;
    const nc = yoloClassCount(s);
    if (names && (nc === undefined || names.length === nc)) sg.labels = names;
    notes.push(
      meta.task === 'segment'
        ? `An Ultralytics segment export${meta.description ? ` (${meta.description})` : ''}: ${names ? `${names.length} classes from its metadata` : 'class names not in its metadata'}, letterboxed input of ${sg.inputSize ? JSON.stringify(sg.inputSize) : 'its size'}, x/255.`
        : "Outputs 'output0' and 'output1' as an Ultralytics segment export has them: read as 'yolo-seg' (letterboxed input, x/255).",
    );
    if (!sg.labels) notes.push('Give the class names in the model\'s class order (placeholders otherwise).');
  } else {
    notes.push("Outputs 'boxes', 'labels', 'scores' and 'masks' as torchvision's Mask R-CNN export has them: read as 'boxes-masks' (input 0..1; the model normalises inside).");
    sg.labels = ['__background__', 'class 1'];
    notes.push("Give the class names in label order (torchvision's COCO models: the 91 entries of weights.meta['categories'], '__background__' first); a placeholder list is suggested.");
  }
  sg.colorOrder = 'RGB';
  sg.normalization = 'zero-one';
  sg.scoreThreshold = 0.25;
  sg.iouThreshold = 0.7;
  sg.maxInstances = 100;
  sg.warmupIterations = 3;
  return { suggestion: sg, notes };
}
