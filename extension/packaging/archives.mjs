// Reading the two archive formats packaging meets, with Node alone (no unzip or tar on the
// path, so that any build machine, Windows included, reads them the same way): the VSIX (zip)
// that was written, and the npm tarballs (tar.gz) of the platform packages.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/**
 * The entries of a zip file: `{ name, size, read(), readHead(n) }`: the uncompressed bytes, or
 * about their first n (at least the first n when the file has them).
 * @param {Buffer} zip
 */
export function zipEntries(zip) {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad zip central directory entry at ${at}`);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLen = zip.readUInt16LE(at + 28);
    const skip = nameLen + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLen);
    const data = () => {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      if (method !== 0 && method !== 8) throw new Error(`${name}: zip method ${method} is not supported`);
      return zip.subarray(start, start + compressed);
    };
    const read = () => (method === 0 ? data() : zlib.inflateRawSync(data()));
    // The first bytes only (headers), without inflating the whole file.
    const readHead = (n) =>
      method === 0 ? data().subarray(0, n) : zlib.inflateRawSync(data().subarray(0, n), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, n);
    entries.push({ name, size, read, readHead });
    at += 46 + skip;
  }
  return entries;
}

/** Writes every file of a zip under `dir` (entries are checked to stay inside it). */
export function unzipTo(zipFile, dir) {
  for (const e of zipEntries(fs.readFileSync(zipFile))) {
    if (e.name.endsWith('/')) continue;
    writeInside(dir, e.name, e.read());
  }
}

/**
 * Extracts an npm tarball (.tgz) into `dir`, dropping its first path component (`package/`),
 * as `tar -xzf --strip-components=1` would. Regular files only; modes 0755 kept for executables.
 */
export function extractTarball(tgz, dir) {
  const tar = zlib.gunzipSync(fs.readFileSync(tgz));
  let longName;
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (off, len) => header.toString('utf8', off, off + len).replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const body = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    longName = undefined;
    if (type === 'x') {
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    if (type !== '0' && type !== '7') continue; // folders are made as needed; no links in npm packages
    const rel = name.split('/').slice(1).join('/');
    if (!rel) continue;
    const mode = parseInt(field(100, 8).trim() || '644', 8);
    writeInside(dir, rel, body, mode & 0o111 ? 0o755 : 0o644);
  }
}

function writeInside(dir, rel, data, mode) {
  const file = path.resolve(dir, rel);
  if (!file.startsWith(path.resolve(dir) + path.sep)) throw new Error(`archive entry ${rel} points outside ${dir}`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data, mode === undefined ? undefined : { mode });
}
