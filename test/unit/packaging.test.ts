// The packaging's own parts (extension/packaging/): the native-header reader on the real
// binaries onnxruntime-node ships for every platform, the refused targets, and the lockfile
// integrity check of fetched platform packages (a tampered tarball is refused, nothing unpacked).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/repo';

// Plain-JavaScript build scripts (no type declarations): bundled by esbuild like the rest.
type Header = { format: string; platform: string; arch: string; dylibs?: string[] } | undefined;
const { readBinaryHeader } = require('../../extension/packaging/binaryHeader.mjs') as { readBinaryHeader: (b: Buffer) => Header };
const { BUILDABLE, REFUSED, targetProblem } = require('../../extension/packaging/targets.mjs') as {
  BUILDABLE: string[];
  REFUSED: string[];
  targetProblem: (t: string, version: string, ortBin: string) => string | undefined;
};
const { checkIntegrity, stageLocked } = require('../../extension/packaging/lockedPackages.mjs') as {
  checkIntegrity: (file: string, integrity: string) => void;
  stageLocked: (lock: object, name: string, cacheDir: string, stage: string) => string;
};

const ortBin = path.join(repoRoot, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
const ortVersion = JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')).version as string;
const head = (file: string) => readBinaryHeader(fs.readFileSync(file));

test('native headers: every onnxruntime-node binary says its own OS and CPU', () => {
  const expected: Record<string, string> = { linux: 'ELF', darwin: 'Mach-O', win32: 'PE' };
  let seen = 0;
  for (const platform of fs.readdirSync(ortBin)) {
    for (const arch of fs.readdirSync(path.join(ortBin, platform))) {
      for (const f of fs.readdirSync(path.join(ortBin, platform, arch))) {
        const h = head(path.join(ortBin, platform, arch, f));
        assert.deepEqual(h && { format: h.format, platform: h.platform, arch: h.arch }, { format: expected[platform], platform, arch }, `${platform}/${arch}/${f}`);
        seen++;
      }
    }
  }
  assert.ok(seen >= 12, `only ${seen} binaries`);
});

test("native headers: the macOS binding's load commands name the dylib it links; text files are not native", () => {
  const binding = head(path.join(ortBin, 'darwin', 'arm64', 'onnxruntime_binding.node'));
  assert.ok(binding?.dylibs?.includes('@rpath/libonnxruntime.1.dylib'), JSON.stringify(binding));
  assert.ok(!binding?.dylibs?.some((d) => d.includes('libonnxruntime.1.30')), 'the versioned duplicate is not linked');
  const sharpHere = path.join(repoRoot, 'node_modules', '@img', `sharp-${process.platform}-${process.arch}`, 'lib');
  if (process.platform === 'linux' && fs.existsSync(sharpHere)) {
    const node = fs.readdirSync(sharpHere).find((f) => f.endsWith('.node'))!;
    assert.equal(head(path.join(sharpHere, node))?.arch, process.arch);
  }
  assert.equal(head(path.join(repoRoot, 'package.json')), undefined);
  assert.equal(readBinaryHeader(Buffer.from('MZ but not a PE file at all, only text long enough for the check')), undefined);
});

test('targets: the five build from here; darwin-x64, alpine-* and linux-armhf are refused with the reason', () => {
  for (const t of BUILDABLE) assert.equal(targetProblem(t, ortVersion, ortBin), undefined, t);
  assert.deepEqual(BUILDABLE, ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64', 'win32-arm64']);
  assert.match(targetProblem('darwin-x64', ortVersion, ortBin)!, new RegExp(`onnxruntime-node ${ortVersion} has no darwin/x64 binaries`));
  assert.match(targetProblem('alpine-x64', ortVersion, ortBin)!, /glibc .*musl/);
  assert.match(targetProblem('alpine-arm64', ortVersion, ortBin)!, /musl/);
  assert.match(targetProblem('linux-armhf', ortVersion, ortBin)!, /no linux\/arm binaries/);
  assert.match(targetProblem('solaris-x64', ortVersion, ortBin)!, /unknown target/);
  for (const t of REFUSED) assert.ok(targetProblem(t, ortVersion, ortBin), t);
});

test('npm run package refuses a target that cannot work, before building anything', () => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'extension', 'package.mjs'), '--target', 'darwin-x64'], { encoding: 'utf8', cwd: repoRoot });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /refusing target darwin-x64: onnxruntime-node .* has no darwin\/x64 binaries/);
});

test('platform packages: a tarball with the lockfile integrity is unpacked; a tampered one is refused', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-locked-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'src', 'package', 'lib'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src', 'package', 'package.json'), JSON.stringify({ name: '@img/sharp-test-arm64', version: '1.2.3' }));
  fs.writeFileSync(path.join(dir, 'src', 'package', 'lib', 'x.node'), 'binary');
  const cache = path.join(dir, 'cache');
  fs.mkdirSync(cache);
  const tgz = path.join(cache, 'img-sharp-test-arm64-1.2.3.tgz'); // npm pack's name: fetchLocked finds it, no network
  assert.equal(spawnSync('tar', ['-czf', tgz, '-C', path.join(dir, 'src'), 'package']).status, 0);
  const integrity = `sha512-${createHash('sha512').update(fs.readFileSync(tgz)).digest('base64')}`;
  const lock = { packages: { 'node_modules/@img/sharp-test-arm64': { version: '1.2.3', integrity } } };

  const stage = path.join(dir, 'stage');
  assert.equal(stageLocked(lock, '@img/sharp-test-arm64', cache, stage), '1.2.3');
  assert.equal(fs.readFileSync(path.join(stage, 'node_modules', '@img', 'sharp-test-arm64', 'lib', 'x.node'), 'utf8'), 'binary');

  const bytes = fs.readFileSync(tgz);
  bytes[bytes.length - 10] ^= 0xff;
  fs.writeFileSync(tgz, bytes);
  const stage2 = path.join(dir, 'stage2');
  assert.throws(() => stageLocked(lock, '@img/sharp-test-arm64', cache, stage2), /integrity mismatch.*refusing it/);
  assert.equal(fs.existsSync(stage2), false, 'nothing unpacked');
  assert.throws(() => checkIntegrity(tgz, 'sha1-abc'), /no sha512 integrity/);
});
