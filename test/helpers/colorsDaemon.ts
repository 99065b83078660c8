// A real daemon with the tests' colour classifier (buildModels.ts) defined as user mode 'colors'
// and warm: cheap inferences with known masks, for the folder tests (issue 15).
import assert from 'node:assert/strict';
import { DaemonClient } from '../../daemon/api/client';
import * as P from '../../daemon/api/protocol';
import { COLOR_CLASS_LABELS, colorClassesModel, writeModel } from './buildModels';
import { ExtraArgs, ListeningDaemon, metric, startListening } from './daemonProcess';

export const COLORS_H = 48;
export const COLORS_W = 64;

export async function startColorsDaemon(
  dir: string,
  name: string,
  extra: { args?: ExtraArgs; env?: NodeJS.ProcessEnv } = {},
): Promise<{ daemon: ListeningDaemon; client: DaemonClient; inferences: () => Promise<number> }> {
  const model = writeModel(dir, 'colors.onnx', colorClassesModel({ layout: 'NCHW', kind: 'logits', size: [COLORS_H, COLORS_W] }));
  const daemon = await startListening(extra.args, { env: extra.env });
  const client = await daemon.connect(name);
  const def: P.UserModeDefinition = { id: 'colors', model, inputName: 'image', inputSize: [COLORS_H, COLORS_W], normalization: 'zero-one', labels: COLOR_CLASS_LABELS };
  assert.deepEqual((await client.request(P.DefineModes, { modes: [def] })).errors, []);
  await client.ensureReady('colors');
  const inferences = async () => metric((await client.metrics()).text, 'seglens_inference_duration_seconds_count', { mode: 'colors' });
  return { daemon, client, inferences };
}
