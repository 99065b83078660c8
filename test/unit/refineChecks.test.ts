// The refine editor's page messages (extension/refine/refineChecks.ts, issue 22): exactly the
// fields of each, finite numbers, boxes inside the image; refused otherwise, with the reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRefine } from '../../extension/refine/refineChecks';
import { checkFromWebview } from '../../extension/preview/webviewMessages';
import { PROMPT_MAX_POINTS } from '../../daemon/api/protocol';

const size = { width: 100, height: 50 };
const reason = (m: Record<string, unknown>) => {
  const c = checkRefine(m, size);
  return c.ok ? 'ok' : c.reason;
};

test('edits the page may make are accepted as they are', () => {
  const stroke = { kind: 'stroke', points: [{ x: -3.5, y: 2 }, { x: 99.9, y: 49 }], radius: 4.5, value: 255, erase: false };
  for (const edit of [stroke, { kind: 'keep', at: { x: 1, y: 2 }, add: true, threshold: 0.5 }, { kind: 'remove', at: { x: 1, y: 2 }, threshold: 0.3 }, { kind: 'relabel', at: { x: 0, y: 0 }, value: 7 }, { kind: 'reset' }]) {
    const c = checkRefine({ type: 'refineEdit', edit }, size);
    assert.deepEqual(c, { ok: true, message: { type: 'refineEdit', edit } });
  }
  assert.equal(reason({ type: 'refineBox', box: { left: 10, top: 5, width: 90, height: 45 }, clearOutside: true }), 'ok');
  assert.equal(reason({ type: 'refineAction', action: 'saveGroundTruth', threshold: 0.5 }), 'ok');
});

test('bad edits, boxes and actions are refused with the reason', () => {
  assert.match(reason({ type: 'refineEdit', edit: { kind: 'box', box: {}, region: {}, mask: [], clearOutside: true } }), /unknown edit kind/, 'a box comes from the extension only');
  assert.match(reason({ type: 'refineEdit', edit: { kind: 'stroke', points: [], radius: 4, value: 1, erase: false } }), /points/);
  assert.match(reason({ type: 'refineEdit', edit: { kind: 'stroke', points: [{ x: NaN, y: 1 }], radius: 4, value: 1, erase: false } }), /points/);
  assert.match(reason({ type: 'refineEdit', edit: { kind: 'stroke', points: [{ x: 1, y: 1 }], radius: 0, value: 1, erase: false } }), /radius/);
  assert.match(reason({ type: 'refineEdit', edit: { kind: 'relabel', at: { x: 1, y: 1 }, value: 256 } }), /value/);
  assert.match(reason({ type: 'refineEdit', edit: { kind: 'keep', at: { x: 1, y: 1 }, add: 'yes', threshold: 0.5 } }), /add/);
  assert.match(reason({ type: 'refineEdit', edit: { kind: 'reset', extra: 1 } }), /unexpected edit field 'extra'/);
  assert.match(reason({ type: 'refineBox', box: { left: 10, top: 5, width: 91, height: 45 }, clearOutside: true }), /inside the image/);
  assert.match(reason({ type: 'refineBox', box: { left: 0.5, top: 5, width: 9, height: 4 }, clearOutside: true }), /whole pixels/);
  assert.match(reason({ type: 'refineBox', box: { left: 0, top: 0, width: 9, height: 4 }, clearOutside: 1 }), /clearOutside/);
  assert.match(reason({ type: 'refineAction', action: 'format', threshold: 0.5 }), /unknown action/);
  assert.match(reason({ type: 'refineAction', action: 'reset', threshold: 0.5, path: '/etc/passwd' }), /unexpected field 'path'/);
});

test('a preview panel (no editor) refuses the refine messages', () => {
  const ctx = { isMode: () => true, currentPath: '/a.png' };
  const m = { type: 'refineAction', action: 'reset', threshold: 0.5 };
  assert.deepEqual(checkFromWebview(m, ctx), { ok: false, reason: 'not a refine editor, or its mask is not known yet' });
  assert.equal(checkFromWebview(m, { ...ctx, refine: size }).ok, true);
});

test('prompt messages (issue 25): points inside the image with label 1 or 0, an optional box, at least one prompt, at most PROMPT_MAX_POINTS', () => {
  const size = { width: 100, height: 50 };
  const ok = checkRefine({ type: 'refinePrompt', points: [{ x: 10.5, y: 3, label: 1 }, { x: 0, y: 49.9, label: 0 }], box: { left: 1, top: 2, width: 30, height: 20 } }, size);
  assert.deepEqual(ok, { ok: true, message: { type: 'refinePrompt', points: [{ x: 10.5, y: 3, label: 1 }, { x: 0, y: 49.9, label: 0 }], box: { left: 1, top: 2, width: 30, height: 20 } } });
  assert.equal(checkRefine({ type: 'refinePrompt', points: [], box: { left: 0, top: 0, width: 5, height: 5 } }, size).ok, true);
  const refused = (o: Record<string, unknown>) => {
    const r = checkRefine(o, size);
    return r.ok ? 'accepted' : r.reason;
  };
  assert.match(refused({ type: 'refinePrompt', points: [] }), /a point or a box/);
  assert.match(refused({ type: 'refinePrompt', points: [{ x: 101, y: 3, label: 1 }] }), /inside the image/);
  assert.match(refused({ type: 'refinePrompt', points: [{ x: 1, y: 3, label: 2 }] }), /label/);
  assert.match(refused({ type: 'refinePrompt', points: [{ x: 1, y: 3, label: 1, extra: 1 }] }), /\{x, y, label\}/);
  assert.match(refused({ type: 'refinePrompt', points: Array.from({ length: PROMPT_MAX_POINTS + 1 }, () => ({ x: 1, y: 1, label: 1 })) }), /points must be/);
  assert.match(refused({ type: 'refinePrompt', points: [], box: { left: 90, top: 0, width: 20, height: 5 } }), /box/);
  assert.match(refused({ type: 'refinePrompt', points: [], other: 1 }), /unexpected field/);
  assert.deepEqual(checkRefine({ type: 'refineCandidate' }, size), { ok: true, message: { type: 'refineCandidate' } });
  assert.match(refused({ type: 'refineCandidate', index: 2 }), /unexpected field/);
});
