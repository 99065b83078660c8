// The gallery's exports (extension/gallery/galleryExports.ts, exportFiles.ts) with the vscode
// module faked around them: Export report asks about every file it would replace (`r.txt`
// writes `r.txt.csv` and `r.txt.json`), a link planted at the old temporary name is not written
// through, and the masks' writer refuses links and files that appeared after the question.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { ReportBuilder } from '../../daemon/api/folder/report';
import { FakeUri, fakeVscode, installFakeVscode } from '../helpers/fakeVscodeModule';

let tmp: string;
/** Questions the extension asked (modal warnings), and the answer the user gives. */
const asked: string[] = [];
let answer: string | undefined;
let picked = '';

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-gexports-'));
  installFakeVscode();
  Object.assign(fakeVscode.window, {
    showSaveDialog: async () => ({ fsPath: picked }),
    showWarningMessage: async (message: string, options?: { modal?: boolean }) => {
      if (options?.modal) asked.push(message);
      return options?.modal ? answer : undefined;
    },
    showInformationMessage: async () => undefined,
  });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const log = { info: () => undefined, warn: () => undefined, debug: () => undefined } as never;
const report = () => {
  const b = new ReportBuilder('fast');
  b.add({ path: 'a.png', width: 2, height: 2, ms: 1 });
  return b.build();
};

async function exportReport(folder: string) {
  const { exportReport: run } = await import('../../extension/gallery/galleryExports');
  return run(FakeUri.file(folder) as never, report(), log);
}

test('Export report to r.txt: writes r.txt.csv and r.txt.json, and asks about the existing r.txt.json first', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'txt-'));
  picked = path.join(dir, 'r.txt');
  fs.writeFileSync(path.join(dir, 'r.txt.json'), 'old');
  asked.length = 0;
  answer = undefined; // the user says no
  assert.equal(await exportReport(dir), undefined);
  assert.equal(asked.length, 1);
  assert.match(asked[0], /1 file\(s\) exist already: r\.txt\.json\. Overwrite them\?/);
  assert.equal(fs.readFileSync(path.join(dir, 'r.txt.json'), 'utf8'), 'old', 'declined: not replaced');
  assert.equal(fs.existsSync(path.join(dir, 'r.txt.csv')), false, 'declined: nothing written');
  answer = 'Overwrite';
  assert.equal(await exportReport(dir), path.join(dir, 'r.txt.csv'));
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'r.txt.json'), 'utf8')).mode, 'fast');
  assert.match(fs.readFileSync(path.join(dir, 'r.txt.csv'), 'utf8'), /^path,width/);
});

test('Export report to an existing r.csv: the dialog asked about it; r.json is asked about here, both named exactly', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'csv-'));
  picked = path.join(dir, 'r.csv');
  fs.writeFileSync(picked, 'old csv');
  fs.writeFileSync(path.join(dir, 'r.json'), 'old json');
  asked.length = 0;
  answer = 'Overwrite';
  assert.equal(await exportReport(dir), picked);
  assert.deepEqual(asked, ['SegLens: 1 file(s) exist already: r.json. Overwrite them?']);
  assert.match(fs.readFileSync(picked, 'utf8'), /^path,width/);
});

test("a link planted at the export's old temporary name (<file>.<pid>.tmp) is not written through", async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'planted-'));
  const victim = path.join(tmp, `victim-${path.basename(dir)}.txt`);
  fs.writeFileSync(victim, 'precious');
  picked = path.join(dir, 'r.csv');
  for (const f of ['r.csv', 'r.json']) fs.symlinkSync(victim, path.join(dir, `${f}.${process.pid}.tmp`));
  assert.equal(await exportReport(dir), picked);
  assert.equal(fs.readFileSync(victim, 'utf8'), 'precious');
  assert.match(fs.readFileSync(picked, 'utf8'), /^path,width/);
});

test('the masks writer: a link inside the output folder and a file that appeared after the question are refused, the rest written', async () => {
  const { exportWriter } = await import('../../extension/gallery/exportFiles');
  const out = fs.mkdtempSync(path.join(tmp, 'masks-'));
  const elsewhere = fs.mkdtempSync(path.join(tmp, 'elsewhere-'));
  fs.symlinkSync(elsewhere, path.join(out, 'images'));
  fs.writeFileSync(path.join(out, 'appeared.mask.png'), 'mine');
  fs.writeFileSync(path.join(out, 'agreed.mask.png'), 'old');
  const w = exportWriter(out, [path.join(out, 'agreed.mask.png')]);
  assert.equal(await w.write(path.join(out, 'images', 'a.mask.png'), 'png'), false);
  assert.equal(await w.write(path.join(out, 'appeared.mask.png'), 'png'), false);
  assert.equal(await w.write(path.join(out, 'agreed.mask.png'), 'png'), true);
  assert.equal(await w.write(path.join(out, 'sub', 'b.mask.png'), 'png'), true);
  assert.deepEqual(fs.readdirSync(elsewhere), []);
  assert.equal(fs.readFileSync(path.join(out, 'appeared.mask.png'), 'utf8'), 'mine');
  assert.equal(fs.readFileSync(path.join(out, 'agreed.mask.png'), 'utf8'), 'png');
  assert.equal(w.refused.length, 2);
  assert.match(w.refused[0], /images is a symbolic link/);
  assert.match(w.refused[1], /appeared\.mask\.png exists already \(it appeared after the question\)/);
});
