// The preview's "vs ground truth" view, for images opened from the gallery: the daemon scores
// the preview's mask against the image's ground truth with the agreement map (seglens/score,
// `agreement: true`), which the page paints (media/webview/groundTruthView.ts). Instance modes
// against a COCO file: the gallery's agreement at IoU 0.5 (extension/gallery/instanceFolder.ts).
import type * as vscode from 'vscode';
import type { DaemonClient } from '../../daemon/api/client';
import { Score, SegmentResult } from '../../daemon/api/protocol';
import type { ToWebview } from '../../media/webview/shared/messages';
import type { GroundTruthOf } from './previewData';

export async function groundTruthMessage(
  client: DaemonClient | undefined,
  uri: vscode.Uri,
  r: SegmentResult,
  groundTruth: GroundTruthOf | undefined,
  log: vscode.LogOutputChannel,
): Promise<Extract<ToWebview, { type: 'groundTruth' }> | undefined> {
  const gt = uri.scheme === 'file' ? groundTruth?.(uri.fsPath) : undefined;
  if (typeof gt === 'object') return { type: 'groundTruth', path: uri.fsPath, instances: gt };
  if (!gt || !client) return undefined;
  try {
    const s = await client.request(Score, { mode: r.mode, prediction: { base64: r.maskPng }, groundTruth: { path: gt }, agreement: true });
    if (!s.agreementPng) return undefined;
    return { type: 'groundTruth', path: uri.fsPath, agreementPng: s.agreementPng, iou: s.iou, dice: s.dice, pixelAccuracy: s.pixelAccuracy };
  } catch (e) {
    log.warn(`preview: scoring ${uri.fsPath} against ${gt} failed: ${(e as Error).message}`);
    return undefined;
  }
}
