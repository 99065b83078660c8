// "SegLens: Add Model…": an .onnx file → seglens/inspectModel → what it declares and what the
// daemon could not tell → a few quick picks and input boxes prefilled from its suggestion → a
// definition in the user's seglens.customModels → defineModes → "Switch to It" / "Preview with It".
// Escape at any step cancels and changes nothing. The answers → definition part is pure
// (modeDefinitions.ts); this file is the dialogue.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PRESET_NAMES, PRESETS } from '../../daemon/api/presets';
import type { InspectModelResult, LabelPresetName, NormalizationPreset, OutputKindName, Task, UserInputSize, UserModeDefinition } from '../../daemon/api/protocol';
import { SECTION, storeMode } from '../config';
import { CUSTOM_MODELS_KEY, type CustomModels } from './customModels';
import type { DaemonSupervisor } from '../daemon/daemonSupervisor';
import {
  buildDefinition,
  checkModeId,
  describeDefinitionError,
  formatInputSize,
  LabelChoice,
  outputClassCount,
  parseInputSize,
  parseLabelList,
  signatureLines,
  upsertDefinition,
} from './modeDefinitions';
import type { ModelStore } from './modelStore';

export interface AddModelDeps {
  supervisor: DaemonSupervisor;
  store: ModelStore;
  custom: CustomModels;
  log: vscode.LogOutputChannel;
}

const STEPS = 7;

type Item<T> = vscode.QuickPickItem & { value?: T };

/** One quick pick step; rows without a value are information and do not end the step. */
function pickStep<T>(title: string, step: number, placeholder: string, items: Item<T>[], active?: (v: T) => boolean): Promise<T | undefined> {
  const pick = vscode.window.createQuickPick<Item<T>>();
  pick.title = title;
  pick.step = step;
  pick.totalSteps = STEPS;
  pick.placeholder = placeholder;
  pick.items = items;
  pick.ignoreFocusOut = true; // reading the log or the file beside must not cancel the dialogue
  pick.matchOnDescription = true;
  const first = items.find((i) => i.value !== undefined && (active ? active(i.value) : true));
  if (first) pick.activeItems = [first];
  return new Promise((resolve) => {
    let done = false;
    pick.onDidAccept(() => {
      const v = pick.activeItems[0]?.value;
      if (v === undefined) return;
      done = true;
      resolve(v);
      pick.hide();
    });
    pick.onDidHide(() => {
      if (!done) resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
}

/** One input box step, with the value checked as it is typed. */
function inputStep(title: string, step: number, o: { value: string; prompt: string; placeholder?: string; validate: (v: string) => string | undefined }): Promise<string | undefined> {
  const box = vscode.window.createInputBox();
  box.title = title;
  box.step = step;
  box.totalSteps = STEPS;
  box.value = o.value;
  box.prompt = o.prompt;
  box.placeholder = o.placeholder;
  box.ignoreFocusOut = true;
  box.validationMessage = o.validate(o.value);
  return new Promise((resolve) => {
    let done = false;
    box.onDidChangeValue((v) => (box.validationMessage = o.validate(v.trim())));
    box.onDidAccept(() => {
      const v = box.value.trim();
      const problem = o.validate(v);
      box.validationMessage = problem;
      if (problem) return;
      done = true;
      resolve(v);
      box.hide();
    });
    box.onDidHide(() => {
      if (!done) resolve(undefined);
      box.dispose();
    });
    box.show();
  });
}

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

function sameSize(a: UserInputSize | undefined, b: UserInputSize): boolean {
  return formatInputSize(a) === formatInputSize(b);
}

/** The fixed [height, width] of the image input, when the file fixes both. */
function fixedInputSize(r: InspectModelResult): [number, number] | undefined {
  const input = r.inputs.find((i) => i.name === r.suggestion.inputName) ?? r.inputs[0];
  const s = input?.shape;
  if (!s || s.length !== 4) return undefined;
  const [h, w] = r.suggestion.inputLayout === 'NHWC' ? [s[1], s[2]] : [s[2], s[3]];
  return typeof h === 'number' && typeof w === 'number' ? [h, w] : undefined;
}

/** Runs the dialogue; the definition written, or undefined when cancelled or refused. */
export async function addModel(d: AddModelDeps, arg?: unknown): Promise<UserModeDefinition | undefined> {
  if (!vscode.workspace.isTrusted) {
    const c = await vscode.window.showWarningMessage(
      'SegLens: Add Model… is not available in an untrusted workspace: custom models name files the daemon loads. Trust the workspace first.',
      'Manage Workspace Trust',
    );
    if (c) void vscode.commands.executeCommand('workbench.trust.manage');
    return undefined;
  }
  let file = arg instanceof vscode.Uri ? arg : undefined;
  if (!file) {
    const chosen = await vscode.window.showOpenDialog({
      title: 'SegLens: Add Model…',
      openLabel: 'Inspect Model',
      canSelectMany: false,
      canSelectFolders: false,
      filters: { 'ONNX model': ['onnx'], 'All files': ['*'] },
    });
    file = chosen?.[0];
  }
  if (!file) return undefined;
  if (file.scheme !== 'file') throw new Error(`${file.toString()} is not a local file: the daemon loads models from the file system`);

  const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'SegLens: reading the model…' }, async () =>
    (await d.supervisor.ensureClient()).inspectModel(file!.fsPath),
  );
  d.log.info(`Add Model: what ${info.path} declares:\n  ${signatureLines(info).join('\n  ')}`);
  const s = info.suggestion;
  const name = path.basename(info.path);
  const title = `SegLens: Add Model — ${name}`;

  // 1. What the file declares, and what the daemon had to assume.
  const t = (x: InspectModelResult['inputs'][number]) => `${x.type} [${(x.shape ?? ['?']).map((v) => (v === null ? '?' : v)).join(',')}]`;
  const sigItems: Item<'go' | 'log'>[] = [
    { label: '$(arrow-right) Continue', description: 'define a mode for this model', value: 'go', alwaysShow: true },
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
    const v = await pickStep(title, 1, `${info.inputs.length} input(s), ${info.outputs.length} output(s): continue to define a mode`, sigItems);
    if (v === undefined) return undefined;
    if (v === 'go') break;
    d.log.show(true);
  }

  // 2. Mode id, 3. label.
  const builtinIds = d.store.modeInfos.filter((m) => !m.custom).map((m) => m.id);
  const id = await inputStep(title, 2, {
    value: s.id,
    prompt: 'Mode id: what seglens.mode and the status bar show',
    placeholder: 'e.g. segformer-ade',
    validate: (v) => checkModeId(v, builtinIds),
  });
  if (id === undefined) return undefined;
  const label = await inputStep(title, 3, { value: s.label && s.label !== s.id ? s.label : id, prompt: 'Label: the name in the mode pickers', validate: (v) => (v ? undefined : 'Give a label.') });
  if (label === undefined) return undefined;

  // 4. What the output means.
  const channels = outputClassCount(info);
  const fits = (c: (typeof OUTPUT_CHOICES)[number]) =>
    channels === undefined || (c.channels === 'one' ? channels === 1 : c.channels === 'two' ? channels === 2 : channels >= 2);
  const output = await pickStep(
    title,
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
  if (!output) return undefined;

  // 5. Class labels (semantic).
  let labels: LabelChoice | undefined;
  if (output.task === 'semantic') {
    type L = { kind: 'preset'; preset: LabelPresetName } | { kind: 'generic' } | { kind: 'custom' };
    const suggested: L = typeof s.labels === 'string' ? { kind: 'preset', preset: s.labels } : Array.isArray(s.labels) && !s.labels.every((l, i) => l === `class ${i}`) ? { kind: 'custom' } : { kind: 'generic' };
    const isSuggested = (l: L) => l.kind === suggested.kind && (l.kind !== 'preset' || (suggested.kind === 'preset' && l.preset === suggested.preset));
    const presetItems: Item<L>[] = PRESET_NAMES.map((p) => {
      const n = PRESETS[p].labels.length;
      const fitNote = channels === undefined ? `${n} classes` : channels === n ? `${n} classes, as the model` : `${n} classes, the model has ${channels}`;
      return { label: PRESETS[p].title, description: [p, fitNote, isSuggested({ kind: 'preset', preset: p }) ? 'suggested' : ''].filter(Boolean).join(' · '), value: { kind: 'preset', preset: p } };
    });
    const choice = await pickStep<L>(
      title,
      5,
      'Class names, in output-channel order',
      [
        ...presetItems,
        { label: 'Generic names', description: `class 0, class 1, …${isSuggested({ kind: 'generic' }) ? ' · suggested' : ''}`, value: { kind: 'generic' } },
        { label: 'Type the names…', description: `comma-separated${isSuggested({ kind: 'custom' }) ? ' · suggested' : ''}`, value: { kind: 'custom' } },
      ],
      isSuggested,
    );
    if (!choice) return undefined;
    if (choice.kind === 'preset') labels = choice;
    else if (choice.kind === 'generic') {
      const n = await inputStep(title, 5, {
        value: String(channels ?? (Array.isArray(s.labels) ? s.labels.length : 2)),
        prompt: 'How many classes?',
        validate: (v) => {
          const k = Number(v);
          if (!/^\d+$/.test(v) || k < 1 || k > 256) return 'A whole number from 1 to 256.';
          return channels !== undefined && k !== channels ? `The model has ${channels} output classes.` : undefined;
        },
      });
      if (n === undefined) return undefined;
      labels = { kind: 'generic', count: Number(n) };
    } else {
      const text = await inputStep(title, 5, {
        value: Array.isArray(s.labels) && suggested.kind === 'custom' ? s.labels.join(', ') : '',
        prompt: `Class names separated by commas, in output-channel order${channels !== undefined ? ` (${channels})` : ''}`,
        placeholder: 'background, person, car',
        validate: (v) => {
          const r = parseLabelList(v, channels);
          return Array.isArray(r) ? undefined : r.error;
        },
      });
      if (text === undefined) return undefined;
      labels = { kind: 'custom', names: parseLabelList(text) as string[] };
    }
  }

  // 6. Normalisation.
  const normalization = await pickStep(
    title,
    6,
    'How the model expects pixel values (the file cannot say; see its preprocessing)',
    NORMALIZATION_CHOICES.map((n) => ({ label: n.label, description: [n.value, n.value === s.normalization ? 'suggested' : ''].filter(Boolean).join(' · '), detail: n.detail, value: n.value })),
    (v) => v === (s.normalization ?? 'imagenet'),
  );
  if (!normalization) return undefined;

  // 7. Input size.
  const fixed = fixedInputSize(info);
  const multipleOf = typeof s.inputSize === 'object' && !Array.isArray(s.inputSize) ? s.inputSize.multipleOf : undefined;
  const sizeText = await inputStep(title, 7, {
    value: formatInputSize(s.inputSize),
    prompt: fixed
      ? `Input size, height x width: the model's input is fixed at ${fixed[0]}x${fixed[1]}`
      : `Input size to run at, height x width${multipleOf ? ` (rounded to a multiple of ${multipleOf})` : ''}: the model takes any size; use the one it was trained at`,
    validate: (v) => {
      const r = parseInputSize(v, multipleOf);
      if (typeof r === 'object' && 'error' in r) return r.error;
      if (fixed && !sameSize(r, fixed)) return `The model's input is fixed at ${fixed[0]}x${fixed[1]}.`;
      return undefined;
    },
  });
  if (sizeText === undefined) return undefined;
  const inputSize = parseInputSize(sizeText, multipleOf) as UserInputSize;

  const def = buildDefinition(info, { id, label, task: output.task, outputKind: output.kind, labels, normalization, inputSize });

  // Replace an existing definition of the same id only when the user says so.
  const config = vscode.workspace.getConfiguration(SECTION);
  const current = config.inspect<unknown[]>(CUSTOM_MODELS_KEY)?.globalValue ?? [];
  const { list, replaced } = upsertDefinition(current, def);
  if (replaced) {
    const ok = await pickStep(title, STEPS, `seglens.customModels already defines '${id}'`, [
      { label: `Replace '${id}'`, value: true },
      { label: 'Cancel', value: false },
    ]);
    if (!ok) return undefined;
  }
  await config.update(CUSTOM_MODELS_KEY, list, vscode.ConfigurationTarget.Global);
  d.log.info(`Add Model: ${replaced ? 'replaced' : 'added'} ${JSON.stringify(def)} in the user setting seglens.customModels`);
  const result = await d.custom.sync();
  const errors = result?.errors.filter((e) => e.id === id) ?? [];
  if (errors.length) {
    // customModels.ts has shown them too; this says what became of this dialogue.
    void vscode.window.showWarningMessage(`SegLens: '${id}' was saved in seglens.customModels but the daemon refused it: ${describeDefinitionError(errors[0])}`, 'Open Settings').then((c) => {
      if (c) void vscode.commands.executeCommand('workbench.action.openSettingsJson', { revealSetting: { key: `${SECTION}.${CUSTOM_MODELS_KEY}` } });
    });
    return def;
  }
  void vscode.window.showInformationMessage(`SegLens: mode '${id}' (${label}) ${replaced ? 'replaced' : 'added'}; it is in the mode picker.`, 'Switch to It', 'Preview with It').then(async (c) => {
    if (c === 'Switch to It') void vscode.commands.executeCommand('seglens.switchMode', id);
    else if (c === 'Preview with It') {
      await storeMode(id);
      void vscode.commands.executeCommand('seglens.preview');
    }
  });
  return def;
}
