// An engine output as the protocol answers it: its binary parts base64-encoded (kept apart from
// params.ts, which checks what comes in).
import { round1 } from '../api/numbers';
import type { SegmentResult } from '../api/protocol';
import type { SegmentOutput } from '../engine/engine';

/** The optional result fields (confidence map, display image) of an engine output, base64-encoded. */
export function segmentExtras(out: SegmentOutput): Pick<SegmentResult, 'confidencePng' | 'displayImage' | 'thumbnail'> {
  const extras: Pick<SegmentResult, 'confidencePng' | 'displayImage' | 'thumbnail'> = {};
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  if (out.thumbnail) {
    const { image, mimeType, mask, width, height } = out.thumbnail;
    extras.thumbnail = { image: b64(image), mimeType, mask: b64(mask), width, height };
  }
  if (out.confidencePng) extras.confidencePng = Buffer.from(out.confidencePng).toString('base64');
  if (out.display) {
    const { bytes, mimeType, width, height, encodeMs } = out.display;
    extras.displayImage = { data: Buffer.from(bytes).toString('base64'), mimeType, width, height, encodeMs: round1(encodeMs) };
  }
  return extras;
}
