// The test SAM decoder's masks (samModels.ts), computed independently of the daemon: prompts
// moved into the encoder's frame as segment-anything's ResizeLongestSide does (rounded resized
// sides, x * new_w / old_w), then the decoder's function evaluated with float32 arithmetic
// step by step (Math.fround after each operation, as ONNX Runtime computes it), so that the
// expected masks are exact.
const f = Math.fround;

export interface RefPoint {
  x: number;
  y: number;
  label: 0 | 1;
}
export interface RefBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** segment-anything's ResizeLongestSide.get_preprocess_shape: [newh, neww]. */
export function preprocessShape(h: number, w: number, S: number): [number, number] {
  const scale = (S * 1.0) / Math.max(h, w);
  return [Math.trunc(h * scale + 0.5), Math.trunc(w * scale + 0.5)];
}

/** point_coords and point_labels as the contract wants them (apply_coords; box corners 2, 3; else the (0,0) -1 padding point). */
export function promptInputs(points: RefPoint[], box: RefBox | undefined, h: number, w: number, S: number): { cx: number[]; cy: number[]; labels: number[] } {
  const [nh, nw] = preprocessShape(h, w, S);
  const cx = points.map((p) => f(p.x * (nw / w)));
  const cy = points.map((p) => f(p.y * (nh / h)));
  const labels: number[] = points.map((p) => p.label);
  if (box) {
    cx.push(f(box.left * (nw / w)), f((box.left + box.width) * (nw / w)));
    cy.push(f(box.top * (nh / h)), f((box.top + box.height) * (nh / h)));
    labels.push(2, 3);
  } else {
    cx.push(0);
    cy.push(0);
    labels.push(-1);
  }
  return { cx, cy, labels };
}

/** The grids the decoder evaluates on: the original image's pixels mapped into the S frame (float32, as the graph does). */
function fullGrid(h: number, w: number, S: number): { u: number[]; v: number[] } {
  const H = f(h);
  const W = f(w);
  const scale = f(S / Math.max(H, W));
  const newh = Math.floor(f(f(H * scale) + 0.5));
  const neww = Math.floor(f(f(W * scale) + 0.5));
  const sy = f(newh / H);
  const sx = f(neww / W);
  return { u: Array.from({ length: w }, (_, x) => f(x * sx)), v: Array.from({ length: h }, (_, y) => f(y * sy)) };
}

/**
 * Disc candidate k (radius radii[k]) on a grid: 1 = foreground. `prev` (a low-res mask,
 * S/4 x S/4, > 0 foreground) is sampled at (floor(v/4), floor(u/4)).
 */
function discs(u: number[], v: number[], p: { cx: number[]; cy: number[]; labels: number[] }, r: number, prev: Float32Array | undefined, S: number): Uint8Array {
  const r2 = f(r * r);
  const anyPos = p.labels.includes(1);
  const b2 = p.labels.indexOf(2);
  const b3 = p.labels.indexOf(3);
  const hasBox = b2 >= 0;
  const L = S / 4;
  const out = new Uint8Array(u.length * v.length);
  const inside = (i: number, x: number, y: number) => f(f(f(x - p.cx[i]) * f(x - p.cx[i])) + f(f(y - p.cy[i]) * f(y - p.cy[i]))) < r2;
  const cell = (t: number) => Math.min(L - 1, Math.max(0, Math.floor(f(t / 4))));
  for (let yi = 0; yi < v.length; yi++) {
    const y = v[yi];
    for (let xi = 0; xi < u.length; xi++) {
      const x = u[xi];
      let pos = false;
      let neg = false;
      p.labels.forEach((l, i) => {
        if (l === 1 && inside(i, x, y)) pos = true;
        if (l === 0 && inside(i, x, y)) neg = true;
      });
      const inBox = hasBox && x >= p.cx[b2] && x <= p.cx[b3] && y >= p.cy[b2] && y <= p.cy[b3];
      const prevOn = prev !== undefined && prev[cell(y) * L + cell(x)] > 0;
      const fg = pos || (hasBox && !anyPos && inBox) || prevOn;
      out[yi * u.length + xi] = fg && !neg && (!hasBox || inBox) ? 1 : 0;
    }
  }
  return out;
}

/** Candidate k at the image's size (1 = foreground), as the daemon's maskPng should show it (x 255). */
export function refMask(points: RefPoint[], box: RefBox | undefined, h: number, w: number, S: number, radius: number, prev?: Float32Array): Uint8Array {
  const { u, v } = fullGrid(h, w, S);
  return discs(u, v, promptInputs(points, box, h, w, S), radius, prev, S);
}

/** Candidate k's low_res_masks (S/4 x S/4, +1 / -1 logits): what a later `previous` feeds back. */
export function refLowRes(points: RefPoint[], box: RefBox | undefined, h: number, w: number, S: number, radius: number, prev?: Float32Array): Float32Array {
  const g = Array.from({ length: S / 4 }, (_, j) => j * 4);
  const m = discs(g, g, promptInputs(points, box, h, w, S), radius, prev, S);
  return Float32Array.from(m, (b) => (b ? 1 : -1));
}

/** Pixels where a rendered mask (`got`, foreground >= 128) differs from `want` (1 = foreground), and `want`'s foreground. */
export function maskMismatch(got: Uint8Array, want: Uint8Array): { differing: number; foreground: number; length: [number, number] } {
  let differing = 0;
  let foreground = 0;
  for (let i = 0; i < want.length; i++) {
    if (want[i]) foreground++;
    if (got[i] >= 128 !== want[i] > 0) differing++;
  }
  return { differing, foreground, length: [got.length, want.length] };
}
