// `npm run preview -- [image or folder ...] [--mode M] [--out DIR]`: the main job from a
// terminal. Spawns a `--stdio` daemon, segments each image through the protocol, writes the
// mask and an overlay PNG per image, and prints a table of where the time went.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { spawnStdio } from '../api/client';
import { Rgb, SegmentResult } from '../api/protocol';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff']);
const ROOT = path.resolve(__dirname, '..');

interface Options {
  inputs: string[];
  mode: string;
  out: string;
  provider?: string;
}

function parse(argv: string[]): Options {
  const o: Options = { inputs: [], mode: 'balanced', out: path.join(ROOT, 'out', 'preview') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--mode') o.mode = argv[++i];
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '--provider') o.provider = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run preview -- [image or folder ...] [--mode fast|balanced|accurate|sota|text] [--out DIR]');
      process.exit(0);
    } else o.inputs.push(path.resolve(a));
  }
  if (o.inputs.length === 0) o.inputs.push(path.join(ROOT, 'media', 'samples'));
  return o;
}

function collect(inputs: string[]): string[] {
  const files: string[] = [];
  for (const p of inputs) {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) throw new Error(`no such file or folder: ${p}`);
    if (st.isDirectory()) {
      for (const f of fs.readdirSync(p).sort()) if (IMAGE_EXT.has(path.extname(f).toLowerCase())) files.push(path.join(p, f));
    } else files.push(p);
  }
  return files;
}

/** Blends the mask's class colours over the (EXIF-oriented) image. */
async function overlay(imagePath: string, r: SegmentResult, colors: Map<number, Rgb>, binaryColor: Rgb, opacity = 0.55): Promise<Buffer> {
  const { data: rgb } = await sharp(imagePath).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const { data: mask } = await sharp(Buffer.from(r.maskPng, 'base64')).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  const out = Buffer.alloc(r.width * r.height * 3);
  const binary = r.classes.length <= 2 && colors.size <= 2;
  for (let i = 0, j = 0; i < r.width * r.height; i++, j += 3) {
    const m = mask[i];
    const c = binary ? binaryColor : (colors.get(m) ?? [0, 0, 0]);
    const a = binary ? (m / 255) * opacity : m === 0 ? 0 : opacity;
    out[j] = rgb[j] * (1 - a) + c[0] * a;
    out[j + 1] = rgb[j + 1] * (1 - a) + c[1] * a;
    out[j + 2] = rgb[j + 2] * (1 - a) + c[2] * a;
  }
  return sharp(out, { raw: { width: r.width, height: r.height, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const images = collect(o.inputs);
  if (images.length === 0) throw new Error(`no images found in ${o.inputs.join(', ')}`);
  fs.mkdirSync(o.out, { recursive: true });

  // One warm-up iteration, as VS Code asks for: warm-ups run at full size, and one pays the first-run cost.
  const args = ['--log-level', 'warn', '--warmup-iterations', '1'];
  if (o.provider) args.push('--provider', o.provider);
  const client = spawnStdio(path.join(__dirname, 'daemon.js'), args, { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const init = await client.initialize({ clientName: 'seglens-preview', clientVersion: '1' });
    const mode = init.modes.find((m) => m.id === o.mode);
    if (!mode) throw new Error(`unknown mode '${o.mode}'; modes: ${init.modes.map((m) => m.id).join(', ')}`);
    console.log(`SegLens preview: ${images.length} image(s), mode ${mode.id} (${mode.description}), provider ${init.provider ?? '?'}`);

    const rows: string[][] = [];
    let failures = 0;
    for (const image of images) {
      const name = path.basename(image);
      try {
        const ready = await client.ensureReady(mode.id);
        const r = await client.segment({ mode: mode.id, image: { path: image } });
        const base = path.join(o.out, name.replace(/\.[^.]+$/, ''));
        fs.writeFileSync(`${base}.mask.png`, Buffer.from(r.maskPng, 'base64'));
        const colors = new Map(r.classes.map((c) => [c.id, c.color] as [number, Rgb]));
        const fg = r.classes.find((c) => c.id === 1)?.color ?? [0, 200, 255];
        fs.writeFileSync(`${base}.overlay.png`, await overlay(image, r, colors, fg));
        const warmBefore = ready.load === 'cached' && ready.warmup === 'skipped';
        rows.push([
          name,
          mode.id,
          warmBefore ? 'yes' : 'no',
          ms(ready.loadMs),
          ms(ready.warmupMs),
          ms(r.timings.inferenceMs),
          ms(ready.elapsedMs + r.timings.totalMs),
        ]);
      } catch (e) {
        failures++;
        rows.push([name, mode.id, '-', '-', '-', '-', `error: ${(e as Error).message}`]);
      }
    }
    printTable(['image', 'mode', 'warm before', 'load ms', 'warm-up ms', 'inference ms', 'total ms'], rows);
    console.log(`\nmasks and overlays written to ${path.relative(process.cwd(), o.out) || '.'}`);
    if (failures) process.exitCode = 1;
  } finally {
    client.dispose();
  }
}

const ms = (v: number) => (v === 0 ? '0' : v.toFixed(0));

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log('\n' + line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

main().catch((e) => {
  console.error(`seglens preview: ${(e as Error).message}`);
  process.exit(1);
});
