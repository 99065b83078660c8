// How a tensor's shape is printed, by the daemon's messages and the extension's Add Model alike.
import type { ModelTensorInfo } from './protocol';

/** [1, 3, 512, 512]: symbolic axes as quoted names, ? for an unknown axis. */
export function formatShape(shape: ModelTensorInfo['shape']): string {
  if (!shape) return '(unknown rank)';
  return `[${shape.map((d) => (d === null ? '?' : typeof d === 'string' ? `'${d}'` : String(d))).join(', ')}]`;
}
