// How the page gets the picture: the file's own bytes when the webview decodes them exactly
// as the daemon does (PNG, JPEG, WebP, GIF, 8-bit, no EXIF rotation, not CMYK), else the
// daemon's display image (TIFF, BMP, 16-bit PNG, CMYK or EXIF-rotated JPEG). Reads headers
// only, from bytes already in memory. Pure: unit-tested on images made with sharp.

export interface DisplayPlan {
  /** The MIME type to give the page the original with; absent: ask the daemon for a display image. */
  mime?: string;
  reason?: string;
}

const WEBVIEW_MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };

/** EXIF orientation (1..8; 1 when absent) and colour components of a JPEG, from its markers. */
export function jpegInfo(b: Uint8Array): { orientation: number; components: number } {
  let orientation = 1;
  let components = 3;
  if (b[0] !== 0xff || b[1] !== 0xd8) return { orientation, components };
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1];
    const len = (b[i + 2] << 8) | b[i + 3];
    if (marker === 0xe1 && len > 8) orientation = exifOrientation(b.subarray(i + 4, i + 2 + len)) ?? orientation;
    // SOF0..SOF15 except DHT (c4), JPG (c8), DAC (cc): the frame header says how many components.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      components = b[i + 9] ?? components;
      break;
    }
    if (marker === 0xda) break;
    i += 2 + len;
  }
  return { orientation, components };
}

/** The Orientation tag (0x0112) of an APP1 segment's payload ("Exif\0\0" + TIFF). */
function exifOrientation(p: Uint8Array): number | undefined {
  if (p.length < 14 || String.fromCharCode(...p.subarray(0, 4)) !== 'Exif') return undefined;
  const t = p.subarray(6);
  const le = t[0] === 0x49;
  const u16 = (o: number) => (le ? t[o] | (t[o + 1] << 8) : (t[o] << 8) | t[o + 1]);
  const u32 = (o: number) => (le ? (t[o] | (t[o + 1] << 8) | (t[o + 2] << 16)) + t[o + 3] * 2 ** 24 : t[o] * 2 ** 24 + ((t[o + 1] << 16) | (t[o + 2] << 8) | t[o + 3]));
  const ifd = u32(4);
  if (ifd + 2 > t.length) return undefined;
  const n = u16(ifd);
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + k * 12;
    if (e + 12 > t.length) return undefined;
    if (u16(e) === 0x0112) return u16(e + 8);
  }
  return undefined;
}

/** Bit depth of a PNG (IHDR), or undefined when it is not one. */
export function pngBitDepth(b: Uint8Array): number | undefined {
  const sig = [0x89, 0x50, 0x4e, 0x47];
  return sig.every((v, i) => b[i] === v) && b.length > 24 ? b[24] : undefined;
}

export function displayPlan(extension: string, bytes: Uint8Array): DisplayPlan {
  const ext = extension.toLowerCase().replace(/^\./, '');
  const mime = WEBVIEW_MIME[ext];
  if (!mime) return { reason: `${ext || 'this'} files are not shown by the webview` };
  if (mime === 'image/jpeg') {
    const { orientation, components } = jpegInfo(bytes);
    if (orientation !== 1) return { reason: `EXIF orientation ${orientation}` };
    if (components === 4) return { reason: 'CMYK JPEG' };
  }
  if (mime === 'image/png' && pngBitDepth(bytes) === 16) return { reason: '16-bit PNG' };
  return { mime };
}
