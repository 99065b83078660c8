// The preview of an instance mode, as pure functions (no DOM, unit-tested): which instances
// are shown (the score slider and the class toggles), a colour per instance, the instance
// under a pixel, and the RGBA drawing of the instance-id map: each shown instance filled in its
// colour with its outline opaque, the highlighted one (hovered in the list or on the mask)
// filled opaque and the others faded. The id map is the daemon's `maskPng` (0 background).
import type { Rgb, SegmentInstance } from '../../daemon/api/protocol';
import { outline } from './inspect/threshold';

/** Ids shown at `minScore` with the classes `hidden` hidden: shown[id] = 1. */
export function shownTable(instances: readonly SegmentInstance[], minScore: number, hidden: readonly number[]): Uint8Array {
  const off = new Set(hidden);
  const shown = new Uint8Array(256);
  for (const inst of instances) if (inst.id > 0 && inst.id < 256 && inst.score >= minScore && !off.has(inst.class)) shown[inst.id] = 1;
  return shown;
}

/** The instances shown, in their order (best score first). */
export function shownInstances(instances: readonly SegmentInstance[], minScore: number, hidden: readonly number[]): SegmentInstance[] {
  const t = shownTable(instances, minScore, hidden);
  return instances.filter((i) => t[i.id] === 1);
}

/** A colour per instance id, far apart for neighbouring ids (hues a golden angle apart). */
export function instanceColour(id: number): Rgb {
  const h = (id * 137.508) % 360;
  return hsvToRgb(h, 0.75, 0.95);
}

function hsvToRgb(h: number, s: number, v: number): Rgb {
  const c = v * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = v - c;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/** The shown instance at pixel (x, y) of the id map, or 0 (background, hidden or outside). */
export function instanceAt(map: Uint8Array, width: number, height: number, shown: Uint8Array, x: number, y: number): number {
  if (!(x >= 0 && y >= 0 && x < width && y < height)) return 0;
  const id = map[Math.floor(y) * width + Math.floor(x)];
  return shown[id] ? id : 0;
}

/** The id map with the instances not shown set to 0 (what is drawn and outlined). */
export function visibleMap(map: Uint8Array, shown: Uint8Array): Uint8Array {
  const out = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = shown[map[i]] ? map[i] : 0;
  return out;
}

/** Alpha of a shown instance's fill: normal, highlighted, and the others while one is highlighted. */
export const FILL_ALPHA = { normal: 110, highlighted: 220, faded: 40 } as const;

export interface InstancePaint {
  shown: Uint8Array;
  /** The instance hovered in the list or on the mask (0: none). */
  highlight: number;
  /** Outline width in image pixels (0: no outline). */
  outlineWidth: number;
  /** Only the outlines, no fill (the "Outline" drawing). */
  outlineOnly: boolean;
}

/** The last id map drawn, with what is shown and its outline: a hover changes only the highlight, so they are kept. */
let memo: { map: Uint8Array; key: string; visible: Uint8Array; edge: Uint8Array | undefined } | undefined;

function drawnMap(map: Uint8Array, w: number, h: number, shown: Uint8Array, outlineWidth: number): { visible: Uint8Array; edge: Uint8Array | undefined } {
  const key = `${w}x${h}|${outlineWidth}|${shown.join('')}`;
  if (memo?.map !== map || memo.key !== key) {
    const visible = visibleMap(map, shown);
    memo = { map, key, visible, edge: outlineWidth > 0 ? outline(visible, w, h, outlineWidth) : undefined };
  }
  return memo;
}

/** RGBA of the id map: each shown instance in its colour, its outline opaque. */
export function paintInstances(map: Uint8Array, w: number, h: number, p: InstancePaint, out: Uint8ClampedArray): Uint8ClampedArray {
  const { visible, edge } = drawnMap(map, w, h, p.shown, p.outlineWidth);
  const colours: Rgb[] = [];
  for (let id = 1; id < 256; id++) colours[id] = instanceColour(id);
  const fill = p.outlineOnly ? 0 : p.highlight ? FILL_ALPHA.faded : FILL_ALPHA.normal;
  for (let i = 0; i < w * h; i++) {
    const id = visible[i];
    const o = i * 4;
    if (!id) {
      out[o + 3] = 0;
      continue;
    }
    // The outline is the inner border of each instance (where a neighbour is another id).
    const c = colours[id];
    out[o] = c[0];
    out[o + 1] = c[1];
    out[o + 2] = c[2];
    out[o + 3] = edge && edge[i] ? 255 : id === p.highlight ? FILL_ALPHA.highlighted : fill;
  }
  return out;
}

/** "#3 person 0.87" (the readout and the list's accessible name). */
export function instanceName(inst: SegmentInstance): string {
  return `#${inst.id} ${inst.label} ${inst.score.toFixed(2)}`;
}

/** Area in pixels, grouped ("12,345 px"). */
export function formatArea(area: number): string {
  return `${area.toLocaleString('en-US')} px`;
}

/** The list's keyboard: the next highlighted id for a key among `ids` (in list order), or undefined. */
export function moveHighlight(ids: readonly number[], current: number, key: string): number | undefined {
  if (!ids.length) return undefined;
  const at = ids.indexOf(current);
  switch (key) {
    case 'ArrowDown':
      return ids[at < 0 ? 0 : Math.min(ids.length - 1, at + 1)];
    case 'ArrowUp':
      return ids[at < 0 ? 0 : Math.max(0, at - 1)];
    case 'Home':
      return ids[0];
    case 'End':
      return ids[ids.length - 1];
    default:
      return undefined;
  }
}
