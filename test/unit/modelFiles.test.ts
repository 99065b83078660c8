// Model files: checksums of the installed sources, the sidecar fast path, the graph rewrite's
// structure, and clear errors for missing or corrupt sources (fake package folders in a temp dir).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { ISNET_FP32_FILE, isnetFp32Bytes } from '../../daemon/models/quantize/isnetFp32File';
import { assembleIsnet, findPackageDir, packageRoot } from '../../daemon/models/sourcePackages';
import { defaultModelsDir, ensureModels, isnetSidecarPath } from '../../daemon/models/modelFiles';
import { ISNET_INT8_FILE } from '../../daemon/models/quantize/isnetInt8File';
import { ISNET_MODEL_FILE, ISNET_PACKAGE, ISNET_REWRITE_VERSION, ISNET_SOURCE_SHA256, ISNET_SOURCE_SIZE, TEXT_MODEL_FILE, TEXT_MODEL_SHA256, TEXT_MODEL_SIZE, TEXT_PACKAGE, TEXT_SOURCE_PATH } from '../../daemon/models/modelSources';
import { rewriteIsnetDynamic } from '../../daemon/models/isnetRewrite';
import { sha256 } from '../../daemon/util/fileOps';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-modelfiles-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const NO_PACKAGE = () => path.join(tmp, 'no-such-package');

/** A fake `isnet-data` folder: the real resources.json and chunks (symlinked), then `tweak` it. */
function fakeIsnetData(name: string, tweak: (dist: string, resources: any) => void): string {
  const real = path.join(findPackageDir(ISNET_PACKAGE), 'dist');
  const dir = path.join(tmp, name);
  const dist = path.join(dir, 'dist');
  fs.mkdirSync(dist, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"fake"}');
  const resources = JSON.parse(fs.readFileSync(path.join(real, 'resources.json'), 'utf8'));
  for (const c of resources['/models/medium'].chunks) fs.symlinkSync(path.join(real, c.hash), path.join(dist, c.hash));
  tweak(dist, resources);
  fs.writeFileSync(path.join(dist, 'resources.json'), JSON.stringify(resources));
  return dir;
}

/** Replace a symlinked chunk by a copy with one byte flipped. */
function corruptChunk(dist: string, file: string): void {
  const data = fs.readFileSync(path.join(dist, file));
  data[1000] ^= 0xff;
  fs.rmSync(path.join(dist, file));
  fs.writeFileSync(path.join(dist, file), data);
}

test('the installed packages have the catalogued checksums', () => {
  const text = fs.readFileSync(path.join(findPackageDir(TEXT_PACKAGE), TEXT_SOURCE_PATH));
  assert.equal(text.length, TEXT_MODEL_SIZE);
  assert.equal(sha256(text), TEXT_MODEL_SHA256);
  const isnet = assembleIsnet(findPackageDir(ISNET_PACKAGE));
  assert.equal(isnet.length, ISNET_SOURCE_SIZE);
  assert.equal(sha256(isnet), ISNET_SOURCE_SHA256);
});

test('defaultModelsDir is <package root>/models', () => {
  assert.equal(defaultModelsDir(), path.join(packageRoot(), 'models'));
  assert.ok(fs.existsSync(path.join(packageRoot(), 'package.json')));
  assert.ok(fs.existsSync(path.join(packageRoot(), 'daemon', 'models', 'modelFiles.ts')));
});

test('a package that is not installed is named, with npm ci', () => {
  assert.throws(() => findPackageDir('seglens-no-such-package'), /'seglens-no-such-package' is not installed.*npm ci/s);
});

test('ensureModels builds both files, writes a sidecar, and is quick and idempotent the second time', async () => {
  const dir = path.join(tmp, 'models-real');
  const lines: string[] = [];
  const res = await ensureModels(dir, (m) => lines.push(m));
  assert.equal(res.isnet.file, path.join(dir, ISNET_MODEL_FILE));
  assert.equal(res.text.file, path.join(dir, TEXT_MODEL_FILE));
  assert.equal(res.text.sha256, TEXT_MODEL_SHA256);
  const bytes = fs.readFileSync(res.isnet.file);
  assert.equal(sha256(bytes), res.isnet.sha256);
  assert.equal(sha256(fs.readFileSync(res.text.file)), TEXT_MODEL_SHA256);
  const side = JSON.parse(fs.readFileSync(isnetSidecarPath(dir), 'utf8'));
  assert.equal(side.rewriteVersion, ISNET_REWRITE_VERSION);
  assert.equal(side.sourceSha256, ISNET_SOURCE_SHA256);
  assert.equal(side.outputSha256, res.isnet.sha256);
  assert.equal(side.outputSize, bytes.length);
  assert.ok(lines.some((l) => /assembled and verified/.test(l)));
  // No temp files left behind.
  assert.deepEqual(
    fs.readdirSync(dir).sort(),
    [ISNET_MODEL_FILE, `${ISNET_MODEL_FILE}.json`, ISNET_INT8_FILE, `${ISNET_INT8_FILE}.json`, ISNET_FP32_FILE, `${ISNET_FP32_FILE}.json`, TEXT_MODEL_FILE].sort(),
  );
  assert.equal(sha256(fs.readFileSync(res.isnetInt8!.file)), res.isnetInt8!.sha256);
  // The float32 ISNet (GPUs without f16, issue 27): a cast of the same graph, deterministic, float only.
  const fp32 = fs.readFileSync(res.isnetFp32!.file);
  assert.equal(sha256(fp32), res.isnetFp32!.sha256);
  assert.equal(sha256(isnetFp32Bytes(bytes)), res.isnetFp32!.sha256, 'the cast gives the same bytes every time');
  const g32 = onnx.ModelProto.decode(fp32).graph as onnx.GraphProto;
  assert.equal(g32.initializer.filter((t) => t.dataType === onnx.TensorProto.DataType.FLOAT16).length, 0);
  assert.equal((g32.node as onnx.NodeProto[]).filter((n) => n.opType === 'Cast').length, 0);
  assert.deepEqual(g32.output.map((o) => o.name), ['output']);

  // The rewritten graph: every Resize takes constant scales, no sizes; H and W symbolic.
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph as onnx.GraphProto;
  const resizes = (g.node as onnx.NodeProto[]).filter((n) => n.opType === 'Resize');
  assert.equal(resizes.length, 39);
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  for (const n of resizes) {
    assert.equal(n.input.length, 3, `${n.name} still has a sizes input`);
    const scales = inits.get(n.input[2]);
    assert.ok(scales, `${n.name}: scales is not an initializer`);
    const [a, b, h, w] = scales.floatData as number[];
    assert.deepEqual([a, b], [1, 1]);
    assert.ok(h === w && h >= 2 && h <= 64 && Number.isInteger(Math.log2(h)), `${n.name}: scales ${h}x${w}`);
  }
  assert.equal((g.node as onnx.NodeProto[]).filter((n) => n.opType === 'Shape').length, 0);
  const dims = (v: onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
  assert.deepEqual(dims(g.input[0]), [1, 3, 'height', 'width']);
  assert.deepEqual(dims(g.output.find((o) => o.name === 'output')!), [1, 1, 'height', 'width']);
  assert.equal(g.valueInfo.length, 0);

  // Second call: fast path, same answer, file untouched.
  const mtime = fs.statSync(res.isnet.file).mtimeMs;
  const lines2: string[] = [];
  const t0 = Date.now();
  const again = await ensureModels(dir, (m) => lines2.push(m), { isnetDataDir: NO_PACKAGE() });
  const took = Date.now() - t0;
  assert.deepEqual(again, res);
  assert.equal(fs.statSync(res.isnet.file).mtimeMs, mtime);
  assert.ok(lines2.some((l) => /is current/.test(l)));
  assert.ok(took < 2000, `fast path took ${took} ms`);
});

test('the rewrite refuses a graph that is already dynamic', () => {
  const once = rewriteIsnetDynamic(assembleIsnet(findPackageDir(ISNET_PACKAGE)));
  assert.equal(once.resizeNodes, 39);
  assert.throws(() => rewriteIsnetDynamic(once.bytes), /no static \[N,C,H,W\] shape/);
});

test('sidecar fast path: trusts a matching sidecar, rebuilds on a stale version or a size change', async () => {
  const dir = path.join(tmp, 'models-fake');
  fs.mkdirSync(dir);
  const file = path.join(dir, ISNET_MODEL_FILE);
  fs.writeFileSync(file, Buffer.alloc(1234, 7));
  const side = { rewriteVersion: ISNET_REWRITE_VERSION, sourceSha256: ISNET_SOURCE_SHA256, outputSha256: 'ab'.repeat(32), outputSize: 1234, resizeNodes: 39, createdAt: '' };
  fs.writeFileSync(isnetSidecarPath(dir), JSON.stringify(side));
  // Fast path: the (absent) source is never looked at.
  const res = await ensureModels(dir, undefined, { isnetDataDir: NO_PACKAGE() });
  assert.equal(res.isnet.sha256, 'ab'.repeat(32));

  // Stale rewrite version → rebuild → the missing source is reported.
  fs.writeFileSync(isnetSidecarPath(dir), JSON.stringify({ ...side, rewriteVersion: ISNET_REWRITE_VERSION - 1 }));
  await assert.rejects(ensureModels(dir, undefined, { isnetDataDir: NO_PACKAGE() }), /resources\.json.*npm ci/s);
  // Size differs from the sidecar → rebuild.
  fs.writeFileSync(isnetSidecarPath(dir), JSON.stringify(side));
  fs.appendFileSync(file, 'x');
  await assert.rejects(ensureModels(dir, undefined, { isnetDataDir: NO_PACKAGE() }), /npm ci/);
  // Unreadable sidecar → rebuild.
  fs.writeFileSync(isnetSidecarPath(dir), '{not json');
  await assert.rejects(ensureModels(dir, undefined, { isnetDataDir: NO_PACKAGE() }), /npm ci/);
});

test('a missing ISNet chunk is named', () => {
  let victim = '';
  const dir = fakeIsnetData('missing-chunk', (dist, r) => {
    victim = r['/models/medium'].chunks[3].hash;
    fs.rmSync(path.join(dist, victim));
  });
  assert.throws(() => assembleIsnet(dir), (e: Error) => /chunk 4\/22 is missing/.test(e.message) && e.message.includes(victim) && /npm ci/.test(e.message));
});

test('a corrupt ISNet chunk is caught by its own hash', () => {
  const dir = fakeIsnetData('corrupt-chunk', (dist, r) => corruptChunk(dist, r['/models/medium'].chunks[5].hash));
  assert.throws(() => assembleIsnet(dir), /chunk 6\/22 .* is corrupt.*npm ci/s);
});

test('a corrupt ISNet file is caught by the catalogue checksum', () => {
  // Chunk names that are not hashes skip the per-chunk check: the whole-file sha256 must catch it.
  const dir = fakeIsnetData('corrupt-whole', (dist, r) => {
    r['/models/medium'].chunks.forEach((c: { hash: string }, i: number) => {
      const name = `chunk-${i}`;
      fs.renameSync(path.join(dist, c.hash), path.join(dist, name));
      c.hash = name;
    });
    corruptChunk(dist, 'chunk-7');
  });
  assert.throws(() => assembleIsnet(dir), new RegExp(`sha256 [0-9a-f]{64}, expected ${ISNET_SOURCE_SHA256} \\(checksum mismatch\\).*npm ci`, 's'));
});

test('a wrong ISNet chunk list is refused before reading chunks', () => {
  const short = fakeIsnetData('wrong-size', (_dist, r) => {
    r['/models/medium'].size = 12;
  });
  assert.throws(() => assembleIsnet(short), /is 12 bytes, expected 88188479/);
  const none = fakeIsnetData('no-medium', (_dist, r) => {
    delete r['/models/medium'];
  });
  assert.throws(() => assembleIsnet(none), /no '\/models\/medium' chunk list/);
});

test('a corrupt or missing text detector is refused', async () => {
  const fake = path.join(tmp, 'fake-ocr');
  fs.mkdirSync(path.join(fake, 'assets'), { recursive: true });
  const dir = path.join(tmp, 'models-text');
  // Missing.
  await assert.rejects(ensureModels(dir, undefined, { ocrModelsDir: fake, isnetDataDir: NO_PACKAGE() }), /cannot read the PP-OCRv4 detector.*ENOENT.*npm ci/s);
  // Corrupt.
  fs.writeFileSync(path.join(fake, TEXT_SOURCE_PATH), 'not a model');
  await assert.rejects(ensureModels(dir, undefined, { ocrModelsDir: fake, isnetDataDir: NO_PACKAGE() }), /checksum mismatch.*npm ci/s);
  assert.equal(fs.existsSync(path.join(dir, TEXT_MODEL_FILE)), false);
  // A corrupt copy in the models folder is replaced from the (good) package.
  fs.writeFileSync(path.join(dir, TEXT_MODEL_FILE), 'garbage');
  await assert.rejects(ensureModels(dir, undefined, { isnetDataDir: NO_PACKAGE() }), /npm ci/); // fails later, on ISNet
  assert.equal(sha256(fs.readFileSync(path.join(dir, TEXT_MODEL_FILE))), TEXT_MODEL_SHA256);
});
