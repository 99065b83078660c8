// Which model each built-in mode runs at each CPU precision (issue #26): int8 and fp32 modes
// never share a model key (so never a session), accurate and sota stay fp32, and the int8
// ISNet is chosen only when the CPU provider runs the sessions.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_CPU_PRECISION } from '../../daemon/api/constants';
import { runsOnCpu } from '../../daemon/engine/provider';
import { builtinModes, ISNET_INT8_KEY } from '../../daemon/models/catalogue';
import { ISNET_INT8_FILE } from '../../daemon/models/quantize/isnetInt8File';

const keys = (int8: boolean) => new Map(builtinModes('/m', { int8 }).map((m) => [m.id, m.model]));

describe('CPU precision of the built-in modes', () => {
  it('int8: fast and balanced share the int8 model; accurate and sota keep the fp32 one', () => {
    const m = keys(true);
    for (const id of ['fast', 'balanced']) assert.deepEqual(m.get(id), { key: ISNET_INT8_KEY, file: path.join('/m', ISNET_INT8_FILE) }, id);
    assert.equal(m.get('accurate')!.key, m.get('sota')!.key);
    assert.notEqual(m.get('accurate')!.key, ISNET_INT8_KEY, 'modes of different precision never share a session');
    assert.notEqual(m.get('accurate')!.file, m.get('fast')!.file);
  });

  it('fp32 (the default): every ISNet mode shares one fp32 model', () => {
    assert.equal(DEFAULT_CPU_PRECISION, 'fp32', 'int8 missed the accuracy bar (docs/models.md)');
    const m = keys(false);
    const isnet = ['fast', 'balanced', 'accurate', 'sota'].map((id) => m.get(id)!.key);
    assert.deepEqual(new Set(isnet), new Set([m.get('accurate')!.key]));
    assert.ok(![...m.values()].some((r) => r.key === ISNET_INT8_KEY));
  });

  it('int8 only where the CPU provider runs the sessions', () => {
    const noLibs = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-ortbin-'));
    try {
      assert.equal(runsOnCpu('cpu', noLibs, 'linux'), true);
      assert.equal(runsOnCpu('auto', noLibs, 'linux'), true, 'auto without the CUDA libraries falls back to the CPU');
      fs.writeFileSync(path.join(noLibs, 'libonnxruntime_providers_cuda.so'), '');
      assert.equal(runsOnCpu('auto', noLibs, 'linux'), false);
      assert.equal(runsOnCpu('auto', noLibs, 'darwin'), false, 'Core ML is in the binding');
      assert.equal(runsOnCpu('cuda', noLibs, 'linux'), false);
    } finally {
      fs.rmSync(noLibs, { recursive: true, force: true });
    }
  });
});
