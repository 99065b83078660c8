// One list of image extensions (daemon/api/folder/folderImages.ts): package.json's when-clauses
// that offer the preview on image files must accept exactly those, in any case.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { IMAGE_EXTENSIONS } from '../../daemon/api/folder/folderImages';
import { repoRoot } from '../helpers/repo';

interface MenuItem {
  command: string;
  when?: string;
}

/** Every `resourceExtname =~ /.../flags` of package.json's menus, as a RegExp. */
function extnameClauses(): RegExp[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { menus: Record<string, MenuItem[]> } };
  const whens = Object.values(pkg.contributes.menus).flat().map((m) => m.when ?? '');
  return whens.flatMap((w) => [...w.matchAll(/resourceExtname =~ \/(.+?)\/([a-z]*)/g)].map((m) => new RegExp(m[1], m[2])));
}

test("package.json's image when-clauses accept exactly the daemon's image extensions", () => {
  const clauses = extnameClauses();
  assert.ok(clauses.length > 0, 'a menu offers the preview on image files');
  const others = ['.txt', '.onnx', '.svg', '.json', '.png.txt', '.heic', '.ico'];
  for (const re of clauses) {
    for (const ext of IMAGE_EXTENSIONS) {
      assert.ok(re.test(ext) && re.test(ext.toUpperCase()), `${re} misses ${ext}`);
    }
    for (const ext of others) assert.ok(!re.test(ext), `${re} accepts ${ext}, which the daemon does not list`);
  }
});

test("the refine editor's filename pattern names every image extension, in both cases", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { customEditors: { selector: { filenamePattern: string }[] }[] } };
  const patterns = pkg.contributes.customEditors.flatMap((e) => e.selector.map((s) => s.filenamePattern));
  assert.ok(patterns.length > 0, 'a custom editor is declared');
  for (const p of patterns) {
    const listed = new Set((/^\*\.\{(.+)\}$/.exec(p)?.[1] ?? '').split(','));
    for (const ext of IMAGE_EXTENSIONS) {
      const bare = ext.replace(/^\./, '');
      assert.ok(listed.has(bare) && listed.has(bare.toUpperCase()), `${p} misses ${ext}`);
    }
  }
});
