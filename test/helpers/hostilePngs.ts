// Crafted ground-truth PNGs (issue #20): a decompression bomb (a small header whose image data
// inflates to far more than it implies) and one with a second IHDR after its image data (libvips
// reads the first, a parser that keeps the last one decodes something else). Also how much
// memory a process and its children reached (Linux: /proc), to show a bomb stayed harmless.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { chunk } from './pngWriter';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number): Buffer {
  const h = Buffer.alloc(13);
  h.writeUInt32BE(width, 0);
  h.writeUInt32BE(height, 4);
  h[8] = 8; // 8-bit grey
  h[9] = 0;
  return chunk('IHDR', h);
}

/** zlib stream of `bytes` zero bytes (run-length strategy: about 1 MB per GiB, in about a second). */
function deflatedZeros(bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const d = zlib.createDeflate({ level: 9, strategy: zlib.constants.Z_RLE });
    const out: Buffer[] = [];
    d.on('data', (c: Buffer) => out.push(c));
    d.on('end', () => resolve(Buffer.concat(out)));
    d.on('error', reject);
    const block = Buffer.alloc(16 << 20);
    const write = (left: number): void => {
      if (left <= 0) return void d.end();
      const n = Math.min(left, block.length);
      if (d.write(block.subarray(0, n))) write(left - n);
      else d.once('drain', () => write(left - n));
    };
    write(bytes);
  });
}

/** A grey `width`x`height` PNG whose image data inflates to `inflated` bytes (rows of zeros, filter 0). */
export async function bombPng(width: number, height: number, inflated: number): Promise<Buffer> {
  return Buffer.concat([SIGNATURE, ihdr(width, height), chunk('IDAT', await deflatedZeros(inflated)), chunk('IEND', Buffer.alloc(0))]);
}

/** A grey PNG that says `width`x`height` in its first IHDR; its image data and a second IHDR after it are `realWidth`x`realHeight`. */
export async function twoIhdrPng(width: number, height: number, realWidth: number, realHeight: number): Promise<Buffer> {
  const idat = chunk('IDAT', await deflatedZeros((realWidth + 1) * realHeight));
  return Buffer.concat([SIGNATURE, ihdr(width, height), idat, ihdr(realWidth, realHeight), chunk('IEND', Buffer.alloc(0))]);
}

/** pid and the pids of its children, grandchildren... (Linux). */
function processTree(pid: number): number[] {
  const out = [pid];
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    let kids = '';
    try {
      kids = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const k of kids.split(/\s+/).filter(Boolean)) out.push(...processTree(Number(k)));
  }
  return out;
}

function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // gone meanwhile
  }
}

export type MemorySnapshot = Map<number, { rss: number; peak: number }>;

/** Resident memory now (VmRSS) and the most it reached (VmHWM) of `pid` and each process under it, in bytes. */
export function memorySnapshot(pid: number): MemorySnapshot {
  return new Map(processTree(pid).map((p) => [p, { rss: statusKb(p, 'VmRSS') * 1024, peak: statusKb(p, 'VmHWM') * 1024 }]));
}

/**
 * How far above `before` the tree's memory went, without sampling: for each process, its peak
 * since it started minus its resident memory at `before` (0 for a process started since).
 */
export function peakGrowth(before: MemorySnapshot, after: MemorySnapshot): number {
  let grew = 0;
  for (const [pid, a] of after) grew += Math.max(0, a.peak - (before.get(pid)?.rss ?? 0));
  return grew;
}
