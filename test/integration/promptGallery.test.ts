// The gallery in a prompt mode (issue 25) against the real daemon: its run embeds every image
// of the folder (seglens/embed, batch priority) instead of segmenting, the tiles are done with
// a picture of the image and no mask, and a later click on one of them finds its embedding
// (seglens_embeddings_total: one encoder run per image, the click `cached`).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { DaemonClient } from '../../daemon/api/client';
import type { FolderImage } from '../../daemon/api/folder/folderImages';
import { FolderRun } from '../../extension/gallery/folderRun';
import type { ImageOutcome, ResultExtras } from '../../extension/gallery/folderRun';
import { ListeningDaemon, metric, startListening, tempDir } from '../helpers/daemonProcess';
import { writeSamPair } from '../helpers/samModels';

let dir: string;
let daemon: ListeningDaemon;
let client: DaemonClient;

before(async () => {
  dir = tempDir('seglens-prompt-gallery-');
  const pair = writeSamPair(path.join(dir, 'models'), 'sam', { encoder: { size: 256, layers: 0 }, decoder: { size: 256, radii: [20, 40] } });
  daemon = await startListening();
  client = await daemon.connect('gallery');
  assert.deepEqual((await client.defineModes({ modes: [pair.definition] })).errors, []);
});

after(async () => {
  client?.dispose();
  await daemon?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a prompt mode gallery embeds each image once, shows pictures without masks, and a click then finds the embedding', async () => {
  const root = path.join(dir, 'images');
  fs.mkdirSync(root);
  const sizes: [number, number][] = [
    [300, 200],
    [120, 160],
    [90, 90],
  ];
  const images: FolderImage[] = [];
  for (const [k, [w, h]] of sizes.entries()) {
    const file = path.join(root, `img${k}.png`);
    await sharp(Buffer.alloc(w * h * 3, 40 + 60 * k), { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toFile(file);
    images.push({ file, root, rel: `img${k}.png` });
  }
  const tiles = new Map<number, { outcome: ImageOutcome; extras?: ResultExtras }>();
  const run = new FolderRun(client, 'sam', 'prompt', images, [0, 1, 2], 64, {
    tile: (i, outcome, extras) => outcome.tile.state !== 'running' && tiles.set(i, { outcome, extras }),
    progress: () => undefined,
  });
  await run.run();
  assert.deepEqual(run.progress().done, 3);
  for (const [k, [w, h]] of sizes.entries()) {
    const t = tiles.get(k)!;
    assert.equal(t.outcome.tile.state, 'done', JSON.stringify(t.outcome.tile));
    assert.deepEqual([t.outcome.entry?.width, t.outcome.entry?.height], [w, h]);
    assert.equal(t.outcome.tile.share, undefined, 'nothing segmented, no foreground share');
    const th = t.extras!.thumbnail!;
    // The picture fits 64 px, aspect kept; its mask is empty.
    const scale = Math.min(1, 64 / Math.max(w, h));
    assert.deepEqual([th.width, th.height], [Math.round(w * scale), Math.round(h * scale)]);
    const mask = await sharp(Buffer.from(th.mask, 'base64')).extractChannel(0).raw().toBuffer();
    assert.equal(mask.length, th.width * th.height);
    assert.ok(mask.every((v) => v === 0));
  }
  const count = async (outcome: string) => metric((await client.metrics()).text, 'seglens_embeddings_total', { mode: 'sam', outcome });
  assert.equal(await count('computed'), 3, 'one encoder run per image');
  const r = await client.prompt({ mode: 'sam', image: { path: images[0].file }, points: [{ x: 150, y: 100, label: 1 }] });
  assert.equal(r.embedding, 'cached');
  assert.equal(await count('computed'), 3);
});
