// The machine and versions a bench run records; the sample photos.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { fail, ROOT, SAMPLES_DIR } from './settings';
import { gb, r1 } from './stats';

// ------------------------------------------------------------------------------- machine

export function cpuInfo() {
  const text = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const flags = (field('flags') ?? '').split(/\s+/);
  const logical = text.split('\n').filter((l) => l.startsWith('processor')).length;
  return {
    model: field('model name') ?? os.cpus()[0]?.model ?? 'unknown',
    logicalCpus: logical || os.cpus().length,
    coresPerSocket: Number(field('cpu cores')) || undefined,
    availableParallelism: os.availableParallelism(),
    simd: ['avx2', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_tile'].filter((f) => flags.includes(f)),
  };
}

export function readVersion(dir: string, name: string): string | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

export function gitRevision(): string | undefined {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
    return dirty ? `${rev} (with uncommitted changes)` : rev;
  } catch {
    return undefined;
  }
}

export function machine() {
  return {
    cpu: cpuInfo(),
    totalMemoryGB: gb(os.totalmem()),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntimeNode: readVersion(ROOT, 'onnxruntime-node'),
    sharp: readVersion(ROOT, 'sharp'),
    libvips: sharp.versions.vips,
    gitRevision: gitRevision(),
    loadAverageAtStart: os.loadavg().map(r1),
  };
}

// ------------------------------------------------------------------------------- photos

export function photos(): string[] {
  const files = fs
    .readdirSync(SAMPLES_DIR)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => path.join(SAMPLES_DIR, f));
  if (files.length === 0) fail(`no sample photos (*.jpg) in ${SAMPLES_DIR}`);
  return files;
}

