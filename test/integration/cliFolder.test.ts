// `seglens segment` on the sample photos with ground truth the test builds (the daemon's own
// `fast` masks, thresholded and perturbed, saved as grey, RGB and RGBA images), through one
// shared daemon: scores against an independent count, every export (COCO RLE decoded here),
// overwrite refusal, 3 shards = one full run, Ctrl-C mid-run, and status/metrics/unload.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { DaemonClient } from '../../daemon/api/client';
import { Score } from '../../daemon/api/protocol';
import type { Report } from '../../daemon/api/folder/report';
import type { CocoFile } from '../../daemon/api/exports/coco';
import { iouDice, listFiles, pixels, runCli, startCli } from '../helpers/cli';
import { decodeCocoRle } from '../helpers/cocoRleDecoder';
import { decodeMask } from '../helpers/buildModels';
import { ListeningDaemon, startListening, tempDir } from '../helpers/daemonProcess';
import { samplesDir } from '../helpers/repo';

const MODE = 'fast';
let daemon: ListeningDaemon;
let client: DaemonClient;
let base: string;
let env: Record<string, string>;
const images = () => path.join(base, 'dataset', 'images');
/** Ground-truth foreground flags the test built, by report path. */
const truth = new Map<string, Uint8Array>();

/** Foreground of the daemon's own mask with a rectangle flipped (a known, partial disagreement). */
function perturbed(mask: Uint8Array, w: number, h: number, rect: [number, number, number, number]): Uint8Array {
  const fg = mask.map((v) => (v >= 128 ? 1 : 0));
  const [x0, y0, x1, y1] = rect.map((f, i) => Math.round(f * (i % 2 === 0 ? w : h)));
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) fg[y * w + x] ^= 1;
  return fg;
}

/** The ground truth of one photo in one of the formats a user may have. */
async function writeTruth(file: string, fg: Uint8Array, w: number, h: number, kind: 'grey' | 'rgb' | 'rgba'): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const n = w * h;
  if (kind === 'grey') {
    await sharp(Buffer.from(fg.map((v) => v * 255)), { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png().toFile(file);
  } else if (kind === 'rgb') {
    // green 220 has luma 129.1 (foreground); red 250 has 74.8 (background): luminance decides.
    const rgb = Buffer.alloc(n * 3);
    for (let i = 0; i < n; i++) rgb.set(fg[i] ? [0, 220, 0] : [250, 0, 0], i * 3);
    await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
  } else {
    // bright colour everywhere: only alpha says where the foreground is.
    const rgba = Buffer.alloc(n * 4, 255);
    for (let i = 0; i < n; i++) rgba[i * 4 + 3] = fg[i] ? 200 : 30;
    await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toFile(file);
  }
}

async function buildDataset(): Promise<void> {
  fs.mkdirSync(path.join(images(), 'sub'), { recursive: true });
  const specs: [string, string, string, 'grey' | 'rgb' | 'rgba', [number, number, number, number]][] = [
    ['astronaut.jpg', 'astronaut.jpg', '../masks/astronaut.png', 'grey', [0, 0, 0.3, 0.25]],
    ['coffee-cup.jpg', 'coffee-cup.jpg', '../masks/coffee-cup.png', 'rgba', [0.4, 0.4, 0.7, 0.9]],
    ['chelsea-cat.jpg', 'chelsea-cat.jpg', '../labels/chelsea-cat.png', 'rgb', [0.1, 0.5, 0.6, 0.6]],
    ['rocket.jpg', 'sub/rocket.jpg', 'sub/rocket_mask.png', 'grey', [0.45, 0, 0.55, 1]],
  ];
  for (const [sample, rel, gtRel, kind, rect] of specs) {
    const file = path.join(images(), rel);
    fs.copyFileSync(path.join(samplesDir, sample), file);
    const r = await client.segment({ mode: MODE, image: { path: file } });
    const m = await decodeMask(r.maskPng);
    const fg = perturbed(m.data, m.width, m.height, rect);
    await writeTruth(path.resolve(images(), gtRel), fg, m.width, m.height, kind);
    truth.set(rel, fg);
  }
  fs.copyFileSync(path.join(samplesDir, 'text.png'), path.join(images(), 'text.png')); // no ground truth
}

before(async () => {
  daemon = await startListening(['--warmup-iterations', '1']);
  client = await daemon.connect('cli-test');
  base = tempDir('seglens-cli-');
  env = { SEGLENS_SOCKET: daemon.socketPath, XDG_CACHE_HOME: path.join(base, 'cache') };
  await buildDataset();
});

after(async () => {
  client?.dispose();
  await daemon?.stop();
  if (base && !process.env.KEEP) fs.rmSync(base, { recursive: true, force: true });
  if (process.env.KEEP) console.log('kept', base);
});

const out = (name: string) => path.join(base, name);
const readJson = <T>(file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

describe('seglens segment on a folder with ground truth', () => {
  let report: Report;

  it('runs every image on the shared daemon, exit 0, scores match an independent count', async () => {
    const r = await runCli(['segment', images(), '--mode', MODE, '--out', out('full'), '--format', 'mask,color,cutout,binary,coco', '--report', out('full.json')], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /shared daemon/);
    report = readJson<Report>(out('full.json'));
    assert.equal(report.mode, MODE);
    // ground-truth files found for an image are not inputs themselves (sub/rocket_mask.png)
    assert.deepEqual(report.images.map((i) => i.path), ['astronaut.jpg', 'chelsea-cat.jpg', 'coffee-cup.jpg', 'sub/rocket.jpg', 'text.png']);
    assert.deepEqual(report.images.map((i) => i.gt), ['../masks/astronaut.png', '../labels/chelsea-cat.png', '../masks/coffee-cup.png', 'sub/rocket_mask.png', undefined]);
    const ious: number[] = [];
    for (const img of report.images.filter((i) => i.gt)) {
      const mask = await pixels(path.join(out('full'), img.path.replace(/\.[^.]+$/, '.mask.png')));
      const want = iouDice(mask.data.map((v) => (v >= 128 ? 1 : 0)), truth.get(img.path)!);
      assert.ok(want.iou > 0.3 && want.iou < 0.999, `${img.path}: the perturbation leaves a partial overlap (${want.iou})`);
      assert.ok(Math.abs(img.iou! - want.iou) < 0.001, `${img.path}: IoU ${img.iou} vs ${want.iou}`);
      assert.ok(Math.abs(img.dice! - want.dice) < 0.001, `${img.path}: Dice ${img.dice} vs ${want.dice}`);
      assert.deepEqual([img.width, img.height], [mask.width, mask.height]);
      ious.push(want.iou);
    }
    const text = report.images.find((i) => i.path === 'text.png')!;
    assert.equal(text.iou, undefined);
    assert.deepEqual({ ...report.summary, meanIoU: undefined }, { images: 5, failed: 0, withGroundTruth: 4, meanIoU: undefined });
    assert.ok(Math.abs(report.summary.meanIoU! - ious.reduce((a, b) => a + b) / ious.length) < 0.001);
  });

  it('exports: binary 0/255, cutout alpha = mask, color scaled by alpha, COCO RLE decodes to the mask', async () => {
    const coco = readJson<CocoFile>(path.join(out('full'), 'coco.json'));
    assert.deepEqual(coco.images.map((i) => i.file_name), report.images.map((i) => i.path));
    assert.deepEqual(coco.categories.map((c) => c.id), [1]);
    for (const img of coco.images) {
      const stem = path.join(out('full'), img.file_name.replace(/\.[^.]+$/, ''));
      const mask = await pixels(`${stem}.mask.png`);
      const fg = mask.data.map((v) => (v >= 128 ? 1 : 0));
      const binary = await pixels(`${stem}.binary.png`);
      assert.equal(binary.channels, 1);
      assert.deepEqual([...binary.data], [...fg].map((v) => v * 255), `${img.file_name} binary`);
      const cutout = await pixels(`${stem}.cutout.png`);
      assert.equal(cutout.channels, 4);
      for (let i = 0; i < mask.data.length; i += 997) assert.equal(cutout.data[i * 4 + 3], mask.data[i], `${img.file_name} cutout alpha`);
      const color = await pixels(`${stem}.color.png`);
      assert.equal(color.channels, 3);
      const anns = coco.annotations.filter((a) => a.image_id === img.id);
      const area = fg.reduce((a, b) => a + b, 0);
      assert.equal(anns.length, area ? 1 : 0);
      if (area) {
        assert.deepEqual(anns[0].segmentation.size, [mask.height, mask.width]);
        assert.deepEqual([...decodeCocoRle(anns[0].segmentation)], [...fg], `${img.file_name} RLE`);
        assert.equal(anns[0].area, area);
      }
    }
  });

  it('never overwrites without --overwrite: run files refused up front, image outputs per file', async () => {
    const before = fs.readFileSync(path.join(out('full'), 'astronaut.mask.png'));
    const mtime = fs.statSync(out('full.json')).mtimeMs;
    const again = await runCli(['segment', images(), '--mode', MODE, '--out', out('full'), '--format', 'mask,coco', '--report', out('full.json')], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /refusing to overwrite .*coco\.json/);
    assert.equal(fs.statSync(out('full.json')).mtimeMs, mtime);
    // per file: the missing colour image of text.png is written, every existing file refused
    const colorBefore = fs.readFileSync(path.join(out('full'), 'text.color.png'));
    fs.rmSync(path.join(out('full'), 'text.color.png'));
    const perFile = await runCli(['segment', images(), '--mode', MODE, '--out', out('full'), '--format', 'mask,color', '--report', out('refused.json')], env);
    assert.equal(perFile.code, 1);
    assert.match(perFile.stdout, /astronaut\.jpg FAILED 2001: refused to overwrite \S*astronaut\.mask\.png, \S*astronaut\.color\.png \(use --overwrite\)/);
    const refused = readJson<Report>(out('refused.json'));
    assert.equal(refused.summary.failed, 5);
    assert.ok(refused.images.every((i) => i.error?.code === 2001 && /refused to overwrite .*\.mask\.png.* \(use --overwrite\)/.test(i.error.message)));
    assert.doesNotMatch(refused.images.find((i) => i.path === 'text.png')!.error!.message, /color/);
    assert.ok(fs.readFileSync(path.join(out('full'), 'text.color.png')).equals(colorBefore), 'the missing file was written');
    assert.deepEqual(fs.readFileSync(path.join(out('full'), 'astronaut.mask.png')), before);
    const forced = await runCli(['segment', path.join(images(), 'astronaut.jpg'), '--mode', MODE, '--out', out('full'), '--format', 'mask', '--overwrite', '--gt', 'none'], env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(fs.readFileSync(path.join(out('full'), 'astronaut.mask.png')), before, 'same image, same mask');
  });

  it('3 shards: no overlap, and their union is the full run byte for byte', async () => {
    const seen = new Map<string, number>();
    let rows = 0;
    for (const k of [1, 2, 3]) {
      const r = await runCli(['segment', images(), '--mode', MODE, '--out', out('shards'), '--format', 'mask,binary', '--shard', `${k}/3`, '--report', out(`shard${k}.csv`)], env);
      assert.equal(r.code, 0, r.stderr);
      const lines = fs.readFileSync(out(`shard${k}.csv`), 'utf8').trim().split('\n').slice(1);
      rows += lines.length;
      for (const l of lines) {
        const p = l.split(',')[0];
        assert.ok(!seen.has(p), `${p} in shards ${seen.get(p)} and ${k}`);
        seen.set(p, k);
      }
    }
    assert.equal(rows, 5);
    assert.deepEqual(new Set(seen.values()).size, 3, 'every shard got work here');
    const full = listFiles(out('full')).filter((f) => /\.(mask|binary)\.png$/.test(f));
    assert.deepEqual(listFiles(out('shards')), full);
    for (const f of full) assert.ok(fs.readFileSync(path.join(out('shards'), f)).equals(fs.readFileSync(path.join(out('full'), f))), f);
  });

  it('Ctrl-C mid-run stops within one image and leaves nothing half-written', async () => {
    const dir = out('many');
    fs.mkdirSync(dir);
    for (let i = 0; i < 8; i++) fs.copyFileSync(path.join(samplesDir, 'astronaut.jpg'), path.join(dir, `a${i}.jpg`));
    const run = startCli(['segment', dir, '--mode', MODE, '--out', out('many-out'), '--format', 'mask,cutout', '--report', out('many.json')], env);
    while (!/\[1\/8\]/.test(run.stdout())) await new Promise((r) => setTimeout(r, 20));
    const doneAtSignal = (run.stdout().match(/^\[\d+\/8\]/gm) ?? []).length;
    run.child.kill('SIGINT');
    const r = await run.result;
    assert.equal(r.code, 130, r.stderr);
    const stopped = /interrupted after (\d+) of 8/.exec(r.stderr);
    assert.ok(stopped, r.stderr);
    assert.equal(fs.existsSync(out('many.json')), false, 'no report of a run that did not finish');
    const files = listFiles(out('many-out'));
    assert.ok(files.every((f) => /^a\d\.(mask|cutout)\.png$/.test(f)), `no temporary files: ${files}`);
    const masks = files.filter((f) => f.endsWith('.mask.png'));
    // Every image the CLI counts as done is written whole, and nothing else. Besides those seen
    // done at the signal, only the 2 in flight (the CLI's IN_FLIGHT) may have finished: the
    // progress lines reach the test a little after the images are written, so count them all.
    assert.equal(masks.length, Number(stopped[1]), `${masks.length} images written; the CLI says ${stopped[1]}`);
    assert.ok(masks.length < 8 && masks.length <= doneAtSignal + 2, `${masks.length} images written, ${doneAtSignal} done at the signal`);
    for (const m of masks) {
      assert.ok(files.includes(m.replace('.mask.', '.cutout.')), `${m}: both outputs`);
      assert.deepEqual((await pixels(path.join(out('many-out'), m))).width, 512);
    }
  });
});

describe('seglens/score directly', () => {
  it('runs off the main thread: a status sent after a 12-megapixel score is answered first', async () => {
    const W = 4000;
    const H = 3000;
    const a = Buffer.alloc(W * H);
    for (let i = 0; i < a.length; i++) a[i] = (i * 7) % 256;
    const png = (b: Buffer) => sharp(b, { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 1 }).toBuffer();
    const [pred, gt] = await Promise.all([png(a), png(Buffer.from(a.map((v) => (v * 3) % 256)))]);
    const order: string[] = [];
    const score = client.request(Score, { mode: MODE, prediction: { base64: pred.toString('base64') }, groundTruth: { base64: gt.toString('base64') } }).then((r) => (order.push('score'), r));
    await new Promise((r) => setTimeout(r, 50)); // the score has reached the daemon
    await client.status().then(() => order.push('status'));
    const r = await score;
    assert.deepEqual(order, ['status', 'score']);
    const want = iouDice(a.map((v) => (v >= 128 ? 1 : 0)), a.map((v) => ((v * 3) % 256 >= 128 ? 1 : 0)));
    assert.ok(Math.abs(r.iou - want.iou) < 1e-9 && Math.abs(r.dice! - want.dice) < 1e-9);
  });
  it('a missing ground truth is 1001 naming it; the daemon goes on', async () => {
    const mask = fs.readFileSync(path.join(out('full'), 'astronaut.mask.png')).toString('base64');
    await assert.rejects(client.request(Score, { mode: MODE, prediction: { base64: mask }, groundTruth: { path: path.join(base, 'none.png') } }), (e: Error & { code?: number }) => e.code === 1001 && /ground truth.* not found.*none\.png/.test(e.message));
    assert.equal((await client.status()).pid > 0, true);
  });
});

describe('seglens status / metrics / unload', () => {
  it('talk to the shared daemon', async () => {
    const st = await runCli(['status'], env);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, new RegExp(`^${MODE}\\s+(warm|warming)\\s+yes`, 'm'));
    const m = await runCli(['metrics'], env);
    assert.match(m.stdout, /seglens_requests_total\{method="seglens\/score",outcome="ok"\} [1-9]/);
    const u = await runCli(['unload', MODE], env);
    assert.equal(u.stdout.trim(), `unloaded: ${MODE}`);
  });
  it('say plainly when no daemon runs', async () => {
    const r = await runCli(['status'], { ...env, SEGLENS_SOCKET: path.join(base, 'nobody', 'daemon.sock') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no SegLens daemon is running/);
  });
  it('usage errors exit 2 with the usage', async () => {
    for (const args of [['segment'], ['segment', images(), '--shard', '4/3'], ['segment', images(), '--format', 'jpeg'], ['frobnicate']]) {
      const r = await runCli(args, env);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /usage:\n\s+seglens segment <file\|folder>\.\.\./);
    }
  });
});
