// Every message from the gallery's page is checked before the panel acts on it (the page runs
// web content): exactly the fields of a FromGallery, with valid values. Pure, unit-tested.
import type { FilterKey, FromGallery, SortKey } from '../../media/webview/shared/galleryMessages';
import { ownFields } from '../util/ownFields';

export type CheckedGallery = { ok: true; message: FromGallery } | { ok: false; reason: string };

const SORTS: readonly SortKey[] = ['name', 'score', 'share', 'time', 'f1'];
const FILTERS: readonly FilterKey[] = ['all', 'failed', 'gt'];
/** More than any screen shows at once. */
const MAX_NEED = 500;

/** The fields of each message type: a Map, so a type is only ever one of its own keys (never `toString`, `constructor` or `__proto__` from a prototype). */
const FIELDS: ReadonlyMap<string, readonly string[]> = new Map([
  ['ready', []],
  ['cancel', []],
  ['rerun', []],
  ['exportReport', []],
  ['exportMasks', []],
  ['need', ['indices']],
  ['open', ['i', 'sort', 'filter']],
  ['view', ['sort', 'filter']],
  ['refine', ['i']],
]);

const refuse = (reason: string): CheckedGallery => ({ ok: false, reason });
const isIndex = (v: unknown, count: number) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < count;

export function checkFromGallery(m: unknown, count: number): CheckedGallery {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return refuse('not an object');
  const o = ownFields(m);
  const fields = typeof o.type === 'string' ? FIELDS.get(o.type) : undefined;
  if (!fields) return refuse(`unknown message type ${JSON.stringify(String(o.type)).slice(0, 40)}`);
  const extra = Object.keys(o).find((k) => k !== 'type' && !fields.includes(k));
  if (extra) return refuse(`unexpected field '${extra}'`);
  if (o.type === 'need') {
    if (!Array.isArray(o.indices) || o.indices.length > MAX_NEED || !o.indices.every((i) => isIndex(i, count))) return refuse('indices must be tile indices');
    return { ok: true, message: { type: 'need', indices: o.indices as number[] } };
  }
  if (o.type === 'refine') return isIndex(o.i, count) ? { ok: true, message: { type: 'refine', i: o.i as number } } : refuse('i must be a tile index');
  if (o.type === 'open' || o.type === 'view') {
    if (o.type === 'open' && !isIndex(o.i, count)) return refuse('i must be a tile index');
    if (!SORTS.includes(o.sort as SortKey) || !FILTERS.includes(o.filter as FilterKey)) return refuse('unknown sort or filter');
    const view = { sort: o.sort as SortKey, filter: o.filter as FilterKey };
    return { ok: true, message: o.type === 'open' ? { type: 'open', i: o.i as number, ...view } : { type: 'view', ...view } };
  }
  return { ok: true, message: { type: o.type } as FromGallery };
}
