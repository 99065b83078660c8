// What the model says at one pixel, as pure functions (unit-tested): the class and the value
// (binary: the matte's alpha, the foreground probability; semantic: the top class's
// confidence when the daemon sent `confidencePng`), and the sentence shown and announced.
import type { ClassInfo, SegmentInstance, Task } from '../../../daemon/api/protocol';
import { instanceAt, instanceName } from '../instanceView';
import { thresholdByte } from './threshold';

export interface MaskData {
  task: Task;
  classes: ClassInfo[];
  width: number;
  height: number;
  /** One byte per pixel: alpha (binary) or class index (semantic). */
  mask: Uint8Array;
  /** Semantic: the top class's probability x 255 per pixel, when asked for. */
  confidence?: Uint8Array;
  /** Instance modes: the instances (the mask holds their ids) and which are shown (shown[id] = 1). */
  instances?: SegmentInstance[];
  shown?: Uint8Array;
}

export interface Readout {
  x: number;
  y: number;
  classId: number;
  label: string;
  /** 0..1: the foreground probability (binary) or the top class's confidence (semantic). */
  value?: number;
  valueKind?: 'foreground' | 'confidence';
  /** Instance modes: the shown instance under the pixel. */
  instance?: SegmentInstance;
}

const labelFor = (classes: readonly ClassInfo[], id: number) => classes.find((c) => c.id === id)?.label ?? `class ${id}`;

/** The readout at pixel (x, y), or undefined outside the mask. `t`: the binary threshold. */
export function readoutAt(m: MaskData, x: number, y: number, t: number): Readout | undefined {
  if (!(x >= 0 && y >= 0 && x < m.width && y < m.height)) return undefined;
  const i = Math.floor(y) * m.width + Math.floor(x);
  const v = m.mask[i];
  if (m.task === 'instance') {
    const id = m.shown ? instanceAt(m.mask, m.width, m.height, m.shown, x, y) : v;
    const inst = id ? m.instances?.find((k) => k.id === id) : undefined;
    return inst ? { x, y, classId: inst.class, label: inst.label, instance: inst } : { x, y, classId: -1, label: 'background' };
  }
  if (m.task === 'binary') {
    const fg = v >= thresholdByte(t);
    const id = fg ? 1 : 0;
    return { x, y, classId: id, label: labelFor(m.classes, id), value: v / 255, valueKind: 'foreground' };
  }
  const r: Readout = { x, y, classId: v, label: labelFor(m.classes, v) };
  if (m.confidence) {
    r.value = m.confidence[i] / 255;
    r.valueKind = 'confidence';
  }
  return r;
}

/** "x 120, y 45 · foreground · p(foreground) 0.87" (the same words are announced). */
export function formatReadout(r: Readout | undefined): string {
  if (!r) return 'outside the image';
  if (r.instance) return [`x ${r.x}, y ${r.y}`, `instance ${instanceName(r.instance)}`, `area ${r.instance.area} px`].join(' · ');
  const parts = [`x ${r.x}, y ${r.y}`, r.label];
  if (r.value !== undefined) parts.push(`${r.valueKind === 'foreground' ? 'p(foreground)' : 'confidence'} ${r.value.toFixed(2)}`);
  return parts.join(' · ');
}
