// The CPU check's input (issue 27): a picture with structure, so that both a matte and a text
// map have edges to get wrong (a flat grey warm-up input would let a broken provider through):
// a bright disc on a vertical gradient, and dark bars like lines of text. Deterministic, at
// any size, so the check runs at the mode's full input shape (the GPU's shaders are per shape).
export function checkImage(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  const cx = width * 0.42;
  const cy = height * 0.45;
  const r2 = (Math.min(width, height) * 0.28) ** 2;
  for (let y = 0; y < height; y++) {
    const bar = y > height * 0.8 && y < height * 0.92 && Math.floor(y / Math.max(2, height / 64)) % 2 === 0;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const disc = (x - cx) ** 2 + (y - cy) ** 2 < r2;
      const inBar = bar && x > width * 0.1 && x < width * 0.9 && Math.floor(x / Math.max(3, width / 40)) % 3 !== 2;
      if (inBar) rgb.set([20, 20, 24], i);
      else if (disc) rgb.set([230, 120 + Math.round((60 * x) / width), 40], i);
      else rgb.set([60 + Math.round((140 * y) / height), 170, 210 - Math.round((100 * y) / height)], i);
    }
  }
  return rgb;
}
