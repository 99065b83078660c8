// ONNX Runtime failing to load (daemon/engine/ortLoad.ts): on Windows without the Visual C++
// runtime (error 126), the message names the redistributable to install, whatever the
// language of the system's own message; elsewhere the loader's first line is kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainOrtLoadError, loadOrt } from '../../daemon/engine/ortLoad';

const dlopen126 = Object.assign(new Error('The specified module could not be found.\r\n\\\\?\\C:\\ext\\onnxruntime_binding.node'), { code: 'ERR_DLOPEN_FAILED' });

test('Windows, MSVC runtime missing: the Visual C++ Redistributable is named, with the missing DLLs', () => {
  const e = explainOrtLoadError(dlopen126, 'win32', 'x64', (f) => !/vcruntime140_1\.dll$/i.test(f), 'C:\\Windows');
  assert.match(e.message, /Microsoft Visual C\+\+ Redistributable \(2015-2022, x64\)/);
  assert.match(e.message, /vcruntime140_1\.dll missing/);
  assert.match(e.message, /vc_redist\.x64\.exe/);
  assert.match(e.message, /error 126: The specified module could not be found\.\)/, 'first line only, no DLL path');
  assert.match(explainOrtLoadError(dlopen126, 'win32', 'arm64', () => false).message, /ARM64.*vc_redist\.arm64\.exe/);
});

test('Windows with the runtime present, or another OS: the loader error, first line', () => {
  assert.equal(explainOrtLoadError(dlopen126, 'win32', 'x64', () => true).message, 'ONNX Runtime could not be loaded: The specified module could not be found.');
  const linux = Object.assign(new Error('libonnxruntime.so.1: cannot open shared object file\nmore'), { code: 'ERR_DLOPEN_FAILED' });
  assert.equal(explainOrtLoadError(linux, 'linux', 'arm64', () => false).message, 'ONNX Runtime could not be loaded: libonnxruntime.so.1: cannot open shared object file');
});

test('here the binding loads', () => {
  const r = loadOrt();
  assert.equal(r.error, undefined);
  assert.equal(typeof r.ort?.InferenceSession.create, 'function');
});
