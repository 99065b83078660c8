// The legend of a semantic result, as pure functions (no DOM, unit-tested): entries by area,
// which classes are hidden (click), solo (alt/shift+click), and the colour table the canvas
// is painted from. Hidden classes are kept per mode (class ids mean different things in
// different modes) in the page state, so they survive the panel being hidden or restored.
import type { ClassInfo, Rgb } from '../../daemon/api/protocol';

/** Largest area first; equal areas by class id, so the order is stable between results. */
export function legendOrder(classes: readonly ClassInfo[]): ClassInfo[] {
  return [...classes].sort((a, b) => b.fraction - a.fraction || a.id - b.id);
}

/**
 * The classes with their shares of `mask` (an edited mask: the legend follows the edits). Binary:
 * foreground = sum(alpha) / 255 / N, as the daemon counts it; semantic: each class index's count / N.
 */
export function classShares(task: string, classes: readonly ClassInfo[], mask: Uint8Array): ClassInfo[] {
  const n = mask.length || 1;
  if (task === 'binary') {
    let sum = 0;
    for (let i = 0; i < mask.length; i++) sum += mask[i];
    const fg = sum / 255 / n;
    return classes.map((c) => ({ ...c, fraction: c.id === 0 ? 1 - fg : fg }));
  }
  const counts = new Float64Array(256);
  for (let i = 0; i < mask.length; i++) counts[mask[i]]++;
  return classes.map((c) => ({ ...c, fraction: (counts[c.id] ?? 0) / n }));
}

/** A class named background is not painted until the user asks for it (as before the legend). */
export function isBackground(c: ClassInfo): boolean {
  return /^(background|bg|_background_|__background__)$/i.test(c.label.trim());
}

/** The hidden ids when the user has not chosen: the background classes. */
export function defaultHidden(classes: readonly ClassInfo[]): number[] {
  return classes.filter(isBackground).map((c) => c.id);
}

/** The hidden ids for a mode: the user's choice if any, else the default. */
export function hiddenFor(saved: Record<string, number[]> | undefined, mode: string, classes: readonly ClassInfo[]): number[] {
  const h = saved?.[mode];
  return Array.isArray(h) ? h : defaultHidden(classes);
}

/** Click: hide a shown class, show a hidden one. */
export function toggle(hidden: readonly number[], id: number): number[] {
  return hidden.includes(id) ? hidden.filter((x) => x !== id) : [...hidden, id].sort((a, b) => a - b);
}

/** Only `id` is shown among `classes`. */
export function isSolo(hidden: readonly number[], classes: readonly ClassInfo[], id: number): boolean {
  return !hidden.includes(id) && classes.every((c) => c.id === id || hidden.includes(c.id));
}

/**
 * Alt/Shift+click: show only this class; on the class already shown alone, show all again.
 * Ids hidden that are not in this result (another image of the same mode) stay hidden.
 */
export function solo(hidden: readonly number[], classes: readonly ClassInfo[], id: number): number[] {
  if (isSolo(hidden, classes, id)) return showAll(hidden, classes);
  const here = new Set(classes.map((c) => c.id));
  const others = hidden.filter((x) => !here.has(x));
  return [...others, ...classes.filter((c) => c.id !== id).map((c) => c.id)].sort((a, b) => a - b);
}

/** "Show all": every class of this result shown (background included). */
export function showAll(hidden: readonly number[], classes: readonly ClassInfo[]): number[] {
  const here = new Set(classes.map((c) => c.id));
  return hidden.filter((x) => !here.has(x));
}

/**
 * Colour per mask value (0..255): the class's colour, or null when the value is not a class
 * of the result (no colour) or the class is hidden.
 */
export function colourTable(classes: readonly ClassInfo[], hidden: readonly number[]): (Rgb | null)[] {
  const table: (Rgb | null)[] = new Array(256).fill(null);
  const off = new Set(hidden);
  for (const c of classes) if (c.id >= 0 && c.id < 256 && !off.has(c.id)) table[c.id] = c.color;
  return table;
}

/** Percent with one decimal, but never "0.0%" for a class that is present. */
export function formatFraction(f: number): string {
  if (f > 0 && f < 0.001) return '<0.1%';
  return `${(f * 100).toFixed(1)}%`;
}
