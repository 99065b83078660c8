// Full resolution at 1:1 (issue 16): a display image the daemon scaled down (images over 4096
// px) is stretched to the mask's size, so from 1:1 up it shows less than the image has. Then the
// page asks the extension, debounced, for the region it shows (with a margin, so short pans need
// nothing new) and draws the daemon's crop over the stretched picture at that region, in the
// same transformed layer: image pixels, mask and crop stay aligned. Region math in zoom.ts.
import type { ToWebview } from '../shared/messages';
import { els, send, view } from '../page';
import { contentSize, currentView, onViewChange, viewportSize } from './viewport';
import { Region, covers, visibleRegion, wantsFullRes } from './zoom';

const DEBOUNCE_MS = 200;
const MARGIN = 0.25;
let shown: { path: string; region: Region } | undefined;
let asked: { path: string; region: Region } | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;

const crops = () => [els.crop, els.cropSide];

/** Drops the crop (another image, or a new result of this one). */
export function clearCrop(): void {
  shown = undefined;
  asked = undefined;
  if (timer) clearTimeout(timer);
  for (const img of crops()) {
    img.hidden = true;
    img.removeAttribute('src');
  }
}

/** The region the view needs now at full resolution, or undefined (no need, or already there). */
function needed(margin: number): Region | undefined {
  const d = view.shown?.r.displayImage;
  const image = contentSize();
  if (!d || !wantsFullRes(currentView().zoom, image, d.width)) return undefined;
  const visible = visibleRegion(currentView(), viewportSize(), image);
  if (!visible) return undefined;
  const path = view.currentPath;
  if ((shown?.path === path && covers(shown.region, visible)) || (asked?.path === path && covers(asked.region, visible))) return undefined;
  return margin ? visibleRegion(currentView(), viewportSize(), image, margin) : visible;
}

/** After every view change (and a new result): ask for the visible region once the view rests. */
export function refreshCrop(): void {
  if (timer) clearTimeout(timer);
  if (!needed(0)) return;
  timer = setTimeout(() => {
    const region = needed(MARGIN);
    if (!region) return;
    asked = { path: view.currentPath, region };
    send({ type: 'displayCrop', path: view.currentPath, region });
  }, DEBOUNCE_MS);
}

/** The daemon's crop: drawn at its region of the content (content pixels are image pixels). */
export function onCrop(m: Extract<ToWebview, { type: 'displayCrop' }>): void {
  if (m.path !== view.currentPath || !view.shown?.r.displayImage) return;
  const { left, top, width, height } = m.region;
  const src = `data:${m.mimeType};base64,${m.data}`;
  const mine = { path: m.path, region: m.region };
  for (const img of crops()) {
    img.onload = () => {
      if (shown !== mine) return; // cleared or replaced while it decoded
      Object.assign(img.style, { left: `${left}px`, top: `${top}px`, width: `${width}px`, height: `${height}px` });
      img.hidden = false;
    };
    img.src = src;
  }
  shown = mine;
  els.stage.dataset.crop = `${left},${top},${width},${height}`;
  if (asked?.path === m.path && covers(m.region, asked.region)) asked = undefined;
}

export function initFullRes(): void {
  onViewChange(refreshCrop);
}
