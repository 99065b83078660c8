// The steps of the Add Model… dialogue, one function each, prefilled from the daemon's
// suggestion (seglens/inspectModel). Each returns undefined when the user cancels (Escape).
import * as vscode from 'vscode';
import type { InspectModelResult, NormalizationPreset, OutputKindName, Task, UserInputSize } from '../../../daemon/api/protocol';
import { checkModeId, formatInputSize, parseInputSize } from '../modeDefinitions';
import { inputStep, Item, pickStep } from './quickInput';

/** What every step knows: the dialogue's title, the model's report and the output's channels. */
export interface Dialogue {
  title: string;
  info: InspectModelResult;
  /** The daemon's suggestion (info.suggestion). */
  s: InspectModelResult['suggestion'];
  /** Classes in the output, when the file says. */
  channels: number | undefined;
}

// Data tables (exempt from the function-length rule): the choices of steps 4 and 6.
const OUTPUT_CHOICES: { task: Task; kind: OutputKindName; label: string; detail: string; channels: 'one' | 'two' | 'many' }[] = [
  { task: 'semantic', kind: 'logits', label: 'Classes: raw scores (logits)', detail: 'One channel per class; each pixel takes the class with the highest score.', channels: 'many' },
  { task: 'semantic', kind: 'probabilities', label: 'Classes: probabilities (the graph ends with a Softmax)', detail: 'One channel per class; each pixel takes the most probable class.', channels: 'many' },
  { task: 'binary', kind: 'sigmoid', label: 'Foreground matte, 0..1 (the graph ends with a Sigmoid)', detail: 'One channel; the mask is the value itself.', channels: 'one' },
  { task: 'binary', kind: 'logit', label: 'Foreground matte, raw score', detail: 'One channel; SegLens applies the sigmoid.', channels: 'one' },
  { task: 'binary', kind: 'logits', label: 'Background / foreground, two channels (logits)', detail: 'Two channels; the foreground probability is the mask.', channels: 'two' },
  { task: 'binary', kind: 'probabilities', label: 'Background / foreground, two channels (probabilities)', detail: 'Two channels after a Softmax; the foreground probability is the mask.', channels: 'two' },
];

const NORMALIZATION_CHOICES: { value: NormalizationPreset; label: string; detail: string }[] = [
  { value: 'imagenet', label: 'ImageNet mean and std', detail: '(x/255 − mean) / std: torchvision, timm, Hugging Face and mmsegmentation models.' },
  { value: 'zero-one', label: '0..1', detail: 'x / 255.' },
  { value: 'minus-one-one', label: '−1..1', detail: '(x/255 − 0.5) / 0.5: many TensorFlow and Keras exports.' },
  { value: 'raw', label: 'Raw 0..255', detail: 'The pixel values as they are (the model normalises inside its graph).' },
];

/** The text up to about `n` characters, cut at a space, and the rest. */
function splitAt(text: string, n: number): [string, string] {
  if (text.length <= n) return [text, ''];
  const cut = text.lastIndexOf(' ', n);
  const at = cut > n / 2 ? cut : n;
  return [text.slice(0, at), text.slice(at).trim()];
}

/** 1. What the file declares, and what the daemon had to assume; 'sam': the user says it is half of a Segment Anything pair (issue 25); undefined when cancelled. */
export async function reviewSignature(dlg: Dialogue, log: vscode.LogOutputChannel): Promise<'go' | 'sam' | undefined> {
  const { info } = dlg;
  const t = (x: InspectModelResult['inputs'][number]) => `${x.type} [${(x.shape ?? ['?']).map((v) => (v === null ? '?' : v)).join(',')}]`;
  const sigItems: Item<'go' | 'log' | 'sam'>[] = [
    { label: '$(arrow-right) Continue', description: 'define a mode for this model', value: 'go', alwaysShow: true },
    { label: '$(target) A prompt model', description: 'a Segment Anything image encoder or prompt decoder: choose both files', value: 'sam', alwaysShow: true },
    { label: 'Inputs', kind: vscode.QuickPickItemKind.Separator },
    ...info.inputs.map((x) => ({ label: `$(arrow-small-right) ${x.name}`, description: t(x) })),
    { label: 'Outputs', kind: vscode.QuickPickItemKind.Separator },
    ...info.outputs.map((x) => ({ label: `$(arrow-small-left) ${x.name}`, description: t(x) })),
    { label: 'What the daemon assumed', kind: vscode.QuickPickItemKind.Separator },
    ...info.notes.map((n) => {
      // Rows are one line each: a long note continues on the detail line.
      const [head, rest] = splitAt(n, 80);
      return { label: `$(info) ${head}`, detail: rest || undefined };
    }),
    { label: '$(output) Show the full report in the log', value: 'log', alwaysShow: true },
  ];
  for (;;) {
    const v = await pickStep(dlg.title, 1, `${info.inputs.length} input(s), ${info.outputs.length} output(s): continue to define a mode`, sigItems);
    if (v === undefined || v === 'go' || v === 'sam') return v;
    log.show(true);
  }
}

/** 2. Mode id, 3. label. */
export async function askNames(dlg: Dialogue, builtinIds: string[]): Promise<{ id: string; label: string } | undefined> {
  const { s } = dlg;
  const id = await inputStep(dlg.title, 2, {
    value: s.id,
    prompt: 'Mode id: what seglens.mode and the status bar show',
    placeholder: 'e.g. segformer-ade',
    validate: (v) => checkModeId(v, builtinIds),
  });
  if (id === undefined) return undefined;
  const label = await inputStep(dlg.title, 3, { value: s.label && s.label !== s.id ? s.label : id, prompt: 'Label: the name in the mode pickers', validate: (v) => (v ? undefined : 'Give a label.') });
  return label === undefined ? undefined : { id, label };
}

/** 4. What the output means (only the choices its channel count allows). */
export function askOutput(dlg: Dialogue): Promise<(typeof OUTPUT_CHOICES)[number] | undefined> {
  const { s, info, channels } = dlg;
  const fits = (c: (typeof OUTPUT_CHOICES)[number]) =>
    channels === undefined || (c.channels === 'one' ? channels === 1 : c.channels === 'two' ? channels === 2 : channels >= 2);
  return pickStep(
    dlg.title,
    4,
    `What does output '${s.outputName ?? info.outputs[0]?.name}' hold${channels !== undefined ? ` (${channels} channel${channels === 1 ? '' : 's'})` : ''}?`,
    OUTPUT_CHOICES.filter(fits).map((c) => ({
      label: c.label,
      description: c.task === s.task && c.kind === s.outputKind ? 'suggested' : undefined,
      detail: c.detail,
      value: c,
    })),
    (c) => c.task === s.task && c.kind === s.outputKind,
  );
}

/** 6. Normalisation. */
export function askNormalization(dlg: Dialogue): Promise<NormalizationPreset | undefined> {
  const { s } = dlg;
  return pickStep(
    dlg.title,
    6,
    'How the model expects pixel values (the file cannot say; see its preprocessing)',
    NORMALIZATION_CHOICES.map((n) => ({ label: n.label, description: [n.value, n.value === s.normalization ? 'suggested' : ''].filter(Boolean).join(' · '), detail: n.detail, value: n.value })),
    (v) => v === (s.normalization ?? 'imagenet'),
  );
}

/** The fixed [height, width] of the image input, when the file fixes both. */
function fixedInputSize(r: InspectModelResult): [number, number] | undefined {
  const input = r.inputs.find((i) => i.name === r.suggestion.inputName) ?? r.inputs[0];
  const s = input?.shape;
  if (!s || s.length !== 4) return undefined;
  const [h, w] = r.suggestion.inputLayout === 'NHWC' ? [s[1], s[2]] : [s[2], s[3]];
  return typeof h === 'number' && typeof w === 'number' ? [h, w] : undefined;
}

/** 7. Input size: the fixed one, or the size to run a dynamic model at. */
export async function askInputSize(dlg: Dialogue): Promise<UserInputSize | undefined> {
  const { s } = dlg;
  const fixed = fixedInputSize(dlg.info);
  const multipleOf = typeof s.inputSize === 'object' && !Array.isArray(s.inputSize) ? s.inputSize.multipleOf : undefined;
  const sizeText = await inputStep(dlg.title, 7, {
    value: formatInputSize(s.inputSize),
    prompt: fixed
      ? `Input size, height x width: the model's input is fixed at ${fixed[0]}x${fixed[1]}`
      : `Input size to run at, height x width${multipleOf ? ` (rounded to a multiple of ${multipleOf})` : ''}: the model takes any size; use the one it was trained at`,
    validate: (v) => {
      const r = parseInputSize(v, multipleOf);
      if (typeof r === 'object' && 'error' in r) return r.error;
      if (fixed && formatInputSize(r) !== formatInputSize(fixed)) return `The model's input is fixed at ${fixed[0]}x${fixed[1]}.`;
      return undefined;
    },
  });
  return sizeText === undefined ? undefined : (parseInputSize(sizeText, multipleOf) as UserInputSize);
}
