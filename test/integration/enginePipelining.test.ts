// Stages in the engine (issue 15, P9): a segment says when its inference is done (onInferred),
// before its answer, and the next job's inference begins while the first one is still being
// postprocessed (seen on the engine's clock: SegmentOutput.stamps). The answers must be exactly
// those of the same jobs run one after another (postprocessing reuses pooled buffers:
// overlapping jobs must not share them).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import type { SegmentOutput } from '../../daemon/engine/engine';
import { EngineProxy } from '../../daemon/engine/engineProxy';
import { builtinModes } from '../../daemon/models/catalogue';
import { modelsDir, samplePhotos } from '../helpers/repo';
import { workerScript } from '../helpers/workerScript';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-pipelining-'));
const engine = new EngineProxy({ provider: 'cpu', workerPath: workerScript(__dirname) });
after(async () => {
  await engine.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const MAX_PIXELS = 64_000_000;

test('the next job overlaps the postprocessing of the last; answers equal the serial ones', async () => {
  const mode = builtinModes(modelsDir).find((m) => m.id === 'text')!;
  // A large first image (long postprocessing: mask resize, PNG, thumbnail) and two small ones.
  const big = path.join(tmp, 'big.jpg');
  await sharp(samplePhotos()[0]).resize(3000, 2400, { fit: 'fill' }).jpeg().toFile(big);
  const files = [big, samplePhotos()[1], samplePhotos()[2]];
  const opts = { maxPixels: MAX_PIXELS, thumbnailSize: 128 };
  const serial: SegmentOutput[] = [];
  for (const f of files) serial.push(await engine.segment(mode, { path: f }, opts));

  // All three posted at once: the engine takes the next one as soon as the session is free.
  const events: string[] = [];
  const results = files.map((f, i) =>
    engine.segment(mode, { path: f }, { ...opts, onInferred: () => events.push(`inferred ${i}`) }).then((out) => (events.push(`answer ${i}`), out)),
  );
  const piped = await Promise.all(results);
  for (let i = 0; i < files.length; i++) {
    assert.ok(events.indexOf(`inferred ${i}`) < events.indexOf(`answer ${i}`), `inferred before answered: ${events.join(', ')}`);
    assert.deepEqual(Buffer.from(piped[i].maskPng), Buffer.from(serial[i].maskPng), `mask ${i}`);
    assert.deepEqual(Buffer.from(piped[i].thumbnail!.mask), Buffer.from(serial[i].thumbnail!.mask), `thumbnail mask ${i}`);
    assert.deepEqual(piped[i].classes, serial[i].classes);
  }
  // The engine's own clock: one after another, job 1's inference began after job 0's answer was
  // ready; pipelined, it began while job 0 was still being postprocessed.
  const stamps = (o: SegmentOutput) => o.stamps!;
  assert.ok(stamps(serial[1]).inferenceAt > stamps(serial[0]).readyAt, 'serial jobs do not overlap');
  assert.ok(stamps(piped[1]).inferenceAt < stamps(piped[0]).readyAt, `job 1's inference began ${stamps(piped[1]).inferenceAt - stamps(piped[0]).readyAt} ms after job 0's answer was ready: no overlap`);
  assert.ok(events.indexOf('answer 0') < events.indexOf('answer 1'), `answers in order: ${events.join(', ')}`);
});
