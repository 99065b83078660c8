// Tile pictures: the daemon's thumbnail with its mask painted over it (the preview's painting
// code), kept as small canvases in a bounded LRU so memory stays flat over any folder size.
import type { ClassInfo, Task } from '../../../daemon/api/protocol';
import { paintInstances } from '../instanceView';
import { colourTable, defaultHidden } from '../legend';
import { decodeMask, foregroundColour } from '../mask';
import { paintClasses, paintMatte } from '../inspect/threshold';
import type { GalleryClass, ThumbPayload } from '../shared/galleryMessages';

/** Composed tiles kept; the grid shows far fewer, so scrolling back rarely asks again. */
const KEEP = 400;
const MASK_OPACITY = 0.5;
/** Tiles show every instance the mode kept (the preview's slider is the preview's). */
const ALL_INSTANCES = new Uint8Array(256).fill(1, 1);

export class ThumbStore {
  private readonly done = new Map<number, HTMLCanvasElement>();
  private readonly pending = new Set<number>();
  private classes: ClassInfo[] = [];
  private task: Task = 'binary';

  setMode(task: Task, classes: GalleryClass[]): void {
    this.task = task;
    this.classes = classes.map((c) => ({ ...c, fraction: 0 }));
    this.clear();
  }

  get(i: number): HTMLCanvasElement | undefined {
    const c = this.done.get(i);
    if (c) {
      // Most recently used last: the first key is the one to drop.
      this.done.delete(i);
      this.done.set(i, c);
    }
    return c;
  }

  /** Not composed and not on its way. */
  missing(i: number): boolean {
    return !this.done.has(i) && !this.pending.has(i);
  }

  asked(indices: number[]): void {
    for (const i of indices) this.pending.add(i);
  }

  forget(i: number): void {
    this.done.delete(i);
    this.pending.delete(i);
  }

  clear(): void {
    this.done.clear();
    this.pending.clear();
  }

  async add(t: ThumbPayload): Promise<HTMLCanvasElement> {
    const bytes = Uint8Array.from(atob(t.image), (ch) => ch.charCodeAt(0));
    const [picture, mask] = await Promise.all([createImageBitmap(new Blob([bytes], { type: t.mimeType })), decodeMask(t.mask)]);
    const c = document.createElement('canvas');
    c.width = t.width;
    c.height = t.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(picture, 0, 0, t.width, t.height);
    picture.close();
    const overlay = new ImageData(mask.width, mask.height);
    if (this.task === 'binary') paintMatte(mask.data, mask.width, mask.height, foregroundColour(this.classes), 'soft', 0.5, 1, overlay.data);
    else if (this.task === 'instance') paintInstances(mask.data, mask.width, mask.height, { shown: ALL_INSTANCES, highlight: 0, outlineWidth: 1, outlineOnly: false }, overlay.data);
    else paintClasses(mask.data, mask.width, mask.height, colourTable(this.classes, defaultHidden(this.classes)), overlay.data);
    const layer = document.createElement('canvas');
    layer.width = mask.width;
    layer.height = mask.height;
    layer.getContext('2d')!.putImageData(overlay, 0, 0);
    ctx.globalAlpha = MASK_OPACITY;
    ctx.drawImage(layer, 0, 0, t.width, t.height);
    this.pending.delete(t.i);
    this.done.set(t.i, c);
    while (this.done.size > KEEP) this.done.delete(this.done.keys().next().value as number);
    return c;
  }
}
