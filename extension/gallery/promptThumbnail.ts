// A gallery tile's picture in a prompt mode (issue 25): no segment runs there, so no result
// brings a thumbnail; it is made here from the file (EXIF-oriented, as the daemon's are), with an
// empty mask (nothing is segmented until the user prompts).
import sharp from 'sharp';
import { greyPng } from '../../daemon/api/exports/render';
import type { Thumbnail } from '../../daemon/api/protocol';

export async function promptThumbnail(file: string, size: number): Promise<Thumbnail> {
  const { data, info } = await sharp(file).rotate().resize(size, size, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 80 }).toBuffer({ resolveWithObject: true });
  const mask = await greyPng(new Uint8Array(info.width * info.height), info.width, info.height);
  return { image: data.toString('base64'), mimeType: 'image/jpeg', mask: mask.toString('base64'), width: info.width, height: info.height };
}
