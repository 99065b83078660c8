// The mask a prompt mode should answer with the test decoder of samModels.ts (issue 25), computed
// here in doubles from its documented function, for the editor tests (test/vscode, e2e): each
// image pixel (X, Y) goes to the encoder's frame as (X·neww/W, Y·newh/H), with
// segment-anything's rounded resize; a point p goes there the same way (its apply_coords). A
// pixel is foreground when it is within `radius` of a positive point, or (with `previous`, the
// points of the answer fed back) in that answer's low-res mask sampled at (⌊v/4⌋, ⌊u/4⌋).
// `band` flags the pixels within `eps` of an edge, where float32 in the model may round the
// other way; every other pixel must match exactly.

export interface Pt {
  x: number;
  y: number;
}

export function expectedPromptMask(
  width: number,
  height: number,
  encoderSize: number,
  positives: Pt[],
  radius: number,
  previous?: Pt[],
  eps = 0.05,
): { mask: Uint8Array; band: Uint8Array } {
  const scale = encoderSize / Math.max(width, height);
  const neww = Math.floor(width * scale + 0.5);
  const newh = Math.floor(height * scale + 0.5);
  const sx = neww / width;
  const sy = newh / height;
  const inFrame = (ps: Pt[]) => ps.map((p) => ({ x: p.x * sx, y: p.y * sy }));
  const pos = inFrame(positives);
  const prev = previous ? inFrame(previous) : [];
  const r2 = radius * radius;
  const low = encoderSize / 4 - 1;
  const mask = new Uint8Array(width * height);
  const band = new Uint8Array(width * height);
  // Signed margin of "inside some disc around `centres`" at (u, v): > 0 inside.
  const margin = (centres: Pt[], u: number, v: number) => Math.max(-Infinity, ...centres.map((c) => r2 - ((u - c.x) ** 2 + (v - c.y) ** 2)));
  for (let Y = 0; Y < height; Y++) {
    for (let X = 0; X < width; X++) {
      const u = X * sx;
      const v = Y * sy;
      // The low-res grid's point for this pixel: u = 4j, v = 4i.
      const gu = 4 * Math.min(low, Math.max(0, Math.floor(u / 4)));
      const gv = 4 * Math.min(low, Math.max(0, Math.floor(v / 4)));
      const m = Math.max(margin(pos, u, v), margin(prev, gu, gv));
      const i = Y * width + X;
      mask[i] = m > 0 ? 255 : 0;
      // |r² − d²| small: d within about eps of the radius.
      if (Math.abs(m) < 2 * radius * eps + 1e-3) band[i] = 1;
      // The floor of u/4 may land on the other cell when u/4 is a whole number give or take rounding.
      if (prev.length && (Math.abs(u / 4 - Math.round(u / 4)) < 1e-4 || Math.abs(v / 4 - Math.round(v / 4)) < 1e-4)) band[i] = 1;
    }
  }
  return { mask, band };
}

/** Pixels where `got` (thresholded at 128) differs from `want`, outside the band, and inside it. */
export function maskDifferences(got: Uint8Array, want: { mask: Uint8Array; band: Uint8Array }): { outside: number; inBand: number; foreground: number } {
  let outside = 0;
  let inBand = 0;
  let foreground = 0;
  for (let i = 0; i < want.mask.length; i++) {
    if (want.mask[i]) foreground++;
    if (got[i] >= 128 === want.mask[i] > 0) continue;
    if (want.band[i]) inBand++;
    else outside++;
  }
  return { outside, inBand, foreground };
}
