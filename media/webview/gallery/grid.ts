// The virtualised grid: a sizer as tall as all rows, and only the tiles of the rows in view
// (plus one either side) in the DOM, recycled as the view scrolls. Keyboard: arrows, Home/End,
// PageUp/PageDown move the active tile; Enter opens it.
import type { TileInfo } from '../shared/galleryMessages';
import { visibleRange } from '../shared/galleryOrder';
import type { ThumbStore } from './thumbs';

const GAP = 8;
const CAPTION = 40;

export interface GridEvents {
  open(i: number): void;
  /** The tile's mask in the refine editor: its ground truth, or the prediction as the first one (E, or the tile's pencil). */
  refine(i: number): void;
  /** Tiles now visible whose thumbnails are missing. */
  need(indices: number[]): void;
}

export class Grid {
  private order: number[] = [];
  private tiles: TileInfo[] = [];
  private readonly sizer = document.createElement('div');
  private readonly shown = new Map<number, HTMLElement>();
  private active = 0;
  private columns = 1;

  constructor(
    private readonly root: HTMLElement,
    private readonly thumbs: ThumbStore,
    private readonly tileSize: number,
    private readonly events: GridEvents,
  ) {
    this.sizer.className = 'sizer';
    root.appendChild(this.sizer);
    root.addEventListener('scroll', () => this.render());
    new ResizeObserver(() => this.render()).observe(root);
    root.addEventListener('keydown', (e) => this.onKey(e));
    root.addEventListener('click', (e) => {
      const el = (e.target as HTMLElement).closest<HTMLElement>('.tile');
      if (!el) return;
      this.setActive(this.order.indexOf(Number(el.dataset.i)));
      if ((e.target as HTMLElement).closest('.trefine')) this.events.refine(Number(el.dataset.i));
      else this.events.open(Number(el.dataset.i));
    });
  }

  get rowHeight(): number {
    return this.tileSize + CAPTION + GAP;
  }

  /** The order shown changed (sort, filter) or tiles were updated. */
  update(tiles: TileInfo[], order: number[]): void {
    const activeTile = this.order[this.active];
    this.tiles = tiles;
    this.order = order;
    const at = order.indexOf(activeTile);
    this.active = at >= 0 ? at : 0;
    for (const el of this.shown.values()) el.remove();
    this.shown.clear();
    this.render();
  }

  /** A tile's state or picture changed: redraw it if it is in view. */
  refresh(i: number): void {
    const el = this.shown.get(i);
    if (el) this.fill(el, this.tiles[i]);
  }

  render(): void {
    const width = this.root.clientWidth;
    this.columns = Math.max(1, Math.floor((width + GAP) / (this.tileSize + GAP)));
    const rows = Math.ceil(this.order.length / this.columns);
    this.sizer.style.height = `${rows * this.rowHeight}px`;
    const { first, last } = visibleRange(this.root.scrollTop, this.root.clientHeight, this.rowHeight, this.columns, this.order.length);
    const wanted = new Set(this.order.slice(first, last));
    for (const [i, el] of this.shown) {
      if (!wanted.has(i)) {
        el.remove();
        this.shown.delete(i);
      }
    }
    const need: number[] = [];
    for (let k = first; k < last; k++) {
      const i = this.order[k];
      let el = this.shown.get(i);
      if (!el) {
        el = this.create(i);
        this.shown.set(i, el);
        this.sizer.appendChild(el);
      }
      el.style.transform = `translate(${(k % this.columns) * (this.tileSize + GAP)}px, ${Math.floor(k / this.columns) * this.rowHeight}px)`;
      el.setAttribute('aria-selected', String(k === this.active));
      el.classList.toggle('active', k === this.active);
      const t = this.tiles[i];
      if (t && (t.state === 'done' || (t.state === 'failed' && t.ms !== undefined)) && this.thumbs.missing(i)) need.push(i);
    }
    this.root.setAttribute('aria-activedescendant', `tile-${this.order[this.active] ?? 0}`);
    if (need.length) {
      this.thumbs.asked(need);
      this.events.need(need);
    }
  }

  private create(i: number): HTMLElement {
    const el = document.createElement('div');
    el.className = 'tile';
    el.id = `tile-${i}`;
    el.dataset.i = String(i);
    el.setAttribute('role', 'option');
    el.style.width = `${this.tileSize}px`;
    const pic = document.createElement('div');
    pic.className = 'pic';
    pic.style.height = `${this.tileSize}px`;
    const cap = document.createElement('div');
    cap.className = 'caption';
    el.append(pic, cap);
    this.fill(el, this.tiles[i]);
    return el;
  }

  private fill(el: HTMLElement, t: TileInfo | undefined): void {
    if (!t) return;
    const pic = el.firstElementChild as HTMLElement;
    const cap = el.lastElementChild as HTMLElement;
    const canvas = this.thumbs.get(t.i);
    if (canvas && pic.firstChild !== canvas) pic.replaceChildren(canvas);
    else if (!canvas) pic.replaceChildren();
    el.dataset.state = t.state;
    const name = t.rel.slice(t.rel.lastIndexOf('/') + 1);
    const score = tileScore(t);
    const state = t.state === 'done' ? score : t.state === 'failed' ? `failed: ${t.error ?? ''}` : t.state;
    const n = document.createElement('span');
    n.className = 'tname';
    n.textContent = name;
    const s = document.createElement('span');
    s.className = `tstate ${t.state}`;
    s.textContent = state;
    cap.replaceChildren(n, s);
    if (t.state === 'done' && t.instances === undefined) {
      // (the refine editor edits masks, not instances)
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'trefine';
      b.tabIndex = -1; // the grid's E key reaches it from the keyboard
      b.textContent = '\u270E';
      b.title = t.gt ? 'Edit ground truth (E)' : 'Accept prediction as ground truth: edit it, then save (E)';
      b.setAttribute('aria-label', b.title);
      cap.append(b);
    }
    el.title = `${t.rel}${t.error ? `\n${t.error}` : ''}${t.ms !== undefined ? `\n${t.ms} ms` : ''}${t.cached ? ' (cached)' : ''}`;
    el.setAttribute('aria-label', `${t.rel}, ${state}`);
  }

  private setActive(k: number): void {
    if (this.order.length === 0) return;
    this.active = Math.max(0, Math.min(this.order.length - 1, k));
    const top = Math.floor(this.active / this.columns) * this.rowHeight;
    if (top < this.root.scrollTop) this.root.scrollTop = top;
    else if (top + this.rowHeight > this.root.scrollTop + this.root.clientHeight) this.root.scrollTop = top + this.rowHeight - this.root.clientHeight;
    this.render();
  }

  private onKey(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.root.clientHeight / this.rowHeight)) * this.columns;
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: this.columns, ArrowUp: -this.columns, PageDown: page, PageUp: -page };
    if (e.key in moves) this.setActive(this.active + moves[e.key]);
    else if (e.key === 'Home') this.setActive(0);
    else if (e.key === 'End') this.setActive(this.order.length - 1);
    else if (e.key === 'Enter' && this.order.length) this.events.open(this.order[this.active]);
    else if ((e.key === 'e' || e.key === 'E') && this.order.length && this.tiles[this.order[this.active]]?.state === 'done') this.events.refine(this.order[this.active]);
    else return;
    e.preventDefault();
  }
}

/** The tile's score line: IoU against a mask, F1 against COCO instances, else the instances found. */
export function tileScore(t: TileInfo): string {
  if (t.f1 !== undefined) return `F1 ${t.f1.toFixed(3)} (tp ${t.tp ?? 0}, fp ${t.fp ?? 0}, fn ${t.fn ?? 0})`;
  if (t.iou !== undefined) return `IoU ${t.iou.toFixed(3)}`;
  if (t.instances !== undefined) return `${t.instances} instance${t.instances === 1 ? '' : 's'}`;
  return '';
}
