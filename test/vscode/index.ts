/*
 * Extension integration suites: they run INSIDE a real VS Code extension host, with the real
 * `vscode` API and the real daemon (dist/daemon.js, models/ from `node dist/models.js`).
 *
 * For the runners (the e2e harness in test/e2e and test/vscode/runDesktop.mjs):
 * - Build: `npm run build` writes this file to dist/test/vscode/index.js. Mocha is BUNDLED into
 *   it (only `vscode` is external), so the extension host needs no mocha in any node_modules.
 * - Load it as extensionTestsPath (the file, or its folder dist/test/vscode), with the repo root
 *   as extensionDevelopmentPath; it exports `run(): Promise<void>` like @vscode/test-electron
 *   expects, and run() rejects when a test failed.
 * - Output goes through console.log (mocha's spec reporter, which VS Code forwards from the
 *   extension host), ending with a line `N passed, N failed`.
 * - Optional environment: SEGLENS_TEST_GREP (a mocha grep).
 * - The suites copy media/samples images to a temporary folder; they set
 *   seglens.daemon.idleExitMinutes to 0.25 (user settings) so the shared daemon they start
 *   exits about 15 s after the extension host goes away, and restore the setting afterwards.
 */
import Mocha from 'mocha';
import { register as activationSuite } from './activation.test';
import { register as configSuite } from './config.test';
import { register as customModelsSuite } from './customModels.test';
import { register as daemonSuite } from './daemon.test';
import { register as previewSuite } from './preview.test';
import { register as previewInspectSuite } from './previewInspect.test';
import { register as gallerySuite } from './gallery.test';
import { register as refineSuite } from './refine.test';
import { register as promptRefineSuite } from './promptRefine.test';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 120_000, reporter: 'spec', forbidOnly: true });
  const grep = process.env.SEGLENS_TEST_GREP;
  if (grep) mocha.grep(grep);
  // Define suite/test/... globals, then let the suites register themselves (they are bundled
  // into this file, so there are no files for mocha to load).
  mocha.suite.emit('pre-require', globalThis, 'seglens-vscode-suites', mocha);
  activationSuite();
  daemonSuite();
  previewSuite();
  previewInspectSuite();
  gallerySuite();
  refineSuite();
  promptRefineSuite();
  customModelsSuite();
  configSuite();
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => {
        const total = mocha.suite.total();
        console.log(`${total - failures} passed, ${failures} failed`);
        if (failures > 0) reject(new Error(`${failures} SegLens extension test(s) failed`));
        else resolve();
      });
    } catch (err) {
      reject(err);
    }
  });
}
