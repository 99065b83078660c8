// The preview's fit, zoom and pan (media/webview/zoom.ts): pure view arithmetic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CROP_MAX_SIDE, clampView, covers, fitView, formatZoom, imageToScreen, pixelAt, restoreView, saveView, screenToImage, stepZoom, visibleRegion, wantsFullRes, wheelFactor, zoomAt } from '../../media/webview/inspect/zoom';

const vp = { width: 800, height: 600 };

test('fit: a large image shrinks to the viewport, centred', () => {
  const v = fitView({ width: 4000, height: 2000 }, vp, 0);
  assert.equal(v.zoom, 0.2);
  assert.deepEqual([v.x, v.y], [0, 100]);
});

test('fit: a small image is enlarged, at most 8x', () => {
  assert.equal(fitView({ width: 64, height: 64 }, vp, 0).zoom, 8);
  assert.equal(fitView({ width: 200, height: 100 }, vp, 0).zoom, 4);
});

test('screen and image coordinates are inverse; pixelAt floors and bounds', () => {
  const v = { zoom: 4, x: 10, y: 20 };
  const p = { x: 123.5, y: 77.25 };
  assert.deepEqual(imageToScreen(v, screenToImage(v, p)), p);
  assert.deepEqual(pixelAt(v, { x: 10 + 4 * 3 + 3.9, y: 20 + 4 * 5 }, { width: 10, height: 10 }), { x: 3, y: 5 });
  assert.equal(pixelAt(v, { x: 9, y: 25 }, { width: 10, height: 10 }), undefined);
  assert.equal(pixelAt(v, { x: 10 + 40, y: 25 }, { width: 10, height: 10 }), undefined);
});

test('zoomAt keeps the image point under the cursor', () => {
  const v = { zoom: 1, x: 0, y: 0 };
  const anchor = { x: 300, y: 200 };
  const before = screenToImage(v, anchor);
  const z = zoomAt(v, 4, anchor);
  assert.equal(z.zoom, 4);
  assert.deepEqual(screenToImage(z, anchor), before);
  assert.equal(zoomAt(v, 1e6, anchor).zoom, 64, 'clamped');
});

test('+/- walk a ladder of round zooms, from any zoom', () => {
  assert.equal(stepZoom(1, 1), 1.5);
  assert.equal(stepZoom(1, -1), 0.75);
  assert.equal(stepZoom(0.37, 1), 0.5);
  assert.equal(stepZoom(0.37, -1), 0.33);
  let z = 1;
  for (let i = 0; i < 4; i++) z = stepZoom(z, 1);
  assert.equal(z, 4, '1 → 1.5 → 2 → 3 → 4');
  assert.equal(stepZoom(64, 1), 64);
});

test('wheel: down zooms out, up zooms in, one event at most 2x', () => {
  assert.ok(wheelFactor(100, 0, false) < 1);
  assert.ok(wheelFactor(-100, 0, false) > 1);
  assert.equal(wheelFactor(-100000, 0, true), 2);
  assert.equal(wheelFactor(100000, 0, true), 0.5);
  assert.ok(wheelFactor(-3, 1, false) > wheelFactor(-3, 0, false), 'line mode counts lines');
});

test('clampView keeps part of the image visible after a wild drag', () => {
  const img = { width: 1000, height: 1000 };
  const v = clampView({ zoom: 1, x: -5000, y: 5000 }, img, vp, 48);
  assert.equal(v.x, 48 - 1000);
  assert.equal(v.y, 600 - 48);
  const ok = { zoom: 1, x: -100, y: -100 };
  assert.deepEqual(clampView(ok, img, vp), ok, 'a view in bounds is untouched');
});

test('a saved view comes back around the same image point in a resized panel; fit is refitted', () => {
  const img = { width: 2000, height: 1000 };
  const v = zoomAt(fitView(img, vp), 4, { x: 100, y: 100 });
  const s = saveView(v, vp, false);
  const bigger = { width: 1200, height: 900 };
  const r = restoreView(s, img, bigger);
  assert.equal(r.zoom, 4);
  const c = screenToImage(r, { x: 600, y: 450 });
  assert.ok(Math.abs(c.x - s.cx) < 1e-9 && Math.abs(c.y - s.cy) < 1e-9);
  assert.deepEqual(restoreView(saveView(v, vp, true), img, bigger), fitView(img, bigger));
  assert.deepEqual(restoreView(undefined, img, bigger), fitView(img, bigger));
});

test('zoom labels', () => {
  assert.equal(formatZoom(4), '400%');
  assert.equal(formatZoom(0.125), '12.5%');
  assert.equal(formatZoom(0.05), '5%');
});

test('full resolution: wanted from 1:1 up, and only when the picture was scaled down', () => {
  const big = { width: 6000, height: 4000 };
  assert.equal(wantsFullRes(1, big, 4096), true);
  assert.equal(wantsFullRes(4, big, 4096), true);
  assert.equal(wantsFullRes(0.5, big, 4096), false, 'below 1:1 the display image has enough pixels');
  assert.equal(wantsFullRes(4, big, 6000), false, 'the picture is the original');
  assert.equal(wantsFullRes(4, big, 0), false, 'no display image');
});

test('visible region: the image pixels under the viewport, whole, inside the image, with a margin', () => {
  const image = { width: 6000, height: 4000 };
  // 1:1 with image pixel (1000, 500) at the viewport's top-left corner.
  const v = { zoom: 1, x: -1000, y: -500 };
  assert.deepEqual(visibleRegion(v, vp, image), { left: 1000, top: 500, width: 800, height: 600 });
  assert.deepEqual(visibleRegion(v, vp, image, 0.25), { left: 800, top: 350, width: 1200, height: 900 });
  // 400%, fractional offset: partly covered pixels are included.
  assert.deepEqual(visibleRegion({ zoom: 4, x: -4002, y: -10 }, vp, image), { left: 1000, top: 2, width: 201, height: 151 });
  // Near the bottom-right corner the margin stops at the image's edge.
  assert.deepEqual(visibleRegion({ zoom: 1, x: -5500, y: -3700 }, vp, image, 0.25), { left: 5300, top: 3550, width: 700, height: 450 });
  // The image entirely off screen.
  assert.equal(visibleRegion({ zoom: 1, x: 900, y: 0 }, vp, image), undefined);
});

test('visible region: at most CROP_MAX_SIDE a side, around the centre of what is visible', () => {
  const image = { width: 20000, height: 300 };
  const r = visibleRegion({ zoom: 1, x: -10000, y: 0 }, { width: 5000, height: 600 }, image)!;
  assert.equal(r.width, CROP_MAX_SIDE);
  assert.equal(r.left + r.width / 2, 12500);
  assert.deepEqual([r.top, r.height], [0, 300]);
});

test('covers: a crop is reused while the visible region stays inside it', () => {
  const have = { left: 800, top: 350, width: 1200, height: 900 };
  assert.equal(covers(have, { left: 1000, top: 500, width: 800, height: 600 }), true);
  assert.equal(covers(have, { left: 1300, top: 500, width: 800, height: 600 }), false);
  assert.equal(covers(undefined, { left: 0, top: 0, width: 1, height: 1 }), false);
});
