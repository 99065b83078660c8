// The include/exclude globs (daemon/api/folder/glob.ts): linear in the name's length (counted in
// matcher steps, never timed), the same answers as the regular expressions they replace on the
// syntax those supported, and a malformed glob a GlobError that names it, in the listing too.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { listFolderImages } from '../../daemon/api/folder/folderImages';
import { Glob, GlobSteps, checkGlob } from '../../daemon/api/folder/glob';

/** The matcher before issue #20 (a backtracking RegExp), kept here as the reference for answers. */
function oldGlobToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      re += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') re += '(?:';
    else if (c === '}') re += ')';
    else if (c === ',' && re.includes('(?:')) re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(glob.includes('/') ? `^${re}$` : `(?:^|/)${re}$`);
}

const steps = (glob: string, rel: string): { matched: boolean; count: number } => {
  const s: GlobSteps = { count: 0 };
  return { matched: new Glob(glob).matches(rel, s), count: s.count };
};

test('the pathological glob of issue #20 costs steps linear in the name: 40 and 4000 characters', () => {
  const glob = '**a*a*a*a*a*a*b';
  const states = 60; // more than the automaton of this glob has
  for (const n of [40, 4000]) {
    const r = steps(glob, 'a'.repeat(n));
    assert.equal(r.matched, false);
    assert.ok(r.count <= (n + 1) * states, `${n} characters: ${r.count} steps`);
  }
  const small = steps(glob, 'a'.repeat(40)).count;
  const big = steps(glob, 'a'.repeat(4000)).count;
  assert.ok(big / 4000 < (small / 40) * 1.2, `steps per character stay flat: ${small} for 40, ${big} for 4000`);
  assert.equal(steps(glob, 'a'.repeat(3999) + 'b').matched, true);
  // nested alternatives and folders too
  const deep = steps('**/{x,**/{a,b}*}/**/*a*a*a*b?', 'a/'.repeat(2000)).count;
  assert.ok(deep <= 4001 * 80, `${deep} steps`);
});

test('the same answers as the regular expressions they replace', () => {
  const globs = ['**/*.png', '*.png', 'train/*.{jpg,png}', '**/thumbs/**', 'a?.png', '**', '*', '?', 'a/**/b.png', '**/a*b*c.jpg', '{a,b}/{c,d{e,f}}.png', 'x{,y}z.png', '**a*a*b', 'images/**', 'a.b+c(d)[e]$^.png', '*/*', '**/'];
  const names = ['a/b/c.png', 'c.png', 'a/c.jpg', 'a/c.png', 'train/x.jpg', 'train/sub/x.jpg', 'a/thumbs/x.png', 'thumbs/x.png', 'a/.png', 'ab.png', 'a/b.png', 'a/x/y/b.png', 'q/aXbYc.jpg', 'abc.jpg', 'a/c.png', 'b/de.png', 'b/df.png', 'a/d.png', 'xz.png', 'xyz.png', 'aab', 'a/a/b', 'images/a/b.png', 'a.b+c(d)[e]$^.png', 'dir/', '', 'deep/er/x.png'];
  for (const g of globs) {
    const old = oldGlobToRegExp(g);
    for (const n of names) assert.equal(new Glob(g).matches(n), old.test(n), `${g} on '${n}'`);
  }
});

test('a malformed glob is a GlobError naming it, from the check and from the listing', () => {
  assert.equal(checkGlob('{a,b'), "the glob '{a,b' has a '{' without its '}'");
  assert.equal(checkGlob('a}.png'), "the glob 'a}.png' has a '}' without its '{'");
  assert.equal(checkGlob('{a,{b,c}.png'), "the glob '{a,{b,c}.png' has a '{' without its '}'");
  assert.equal(checkGlob('{a,b}/**/*.png'), undefined);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-glob-'));
  try {
    fs.writeFileSync(path.join(root, 'a.png'), '');
    assert.throws(() => listFolderImages(root, { recursive: true, exclude: ['{a,b'] }), { name: 'Error', message: "the glob '{a,b' has a '{' without its '}'" });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
