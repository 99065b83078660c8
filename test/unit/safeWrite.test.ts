// The one writer of every file SegLens writes (daemon/util/safeWrite.ts, through fileOps.ts):
// a temporary name planted as a link is never written through, an existing file is never
// replaced unless asked, and with an output root no link on the way is followed. Real files in a
// temp folder; the random source is pinned only to plant a link at the temporary name.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, mock, test } from 'node:test';
import { OutputExistsError, UnsafePathError, tempPathFor, writeFileAtomic, writeFileAtomicSync, writeFileSafe } from '../../daemon/util/fileOps';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-safewrite-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A folder of its own for one test, and a victim file outside it. */
function setup(name: string): { dir: string; victim: string } {
  const dir = path.join(tmp, name);
  fs.mkdirSync(path.join(dir, 'out'), { recursive: true });
  const victim = path.join(dir, 'victim.txt');
  fs.writeFileSync(victim, 'precious');
  return { dir, victim };
}

/** Runs `fn` with the random source pinned, so the next temporary name is known in advance. */
async function withPinnedRandom<T>(fn: (nextTemp: (file: string) => string) => Promise<T>): Promise<T> {
  const fixed = mock.method(crypto, 'randomBytes', (n: number) => Buffer.alloc(n, 0xab));
  try {
    return await fn((file) => tempPathFor(file));
  } finally {
    fixed.mock.restore();
  }
}

const tmpFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

test('a link planted at the temporary name is never written through (the caches\' writeFileAtomic, async and sync)', async () => {
  const { dir, victim } = setup('planted');
  const target = path.join(dir, 'out', 'entry.json');
  for (const write of [(f: string) => writeFileAtomic(f, 'new'), async (f: string) => writeFileAtomicSync(f, 'new')]) {
    await withPinnedRandom(async (nextTemp) => {
      const planted = nextTemp(target);
      fs.symlinkSync(victim, planted);
      await write(target).catch(() => undefined);
      assert.equal(fs.readFileSync(victim, 'utf8'), 'precious', 'the link target is untouched');
      assert.equal(fs.lstatSync(planted).isSymbolicLink(), true, 'the planted link is not ours to remove either');
      fs.rmSync(planted);
    });
  }
});

test('without overwrite an existing file, or a dangling link, is refused and left as it was; with it, replaced', async () => {
  const { dir, victim } = setup('noreplace');
  const out = path.join(dir, 'out');
  fs.writeFileSync(path.join(out, 'a.png'), 'old');
  await assert.rejects(writeFileSafe(path.join(out, 'a.png'), 'new', { root: out }), (e) => e instanceof OutputExistsError && /a\.png exists already/.test(e.message));
  assert.equal(fs.readFileSync(path.join(out, 'a.png'), 'utf8'), 'old');
  // A dangling link at the name: nothing is created where it points.
  fs.symlinkSync(path.join(dir, 'created-through-link'), path.join(out, 'b.png'));
  await assert.rejects(writeFileSafe(path.join(out, 'b.png'), 'new'), OutputExistsError);
  await assert.rejects(writeFileSafe(path.join(out, 'b.png'), 'new', { root: out }), /b\.png is a symbolic link/);
  assert.equal(fs.existsSync(path.join(dir, 'created-through-link')), false);
  // A link to a file, with overwrite: refused as a link, its target untouched.
  fs.symlinkSync(victim, path.join(out, 'c.png'));
  await assert.rejects(writeFileSafe(path.join(out, 'c.png'), 'new', { root: out, overwrite: true }), (e) => e instanceof UnsafePathError && /c\.png is a symbolic link/.test(e.message));
  assert.equal(fs.readFileSync(victim, 'utf8'), 'precious');
  await writeFileSafe(path.join(out, 'a.png'), 'new', { root: out, overwrite: true });
  assert.equal(fs.readFileSync(path.join(out, 'a.png'), 'utf8'), 'new');
  assert.deepEqual(tmpFiles(out), [], 'no temporary file is left behind');
});

test('with an output root: folders are created under it, a link on the way is refused, nothing lands outside', async () => {
  const { dir } = setup('root');
  const out = path.join(dir, 'out');
  const elsewhere = path.join(dir, 'elsewhere');
  fs.mkdirSync(elsewhere);
  fs.symlinkSync(elsewhere, path.join(out, 'images'));
  await assert.rejects(writeFileSafe(path.join(out, 'images', 'sub', 'x.png'), 'data', { root: out }), (e) => e instanceof UnsafePathError && /images is a symbolic link/.test(e.message));
  await assert.rejects(writeFileSafe(path.join(out, 'images', 'x.png'), 'data', { root: out }), UnsafePathError);
  assert.deepEqual(fs.readdirSync(elsewhere), [], 'nothing written or created through the link');
  await assert.rejects(writeFileSafe(path.join(dir, 'x.png'), 'data', { root: out }), (e) => e instanceof UnsafePathError && /outside the output folder/.test(e.message));
  await writeFileSafe(path.join(out, 'deep', 'er', 'y.png'), 'data', { root: out, mode: 0o600 });
  assert.equal(fs.readFileSync(path.join(out, 'deep', 'er', 'y.png'), 'utf8'), 'data');
  assert.equal(fs.statSync(path.join(out, 'deep', 'er', 'y.png')).mode & 0o777, 0o600);
  await writeFileSafe(path.join(dir, 'new-root', 'z.png'), 'data', { root: path.join(dir, 'new-root') });
  assert.equal(fs.readFileSync(path.join(dir, 'new-root', 'z.png'), 'utf8'), 'data', 'the root itself is created (the user named it)');
});
