// Add Model… for a Segment Anything pair (issue 25): a prompt mode needs two files, the image
// encoder and the prompt decoder. Given one of them (or neither: the user chose "prompt model"),
// this asks for the other, has the daemon check the pair against the 'sam' contract
// (seglens/inspectModel with `encoder`), and shows what does not fit, naming the input or output.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { InspectModel } from '../../../daemon/api/protocol';
import type { InspectModelResult, UserModeDefinition } from '../../../daemon/api/protocol';
import type { DaemonSupervisor } from '../../daemon/daemonSupervisor';
import { askNames, Dialogue } from './steps';

/** Which part of a pair a file's declarations say it is (undefined: neither). */
export function samRole(info: Pick<InspectModelResult, 'inputs' | 'outputs' | 'suggestion'>): 'encoder' | 'decoder' | undefined {
  if (info.suggestion.task === 'prompt' || info.inputs.some((i) => i.name === 'point_coords')) return 'decoder';
  if (info.outputs.some((o) => o.name === 'image_embeddings')) return 'encoder';
  return undefined;
}

async function pickFile(title: string, openLabel: string): Promise<vscode.Uri | undefined> {
  const chosen = await vscode.window.showOpenDialog({ title, openLabel, canSelectMany: false, canSelectFolders: false, filters: { 'ONNX model': ['onnx'], 'All files': ['*'] } });
  const file = chosen?.[0];
  if (file && file.scheme !== 'file') throw new Error(`${file.toString()} is not a local file: the daemon loads models from the file system`);
  return file;
}

/** The two files: `known` (when its role is known) and the other one, asked for. */
async function askPair(known: { file: vscode.Uri; role: 'encoder' | 'decoder' } | undefined): Promise<{ encoder: vscode.Uri; decoder: vscode.Uri } | undefined> {
  const title = 'SegLens: Add Model — a Segment Anything pair';
  const encoder = known?.role === 'encoder' ? known.file : await pickFile(`${title}: choose the image encoder (output 'image_embeddings')`, 'Use as Encoder');
  if (!encoder) return undefined;
  const decoder = known?.role === 'decoder' ? known.file : await pickFile(`${title}: choose the prompt decoder (export_onnx_model.py's: point_coords, point_labels…)`, 'Use as Decoder');
  return decoder && { encoder, decoder };
}

/** The problems of a pair, as lines for the log and a message. */
export function pairProblems(info: InspectModelResult): string[] {
  if (!info.prompt) return ['the daemon did not check the pair (it predates prompt modes)'];
  return info.prompt.problems.map((p) => `${p.field === 'model' ? 'decoder' : p.field}: ${p.message}`);
}

/**
 * The pair's definition, or undefined when cancelled or when it does not fit (then the user is
 * told what is wrong, and the log has the details).
 */
export async function askSamPair(
  d: { supervisor: DaemonSupervisor; log: vscode.LogOutputChannel },
  known: { file: vscode.Uri; role: 'encoder' | 'decoder' } | undefined,
  builtinIds: string[],
): Promise<UserModeDefinition | undefined> {
  const pair = await askPair(known);
  if (!pair) return undefined;
  const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'SegLens: checking the encoder and decoder…' }, async () =>
    (await d.supervisor.ensureClient()).request(InspectModel, { path: pair.decoder.fsPath, encoder: pair.encoder.fsPath }),
  );
  const problems = pairProblems(info);
  if (!info.prompt?.fits) {
    d.log.warn(`Add Model: ${pair.encoder.fsPath} + ${pair.decoder.fsPath} do not fit the Segment Anything contract:\n  ${problems.join('\n  ')}`);
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more: see the log)` : '';
    void vscode.window.showErrorMessage(`SegLens: this encoder and decoder do not fit a prompt mode: ${problems[0]}${more}. docs/models.md says how to export a pair that fits.`, 'Show Log').then((c) => {
      if (c) d.log.show(true);
    });
    return undefined;
  }
  d.log.info(`Add Model: ${path.basename(pair.encoder.fsPath)} + ${path.basename(pair.decoder.fsPath)} fit the Segment Anything contract`);
  const dlg: Dialogue = { title: `SegLens: Add Model — ${path.basename(pair.decoder.fsPath)} (prompt mode)`, info, s: info.suggestion, channels: undefined };
  const names = await askNames(dlg, builtinIds);
  if (!names) return undefined;
  return { ...info.suggestion, ...names, task: 'prompt', outputFormat: 'sam', encoder: info.prompt.encoder, model: info.path };
}
