// `npm run test:desktop`: the extension suites (test/vscode, built to dist/test/vscode/index.js)
// in a desktop VS Code through @vscode/test-electron, which downloads VS Code: it needs a
// network that reaches VS Code's download site, so it is not a dependency here (install it with
// `npm install --no-save @vscode/test-electron` where it can work). Where it cannot, the same
// suites run inside code-server: `npm run test:vscode` (test/e2e/run.mjs --only=suites).
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let runTests;
try {
  ({ runTests } = await import('@vscode/test-electron'));
} catch {
  console.error('@vscode/test-electron is not installed: run `npm install --no-save @vscode/test-electron` (it downloads VS Code),');
  console.error('or run the same suites inside code-server with `npm run test:vscode`.');
  process.exit(1);
}

const userData = mkdtempSync(path.join(os.tmpdir(), 'seglens-desktop-'));
try {
  await runTests({
    version: process.env.SEGLENS_VSCODE_VERSION ?? '1.100.3',
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'dist', 'test', 'vscode', 'index.js'),
    launchArgs: [path.join(root, 'media', 'samples'), '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${path.join(userData, 'user')}`, `--extensions-dir=${path.join(userData, 'ext')}`],
  });
} catch (err) {
  console.error(`extension tests failed: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
