// The gallery's order, a pure function shared by the page (what the grid shows) and the
// extension (what ←/→ in the preview follow), so both agree without sending lists around.
import type { FilterKey, SortKey, TileInfo } from './galleryMessages';

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Tiles without the sort's value go last, in name order. */
function compare(sort: SortKey): (a: TileInfo, b: TileInfo) => number {
  const byName = (a: TileInfo, b: TileInfo) => collator.compare(a.rel, b.rel);
  const by = (value: (t: TileInfo) => number | undefined, descending: boolean) => (a: TileInfo, b: TileInfo) => {
    const va = value(a);
    const vb = value(b);
    if (va === undefined || vb === undefined) return va === vb ? byName(a, b) : va === undefined ? 1 : -1;
    return (descending ? vb - va : va - vb) || byName(a, b);
  };
  switch (sort) {
    case 'score':
      return by((t) => t.iou, false); // worst first
    case 'share':
      return by((t) => t.share, true); // largest share first
    case 'time':
      return by((t) => t.ms, true); // slowest first
    case 'f1':
      return by((t) => t.f1, false); // worst first
    default:
      return byName;
  }
}

function keep(filter: FilterKey): (t: TileInfo) => boolean {
  if (filter === 'failed') return (t) => t.state === 'failed';
  if (filter === 'gt') return (t) => t.gt === true;
  return () => true;
}

/** Indices (TileInfo.i) of the tiles shown, in order. */
export function galleryOrder(tiles: readonly TileInfo[], sort: SortKey, filter: FilterKey): number[] {
  return tiles.filter(keep(filter)).sort(compare(sort)).map((t) => t.i);
}

/** The grid's geometry: which tiles a scroll position shows (plus one row either side). */
export function visibleRange(scrollTop: number, viewportHeight: number, rowHeight: number, columns: number, count: number): { first: number; last: number } {
  const firstRow = Math.max(0, Math.floor(scrollTop / rowHeight) - 1);
  const lastRow = Math.ceil((scrollTop + viewportHeight) / rowHeight) + 1;
  return { first: Math.min(count, firstRow * columns), last: Math.min(count, lastRow * columns) };
}
