// "SegLens: Add Model…": an .onnx file → seglens/inspectModel → what it declares and what the
// daemon could not tell → a few quick picks and input boxes prefilled from its suggestion → a
// definition in the user's seglens.customModels → defineModes → "Switch to It" / "Preview with It".
// Escape at any step cancels and changes nothing. The answers → definition part is pure
// (../modeDefinitions.ts); the steps are steps.ts and labelsStep.ts; this file runs them.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { UserModeDefinition } from '../../../daemon/api/protocol';
import { SECTION, storeMode } from '../../config';
import type { DaemonSupervisor } from '../../daemon/daemonSupervisor';
import { CUSTOM_MODELS_KEY, type CustomModels } from '../customModels';
import { buildDefinition, describeDefinitionError, LabelChoice, outputClassCount, signatureLines, upsertDefinition } from '../modeDefinitions';
import type { ModelStore } from '../modelStore';
import { askLabels } from './labelsStep';
import { askSamPair, samRole } from './samPair';
import { pickStep, STEPS } from './quickInput';
import { askInputSize, askNames, askNormalization, askOutput, Dialogue, reviewSignature } from './steps';

export interface AddModelDeps {
  supervisor: DaemonSupervisor;
  store: ModelStore;
  custom: CustomModels;
  log: vscode.LogOutputChannel;
}

/** Runs the dialogue; the definition written, or undefined when cancelled or refused. */
export async function addModel(d: AddModelDeps, arg?: unknown): Promise<UserModeDefinition | undefined> {
  if (!vscode.workspace.isTrusted) return refuseUntrusted();
  const file = await chooseModelFile(arg);
  if (!file) return undefined;
  const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'SegLens: reading the model…' }, async () =>
    (await d.supervisor.ensureClient()).inspectModel(file.fsPath),
  );
  d.log.info(`Add Model: what ${info.path} declares:\n  ${signatureLines(info).join('\n  ')}`);
  const dlg: Dialogue = { title: `SegLens: Add Model — ${path.basename(info.path)}`, info, s: info.suggestion, channels: outputClassCount(info) };
  // Half of a Segment Anything pair (issue 25): both files, checked against the contract.
  const role = samRole(info);
  const builtinIds = d.store.modeInfos.filter((m) => !m.custom).map((m) => m.id);
  const def = role ? await askSamPair(d, { file, role }, builtinIds) : await askDefinition(d, dlg, builtinIds);
  if (!def) return undefined;
  const saved = await saveDefinition(def, () => confirmReplace(dlg, def.id), d.log);
  if (saved === undefined) return undefined;
  const result = await d.custom.sync();
  const errors = result?.errors.filter((e) => e.id === def.id) ?? [];
  if (errors.length) {
    // customModels.ts has shown them too; this says what became of this dialogue.
    void vscode.window.showWarningMessage(`SegLens: '${def.id}' was saved in seglens.customModels but the daemon refused it: ${describeDefinitionError(errors[0])}`, 'Open Settings').then((c) => {
      if (c) void vscode.commands.executeCommand('workbench.action.openSettingsJson', { revealSetting: { key: `${SECTION}.${CUSTOM_MODELS_KEY}` } });
    });
  } else offerToUse(def, saved.replaced);
  return def;
}

async function refuseUntrusted(): Promise<undefined> {
  const c = await vscode.window.showWarningMessage(
    'SegLens: Add Model… is not available in an untrusted workspace: custom models name files the daemon loads. Trust the workspace first.',
    'Manage Workspace Trust',
  );
  if (c) void vscode.commands.executeCommand('workbench.trust.manage');
  return undefined;
}

/** The file given (Explorer's context menu) or chosen in an open dialogue; local files only. */
async function chooseModelFile(arg: unknown): Promise<vscode.Uri | undefined> {
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
  if (file && file.scheme !== 'file') throw new Error(`${file.toString()} is not a local file: the daemon loads models from the file system`);
  return file;
}

/** Steps 1 to 7; the definition they describe, or undefined at the first Escape. */
async function askDefinition(d: AddModelDeps, dlg: Dialogue, builtinIds: string[]): Promise<UserModeDefinition | undefined> {
  const go = await reviewSignature(dlg, d.log);
  if (go === 'sam') {
    const role = await pickStep<'encoder' | 'decoder'>(dlg.title, 1, `${path.basename(dlg.info.path)} is the pair's…`, [
      { label: 'Image encoder', description: "its output: 'image_embeddings'", value: 'encoder' },
      { label: 'Prompt decoder', description: "export_onnx_model.py's: point_coords, point_labels…", value: 'decoder' },
    ]);
    return role && askSamPair(d, { file: vscode.Uri.file(dlg.info.path), role }, builtinIds);
  }
  if (!go) return undefined;
  const names = await askNames(dlg, builtinIds);
  if (!names) return undefined;
  const output = await askOutput(dlg);
  if (!output) return undefined;
  let labels: LabelChoice | undefined;
  if (output.task === 'semantic') {
    labels = await askLabels(dlg);
    if (!labels) return undefined;
  }
  const normalization = await askNormalization(dlg);
  if (!normalization) return undefined;
  const inputSize = await askInputSize(dlg);
  if (!inputSize) return undefined;
  return buildDefinition(dlg.info, { ...names, task: output.task, outputKind: output.kind, labels, normalization, inputSize });
}

/** Asks whether to replace the definition of `id` the setting has already. */
async function confirmReplace(dlg: Dialogue, id: string): Promise<boolean> {
  const ok = await pickStep(dlg.title, STEPS, `seglens.customModels already defines '${id}'`, [
    { label: `Replace '${id}'`, value: true },
    { label: 'Cancel', value: false },
  ]);
  return ok === true;
}

/** The user's seglens.customModels as it is now (a fresh read: getConfiguration is a snapshot). */
const userCustomModels = (): unknown[] => vscode.workspace.getConfiguration(SECTION).inspect<unknown[]>(CUSTOM_MODELS_KEY)?.globalValue ?? [];

/**
 * Writes the definition to the user's seglens.customModels; an existing id only when `confirm`
 * says so. The setting is read again right before the write and the definition applied to that
 * value: an edit made while the question was open (Settings UI, another window) is kept.
 */
export async function saveDefinition(def: UserModeDefinition, confirm: () => Promise<boolean>, log: Pick<vscode.LogOutputChannel, 'info'>): Promise<{ replaced: boolean } | undefined> {
  if (upsertDefinition(userCustomModels(), def).replaced && !(await confirm())) return undefined;
  const { list, replaced } = upsertDefinition(userCustomModels(), def);
  await vscode.workspace.getConfiguration(SECTION).update(CUSTOM_MODELS_KEY, list, vscode.ConfigurationTarget.Global);
  log.info(`Add Model: ${replaced ? 'replaced' : 'added'} ${JSON.stringify(def)} in the user setting seglens.customModels`);
  return { replaced };
}

function offerToUse(def: UserModeDefinition, replaced: boolean): void {
  const id = def.id;
  void vscode.window.showInformationMessage(`SegLens: mode '${id}' (${def.label}) ${replaced ? 'replaced' : 'added'}; it is in the mode picker.`, 'Switch to It', 'Preview with It').then(async (c) => {
    if (c === 'Switch to It') void vscode.commands.executeCommand('seglens.switchMode', id);
    else if (c === 'Preview with It') {
      await storeMode(id);
      void vscode.commands.executeCommand('seglens.preview');
    }
  });
}
