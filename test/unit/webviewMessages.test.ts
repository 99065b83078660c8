// Messages from the preview's page (extension/preview/webviewMessages.ts): only known types
// with exactly their fields and valid values pass; mode ids must be known, paths must be the
// image shown. The same checks run inside VS Code in test/vscode/previewInspect.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFromWebview } from '../../extension/preview/webviewMessages';

const ctx = { isMode: (id: string) => ['fast', 'accurate'].includes(id), currentPath: '/w/cat.jpg' };
const ok = (m: unknown) => assert.deepEqual(checkFromWebview(m, ctx), { ok: true, message: m }, JSON.stringify(m));
const bad = (m: unknown, why: RegExp) => {
  const r = checkFromWebview(m, ctx);
  assert.equal(r.ok, false, `accepted ${JSON.stringify(m)}`);
  if (!r.ok) assert.match(r.reason, why);
};

test('the messages the page sends pass unchanged', () => {
  for (const m of [
    { type: 'ready' },
    { type: 'saveMask' },
    { type: 'rerun' },
    { type: 'navigate', delta: -1 },
    { type: 'navigate', delta: 1 },
    { type: 'setMode', mode: 'accurate' },
    { type: 'compare', mode: 'fast' },
    { type: 'compare', mode: null },
    { type: 'focus', control: true },
    { type: 'imageFailed', path: '/w/cat.jpg' },
    { type: 'displayCrop', path: '/w/cat.jpg', region: { left: 0, top: 10, width: 4096, height: 1 } },
  ])
    ok(m);
});

test('hostile or malformed messages are refused with a reason', () => {
  bad(null, /not an object/);
  bad('ready', /not an object/);
  bad([{ type: 'ready' }], /not an object/);
  bad({ type: 'openFile', path: '/etc/passwd' }, /unknown message type/);
  bad({ type: 'navigate', delta: 5 }, /delta/);
  bad({ type: 'navigate', delta: '1' }, /delta/);
  bad({ type: 'navigate', delta: 1e308 }, /delta/);
  bad({ type: 'setMode', mode: '../../etc/passwd' }, /not a mode id/);
  bad({ type: 'setMode', mode: 'x'.repeat(65) }, /not a mode id/);
  bad({ type: 'setMode', mode: 'nosuchmode' }, /no mode 'nosuchmode'/);
  bad({ type: 'setMode', mode: { toString: 'fast' } }, /not a mode id/);
  bad({ type: 'compare', mode: 'ghost' }, /no mode/);
  bad({ type: 'compare' }, /not a mode id/);
  bad({ type: 'focus', control: 'yes' }, /boolean/);
  bad({ type: 'imageFailed', path: '/etc/shadow' }, /not the image shown/);
  bad({ type: 'imageFailed', path: 42 }, /not the image shown/);
  bad({ type: 'saveMask', path: '/tmp/evil.png' }, /unexpected field 'path'/);
  bad({ type: 'setMode', mode: 'fast', __proto__x: 1 }, /unexpected field/);
  bad({ type: 'ready', extra: true }, /unexpected field/);
  const region = { left: 0, top: 0, width: 8, height: 8 };
  bad({ type: 'displayCrop', path: '/etc/shadow', region }, /not the image shown/);
  bad({ type: 'displayCrop', path: '/w/cat.jpg' }, /region must be an object/);
  bad({ type: 'displayCrop', path: '/w/cat.jpg', region: [0, 0, 8, 8] }, /region must be an object/);
  bad({ type: 'displayCrop', path: '/w/cat.jpg', region: { ...region, left: -1 } }, /left\/top/);
  bad({ type: 'displayCrop', path: '/w/cat.jpg', region: { ...region, top: 0.5 } }, /left\/top/);
  bad({ type: 'displayCrop', path: '/w/cat.jpg', region: { ...region, width: 4097 } }, /width\/height/);
  bad({ type: 'displayCrop', path: '/w/cat.jpg', region: { ...region, height: '8' } }, /width\/height/);
  bad({ type: 'displayCrop', path: '/w/cat.jpg', region: { ...region, mode: 'x' } }, /unexpected region field 'mode'/);
  bad({ type: 'displayCrop', path: '/w/cat.jpg', region, image: { path: '/etc/passwd' } }, /unexpected field 'image'/);
  for (const type of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) bad({ type }, /unknown message type/);
  bad(Object.create({ type: 'ready' }), /unknown message type/);
  bad({ type: 'navigate', __proto__: { delta: 1 } }, /delta/);
  bad({ type: 'displayCrop', path: '/w/cat.jpg', region: Object.create(region) }, /left\/top/);
});

test('with no image shown, no imageFailed passes', () => {
  const r = checkFromWebview({ type: 'imageFailed', path: '' }, { ...ctx, currentPath: undefined });
  assert.equal(r.ok, false);
});
