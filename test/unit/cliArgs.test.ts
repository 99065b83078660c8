// `seglens segment`'s options that take text from the user and hold it to a rule (issue #20):
// --shard K/N integers with 1 <= K <= N <= 100,000, and --include/--exclude globs, a malformed
// one a usage error that names it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SegmentRunOptions, UsageError, parseCommand } from '../../daemon/tools/cli/args';

const segment = (...args: string[]): SegmentRunOptions => {
  const c = parseCommand(['segment', 'in', ...args]);
  assert.equal(c.kind, 'segment');
  return (c as { options: SegmentRunOptions }).options;
};

const refused = (args: string[], message: RegExp) => assert.throws(() => segment(...args), (e) => e instanceof UsageError && message.test(e.message), args.join(' '));

test('--shard takes integers with 1 <= K <= N <= 100,000', () => {
  assert.deepEqual(segment('--shard', '3/8').shard, { k: 3, n: 8 });
  assert.deepEqual(segment('--shard=100000/100000').shard, { k: 100000, n: 100000 });
  assert.deepEqual(segment('--shard', '1/1').shard, { k: 1, n: 1 });
  for (const v of [`1/${'9'.repeat(400)}`, '1/100001', '0/3', '4/3', '1/0', '1.5/3', '-1/3', '1/3.0', ' 1/3', '1/3 ', '1/1e3', '0x1/3', '', '/', '1/', `${'0'.repeat(10)}1/3`]) {
    refused(['--shard', v], /^--shard must be K\/N, integers with 1 <= K <= N <= 100000, got '/);
  }
});

test('--include and --exclude: repeatable globs; a malformed one is a usage error naming it', () => {
  const o = segment('--include', '**/*.png', '--include={a,b}/*', '--exclude', 'thumbs/**');
  assert.deepEqual([o.include, o.exclude], [['**/*.png', '{a,b}/*'], ['thumbs/**']]);
  refused(['--exclude', '{a,b'], /^--exclude: the glob '\{a,b' has a '\{' without its '\}'$/);
  refused(['--include', 'a}'], /^--include: the glob 'a\}' has a '\}' without its '\{'$/);
});

test('the gallery: a malformed seglens.folder.* glob is a settings error naming the setting and the glob', async () => {
  const { installFakeVscode, fakeSettings, fakeVscode } = await import('../helpers/fakeVscodeModule');
  installFakeVscode();
  const { globSettingsProblem } = await import('../../extension/gallery/galleryPanel');
  const cfg = () => fakeVscode.workspace.getConfiguration('seglens') as never;
  try {
    assert.equal(globSettingsProblem(cfg()), undefined);
    fakeSettings.set('seglens.folder.include', ['**/*.png']);
    fakeSettings.set('seglens.folder.exclude', ['ok/**', '{a,b']);
    assert.equal(globSettingsProblem(cfg()), "seglens.folder.exclude: the glob '{a,b' has a '{' without its '}'");
    fakeSettings.set('seglens.folder.include', [42]);
    assert.equal(globSettingsProblem(cfg()), 'seglens.folder.include: 42 is not a glob (a string)');
  } finally {
    fakeSettings.delete('seglens.folder.include');
    fakeSettings.delete('seglens.folder.exclude');
  }
});
