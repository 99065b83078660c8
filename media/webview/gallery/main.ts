// The gallery page (SegLens: Segment Folder…): a virtualised grid of the folder's tiles, the
// run's progress with Cancel, sort and filter, the folder's scores, and the export buttons.
// Everything the page shows comes from the extension; everything it asks is a FromGallery.
import type { FilterKey, FromGallery, GallerySettings, GalleryState, GalleryView, InstanceTable, ProgressInfo, SortKey, SummaryInfo, TileInfo, ToGallery } from '../shared/galleryMessages';
import { galleryOrder } from '../shared/galleryOrder';
import { Grid } from './grid';
import { ThumbStore } from './thumbs';

declare function acquireVsCodeApi(): { postMessage(m: FromGallery): void; getState(): unknown; setState(s: unknown): void };
const vscode = acquireVsCodeApi();
const post = (m: FromGallery) => vscode.postMessage(m);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const settings = JSON.parse(document.body.dataset.settings ?? '{}') as GallerySettings;
const saved = (vscode.getState() ?? {}) as GalleryState;
const state: GalleryState = { ...saved };
let tiles: TileInfo[] = [];
let sort: SortKey = saved.sort ?? 'name';
let filter: FilterKey = saved.filter ?? 'all';
const thumbs = new ThumbStore();
const grid = new Grid($('grid'), thumbs, settings.tileSize, {
  open: (i) => post({ type: 'open', i, sort, filter }),
  refine: (i) => post({ type: 'refine', i }),
  need: (indices) => post({ type: 'need', indices }),
});

function reorder(): void {
  grid.update(tiles, galleryOrder(tiles, sort, filter));
  $('count').textContent = `${galleryOrder(tiles, 'name', filter).length} of ${tiles.length} image(s)`;
}

function showProgress(p: ProgressInfo): void {
  const bar = $('progress');
  bar.hidden = !p.running && p.done === p.total && !p.cancelled;
  ($('progressBar') as HTMLProgressElement).max = Math.max(1, p.total);
  ($('progressBar') as HTMLProgressElement).value = p.done;
  const rate = p.perSecond > 0 ? `, ${p.perSecond.toFixed(1)} images/s` : '';
  const eta = p.running && p.etaSeconds !== undefined ? `, ETA ${formatSeconds(p.etaSeconds)}` : '';
  const state = p.cancelled ? ' (cancelled)' : p.running ? '' : ' (done)';
  $('progressText').textContent = `${p.done}/${p.total}${rate}${eta}${state}`;
  $<HTMLButtonElement>('cancel').disabled = !p.running;
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function showSummary(s: SummaryInfo): void {
  const parts = [`${s.images} image(s)`, `${s.failed} failed`, `${s.withGroundTruth} with ground truth`];
  if (s.meanIoU !== undefined) parts.unshift(`mean IoU ${s.meanIoU.toFixed(4)}`);
  $('summaryLine').textContent = parts.join(' · ');
  const classes = $('classes');
  classes.replaceChildren(
    ...(s.classes ?? []).map((c) => {
      const tr = document.createElement('tr');
      const name = document.createElement('td');
      name.textContent = c.name;
      const iou = document.createElement('td');
      iou.textContent = c.iou.toFixed(4);
      tr.append(name, iou);
      return tr;
    }),
  );
  $('classTable').hidden = !s.classes?.length;
  $('worst').replaceChildren(
    ...s.worst.map((w) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'link';
      b.textContent = `${w.rel} (${s.instances ? 'F1 ' : ''}${w.iou.toFixed(3)})`;
      b.addEventListener('click', () => post({ type: 'open', i: w.i, sort: s.instances ? 'f1' : 'score', filter: 'all' }));
      li.append(b);
      return li;
    }),
  );
  $('worstBlock').hidden = s.worst.length === 0;
  $('worstBy').textContent = s.instances ? 'Worst images (lowest F1 at IoU 0.5)' : 'Worst images';
  showConfusion(s.confusion);
  showAp(s.instances);
}

/** Instance modes against COCO ground truth: mask AP, AP50, AP75 and AP per class (— when a class has no object). */
function showAp(t: InstanceTable | undefined): void {
  $('apBlock').hidden = !t;
  if (!t) return;
  const ap = (v: number | null) => (v === null ? '—' : v.toFixed(3));
  const notes = [`on ${t.detections} detection(s) scoring at least ${t.scoreThreshold}`];
  if (t.gtImagesNotInRun) notes.push(`${t.gtImagesNotInRun} ground-truth image(s) not in the folder count as missed`);
  if (t.unmatchedCategories.length) notes.push(`categories matching no label: ${t.unmatchedCategories.join(', ')}`);
  const line = $('apLine');
  line.textContent = `mask AP ${ap(t.ap)} · AP50 ${ap(t.ap50)} · AP75 ${ap(t.ap75)}`;
  line.dataset.ap = String(t.ap);
  line.title = notes.join('; ');
  $('apNotes').textContent = notes.join(' · ');
  $('apClasses').replaceChildren(
    ...t.classes.map((c) => {
      const tr = document.createElement('tr');
      tr.append(Object.assign(document.createElement('td'), { textContent: c.name }), Object.assign(document.createElement('td'), { textContent: ap(c.ap) }));
      return tr;
    }),
  );
}

/** Rows: ground truth; columns: prediction; each cell the share of its row's pixels. */
function showConfusion(c: SummaryInfo['confusion']): void {
  $('confusionBlock').hidden = !c;
  if (!c) return;
  const cell = (tag: 'td' | 'th', text: string, title?: string) => Object.assign(document.createElement(tag), { textContent: text, title: title ?? '' });
  const head = document.createElement('tr');
  head.append(cell('th', 'truth \\ predicted'), ...c.labels.map((l) => cell('th', l)));
  const rows = c.rows.map((row, g) => {
    const total = row.reduce((a, b) => a + b, 0);
    const tr = document.createElement('tr');
    tr.append(cell('th', c.labels[g]), ...row.map((n, p) => cell('td', total ? `${((n / total) * 100).toFixed(1)}%` : '', `${n} pixels: ${c.labels[g]} predicted as ${c.labels[p]}`)));
    return tr;
  });
  $('confusion').replaceChildren(head, ...rows);
}

let reorderQueued = false;
/** Results come one by one: the order is recomputed at most once a frame. */
function reorderSoon(): void {
  if (reorderQueued) return;
  reorderQueued = true;
  requestAnimationFrame(() => {
    reorderQueued = false;
    reorder();
  });
}

function mergeTiles(update: TileInfo[]): void {
  let orderChanged = false;
  for (const t of update) {
    const old = tiles[t.i];
    if (!old || old.iou !== t.iou || old.f1 !== t.f1 || old.state !== t.state || old.share !== t.share || old.ms !== t.ms) orderChanged = true;
    if (t.state !== 'done' && t.state !== 'failed') thumbs.forget(t.i);
    tiles[t.i] = t;
  }
  // In name order with no filter the tiles stay where they are: redraw those concerned only.
  if (orderChanged && (sort !== 'name' || filter !== 'all')) return reorderSoon();
  for (const t of update) grid.refresh(t.i);
  grid.render(); // asks for the pictures of tiles that just finished
}

window.addEventListener('message', (e: MessageEvent<ToGallery>) => {
  const m = e.data;
  switch (m.type) {
    case 'init':
      tiles = m.tiles;
      thumbs.setMode(m.task, m.classes);
      $('folder').textContent = m.folder;
      if (m.view) applyView(m.view);
      state.path = m.path; // VS Code restores the gallery from it after a window reload
      vscode.setState(state);
      $('mode').textContent = m.mode;
      reorder();
      return;
    case 'tiles':
      mergeTiles(m.tiles);
      return;
    case 'classes':
      thumbs.setMode(m.task, m.classes);
      grid.update(tiles, galleryOrder(tiles, sort, filter));
      return;
    case 'thumbs':
      for (const t of m.thumbs) void thumbs.add(t).then(() => grid.refresh(t.i));
      return;
    case 'progress':
      showProgress(m.progress);
      return;
    case 'summary':
      showSummary(m.summary);
      return;
    case 'notice':
      $('notice').textContent = m.message;
      return;
  }
});

/** The view the extension kept for this folder (the page's own saved state may be older). */
function applyView(v: GalleryView): void {
  sort = v.sort;
  filter = v.filter;
  $<HTMLSelectElement>('sort').value = sort;
  $<HTMLSelectElement>('filter').value = filter;
  Object.assign(state, v);
  vscode.setState(state);
}

function wire(): void {
  const sortEl = $<HTMLSelectElement>('sort');
  const filterEl = $<HTMLSelectElement>('filter');
  sortEl.value = sort;
  filterEl.value = filter;
  const changed = () => {
    sort = sortEl.value as SortKey;
    filter = filterEl.value as FilterKey;
    Object.assign(state, { sort, filter });
    vscode.setState(state);
    post({ type: 'view', sort, filter });
    reorder();
  };
  sortEl.addEventListener('change', changed);
  filterEl.addEventListener('change', changed);
  $('cancel').addEventListener('click', () => post({ type: 'cancel' }));
  $('rerun').addEventListener('click', () => post({ type: 'rerun' }));
  $('exportReport').addEventListener('click', () => post({ type: 'exportReport' }));
  $('exportMasks').addEventListener('click', () => post({ type: 'exportMasks' }));
}

wire();
post({ type: 'ready' });
